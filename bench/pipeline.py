"""Stages (b) and (d): the project's real governed path, the `refresh_dataset` Dagster job, without publish.

    python -m bench.pipeline <dataset id>

Runs in a process of its own (the environment from bench.workload.write_workspace names the catalog, the
warehouse and the Dagster home), so the parent measures its wall time and peak RSS alone."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench.measure import emit

# Everything but hub_release; the snapshot's asset checks run with the snapshot.
SELECTED_ASSETS = ("raw_source", "license_decision", "snapshot")


def main(dataset_id: str) -> None:
    started = time.perf_counter()
    import dagster as dg

    from bench.workload import use_suites_dir
    from pipelines.definitions import defs

    use_suites_dir(Path(os.environ["BENCH_SUITES_DIR"]))
    imported = time.perf_counter()
    job = defs.resolve_job_def("refresh_dataset")
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("datasets", [dataset_id])
        result = job.execute_in_process(
            partition_key=dataset_id, instance=instance, raise_on_error=False,
            asset_selection=[dg.AssetKey(name) for name in SELECTED_ASSETS],
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(result.run_id)
                 if s.end_time and s.start_time}
    finished = time.perf_counter()
    emit({"success": result.success, "imports_s": imported - started, "job_s": finished - imported,
          "steps_s": steps, **_snapshot_facts(result), **_check_facts(result)})
    os._exit(0)  # skip teardown: GX's caches hold DuckDB objects and the bindings print "leaked" warnings


def _snapshot_facts(result) -> dict:
    events = result.asset_materializations_for_node("snapshot")
    if not events:
        return {}
    metadata = {key: value.value for key, value in events[-1].metadata.items()}
    return {"rows": metadata["dagster/row_count"], "parquet_uri": metadata["dagster/uri"],
            "snapshot_status": str(metadata.get("status", ""))}


def _check_facts(result) -> dict:
    """The GX suite's own time (the check's `duration_s`: the GX import excluded) and whether it passed."""
    evaluations = result.get_asset_check_evaluations()
    blocking = [e for e in evaluations if e.check_name == "expectation_suite"]
    if not blocking:
        return {"checks_ran": False}
    metadata = {key: value.value for key, value in blocking[0].metadata.items()}
    return {"checks_ran": True, "checks_passed": blocking[0].passed, "suite_s": metadata.get("duration_s"),
            "expectations": metadata.get("expectations")}


if __name__ == "__main__":
    main(sys.argv[1])
