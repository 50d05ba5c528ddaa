"""lambda_"""
