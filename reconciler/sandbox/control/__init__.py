"""The local AWS's controls: knobs, injected faults, the call recorder, and their HTTP API."""
