"""Quality checks on each snapshot: the dataset's GX suite and the governance checks, both run on DuckDB over
each of the snapshot's split files (one Parquet file per split), reported as two Dagster asset checks split by
severity."""

import dataclasses
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from assets.catalog import load_catalog
from assets.partitions import dataset_check_spec
from assets.splits import SplitFile, snapshot_splits
from assets.store import run_snapshot, snapshot
from assets.takedowns import dataset_takedowns, whole_dataset_request
from assets.warehouse import Warehouse
from checks.data_docs import site_url
from checks.governance import GOVERNANCE, DatasetRecord, PreviousSnapshot, run_governance, split_removed
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

    def run_suite(self, parquet_paths: Mapping[str, Path], suite: Suite, data_docs_dir: Path) -> dict[str, SuiteRun]:
        """The suite on each split's file (split name -> its Parquet file), every split in one Data Docs site."""
        worker, self._worker = self._worker, None  # a worker answers once
        if worker is not None:
            try:
                return worker.run_suite(parquet_paths, suite, data_docs_dir)
            finally:
                worker.stop()
        from checks.gx_duckdb import run_suite_on_splits  # imports GX: seconds, once per process

        return run_suite_on_splits(parquet_paths, suite, data_docs_dir=data_docs_dir)


@dataclass(frozen=True)
class Evaluation:
    outcomes: list[ExpectationOutcome]  # split by split: the suite's expectations, then the governance checks
    suite_s: float
    governance_s: float
    data_docs_index: Path | None
    reused_from_run: str | None  # the run whose outcomes were reused, when nothing they depend on changed


@dg.multi_asset_check(specs=[BLOCKING, WARNINGS], can_subset=False)
def snapshot_quality(context: dg.AssetCheckExecutionContext, warehouse: Warehouse,
                     great_expectations: GreatExpectations):
    """Run the dataset's Great Expectations suite and the governance checks on every split of the snapshot (each
    its own Parquet file) and record every outcome, with its split, in the warehouse; the snapshot may be
    published only if every ERROR-severity check passed on every split. A key column or suite column a split does
    not have fails the step (MissingColumnError) before any check. A snapshot already checked with the same
    suite, settings, license decision and previous snapshot keeps its recorded outcomes: its files cannot have
    changed. A dataset taken down whole has no snapshot: both checks say so, and neither blocks its takedown on
    the Hub."""
    dataset_id = context.partition_key
    entry = load_catalog().get(dataset_id)
    whole = whole_dataset_request(dataset_takedowns(dataset_id))
    if whole:
        for spec in (BLOCKING, WARNINGS):
            yield dg.AssetCheckResult(check_name=spec.name, asset_key=snapshot.key, passed=False,
                                      severity=dg.AssetCheckSeverity.WARN,
                                      description=f"taken down ({whole.request_id}): no snapshot to check")
        return
    _, snapshot_id, row = run_snapshot(warehouse, entry, context.run.run_id)
    suite = load_suite(dataset_id, list(entry.key_columns))
    splits = snapshot_splits(row)
    records, removed = split_records(warehouse, row, splits)
    # A misspelt column would otherwise show only as failed not_null / unique expectations: fail the run instead.
    for name, split in splits.items():
        check_columns_exist(suite, entry.key_columns, [column["name"] for column in split.columns], snapshot_id,
                            name if len(splits) > 1 else None)
    fingerprint = checks_fingerprint(suite, records, removed)
    stored = stored_outcomes(warehouse, snapshot_id, fingerprint)
    docs_dir = warehouse.root / "data_docs" / dataset_id
    evaluation = reuse(stored, docs_dir) if stored else \
        evaluate(great_expectations, splits, suite, records, removed, docs_dir)
    record_outcomes(warehouse, snapshot_id, evaluation.outcomes, context.run.run_id, fingerprint)
    if evaluation.reused_from_run:
        context.log.info(f"{dataset_id}: snapshot and check inputs unchanged: outcomes of run "
                         f"{evaluation.reused_from_run} reused, no data scanned")
    # Split names show once outcomes span several splits (also one split left, beside one the previous had).
    by_split = len({o.split for o in evaluation.outcomes}) > 1
    for spec, severity in ((BLOCKING, "ERROR"), (WARNINGS, "WARN")):
        outcomes = [o for o in evaluation.outcomes if o.severity == severity]
        failed = [f"{o.name} ({o.split})" if by_split else o.name for o in outcomes if not o.passed]
        metadata = {
            "snapshot_id": snapshot_id,
            "suite": suite.source,
            "expectations": sum(o.expectation_type != GOVERNANCE for o in outcomes),
            "governance_checks": sum(o.expectation_type == GOVERNANCE for o in outcomes),
            "failed": len(failed),
            "failed_checks": ", ".join(failed) or "none",
            "results": results_table(outcomes, by_split),
            "duration_s": round(evaluation.suite_s, 3),
            "governance_duration_s": round(evaluation.governance_s, 3),
            "reused_from_run": evaluation.reused_from_run or "",
        }
        if by_split:
            metadata["splits"] = ", ".join(splits)
            metadata.update({f"row_count/{name}": split.row_count for name, split in splits.items()})
        if evaluation.data_docs_index:
            metadata["data_docs"] = dg.MetadataValue.url(site_url(dataset_id))
            metadata["data_docs_file"] = dg.MetadataValue.path(str(evaluation.data_docs_index))
        yield dg.AssetCheckResult(
            check_name=spec.name, asset_key=snapshot.key, passed=not failed, metadata=metadata,
            severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        )


def evaluate(great_expectations: GreatExpectations, splits: Mapping[str, SplitFile], suite: Suite,
             records: Mapping[str, DatasetRecord], removed: Mapping[str, PreviousSnapshot],
             docs_dir: Path) -> Evaluation:
    """Scan each split: the GX suite (one Data Docs site for all splits), then the governance checks; a split
    the previous snapshot had and this one has not is reported by schema_drift."""
    runs = great_expectations.run_suite({name: split.parquet_path for name, split in splits.items()}, suite,
                                        docs_dir)
    started = time.perf_counter()
    outcomes = []
    for name, split in splits.items():
        governance = run_governance(split.parquet_path, records[name], suite.governance)
        outcomes += [dataclasses.replace(o, split=name) for o in [*runs[name].outcomes, *governance]]
    outcomes += [dataclasses.replace(split_removed(name, previous, suite.governance.schema_drift), split=name)
                 for name, previous in removed.items()]
    return Evaluation(outcomes, sum(run.duration_s for run in runs.values()), time.perf_counter() - started,
                      next(iter(runs.values())).data_docs_index, None)


def reuse(stored: StoredRun, docs_dir: Path) -> Evaluation:
    index = docs_dir / "index.html"
    return Evaluation(stored.outcomes, 0.0, 0.0, index if index.is_file() else None, stored.run_id)


def split_records(warehouse: Warehouse, snapshot_row: dict, splits: Mapping[str, SplitFile]
                  ) -> tuple[dict[str, DatasetRecord], dict[str, PreviousSnapshot]]:
    """Per split, the license decision and the previous snapshot's split of the same name; and the previous
    snapshot's splits this one no longer has. The previous snapshot is the dataset's most recently created other
    snapshot (the one current before this one, also when the source went back to bytes an older snapshot
    already holds)."""
    dataset = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?",
                                  [snapshot_row["dataset_id"]])
    decision = json.loads(dataset["decision_record"]) if dataset else None
    previous = warehouse.fetch_one(
        "SELECT * FROM governance.snapshots WHERE dataset_id = ? AND snapshot_id <> ? ORDER BY created_at DESC"
        " LIMIT 1", [snapshot_row["dataset_id"], snapshot_row["snapshot_id"]])
    if previous is None:
        return {name: DatasetRecord(decision, split.columns, None, name) for name, split in splits.items()}, {}
    before = {name: PreviousSnapshot(previous["snapshot_id"], split.row_count, split.columns)
              for name, split in snapshot_splits(previous).items()}
    new_split = PreviousSnapshot(previous["snapshot_id"], None, None)
    records = {name: DatasetRecord(decision, split.columns, before.get(name, new_split), name)
               for name, split in splits.items()}
    return records, {name: split for name, split in before.items() if name not in splits}
