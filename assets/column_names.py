"""Column names DuckDB changed while reading the source. DuckDB's names are case-insensitive, so a source with two
columns named alike (`a` and `a`, `Name` and `name`) gets the later one renamed with a suffix (`a_1`, `name_1`).
The snapshot keeps DuckDB's names and its provenance records each rename, original -> new."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from assets.json_records import JSON_FORMATS
from assets.sql import sql_string

DUCKDB_SUFFIX = re.compile(r"_\d+$")  # what DuckDB appends to a name that collides with an earlier one
JSON_SAMPLE = 20480  # DuckDB's JSON sample_size: the records its columns come from


def column_renames(names: list[str], source_names: Callable[[], list[str] | None]) -> list[dict] | None:
    """[{"from": source name, "to": snapshot name}] for each column DuckDB renamed; None when the source's names
    (asked only when a name carries DuckDB's suffix) cannot be matched one for one with the snapshot's."""
    if not any(DUCKDB_SUFFIX.search(name) for name in names):
        return []
    original = source_names()
    if original is None:
        return []  # the names were given (declared CSV columns, or none in the file): nothing was renamed
    if len(original) != len(names):
        return None
    return [{"from": old, "to": new} for old, new in zip(original, names) if old != new]


def parquet_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq  # only when a name may have been changed

    return pq.read_schema(path).names


def json_names(path: Path, fmt: str) -> list[str]:
    """The records' keys in the order DuckDB meets them in its sample (the order of its columns)."""
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"SELECT json_keys(json) FROM read_json_objects({sql_string(str(path))}, "
            f"format = '{JSON_FORMATS[fmt]}') LIMIT {JSON_SAMPLE}").fetchall()
    return list(dict.fromkeys(key for keys, in rows for key in keys or []))
