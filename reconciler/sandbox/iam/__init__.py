"""The local AWS's IAM: propagation delay, policy rules, and policy enforcement on a key."""
