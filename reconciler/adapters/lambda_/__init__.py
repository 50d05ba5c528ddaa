"""Adapters for Lambda: functions, aliases, provisioned concurrency, layers, async settings."""
