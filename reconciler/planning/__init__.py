"""Plan stage: desired x live -> field changes -> ordered actions (pure)."""
