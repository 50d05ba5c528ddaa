"""adapters/lambda_"""
