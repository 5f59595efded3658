"""A JSON source must hold records: a json file is an array of objects (or one object), a jsonl file one object a
line. Anything else (a bare `42`, an array mixing numbers, strings and objects, lines mixing objects and arrays)
would otherwise become a one-column `json` table without a word: it is refused, saying what the file holds.

DuckDB's reader, told to expect records, refuses such a file while it samples it (or, for a value after the
sample, while it reads it); this module turns that refusal into what a steward can act on."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb

from assets.sql import sql_string

JSON_FORMATS = {"json": "auto", "jsonl": "newline_delimited"}  # catalog format -> DuckDB's
SAMPLED_VALUES = 20480  # DuckDB's JSON sample_size: the values its refusal is about
# DuckDB's JSON type names (json_type) as a steward says them.
KINDS = {"OBJECT": "object", "ARRAY": "array", "VARCHAR": "string", "BOOLEAN": "boolean", "NULL": "null",
         "UBIGINT": "number", "BIGINT": "number", "DOUBLE": "number", "HUGEINT": "number"}
SAMPLED_NOT_RECORDS = "expected records, but got non-record JSON"
LATE_NOT_RECORD = re.compile(r"in (?:record/value|line) (\d+): Expected OBJECT, but got (\w+): (.{0,40})")


def records_reader(fmt: str) -> str:
    """The read_json call (its parameter is the file) that reads records or fails."""
    return f"read_json(?, format = '{JSON_FORMATS[fmt]}', records = true)"


def not_records_reason(raw_path: Path, fmt: str, duckdb_message: str) -> str | None:
    """What the source holds instead of records, when DuckDB's error says it found no records; else None."""
    item = "line" if fmt == "jsonl" else "item"
    late = LATE_NOT_RECORD.search(duckdb_message)
    if late:
        number, kind, value = late.groups()
        return f"{item} {number} is {_a(_kind(kind))} ({value.strip()}), not an object"
    if SAMPLED_NOT_RECORDS not in duckdb_message:
        return None
    with duckdb.connect() as connection:  # the values DuckDB sampled, by kind, with the first of each
        found = connection.execute(
            "SELECT json_type(json) AS kind, count(*), min(n), arg_min(left(CAST(json AS VARCHAR), 40), n)"
            f" FROM (SELECT json, row_number() OVER () AS n FROM read_json_objects({sql_string(str(raw_path))},"
            f" format = '{JSON_FORMATS[fmt]}') LIMIT {SAMPLED_VALUES}) GROUP BY kind ORDER BY min(n)").fetchall()
    if not found:
        return "it holds an empty array: no records"
    kinds = Counter()
    for kind, n, *_ in found:
        kinds[_kind(kind)] += n
    sampled = sum(kinds.values())
    tally = _counted(kinds) + (f" in the first {sampled}" if sampled == SAMPLED_VALUES else "")
    kind, _, first, value = next((row for row in found if row[0] != "OBJECT"), found[0])
    if fmt == "json" and not _starts_with_array(raw_path):
        return (f"it holds a single {_kind(kind)} ({value}), not records: a json source holds an array of objects, "
                "or one object")
    holds = "the lines hold" if fmt == "jsonl" else "it holds an array of"
    must = "a jsonl source holds one object a line" if fmt == "jsonl" else "every item must be an object"
    return f"{holds} {tally}, not records ({item} {first} is {_a(_kind(kind))}: {value}): {must}"


def _kind(duckdb_kind: str) -> str:
    return KINDS.get(duckdb_kind, duckdb_kind.lower())


def _counted(kinds: Counter) -> str:
    parts = [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in kinds.most_common()]
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")
