"""AWS access: clients, retries, waits and pacing, shared by everything that calls AWS."""
