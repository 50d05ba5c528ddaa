"""Load stage: the desired state, from TOML to validated frozen dataclasses (no AWS call)."""
