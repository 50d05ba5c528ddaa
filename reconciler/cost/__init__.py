"""Cost: what a stack's configuration costs per month, from prices kept as data."""
