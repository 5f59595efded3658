"""bench/many.py's building blocks: the catalog it generates and the probe that counts warehouse lock waits.
(The benchmark itself starts Postgres, a code server and the daemon twice: minutes, not a test.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from assets.catalog import load_catalog
from bench.many_catalog import FORMATS, generate, plan, write_catalog

ROOT = Path(__file__).resolve().parent.parent
HOLD_LOCK = ("import duckdb, sys; connection = duckdb.connect(sys.argv[1]); print('held', flush=True); "
             "sys.stdin.readline()")  # holds the file until told to let go
# Imports first (slow on a busy machine), then opens the warehouse when told to.
OPEN_WAREHOUSE = ("import sys; import bench.many_location; from assets.warehouse import Warehouse; "
                  "warehouse = Warehouse(path=sys.argv[1], lock_timeout_s=float(sys.argv[2])); "
                  "print('imported', flush=True); sys.stdin.readline()\n"
                  "with warehouse.connect() as connection: print(connection.execute('SELECT 42').fetchone()[0])")


def test_sizes_spread_from_min_to_max_and_every_format_gets_small_and_large_files():
    planned = plan(12, 10, 30)
    assert planned == plan(12, 10, 30)  # deterministic
    assert [p.format for p in planned[:3]] == list(FORMATS)
    assert sorted(p.target_mb for p in planned)[0] == 10 and sorted(p.target_mb for p in planned)[-1] == 30
    assert len({p.target_mb for p in planned}) == 12
    for fmt in FORMATS:
        sizes = [p.target_mb for p in planned if p.format == fmt]
        assert min(sizes) < 17 and max(sizes) > 23, (fmt, sizes)


def test_generated_catalog_has_each_format_its_license_and_unique_ids(tmp_path):
    datasets = generate(tmp_path, plan(3, 0.05, 0.2))
    catalog_path, suites = write_catalog(tmp_path, datasets)

    catalog = load_catalog(catalog_path)
    for dataset in datasets:
        entry = catalog.get(dataset.dataset_id)
        assert (entry.format, entry.license, entry.key_columns) == (dataset.format, "CC0-1.0", ("id",))
        assert (dataset.path.parent / "LICENSE").read_text().startswith("CC0 1.0 Universal")
        assert (suites / f"{dataset.dataset_id}.yaml").exists()
        reader = {"csv": "read_csv", "jsonl": "read_json", "parquet": "read_parquet"}[dataset.format]
        with duckdb.connect() as connection:
            rows, ids = connection.execute(f"SELECT count(*), count(DISTINCT id) FROM {reader}(?)",
                                           [str(dataset.path)]).fetchone()
        assert rows == ids == dataset.rows > 0
    sizes = [d.size_mb for d in datasets]
    assert 0.025 < min(sizes) and max(sizes) < 0.4 and sizes[2] > sizes[0]


def run_against_held_lock(tmp_path: Path, release_after_s: float | None,
                          lock_timeout_s: float) -> tuple[int, str, list[dict]]:
    """Open the warehouse (bench.many_location loaded) while another process holds its file; that process lets go
    after release_after_s, or only once the opening process has ended (None). Returns its exit code, its output
    and the recorded lock events."""
    warehouse, events = tmp_path / "warehouse.duckdb", tmp_path / "lock-events.jsonl"
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    waiter = subprocess.Popen([sys.executable, "-c", OPEN_WAREHOUSE, str(warehouse), str(lock_timeout_s)], cwd=ROOT,
                              env={**os.environ, "LOCK_EVENTS_PATH": str(events)}, stderr=subprocess.PIPE, **pipes)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(warehouse)], **pipes)
    try:
        assert waiter.stdout.readline().strip() == "imported"
        assert holder.stdout.readline().strip() == "held"
        waiter.stdin.write("go\n")
        waiter.stdin.flush()
        if release_after_s is not None:
            time.sleep(release_after_s)
            holder.communicate("release\n", timeout=30)
        output, errors = waiter.communicate(timeout=120)
    finally:
        holder.kill()
        waiter.kill()
    return waiter.returncode, output + errors, [json.loads(line) for line in events.read_text().splitlines()] \
        if events.exists() else []


def test_a_wait_for_the_warehouse_lock_is_recorded_and_the_connection_still_opens(tmp_path):
    returncode, output, events = run_against_held_lock(tmp_path, release_after_s=1.5, lock_timeout_s=60)
    assert returncode == 0, output[-2000:]
    assert output.splitlines()[0] == "42"
    assert [e["event"] for e in events] == ["wait_start", "wait_end"]
    assert events[1]["waited_s"] > 0.1


def test_a_lock_wait_that_times_out_stays_open_and_the_error_is_unchanged(tmp_path):
    returncode, output, events = run_against_held_lock(tmp_path, release_after_s=None, lock_timeout_s=0.5)
    assert returncode != 0
    assert "WarehouseBusyError" in output and "stayed locked by another process" in output
    assert [e["event"] for e in events] == ["wait_start"]
