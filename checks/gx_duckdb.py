"""Run a dataset's expectation suite with Great Expectations' SQL engine on an in-process DuckDB.

The snapshot is an immutable Parquet file. Each run opens a private in-memory DuckDB (`duckdb:///:memory:`
through duckdb-engine), creates a view `snapshot` over `read_parquet(<file>)` and lets GX query the view:
the warehouse file is never opened (so never locked) and the data is never loaded into pandas.

Great Expectations costs seconds to import, so it is imported inside the run, never when this module is.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.sql import sql_string
from checks.data_docs import make_offline
from checks.duckdb_config import bounded_config
from checks.gx_setup import prepare_gx, static_pool
from checks.pii import mask_values
from checks.suite import ExpectationSpec, Suite, SuiteError

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations import Expectation

LOGGER = logging.getLogger(__name__)
SNAPSHOT_VIEW = "snapshot"
SAMPLE_SIZE = 5  # unexpected values kept per outcome
MAX_TEXT = 200  # longest sample or observed string kept, in characters
MAX_ITEMS = 20  # longest observed list kept
DATA_DOCS_SITE = "snapshot_docs"
# BASIC gives counts and a partial list of unexpected values without fetching them all (COMPLETE would).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE}
GX_SEVERITY = {"ERROR": "critical", "WARN": "warning"}
# GX's regex expectations -> our DuckDB variants (defined by checks.gx_setup.prepare_gx).
DUCKDB_REGEX_TYPES = {
    "expect_column_values_to_match_regex": "expect_column_values_to_match_regex_duckdb",
    "expect_column_values_to_not_match_regex": "expect_column_values_to_not_match_regex_duckdb",
}
# Values from the data in a GX result, as Data Docs render them.
MASKED_KEYS = {"observed_value", "partial_unexpected_list", "partial_unexpected_counts", "unexpected_list",
               "details"}
SAMPLE_KEYS = {"partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
               "unexpected_list", "unexpected_index_list", "unexpected_index_query", "details"}


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str
    expectation_type: str
    column: str | None
    severity: str  # ERROR | WARN
    passed: bool
    observed: dict  # JSON-safe: observed_value, element_count, unexpected_count, unexpected_percent, error ...
    sample_values: list  # up to SAMPLE_SIZE distinct unexpected values, JSON-safe, never whole rows
    split: str | None = None  # the snapshot split it was computed on (assets/splits.py), once known


@dataclass(frozen=True)
class SuiteRun:
    outcomes: list[ExpectationOutcome]
    success: bool  # every ERROR expectation passed
    data_docs_index: Path | None
    duration_s: float


def run_suite(parquet_path: Path, suite: Suite, data_docs_dir: Path | None = None) -> SuiteRun:
    """Validate the Parquet snapshot against the suite; build GX Data Docs in `data_docs_dir` if given."""
    return run_suite_on_splits({SNAPSHOT_VIEW: parquet_path}, suite, data_docs_dir)[SNAPSHOT_VIEW]


def run_suite_on_splits(parquet_paths: Mapping[str, Path], suite: Suite,
                        data_docs_dir: Path | None = None) -> dict[str, SuiteRun]:
    """Validate each split's Parquet file against the suite, in one GX context; with `data_docs_dir`, every
    split's validation lands in the one Data Docs site there (several splits: its data asset and run name are
    the split's name)."""
    prepare_gx()  # seconds on first use (the GX import): not part of duration_s
    started = time.perf_counter()
    data_docs_dir = Path(data_docs_dir).resolve() if data_docs_dir else None
    context = new_context(data_docs_dir)
    with bounded_config() as duckdb_config:
        datasource = context.data_sources.add_duckdb_snapshot(
            "duckdb", connection_string="duckdb:///:memory:",
            kwargs={"poolclass": static_pool(), "connect_args": {"config": duckdb_config}},
        )
        engine = datasource.get_execution_engine()
        try:
            batches = {}
            for position, (split, parquet_path) in enumerate(parquet_paths.items()):
                # One split keeps the names a snapshot had before splits; several are told apart by name.
                view, asset_name = (SNAPSHOT_VIEW, SNAPSHOT_VIEW) if len(parquet_paths) == 1 else \
                    (f"{SNAPSHOT_VIEW}_{position}", split)
                create_snapshot_view(engine, Path(parquet_path).resolve(), view)
                asset = datasource.add_table_asset(asset_name, table_name=view)
                batches[split] = asset.add_batch_definition_whole_table("whole snapshot")
            expectations = [duckdb_expectation(spec, suite) for spec in suite.expectations]
            return validate(context, batches, suite, expectations, data_docs_dir, started)
        finally:
            engine.release()


def new_context(data_docs_dir: Path | None) -> AbstractDataContext:
    """An ephemeral GX context: in-memory stores, no analytics, no progress bars, our Data Docs site only."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {DATA_DOCS_SITE: _data_docs_site(Path(data_docs_dir))} if data_docs_dir else {}
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def validate(
    context: AbstractDataContext,
    batches: Mapping[str, BatchDefinition],
    suite: Suite,
    expectations: Sequence[Expectation],
    data_docs_dir: Path | None,
    started: float,
) -> dict[str, SuiteRun]:
    """Run GX expectations built from `suite` (same order) on each split's batch; shared by every engine. The
    splits' durations add up to the time since `started`: the first includes setting up, the last building the
    Data Docs."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.dataset_id, expectations=list(expectations)))
    several = len(batches) > 1
    outcomes, durations, stored, mark = {}, {}, False, started
    for split, batch_definition in batches.items():
        result, split_stored = _validation_result(
            context, batch_definition, gx_suite, with_docs=bool(data_docs_dir),
            name=f"{gx_suite.name} ({split})" if several else gx_suite.name,
            run_id=RunIdentifier(run_name=split) if several else None)
        stored = stored or split_stored
        by_name = {r.expectation_config.meta["check"]: r for r in result.results}
        outcomes[split] = [outcome(spec, by_name[spec.name]) for spec in suite.expectations]
        now = time.perf_counter()
        durations[split], mark = now - mark, now
    index = None
    if stored:  # only with Data Docs asked for
        mask_stored_results(context)
        index = build_data_docs(context, data_docs_dir)
        durations[split] += time.perf_counter() - mark
    return {split: SuiteRun(
        outcomes=split_outcomes,
        success=all(o.passed for o in split_outcomes if o.severity == "ERROR"),
        data_docs_index=index,
        duration_s=durations[split],
    ) for split, split_outcomes in outcomes.items()}


def _validation_result(
    context: AbstractDataContext, batch_definition: BatchDefinition, gx_suite: Any, with_docs: bool, name: str,
    run_id: Any,
) -> tuple[Any, bool]:
    """GX's suite validation result, and whether it went into the context's store (which Data Docs render)."""
    import great_expectations as gx

    if with_docs:
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
        )
        try:
            return definition.run(result_format=RESULT_FORMAT, run_id=run_id), True
        except TypeError as error:
            # GX validated, then failed to serialise the result into its store: a numpy value it left in
            # (e.g. expect_column_quantile_values_to_be_between's success). Validate again without the store.
            if "JSON serializable" not in str(error):
                raise
            LOGGER.warning("no Data Docs for suite %s: GX could not store its result (%s)", name, error)
    return batch_definition.get_batch().validate(gx_suite, result_format=RESULT_FORMAT), False


# --- expectations ---------------------------------------------------------------------------------------


def gx_expectation(spec: ExpectationSpec, suite: Suite, expectation_type: str | None = None) -> Expectation:
    """The GX expectation for a spec, tagged with the check name so its result can be found again."""
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        expectation_class = get_expectation_impl(expectation_type or spec.type)
    except ExpectationNotFoundError:
        raise SuiteError(f"{suite.where(spec)}: GX has no registered expectation {spec.type}") from None
    kwargs = dict(spec.kwargs)
    try:
        meta = {**(kwargs.pop("meta", None) or {}), "check": spec.name}  # the YAML may add its own meta
        return expectation_class(**kwargs, meta=meta, severity=GX_SEVERITY[spec.severity])
    except (TypeError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        raise SuiteError(f"{suite.where(spec)}: invalid kwargs for {spec.type}: {_one_line(error)}") from None


def _one_line(error: Exception) -> str:
    """Pydantic's multi-line ValidationError as "field: problem; ..."."""
    if hasattr(error, "errors"):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return str(error)


def duckdb_expectation(spec: ExpectationSpec, suite: Suite) -> Expectation:
    """GX's regex expectations do not support DuckDB: use our variants computed with DuckDB's regexp_matches."""
    return gx_expectation(spec, suite, DUCKDB_REGEX_TYPES.get(spec.type))


# --- results --------------------------------------------------------------------------------------------


def outcome(spec: ExpectationSpec, result: Any) -> ExpectationOutcome:
    """Our outcome for one GX ExpectationValidationResult."""
    error = _error_message(result.exception_info)
    details = dict(result.result or {})
    observed = {key: value for key, value in details.items() if key not in SAMPLE_KEYS}
    samples = details.get("partial_unexpected_list") or []
    if error:
        observed["error"] = error
    return ExpectationOutcome(
        name=spec.name,
        expectation_type=spec.type,
        column=spec.column,
        severity=spec.severity,
        passed=bool(result.success) and not error,
        # Unexpected and observed values are data: mask personal data in them before anyone sees them.
        observed=mask_values(json_safe(observed)),
        sample_values=_distinct(mask_values(json_safe(value)) for value in samples)[:SAMPLE_SIZE],
    )


def _error_message(exception_info: dict | None) -> str | None:
    """GX reports an expectation that raised either flat or keyed by metric: find any raised message."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    messages = [str(info.get("exception_message")) for info in infos
                if isinstance(info, dict) and info.get("raised_exception")]
    return "; ".join(messages)[:MAX_TEXT * 5] or None


def _distinct(values: Iterator[Any]) -> list:
    seen: list = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def json_safe(value: Any) -> Any:
    """A small value json.dumps accepts (strictly: no NaN): text cut to MAX_TEXT characters, lists to MAX_ITEMS."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):  # e.g. every distinct value of a column: keep the first few
        items = list(value)
        more = [f"... {len(items) - MAX_ITEMS} more"] if len(items) > MAX_ITEMS else []
        return [json_safe(item) for item in items[:MAX_ITEMS]] + more
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value[: MAX_TEXT // 2].hex()
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return str(value)[:MAX_TEXT]


# --- Data Docs ------------------------------------------------------------------------------------------


def _data_docs_site(directory: Path) -> dict:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def mask_stored_results(context: AbstractDataContext) -> None:
    """Mask personal data in the values GX keeps in its stored results, which Data Docs render to disk."""
    store = context.validation_results_store
    for key in store.list_keys():
        suite_result = store.get(key)
        for result in suite_result.results:
            result.result = {name: mask_values(value) if name in MASKED_KEYS else value
                             for name, value in (result.result or {}).items()}
        store.set(key, suite_result)


def build_data_docs(context: AbstractDataContext, directory: Path) -> Path:
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    index = directory / "index.html"
    if not index.is_file():
        raise RuntimeError(f"GX did not write the Data Docs index {index}")
    make_offline(directory)
    return index


# --- DuckDB datasource ----------------------------------------------------------------------------------


def create_snapshot_view(engine: Any, parquet_path: Path, view: str = SNAPSHOT_VIEW) -> None:
    """A view over the Parquet file, in the run's private in-memory database."""
    if not parquet_path.is_file():
        raise FileNotFoundError(f"no Parquet snapshot at {parquet_path}")
    with engine.get_connection() as connection:
        connection.exec_driver_sql(
            f"CREATE VIEW {view} AS SELECT * FROM read_parquet({sql_string(parquet_path)})"
        )
        connection.commit()
