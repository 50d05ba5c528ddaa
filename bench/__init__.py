"""Benchmarks of the reconciler against the embedded local AWS: API calls, wall time, memory.

`python -m bench.run` (or `make bench`) measures and writes BENCHMARKS.md; the helpers here are
shared with the call-budget test in tests/bench/.
"""
