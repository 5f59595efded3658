"""Great Expectations set-up: the import (seconds), and what GX lacks for DuckDB, defined once per process.

The import is the largest fixed cost of a check run: checks/gx_worker.py does it in a process of its own
while the run fetches and converts the source."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal


@functools.cache
def prepare_gx() -> None:
    """Import GX and define the DuckDB datasource and regex expectations, once per process."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # read when GX is imported
    import great_expectations  # noqa: F401

    _define_duckdb_snapshot_datasource()
    _define_duckdb_regex_expectations()


def static_pool() -> type:
    import sqlalchemy

    # One DBAPI connection, so the datasource's table check and GX's metrics see the same in-memory database.
    return sqlalchemy.pool.StaticPool


def _define_duckdb_snapshot_datasource() -> None:
    """Define the `duckdb_snapshot` datasource type (GX registers it as the class is created), which makes
    `context.data_sources.add_duckdb_snapshot(...)`.

    Why a datasource type of our own: GX's SQL engine reads a query's rows after closing the connection it ran
    on (`SqlAlchemyExecutionEngine.execute_query`). duckdb-engine keeps the rows on the DBAPI connection itself,
    and closing a SQLAlchemy connection rolls back its transaction, which discards them: every metric came
    back empty and every expectation failed with nothing observed. No create_engine option avoids that
    rollback for duckdb-engine (it has no autocommit mode), so the engine must keep one connection open for
    its life, as GX itself does for sqlite (`_PERSISTED_CONNECTION_DIALECTS`). GX chooses the execution engine
    class per datasource type (`execution_engine_type`; its SqliteDatasource works the same way), so this
    subclasses the public `SQLDatasource` and `SqlAlchemyExecutionEngine` instead of patching GX internals.
    """
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    class OneConnectionExecutionEngine(SqlAlchemyExecutionEngine):
        @contextmanager
        def get_connection(self) -> Iterator[Any]:
            if self._connection is None:  # GX's own slot for a persisted connection
                self._connection = self.engine.connect()
            try:
                yield self._connection
            except Exception:
                # A failed query aborts DuckDB's transaction; without a rollback every later query of the
                # run would fail too ("Current transaction is aborted"), not just this expectation.
                self._connection.rollback()
                raise

        def release(self) -> None:
            """Close the held connection and the in-memory database."""
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self.engine.dispose()

    class DuckDBSnapshotDatasource(SQLDatasource):  # registered with GX by its metaclass, as type below
        type: Literal["duckdb_snapshot"] = "duckdb_snapshot"

        @property
        def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
            return OneConnectionExecutionEngine

        def get_engine(self) -> Any:
            # GX checks a table asset through this engine: make it the one the view lives in.
            return self.get_execution_engine().engine


def _define_duckdb_regex_expectations() -> None:
    """`expect_column_values_to_(not_)match_regex_duckdb`: GX's regex expectations, computed by DuckDB.

    GX builds its SQL regex condition per dialect and has none for DuckDB ("Regex is not supported for dialect
    duckdb"). These subclasses keep everything of GX's expectations (kwargs such as `mostly`, counts, samples,
    Data Docs rendering) and only give the metric a DuckDB condition: `regexp_matches`, which finds the
    pattern anywhere in the value like GX does on other engines (anchor it with ^...$ for a whole match).
    Nulls are skipped, as for every GX column map expectation.
    """
    import sqlalchemy as sa
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.core.expect_column_values_to_match_regex import (
        ExpectColumnValuesToMatchRegex,
    )
    from great_expectations.expectations.core.expect_column_values_to_not_match_regex import (
        ExpectColumnValuesToNotMatchRegex,
    )
    from great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex import (
        ColumnValuesMatchRegex,
    )
    from great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex import (
        ColumnValuesNotMatchRegex,
    )
    from great_expectations.expectations.metrics.map_metric_provider import column_condition_partial

    def regexp_matches(column: Any, regex: str) -> Any:
        return sa.func.regexp_matches(sa.cast(column, sa.String), regex)

    class ColumnValuesMatchRegexDuckdb(ColumnValuesMatchRegex):
        condition_metric_name = "column_values.match_regex_duckdb"

        @column_condition_partial(engine=SqlAlchemyExecutionEngine)
        def _sqlalchemy(cls, column: Any, regex: str, **kwargs: Any) -> Any:
            return regexp_matches(column, regex)

    class ColumnValuesNotMatchRegexDuckdb(ColumnValuesNotMatchRegex):
        condition_metric_name = "column_values.not_match_regex_duckdb"

        @column_condition_partial(engine=SqlAlchemyExecutionEngine)
        def _sqlalchemy(cls, column: Any, regex: str, **kwargs: Any) -> Any:
            return sa.not_(regexp_matches(column, regex))

    class ExpectColumnValuesToMatchRegexDuckdb(ExpectColumnValuesToMatchRegex):
        map_metric = "column_values.match_regex_duckdb"

    class ExpectColumnValuesToNotMatchRegexDuckdb(ExpectColumnValuesToNotMatchRegex):
        map_metric = "column_values.not_match_regex_duckdb"
