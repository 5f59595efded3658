"""Crash safety: a run killed with SIGKILL at any point leaves no partial snapshot visible and no orphan tag,
and the next run completes."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import yaml
from huggingface_hub import HfApi

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def crash_env(tmp_path):
    data = tmp_path / "catalog" / "data"
    data.mkdir(parents=True)
    rows = "\n".join(f"{i},name-{i},{i * 7 % 1000}" for i in range(300_000))
    (data / "rows.csv").write_text("id,name,score\n" + rows + "\n")
    (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [
        {"id": "crash-set", "title": "Crash test rows (fixture)", "format": "csv", "license": "CC0-1.0",
         "key_columns": ["id"], "source": {"kind": "file", "path": "data/rows.csv"}}]}))
    env = {**os.environ, "CATALOG_PATH": str(tmp_path / "catalog" / "catalog.yaml"),
           "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"), "HUB_NAMESPACE": f"crash-{uuid.uuid4().hex[:8]}"}
    env.pop("DAGSTER_HOME", None)
    return env


def run_main(env: dict, kill_after: float | None = None) -> int | None:
    process = subprocess.Popen([sys.executable, "-m", "pipelines.run"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    if kill_after is None:
        return process.wait(timeout=300)
    time.sleep(kill_after)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return None


def assert_nothing_partial(env: dict) -> None:
    warehouse = Path(env["WAREHOUSE_PATH"])
    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not connection.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'governance'").fetchall():
            return  # killed before the schema's transaction committed: the file holds nothing
        snapshots = connection.execute("SELECT snapshot_id, parquet_path, parquet_sha256, published_tag"
                                       " FROM governance.snapshots").fetchall()
    for snapshot_id, parquet_path, parquet_sha256, _ in snapshots:
        parquet = Path(parquet_path)
        assert hashlib.sha256(parquet.read_bytes()).hexdigest() == parquet_sha256, snapshot_id
        assert (parquet.parent / "provenance.json").is_file(), snapshot_id
    repo_id = f"{env['HUB_NAMESPACE']}/crash-set"
    api = HfApi()
    if api.repo_exists(repo_id, repo_type="dataset"):
        registered = {row[0] for row in snapshots}
        for tag in api.list_repo_refs(repo_id, repo_type="dataset").tags:
            assert tag.name in registered, f"tag {tag.name} has no registered snapshot"


def test_sigkill_at_any_stage_then_rerun_completes(crash_env):
    for kill_after in (3.0, 4.5, 6.0, 7.5, 9.0):
        run_main(crash_env, kill_after=kill_after)
        assert_nothing_partial(crash_env)
    assert run_main(crash_env) == 0
    assert_nothing_partial(crash_env)
    with duckdb.connect(crash_env["WAREHOUSE_PATH"], read_only=True) as connection:
        rows = connection.execute("SELECT snapshot_id, row_count, published_tag FROM governance.snapshots").fetchall()
    assert len(rows) == 1
    snapshot_id, row_count, tag = rows[0]
    assert row_count == 300_000 and tag == snapshot_id
    tags = HfApi().list_repo_refs(f"{crash_env['HUB_NAMESPACE']}/crash-set", repo_type="dataset").tags
    assert [t.name for t in tags] == [snapshot_id]


@contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at `mount_point` for the block (needs root to mount; the test skips otherwise)."""
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    """The snapshot folder on a 1 MB tmpfs, so the Parquet write runs out of space."""
    with tmpfs(tmp_path / "warehouse" / "snapshots", "1m") as mount_point:
        yield mount_point


def test_full_disk_during_the_parquet_write_fails_cleanly(crash_env, small_disk, capfd):
    catalog_dir = Path(crash_env["CATALOG_PATH"]).parent
    crash_env["WAREHOUSE_PATH"] = str(small_disk.parent / "warehouse.duckdb")
    (catalog_dir / "data" / "rows.csv").write_text("id,name\n1,a\n2,b\n")
    assert run_main(crash_env) == 0
    with duckdb.connect(crash_env["WAREHOUSE_PATH"], read_only=True) as connection:
        before = connection.execute("SELECT snapshot_id, parquet_path FROM governance.snapshots").fetchall()

    noise = "\n".join(f"{i},{uuid.uuid4().hex}{uuid.uuid4().hex}" for i in range(60_000))
    (catalog_dir / "data" / "rows.csv").write_text("id,name\n" + noise + "\n")
    process = subprocess.run([sys.executable, "-m", "pipelines.run"], cwd=REPO, env=crash_env,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 1
    line = next(line for line in process.stdout.splitlines() if line.startswith("crash-set"))
    assert "No space left on device" in line
    with duckdb.connect(crash_env["WAREHOUSE_PATH"], read_only=True) as connection:
        after = connection.execute("SELECT snapshot_id, parquet_path FROM governance.snapshots").fetchall()
        rows = connection.execute(f'SELECT count(*) FROM snapshots."{before[0][0]}"').fetchone()[0]
    assert after == before and rows == 2
    leftovers = [p.name for p in (small_disk / "crash-set").iterdir() if p.name != before[0][0]]
    assert leftovers == []


@pytest.fixture
def warehouse_disk(tmp_path):
    """The whole warehouse folder (DuckDB file, raw store, snapshots) on a 16 MB tmpfs."""
    with tmpfs(tmp_path / "warehouse", "16m") as mount_point:
        yield mount_point


def fill_up(folder: Path) -> None:
    with (folder / "filler").open("wb", buffering=0) as filler:
        for size in (1 << 20, 4096, 1):
            try:
                while filler.write(b"\0" * size):
                    pass
            except OSError as error:
                assert error.errno == errno.ENOSPC
    assert shutil.disk_usage(folder).free == 0


def test_a_full_disk_fails_the_run_and_the_summary_still_reports_it(crash_env, warehouse_disk):
    rows = Path(crash_env["CATALOG_PATH"]).parent / "data" / "rows.csv"
    rows.write_text("id,name\n1,a\n2,b\n")
    crash_env["WAREHOUSE_PATH"] = str(warehouse_disk / "warehouse.duckdb")
    assert run_main(crash_env) == 0
    with duckdb.connect(crash_env["WAREHOUSE_PATH"], read_only=True) as connection:
        (snapshot_id,) = connection.execute("SELECT snapshot_id FROM governance.snapshots").fetchone()

    fill_up(warehouse_disk)
    rows.write_text("id,name\n1,a\n2,b\n3,c\n")
    process = subprocess.run([sys.executable, "-m", "pipelines.run"], cwd=REPO, env=crash_env,
                             capture_output=True, text=True, timeout=300)
    assert process.returncode == 1, process.stderr
    assert "Traceback (most recent call last)" not in process.stderr
    line = next(line for line in process.stdout.splitlines() if line.startswith("crash-set"))
    assert line.split()[1:5] == ["CC0-1.0", "publish", "passed", snapshot_id]  # read back from the full disk
    assert "FAILED" in line and "No space left on device" in line
    assert ".incoming-" not in line  # the raw store's work file means nothing to a steward


def test_work_files_a_killed_run_left_are_removed_and_a_live_runs_kept(crash_env):
    rows = Path(crash_env["CATALOG_PATH"]).parent / "data" / "rows.csv"
    rows.write_text("id,name\n1,a\n2,b\n")
    assert run_main(crash_env) == 0
    root = Path(crash_env["WAREHOUSE_PATH"]).parent
    raw, snapshots = root / "raw", root / "snapshots" / "crash-set"
    # What kill -9 leaves: a download on its way into the raw store, a snapshot folder being written.
    dead_download, live_download, fresh_download = (raw / f".incoming-{name}" for name in ("dead", "live", "fresh"))
    dead_folder, live_folder = (snapshots / f".crash-set-0123456789ab-{name}" for name in ("dead", "live"))
    for download in (dead_download, live_download, fresh_download):
        download.write_bytes(b"partial")
    for folder in (dead_folder, live_folder):
        (folder / ".convert-x").mkdir(parents=True)
        (folder / "data.parquet").write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    for path in (dead_download, live_download, dead_folder, live_folder):
        os.utime(path, (an_hour_ago, an_hour_ago))
    held = [os.open(path, os.O_RDONLY) for path in (live_download, live_folder)]  # a live run holds its own
    try:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        rows.write_text("id,name\n1,a\n2,b\n3,c\n")
        assert run_main(crash_env) == 0
    finally:
        for fd in held:
            os.close(fd)
    assert not dead_download.exists() and not dead_folder.exists()
    assert live_download.exists() and live_folder.exists()
    assert fresh_download.exists()  # unlocked but just written: the instant before its writer locks it
