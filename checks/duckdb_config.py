"""The checks' DuckDB connections: bounded memory whatever the snapshot's size, spilling to a scratch folder
(a hash table of every key of a large snapshot would otherwise grow with it)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from assets.convert import MEMORY_LIMIT  # the same bound as the conversion


@contextmanager
def bounded_config() -> Iterator[dict[str, str]]:
    """DuckDB connection settings, with a scratch folder removed on exit."""
    with tempfile.TemporaryDirectory(prefix="duckdb-checks-") as scratch:
        yield {"memory_limit": MEMORY_LIMIT, "temp_directory": scratch}
