"""One module per command: its body, printed through the run's terminal."""
