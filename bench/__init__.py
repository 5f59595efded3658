"""Benchmark of the governed path against bare DuckDB: `uv run python bench/run.py --size 1GB`."""
