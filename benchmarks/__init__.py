"""Benchmarks: ``python -m benchmarks [name ...]`` (asv-style ``time_*`` functions)."""
