"""Fleets: many suffixes, accounts and regions from one desired state (`--fleet FILE`)."""
