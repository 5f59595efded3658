"""Quality checks on each snapshot: the dataset's GX suite, run on DuckDB over the snapshot's Parquet file."""

from pathlib import Path

import dagster as dg

from assets.catalog import load_catalog
from assets.provenance import latest_source
from assets.store import snapshot, snapshot_id_for
from assets.warehouse import Warehouse, as_json
from checks.suite import load_suite

BLOCKING = dg.AssetCheckSpec(
    "expectation_suite", asset=snapshot, blocking=True,
    description="The dataset's ERROR-severity expectations (checks/suites/<dataset>.yaml, or the default suite). "
                "A failure blocks publication of the snapshot.",
)
WARNINGS = dg.AssetCheckSpec(
    "expectation_warnings", asset=snapshot,
    description="The dataset's WARN-severity expectations: shown to stewards, never blocking.",
)


@dg.multi_asset_check(specs=[BLOCKING, WARNINGS], can_subset=False)
def snapshot_quality(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    """Run the dataset's Great Expectations suite on the snapshot and record every outcome in the warehouse."""
    from checks.gx_duckdb import run_suite  # GX costs seconds to import: keep it out of definitions load

    dataset_id = context.partition_key
    entry = load_catalog().get(dataset_id)
    snapshot_id = snapshot_id_for(entry, latest_source(warehouse, dataset_id, context.run.run_id)["raw_sha256"])
    row = warehouse.fetch_one("SELECT parquet_path FROM governance.snapshots WHERE snapshot_id = ?", [snapshot_id])
    suite = load_suite(dataset_id, list(entry.key_columns))
    run = run_suite(Path(row["parquet_path"]), suite, data_docs_dir=warehouse.root / "data_docs" / dataset_id)
    record_outcomes(warehouse, snapshot_id, run, context.run.run_id)
    for spec, severity in ((BLOCKING, "ERROR"), (WARNINGS, "WARN")):
        outcomes = [o for o in run.outcomes if o.severity == severity]
        failed = [o for o in outcomes if not o.passed]
        metadata = {
            "snapshot_id": snapshot_id,
            "suite": suite.source,
            "expectations": len(outcomes),
            "failed": len(failed),
            "results": dg.MetadataValue.md(outcome_table(outcomes)),
            "duration_s": round(run.duration_s, 3),
        }
        if run.data_docs_index:
            metadata["data_docs"] = dg.MetadataValue.url(Path(run.data_docs_index).as_uri())
        yield dg.AssetCheckResult(
            check_name=spec.name, asset_key=snapshot.key, passed=not failed, metadata=metadata,
            severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        )


def record_outcomes(warehouse: Warehouse, snapshot_id: str, run, run_id: str) -> None:
    with warehouse.connect() as connection:
        connection.begin()
        connection.execute("DELETE FROM governance.check_results WHERE snapshot_id = ? AND run_id = ?",
                           [snapshot_id, run_id])
        connection.executemany(
            "INSERT INTO governance.check_results VALUES (?, ?, ?, ?, ?, ?, now())",
            [[snapshot_id, o.name, o.severity, o.passed, as_json({**o.observed, "sample_values": o.sample_values}),
              run_id] for o in run.outcomes],
        )
        connection.execute("UPDATE governance.snapshots SET checks_passed = ? WHERE snapshot_id = ?",
                           [run.success, snapshot_id])
        connection.commit()


def outcome_table(outcomes) -> str:
    if not outcomes:
        return "no expectations at this severity"
    lines = ["| check | passed | observed | sample unexpected |", "|---|---|---|---|"]
    for o in outcomes:
        observed = o.observed.get("observed_value", o.observed.get("unexpected_count", ""))
        samples = ", ".join(str(v)[:40] for v in o.sample_values[:5])
        lines.append(f"| {o.name} | {'yes' if o.passed else '**no**'} | {observed} | {samples} |")
    return "\n".join(lines)
