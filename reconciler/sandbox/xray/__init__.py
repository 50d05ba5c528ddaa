"""The local AWS's X-Ray: groups and sampling rules (moto has neither)."""
