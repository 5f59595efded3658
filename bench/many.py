"""Benchmark: the nightly refresh of many datasets through Dagster's run queue, against the same runs one at a time.

    uv run python bench/many.py                                   # 50 datasets of 10-100 MB (15+ minutes)
    uv run python bench/many.py --datasets 6 --min-mb 2 --max-mb 5   # a quick run

Generates a catalog of CSV, JSONL and Parquet datasets (bench/many_catalog.py), then runs two passes, each on
a fresh warehouse and a fresh Dagster instance (Postgres storage on a throwaway cluster, or SQLite when
PostgreSQL's server binaries are missing), with a gRPC code server and `dagster-daemon run`:
  concurrent  the run queue of dagster_home/dagster.yaml (4 runs at once, the warehouse pool of 1)
  serial      the same queue limited to 1 run
In each pass the nightly schedule's tick is evaluated as bench/run.py evaluates it, its run requests (publish
excluded, as in bench/run.py) are submitted to the queue as the daemon's scheduler submits them, and the pass
ends when every run has finished. Prints a table of runs, then one JSON line (last) with the headline figures."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # `python bench/many.py` puts bench/ on the path, not the project root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.many_catalog import Dataset, generate, plan, write_catalog
from bench.many_services import LOCATION, Services, create_database, throwaway_postgres, write_dagster_home

TARGET_SPEEDUP = 1.6
TIMEOUT_MARK = "stayed locked by another process"  # WarehouseBusyError's message: a lock wait that timed out


@dataclass
class RunOutcome:
    dataset_id: str
    status: str
    queued_s: float  # from the run's creation to its start: time spent in the queue
    run_s: float
    error: str = ""  # the first line of the first error, for a run that did not succeed


@dataclass
class Pass:
    name: str
    wall_s: float
    runs: list[RunOutcome]
    lock_waits: int
    lock_wait_s: float

    @property
    def failures(self) -> list[RunOutcome]:
        return [run for run in self.runs if run.status != "SUCCESS"]

    @property
    def lock_timeouts(self) -> int:
        return sum(TIMEOUT_MARK in run.error for run in self.runs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-many-", dir=args.workdir))
    try:
        started = time.perf_counter()
        datasets = generate(root, plan(args.datasets, args.min_mb, args.max_mb))
        log(f"generated {len(datasets)} datasets, {sum(d.size_mb for d in datasets):,.0f} MB "
            f"in {time.perf_counter() - started:.1f} s")
        catalog, suites = write_catalog(root, datasets)
        with throwaway_postgres() as postgres:
            storage = "Postgres" if postgres else "SQLite (PostgreSQL server binaries not found)"
            log(f"Dagster storage: {storage}")
            passes = [run_pass(root, name, limit, datasets, catalog, suites, postgres, args)
                      for name, limit in (("concurrent", args.concurrency), ("serial", 1))]
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(format_report(datasets, passes, storage))
    summary = summarize(datasets, *passes)
    print(json.dumps(summary))
    return 0 if summary["failures"] == 0 and summary["runs_missing"] == 0 else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/many.py", description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50, help="how many datasets (default 50)")
    parser.add_argument("--min-mb", type=float, default=10, help="smallest file in MB (default 10)")
    parser.add_argument("--max-mb", type=float, default=100, help="largest file in MB (default 100)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="max_concurrent_runs of the concurrent pass (default 4, as dagster_home/dagster.yaml)")
    parser.add_argument("--dequeue-threads", type=int, default=0,
                        help="let the daemon launch queued runs from this many threads (default 0: one after another, "
                             "as dagster_home/dagster.yaml)")
    parser.add_argument("--timeout", type=float, default=3600, help="give up on a pass after this many seconds")
    parser.add_argument("--workdir", help="where the temporary files go (default: the system temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and logs for debugging")
    return parser.parse_args(argv)


def run_pass(root: Path, name: str, limit: int, datasets: list[Dataset], catalog: Path, suites: Path,
             postgres: dict | None, args: argparse.Namespace) -> Pass:
    """One refresh of every dataset through the run queue limited to `limit` runs, on a fresh instance."""
    import dagster as dg

    from assets.warehouse import Warehouse

    folder = root / name
    folder.mkdir()
    storage = create_database(postgres, f"bench_{name}") if postgres else None
    home = write_dagster_home(folder / "dagster_home", limit, storage, args.dequeue_threads)
    warehouse = Warehouse(path=str(folder / "warehouse" / "warehouse.duckdb"))
    lock_events = folder / "lock-events.jsonl"
    env = {"CATALOG_PATH": str(catalog), "CHECK_SUITES_DIR": str(suites), "WAREHOUSE_PATH": warehouse.path,
           "DAGSTER_HOME": str(home), "LOCK_EVENTS_PATH": str(lock_events), "GX_ANALYTICS_ENABLED": "False",
           "HF_HUB_DISABLE_TELEMETRY": "1"}
    os.environ.update(env)  # the tick, evaluated here, reads the catalog and suites as the code server does
    with dg.DagsterInstance.from_config(str(home)) as instance, \
            Services(folder, {**os.environ, **env}) as services:
        instance.add_dynamic_partitions("datasets", [d.dataset_id for d in datasets])
        wait_for_run_queue(instance)
        started = time.time()
        run_ids = fire_nightly_tick(instance, services.workspace, warehouse)
        log(f"{name}: tick submitted {len(run_ids)} runs to the queue (limit {limit})")
        records = wait_for_runs(instance, run_ids, args.timeout, name)
        ended = max((r.end_time for r in records if r.end_time), default=time.time())
        runs = [outcome(instance, record) for record in records]
    waits = [json.loads(line) for line in lock_events.read_text().splitlines()] if lock_events.exists() else []
    result = Pass(name, ended - started, runs, sum(w["event"] == "wait_start" for w in waits),
                  sum(w.get("waited_s", 0) for w in waits))
    log(f"{name}: {result.wall_s:.1f} s, {len(result.failures)} failures, {result.lock_waits} lock waits")
    return result


def fire_nightly_tick(instance, workspace: Path, warehouse) -> list[str]:
    """The schedule's tick evaluated as bench/run.py evaluates it; each run request (without publish) created and
    submitted to the run queue by the daemon's own submission function, with the schedule's tags."""
    import dagster as dg
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._scheduler.scheduler import _submit_run_request

    from bench.pipeline import SELECTED_ASSETS, nightly_tick
    from pipelines.definitions import defs

    tick = nightly_tick(instance, defs.get_repository_def(), warehouse)
    selection = [dg.AssetKey(name) for name in SELECTED_ASSETS]
    schedule_time = datetime.now(timezone.utc)
    run_ids = []
    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as context:
        location = context.create_request_context().get_code_location(LOCATION)
        repository = next(iter(location.get_repositories().values()))
        schedule = repository.get_schedule("nightly_refresh")
        for request in tick.run_requests or []:
            submitted = _submit_run_request(request.with_replaced_attrs(asset_selection=selection), context,
                                            schedule, schedule_time, logging.getLogger("bench.many"), None)
            if submitted.error_info:
                raise RuntimeError(f"run for {request.partition_key} not submitted: {submitted.error_info.message}")
            run_ids.append(submitted.submitted_run.run_id)
    return run_ids


def wait_for_run_queue(instance, timeout_s: float = 120) -> None:
    """Until the daemon's run queue has reported in: the passes time the queue, not the daemon's start-up."""
    deadline = time.monotonic() + timeout_s
    while "QUEUED_RUN_COORDINATOR" not in instance.get_daemon_heartbeats():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the daemon's run queue did not start within {timeout_s:g} s")
        time.sleep(0.5)


def wait_for_runs(instance, run_ids: list[str], timeout_s: float, name: str) -> list:
    import dagster as dg

    deadline, reported = time.monotonic() + timeout_s, -1
    while True:
        records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
        done = [r for r in records if r.dagster_run.is_finished]
        if len(done) == len(run_ids):
            return records
        if len(done) != reported:
            log(f"{name}: {len(done)}/{len(run_ids)} runs finished")
            reported = len(done)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: {len(run_ids) - len(done)} runs unfinished after {timeout_s:g} s")
        time.sleep(0.5)


def outcome(instance, record) -> RunOutcome:
    run = record.dagster_run
    start, end = record.start_time or record.create_timestamp.timestamp(), record.end_time or time.time()
    return RunOutcome(run.tags.get("dataset", "?"), run.status.value, start - record.create_timestamp.timestamp(),
                      end - start, "" if run.status.value == "SUCCESS" else first_error(instance, run.run_id))


def first_error(instance, run_id: str) -> str:
    """The first line of the run's first step or run failure."""
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event and event.is_failure and getattr(event.event_specific_data, "error", None):
            return event.event_specific_data.error.message.strip().splitlines()[0]
    return "no error recorded (see the run's logs with --keep)"


def summarize(datasets: list[Dataset], concurrent: Pass, serial: Pass) -> dict:
    return {
        "concurrent_s": round(concurrent.wall_s, 1),
        "serial_s": round(serial.wall_s, 1),
        "speedup": round(serial.wall_s / concurrent.wall_s, 2),
        "failures": len(concurrent.failures) + len(serial.failures),
        "lock_waits": concurrent.lock_waits + serial.lock_waits,
        "lock_timeouts": concurrent.lock_timeouts + serial.lock_timeouts,
        "runs_missing": sum(len(datasets) - len(p.runs) for p in (concurrent, serial)),
        "datasets": len(datasets),
        "total_mb": round(sum(d.size_mb for d in datasets), 1),
    }


def format_report(datasets: list[Dataset], passes: list[Pass], storage: str) -> str:
    sizes = {d.dataset_id: d for d in datasets}
    lines = [f"{len(datasets)} datasets, {sum(d.size_mb for d in datasets):,.0f} MB; Dagster storage: {storage}",
             f"{'dataset':10} {'format':8} {'MB':>6}" + "".join(
                 f" {p.name + ' status':>18} {'queued s':>9} {'run s':>7}" for p in passes)]
    by_pass = [{run.dataset_id: run for run in p.runs} for p in passes]
    for dataset_id, dataset in sizes.items():
        cells = []
        for runs in by_pass:
            run = runs.get(dataset_id)
            cells.append(f" {run.status:>18} {run.queued_s:9.1f} {run.run_s:7.1f}" if run else f" {'no run':>18}")
        lines.append(f"{dataset_id:10} {dataset.format:8} {dataset.size_mb:6.1f}" + "".join(cells))
    concurrent, serial = passes
    speedup = serial.wall_s / concurrent.wall_s
    lines += ["", f"{'pass':11} {'wall s':>8} {'runs':>5} {'failed':>7} {'lock waits':>11} {'waited s':>9} "
                  f"{'timeouts':>9} {'median run s':>13}"]
    for p in passes:
        median = sorted(r.run_s for r in p.runs)[len(p.runs) // 2] if p.runs else 0
        lines.append(f"{p.name:11} {p.wall_s:8.1f} {len(p.runs):5} {len(p.failures):7} {p.lock_waits:11} "
                     f"{p.lock_wait_s:9.1f} {p.lock_timeouts:9} {median:13.1f}")
    timeouts = concurrent.lock_timeouts + serial.lock_timeouts
    failures = concurrent.failures + serial.failures
    lines += ["", f"speed-up {speedup:.2f}x (target >= {TARGET_SPEEDUP}x on 2 cores): "
                  f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}",
              f"failures {len(failures)} (target 0): {'met' if not failures else 'MISSED'}",
              f"lock timeouts {timeouts} (target 0): {'met' if not timeouts else 'MISSED'}"]
    for p in passes:
        lines += [f"  {p.name} {run.dataset_id}: {run.status}: {run.error}" for run in p.failures]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
