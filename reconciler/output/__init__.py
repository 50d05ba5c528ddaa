"""Output: what people and scripts see (text, the JSON report, exit codes, logs)."""
