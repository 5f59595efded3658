"""SQL a steward writes (a derived dataset's query, a takedown's predicate) runs contained: on an in-memory DuckDB
connection whose only tables are views over given snapshot files, which can read those files and nothing else
(`allowed_paths` + `enable_external_access = false`, configuration locked), and only as one `SELECT`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assets.sql import sql_identifier, sql_string

if TYPE_CHECKING:
    import duckdb


class UserSQLError(ValueError):
    """The steward's SQL is not one SELECT, does not parse, or reaches outside the snapshots it may read."""


def contained_connection(tables: dict[str, list[Path]], output: Path | None = None) -> "duckdb.DuckDBPyConnection":
    """An in-memory connection where each name in `tables` is a view over its Parquet files, and no other file can
    be read or written, except `output` (a file our own COPY writes; the steward's SQL is a SELECT, see
    `single_select`, so it cannot write)."""
    import duckdb

    connection = duckdb.connect(":memory:")
    for name, paths in tables.items():
        files = "[" + ", ".join(sql_string(path) for path in paths) + "]"
        connection.execute(f"CREATE VIEW {sql_identifier(name)} AS SELECT * FROM read_parquet({files})")
    allowed = [str(path) for paths in tables.values() for path in paths] + ([str(output)] if output else [])
    connection.execute("SET allowed_paths = " + "[" + ", ".join(sql_string(path) for path in allowed) + "]")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def single_select(sql: str, what: str) -> str:
    """The steward's SQL, checked to be exactly one SELECT statement (a WITH … SELECT is one); `what` names where it
    came from in the error (e.g. "catalog entry x: query")."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise UserSQLError(f"{what} does not parse: {first_line(error)}") from None
    if len(statements) != 1:
        raise UserSQLError(f"{what} must be one SELECT statement, found {len(statements)} statements")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise UserSQLError(f"{what} must be a SELECT statement, not {statements[0].type.name}")
    return statements[0].query.strip().rstrip(";")


def first_line(error: Exception) -> str:
    """DuckDB's message without its multi-line hints, for a one-line error."""
    return str(error).strip().splitlines()[0]
