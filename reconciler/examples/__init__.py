"""The two shipped stacks, transactions and etl, with their handlers and layers: package data,
so that an installed package can write them out (`reconcile init DIR`). In a checkout these
folders are links to the repository's own `desired_state/`, `handlers/` and `layers/`."""
