"""The local AWS's Lambda: what moto lacks or gets wrong, filled in."""
