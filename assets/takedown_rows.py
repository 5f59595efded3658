"""Row takedowns inside the snapshot step: each split's Parquet file is rewritten without the rows the dataset's
requests match, before the snapshot is registered, checked or published. Predicates run contained: on a DuckDB
connection that sees only the split's file, read-only, as one SELECT (assets/contained_sql.py)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from assets.contained_sql import UserSQLError, contained_connection, first_line, single_select
from assets.convert import PARQUET_OPTIONS, ParquetFile, file_sha256
from assets.sql import sql_string
from assets.takedowns import TakedownError, TakedownRequest


def remove_taken_down_rows(splits: dict[str, ParquetFile], requests: list[TakedownRequest]
                           ) -> tuple[dict[str, ParquetFile], list[dict]]:
    """The splits without the requests' rows (files rewritten in place: they are still in the snapshot's work
    folder) and, per request, how many rows it removed: [{"request", "rows_removed"}]. Never the values."""
    removed = {request.request_id: 0 for request in requests}
    kept = {}
    for name, part in splits.items():
        counts = matching_rows(part.path, [column["name"] for column in part.columns], requests)
        for request_id, count in counts.items():
            removed[request_id] += count
        kept[name] = rewrite_without(part, requests) if any(counts.values()) else part
    return kept, [{"request": request_id, "rows_removed": count} for request_id, count in removed.items()]


def matching_rows(parquet: Path, columns: list[str], requests: list[TakedownRequest]) -> dict[str, int]:
    """How many rows of the file each request matches. Raises TakedownError naming the request when it names a
    column the file does not have or its predicate is not a predicate over the file's rows."""
    counts = {}
    with contained_connection({"t": [parquet]}) as connection:
        for request in requests:
            unknown = sorted(set(request.keys or {}) - set(columns))
            if unknown:
                raise TakedownError(f"{request.label}: unknown column(s) {', '.join(unknown)} in dataset "
                                    f"{request.dataset_id} (columns: {', '.join(columns)})")
            counts[request.request_id] = contained_count(connection, request)
    return counts


def contained_count(connection, request: TakedownRequest) -> int:
    import duckdb

    what = f"{request.label}: `rows`"
    try:
        query = single_select(f"SELECT ({request.predicate()}) AS taken FROM t", what)
        kind = connection.execute(f"DESCRIBE {query}").fetchone()[1]
        if kind not in ("BOOLEAN", '"NULL"', "NULL"):
            raise TakedownError(f"{request.label}: `rows.where` is not a predicate: it gives {kind}, not true or "
                                "false per row")
        return connection.execute(single_select(f"SELECT count(*) FROM t WHERE {taken(request)}", what)).fetchone()[0]
    except UserSQLError as error:
        raise TakedownError(str(error)) from None
    except duckdb.Error as error:
        raise TakedownError(f"{what} cannot be applied: {first_line(error)}") from None


def taken(request: TakedownRequest) -> str:
    """True on a row the request removes; a NULL answer keeps the row (NOT NULL would drop it silently)."""
    return f"coalesce(({request.predicate()}), false)"


def rewrite_without(part: ParquetFile, requests: list[TakedownRequest]) -> ParquetFile:
    """Copy the file without the requests' rows (same column types, same key-value metadata), then replace it."""
    import duckdb

    target = part.path.with_name(f".kept-{part.path.name}")
    keep = " AND ".join(f"NOT {taken(request)}" for request in requests)
    query = single_select(f"SELECT * FROM t WHERE {keep}", f"takedowns of {part.path.name}")
    options = PARQUET_OPTIONS + kv_metadata(part.path)
    with contained_connection({"t": [part.path]}, output=target) as connection:
        connection.execute(f"COPY ({query}) TO {sql_string(target)} ({options})")
    with duckdb.connect() as connection:
        rows = connection.execute("SELECT num_rows FROM parquet_file_metadata(?)", [str(target)]).fetchone()[0]
    os.replace(target, part.path)
    return dataclasses.replace(part, sha256=file_sha256(part.path), row_count=rows)


def kv_metadata(parquet: Path) -> str:
    """The file's own key-value metadata (how a CSV was read), so the rewritten file says the same."""
    import duckdb

    with duckdb.connect() as connection:
        pairs = connection.execute("SELECT key, value FROM parquet_kv_metadata(?)", [str(parquet)]).fetchall()
    pairs = [(bytes(key).decode(), bytes(value).decode()) for key, value in pairs]
    if not pairs:
        return ""
    return ", KV_METADATA {" + ", ".join(f"{sql_string(key)}: {sql_string(value)}" for key, value in pairs) + "}"
