"""The warehouse: connections wait out another process's lock, old warehouses gain the new columns, the views
give the latest (vetted) snapshot, and retention keeps the last N, the published and the latest vetted one."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from assets.store import retire_old_snapshots
from assets.warehouse import Warehouse, WarehouseBusyError

HOLD_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == "read")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


@contextmanager
def lock_held_elsewhere(path: Path, seconds: float, mode: str = "write") -> Iterator[None]:
    """Another process opens the DuckDB file (read-write: exclusive; read-only: shared) for `seconds`."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds), mode],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        yield
    finally:
        holder.wait(timeout=30)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    with warehouse.connect():
        pass
    return warehouse


@pytest.mark.parametrize("read_only", [False, True])
def test_a_connection_waits_while_another_process_writes(warehouse, read_only):
    with lock_held_elsewhere(Path(warehouse.path), seconds=1.0):
        started = time.monotonic()
        with warehouse.connect(read_only=read_only) as connection:
            assert connection.execute("SELECT count(*) FROM governance.snapshots").fetchone() == (0,)
        waited = time.monotonic() - started
    assert 0.3 < waited < 10


def test_a_writer_waits_for_readers_of_another_process(warehouse):
    with lock_held_elsewhere(Path(warehouse.path), seconds=1.0, mode="read"):
        with warehouse.connect() as connection:
            connection.execute("INSERT INTO governance.provenance VALUES ('s', 'd', '{}')")
    assert warehouse.fetch_one("SELECT dataset_id FROM governance.provenance") == {"dataset_id": "d"}


def test_the_wait_is_bounded(warehouse):
    impatient = Warehouse(path=warehouse.path, lock_timeout_s=0.2)
    with lock_held_elsewhere(Path(warehouse.path), seconds=1.0):
        with pytest.raises(WarehouseBusyError, match="stayed locked by another process"):
            with impatient.connect():
                pass


def test_other_errors_are_not_retried(tmp_path):
    (tmp_path / "not-a-warehouse.duckdb").write_bytes(b"this is not a DuckDB file" * 1000)
    started = time.monotonic()
    with pytest.raises(duckdb.Error):
        with Warehouse(path=str(tmp_path / "not-a-warehouse.duckdb")).connect():
            pass
    assert time.monotonic() - started < 2


def test_an_existing_warehouse_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as connection:  # the first release's tables
        connection.execute("CREATE SCHEMA governance")
        connection.execute("CREATE TABLE governance.sources (dataset_id VARCHAR, retrieved_at TIMESTAMPTZ,"
                           " source_kind VARCHAR, source_uri VARCHAR, upstream_revision VARCHAR, etag VARCHAR,"
                           " last_modified VARCHAR, size_bytes BIGINT, raw_sha256 VARCHAR, raw_path VARCHAR,"
                           " evidence JSON, run_id VARCHAR)")
        connection.execute("INSERT INTO governance.sources (dataset_id) VALUES ('kept')")
    with Warehouse(path=str(path)).connect() as connection:
        columns = {row[0] for row in connection.execute("DESCRIBE governance.sources").fetchall()}
        assert {"source_key", "checked_at", "unchanged"} <= columns
        assert connection.execute("SELECT dataset_id FROM governance.sources").fetchall() == [("kept",)]


def add_snapshot(warehouse: Warehouse, snapshot_id: str, minutes_ago: int, *, published: bool = False,
                 checks_passed: bool | None = True, dataset_id: str = "birds") -> Path:
    folder = warehouse.snapshots_dir / dataset_id / snapshot_id
    folder.mkdir(parents=True)
    parquet = folder / "data.parquet"
    with warehouse.connect() as connection:
        connection.execute(f"COPY (SELECT 1 AS n) TO '{parquet}' (FORMAT parquet)")
        connection.execute(
            "INSERT INTO governance.snapshots (snapshot_id, dataset_id, parquet_path, created_at, current_at,"
            " checks_passed, published_tag) VALUES (?, ?, ?, now() - to_minutes(?), now() - to_minutes(?), ?, ?)",
            [snapshot_id, dataset_id, str(parquet), minutes_ago, minutes_ago, checks_passed,
             snapshot_id if published else None])
        connection.execute(f"CREATE VIEW snapshots.\"{snapshot_id}\" AS SELECT * FROM read_parquet('{parquet}')")
    return folder


def set_decision(warehouse: Warehouse, decision: str, dataset_id: str = "birds") -> None:
    with warehouse.connect() as connection:
        connection.execute("INSERT OR REPLACE INTO governance.datasets (dataset_id, decision) VALUES (?, ?)",
                           [dataset_id, decision])


def test_latest_and_latest_vetted_views(warehouse):
    set_decision(warehouse, "publish")
    add_snapshot(warehouse, "birds-old", 30)
    add_snapshot(warehouse, "birds-failed-checks", 10, checks_passed=False)
    latest = warehouse.fetch_all("SELECT snapshot_id FROM governance.latest_snapshots")
    vetted = warehouse.fetch_all("SELECT snapshot_id FROM governance.latest_vetted_snapshots")
    assert latest == [{"snapshot_id": "birds-failed-checks"}]
    assert vetted == [{"snapshot_id": "birds-old"}]
    set_decision(warehouse, "quarantine")  # no snapshot of a dataset that may not be published is vetted
    assert warehouse.fetch_all("SELECT * FROM governance.latest_vetted_snapshots") == []


def test_retention_keeps_the_last_n_every_published_and_the_latest_vetted(warehouse):
    warehouse = Warehouse(path=warehouse.path, keep_snapshots=2)
    set_decision(warehouse, "publish")
    folders = {
        "birds-published": add_snapshot(warehouse, "birds-published", 60, published=True),
        "birds-vetted": add_snapshot(warehouse, "birds-vetted", 50),
        "birds-old": add_snapshot(warehouse, "birds-old", 40, checks_passed=False),
        "birds-newer": add_snapshot(warehouse, "birds-newer", 20, checks_passed=False),
        "birds-newest": add_snapshot(warehouse, "birds-newest", 10, checks_passed=False),
    }
    add_snapshot(warehouse, "other-dataset", 90, checks_passed=False, dataset_id="fish")

    assert retire_old_snapshots(warehouse, "birds") == ["birds-old"]

    live = {r["snapshot_id"] for r in warehouse.fetch_all("SELECT snapshot_id FROM governance.snapshots"
                                                          " WHERE retired_at IS NULL")}
    assert live == {"birds-published", "birds-vetted", "birds-newer", "birds-newest", "other-dataset"}
    assert not folders["birds-old"].exists() and folders["birds-newest"].exists()
    views = {r["view_name"] for r in warehouse.fetch_all("SELECT view_name FROM duckdb_views()"
                                                        " WHERE schema_name = 'snapshots'")}
    assert "birds-old" not in views and "birds-newest" in views
    assert warehouse.fetch_one("SELECT count(*) AS n FROM governance.snapshots")["n"] == 6  # the record stays
