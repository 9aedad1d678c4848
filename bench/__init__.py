"""Sluice benchmarks; each module is runnable as ``uv run python -m bench.<name>``."""
