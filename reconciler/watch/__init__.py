"""Watch: scheduled drift correction, with health and metrics."""
