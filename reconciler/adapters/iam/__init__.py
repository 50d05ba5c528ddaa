"""adapters/iam"""
