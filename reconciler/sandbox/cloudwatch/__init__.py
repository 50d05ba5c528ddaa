"""The local AWS's CloudWatch: dashboard and alarm tags, alarm states."""
