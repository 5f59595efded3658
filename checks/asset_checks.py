"""Quality checks on each snapshot: the dataset's GX suite and the governance checks, both run on DuckDB over
the snapshot's Parquet file, reported as two Dagster asset checks split by severity."""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from assets.catalog import load_catalog
from assets.partitions import dataset_check_spec
from assets.store import run_snapshot, snapshot
from assets.warehouse import Warehouse
from checks.data_docs import site_url
from checks.governance import GOVERNANCE, DatasetRecord, PreviousSnapshot, run_governance
from checks.gx_duckdb import ExpectationOutcome, SuiteRun
from checks.gx_worker import SuiteWorker
from checks.results_store import StoredRun, checks_fingerprint, record_outcomes, stored_outcomes
from checks.results_table import results_table
from checks.suite import Suite, check_columns_exist, load_suite

BLOCKING = dataset_check_spec(
    "expectation_suite", asset=snapshot.key, blocking=True,
    description="The dataset's ERROR-severity checks: its expectations (`checks/suites/{dataset id}.yaml`, or the "
                "default suite) and the governance checks at ERROR (by default license consistency, "
                "attribution and the CSV header). A failure blocks publication of the snapshot.",
)
WARNINGS = dataset_check_spec(
    "expectation_warnings", asset=snapshot.key,
    description="The dataset's WARN-severity checks (by default personal data, duplicate rows, schema drift and "
                "row-count change against the previous snapshot): shown to stewards, never blocking.",
)


class GreatExpectations(dg.ConfigurableResource):
    """Great Expectations for the snapshot checks. In a process that has not imported GX yet (a run's own
    process), a worker process starts importing it as the run begins (checks/gx_worker.py), so the import
    overlaps ingest and conversion; a process that has (a long-lived one, the tests) runs the suite itself."""

    _worker: SuiteWorker | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if "great_expectations" not in sys.modules:
            self._worker = SuiteWorker()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._worker is not None:
            self._worker.stop()

    def run_suite(self, parquet_path: Path, suite: Suite, data_docs_dir: Path) -> SuiteRun:
        worker, self._worker = self._worker, None  # a worker answers once
        if worker is not None:
            try:
                return worker.run_suite(parquet_path, suite, data_docs_dir)
            finally:
                worker.stop()
        from checks.gx_duckdb import run_suite  # imports GX: seconds, once per process

        return run_suite(parquet_path, suite, data_docs_dir=data_docs_dir)


@dataclass(frozen=True)
class Evaluation:
    expectations: list[ExpectationOutcome]
    governance: list[ExpectationOutcome]
    suite_s: float
    governance_s: float
    data_docs_index: Path | None
    reused_from_run: str | None  # the run whose outcomes were reused, when nothing they depend on changed


@dg.multi_asset_check(specs=[BLOCKING, WARNINGS], can_subset=False)
def snapshot_quality(context: dg.AssetCheckExecutionContext, warehouse: Warehouse,
                     great_expectations: GreatExpectations):
    """Run the dataset's Great Expectations suite and the governance checks on the snapshot and record every
    outcome in the warehouse; the snapshot may be published only if every ERROR-severity check passed. A key
    column or suite column the snapshot does not have fails the step (MissingColumnError) before any check.
    A snapshot already checked with the same suite, settings, license decision and previous snapshot keeps its
    recorded outcomes: its Parquet file cannot have changed."""
    dataset_id = context.partition_key
    entry = load_catalog().get(dataset_id)
    _, snapshot_id, row = run_snapshot(warehouse, entry, context.run.run_id)
    suite = load_suite(dataset_id, list(entry.key_columns))
    record = dataset_record(warehouse, row)
    # A misspelt column would otherwise show only as failed not_null / unique expectations: fail the run instead.
    check_columns_exist(suite, entry.key_columns, [column["name"] for column in record.columns], snapshot_id)
    fingerprint = checks_fingerprint(suite, record)
    stored = stored_outcomes(warehouse, snapshot_id, fingerprint)
    docs_dir = warehouse.root / "data_docs" / dataset_id
    evaluation = reuse(stored, docs_dir) if stored else \
        evaluate(great_expectations, Path(row["parquet_path"]), suite, record, docs_dir)
    record_outcomes(warehouse, snapshot_id, [*evaluation.expectations, *evaluation.governance],
                    context.run.run_id, fingerprint)
    if evaluation.reused_from_run:
        context.log.info(f"{dataset_id}: snapshot and check inputs unchanged: outcomes of run "
                         f"{evaluation.reused_from_run} reused, no data scanned")
    for spec, severity in ((BLOCKING, "ERROR"), (WARNINGS, "WARN")):
        expectations = [o for o in evaluation.expectations if o.severity == severity]
        checks = [o for o in evaluation.governance if o.severity == severity]
        failed = [o.name for o in [*expectations, *checks] if not o.passed]
        metadata = {
            "snapshot_id": snapshot_id,
            "suite": suite.source,
            "expectations": len(expectations),
            "governance_checks": len(checks),
            "failed": len(failed),
            "failed_checks": ", ".join(failed) or "none",
            "results": results_table([*expectations, *checks]),
            "duration_s": round(evaluation.suite_s, 3),
            "governance_duration_s": round(evaluation.governance_s, 3),
            "reused_from_run": evaluation.reused_from_run or "",
        }
        if evaluation.data_docs_index:
            metadata["data_docs"] = dg.MetadataValue.url(site_url(dataset_id))
            metadata["data_docs_file"] = dg.MetadataValue.path(str(evaluation.data_docs_index))
        yield dg.AssetCheckResult(
            check_name=spec.name, asset_key=snapshot.key, passed=not failed, metadata=metadata,
            severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        )


def evaluate(great_expectations: GreatExpectations, parquet_path: Path, suite: Suite, record: DatasetRecord,
             docs_dir: Path) -> Evaluation:
    """Scan the snapshot: the GX suite (with Data Docs), then the governance checks."""
    run = great_expectations.run_suite(parquet_path, suite, docs_dir)
    started = time.perf_counter()
    governance = run_governance(parquet_path, record, suite.governance)
    return Evaluation(run.outcomes, governance, run.duration_s, time.perf_counter() - started,
                      run.data_docs_index, None)


def reuse(stored: StoredRun, docs_dir: Path) -> Evaluation:
    index = docs_dir / "index.html"
    return Evaluation([o for o in stored.outcomes if o.expectation_type != GOVERNANCE],
                      [o for o in stored.outcomes if o.expectation_type == GOVERNANCE],
                      0.0, 0.0, index if index.is_file() else None, stored.run_id)


def dataset_record(warehouse: Warehouse, snapshot_row: dict) -> DatasetRecord:
    """The license decision, and the previous snapshot: the dataset's most recently created other snapshot (the
    one current before this one, also when the source went back to bytes an older snapshot already holds)."""
    dataset = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?",
                                  [snapshot_row["dataset_id"]])
    previous = warehouse.fetch_one(
        "SELECT snapshot_id, row_count, columns FROM governance.snapshots WHERE dataset_id = ? AND snapshot_id <> ?"
        " ORDER BY created_at DESC LIMIT 1", [snapshot_row["dataset_id"], snapshot_row["snapshot_id"]])
    return DatasetRecord(
        decision_record=json.loads(dataset["decision_record"]) if dataset else None,
        columns=json.loads(snapshot_row["columns"]),
        previous=PreviousSnapshot(previous["snapshot_id"], previous["row_count"], json.loads(previous["columns"]))
        if previous else None,
    )
