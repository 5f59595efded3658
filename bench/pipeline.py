"""Stages (b), (d) and (e): the project's real governed path, the `refresh_dataset` Dagster job, without publish.

    python -m bench.pipeline <dataset id> nightly|forced

Runs in a process of its own (the environment from bench.workload.write_workspace names the catalog, the
warehouse and the Dagster home), so the parent measures its wall time and peak RSS alone."""

from __future__ import annotations

import os
import sys
import threading
import time

from bench.measure import emit

# Everything but hub_release; the snapshot's asset checks run with the snapshot.
SELECTED_ASSETS = ("raw_source", "license_decision", "snapshot")
RSS_SAMPLE_S = 0.05


class RssSampler(threading.Thread):
    """This process tree's resident memory over time, to find which step holds the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []  # (epoch seconds, MB)

    def run(self) -> None:
        while True:
            self.samples.append((time.time(), _current_rss_mb()))
            time.sleep(RSS_SAMPLE_S)

    def peak_mb(self, start: float, end: float) -> float:
        return round(max((mb for at, mb in self.samples if start <= at <= end), default=0.0))


def _current_rss_mb() -> float:
    """This process's resident memory plus its children's (the checks' GX worker runs beside the run)."""
    return sum(_rss_mb(pid) for pid in [os.getpid(), *_children(os.getpid())])


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            children = [int(child) for child in listing.read().split()]
    except OSError:
        return []
    return [descendant for child in children for descendant in (child, *_children(child))]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")), 0.0)
    except OSError:  # the child ended meanwhile
        return 0.0


def main(dataset_id: str, launch: str) -> None:
    """`launch` is "nightly" (the schedule's tick decides, as the daemon would; its run requests are executed)
    or "forced" (the job runs whatever the tick would say, as when a steward launches it)."""
    started = time.perf_counter()
    sampler = RssSampler()
    sampler.start()
    import dagster as dg

    from assets.warehouse import Warehouse
    from pipelines.definitions import defs
    from assets.catalog import load_catalog
    from pipelines.run import run_tags

    imported = time.perf_counter()
    job = defs.resolve_job_def("refresh_dataset")
    report: dict = {"imports_s": imported - started}
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("datasets", [dataset_id])
        if launch == "nightly":
            repository = defs.get_repository_def()  # a code server holds it, built once at load
            tick_started = time.perf_counter()
            tick = nightly_tick(instance, repository, Warehouse(path=os.environ["WAREHOUSE_PATH"]))
            report["tick_s"] = time.perf_counter() - tick_started
            requests = [(r.partition_key, r.tags) for r in tick.run_requests]
        else:
            requests = [(dataset_id, run_tags(load_catalog(), dataset_id))]
        report["runs"] = len(requests)
        for partition_key, tags in requests:
            result = job.execute_in_process(
                partition_key=partition_key, instance=instance, raise_on_error=False, tags=tags,
                asset_selection=[dg.AssetKey(name) for name in SELECTED_ASSETS],
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
            stats = [s for s in instance.get_run_step_stats(result.run_id) if s.start_time and s.end_time]
            report.update({
                "success": result.success,
                "steps_s": {s.step_key: s.end_time - s.start_time for s in stats},
                "steps_peak_rss_mb": {s.step_key: sampler.peak_mb(s.start_time, s.end_time) for s in stats},
                **_snapshot_facts(result), **_check_facts(result)})
    report["job_s"] = time.perf_counter() - imported  # the tick included, with the instance and definitions set-up
    report["peak_rss_mb"] = sampler.peak_mb(0, time.time())
    emit(report)
    os._exit(0)  # skip teardown: GX's caches hold DuckDB objects and the bindings print "leaked" warnings


def nightly_tick(instance, repository, warehouse):
    """The schedule's evaluation, as the code server runs it for the daemon's tick."""
    from datetime import datetime, timezone

    import dagster as dg

    from pipelines.schedules import nightly_refresh

    context = dg.build_schedule_context(instance=instance, resources={"warehouse": warehouse},
                                        repository_def=repository,
                                        scheduled_execution_time=datetime.now(timezone.utc))
    return nightly_refresh.evaluate_tick(context)


def _snapshot_facts(result) -> dict:
    events = result.asset_materializations_for_node("snapshot")
    if not events:
        return {}
    metadata = {key: value.value for key, value in events[-1].metadata.items()}
    return {"rows": metadata["dagster/row_count"], "parquet_uri": metadata["dagster/uri"],
            "snapshot_status": str(metadata.get("status", ""))}


def _check_facts(result) -> dict:
    """The GX suite's own time (the check's `duration_s`: the GX import excluded), the governance checks' time,
    and whether the blocking check passed."""
    evaluations = result.get_asset_check_evaluations()
    blocking = [e for e in evaluations if e.check_name == "expectation_suite"]
    if not blocking:
        return {"checks_ran": False}
    metadata = {key: value.value for key, value in blocking[0].metadata.items()}
    return {"checks_ran": True, "checks_passed": blocking[0].passed, "suite_s": metadata.get("duration_s"),
            "governance_s": metadata.get("governance_duration_s"), "expectations": metadata.get("expectations")}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
