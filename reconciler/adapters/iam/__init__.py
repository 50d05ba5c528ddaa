"""Adapters for IAM: roles and customer managed policies."""
