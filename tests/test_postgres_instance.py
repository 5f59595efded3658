"""Scale-out: the project's dagster.yaml with Postgres instance storage (dagster-postgres), on a real, throwaway
PostgreSQL server. Skipped, with the reason, on a machine without PostgreSQL's server binaries."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import dagster as dg
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def postgres_bin() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's versioned folder."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).parent] if on_path else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((folder for folder in candidates if (folder / "pg_ctl").exists()), None)


def as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user the package creates."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run the PostgreSQL server as")
    return ["runuser", "-u", "postgres", "--"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict]:
    """A throwaway cluster on a free port, trust authentication, fsync off: it starts in a few seconds."""
    folder = postgres_bin()
    if folder is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; `apt-get install postgresql` adds them")
    prefix = as_server_user()
    root = Path(tempfile.mkdtemp(prefix="governance-pg-"))  # not under pytest's tmp: the server user must reach it
    if prefix:
        shutil.chown(root, user="postgres")
    data, port = root / "data", free_port()
    subprocess.run([*prefix, folder / "initdb", "-D", data, "-U", "dagster", "--auth=trust", "--no-sync",
                    "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*prefix, folder / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "start", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"], check=True,
                   capture_output=True)
    try:
        yield {"hostname": "127.0.0.1", "port": port, "username": "dagster", "password": "", "db_name": "postgres",
               "scheme": "postgresql+psycopg2"}  # as README, "Scale-out": SQLAlchemy 2.1 would pick psycopg 3
    finally:
        subprocess.run([*prefix, folder / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_runs_partitions_and_pools_live_in_postgres(postgres, tmp_path, monkeypatch):
    from assets.ingest import raw_source
    from assets.provenance import license_decision
    from assets.store import snapshot
    from pipelines.definitions import defs

    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config["storage"] = {"postgres": {"postgres_db": postgres}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        instance.add_dynamic_partitions("datasets", ["palmer-penguins"])
        result = dg.materialize([raw_source, license_decision, snapshot], partition_key="palmer-penguins",
                                instance=instance, resources=defs.resources)
        assert result.success

    with dg.DagsterInstance.from_config(str(tmp_path)) as reopened:  # a second process would see the same
        assert reopened.get_dynamic_partitions("datasets") == ["palmer-penguins"]
        assert [run.status.value for run in reopened.get_runs()] == ["SUCCESS"]
        pools = {pool.name: pool.limit for pool in reopened.event_log_storage.get_pool_limits()}
        assert pools == {"warehouse": 1}
        materialized = reopened.get_latest_materialization_event(dg.AssetKey("snapshot"))
        assert materialized.asset_materialization.partition == "palmer-penguins"
