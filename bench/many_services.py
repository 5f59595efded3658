"""The real set-up bench/many.py runs in: a throwaway PostgreSQL cluster for Dagster's storage (SQLite when the
server binaries are missing), a Dagster home with the project's run queue and pools, a gRPC code server and
`dagster-daemon run`."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
LOCATION = "many"  # the code location's name in the benchmark's workspace


def postgres_bin() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's versioned folder."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).parent] if on_path else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((folder for folder in candidates if (folder / "pg_ctl").exists()), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_postgres() -> Iterator[dict | None]:
    """A PostgreSQL cluster on a free port (trust authentication, fsync off) for the benchmark's duration, as
    postgres_db settings; None when the server binaries are missing or, as root, there is no `postgres` user
    to run it as (PostgreSQL refuses root)."""
    folder = postgres_bin()
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            folder = None
        prefix = ["runuser", "-u", "postgres", "--"]
    if folder is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="bench-many-pg-"))  # the server user must reach it
    if prefix:
        shutil.chown(root, user="postgres")
    data, port = root / "data", free_port()
    subprocess.run([*prefix, folder / "initdb", "-D", data, "-U", "dagster", "--auth=trust", "--no-sync",
                    "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*prefix, folder / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "start", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"],
                   check=True, capture_output=True)
    try:
        yield {"hostname": "127.0.0.1", "port": port, "username": "dagster", "password": "", "db_name": "postgres",
               "scheme": "postgresql+psycopg2"}  # SQLAlchemy 2.1 would pick psycopg 3, not installed
    finally:
        subprocess.run([*prefix, folder / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(postgres: dict, name: str) -> dict:
    """A fresh database on the cluster: each pass of the benchmark starts from empty run storage."""
    import psycopg2

    connection = psycopg2.connect(host=postgres["hostname"], port=postgres["port"], user=postgres["username"],
                                  dbname=postgres["db_name"])
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return {**postgres, "db_name": name}


def write_dagster_home(home: Path, max_concurrent_runs: int, postgres: dict | None, dequeue_workers: int = 0) -> Path:
    """The project's dagster.yaml concurrency settings (pools, run queue, one run per dataset), with the queue
    limit given and Postgres storage when there is a server. With dequeue_workers, the daemon launches queued
    runs from that many threads instead of one after another."""
    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    config["concurrency"]["runs"]["max_concurrent_runs"] = max_concurrent_runs
    if dequeue_workers:
        config["run_queue"] = {"dequeue_use_threads": True, "dequeue_num_workers": dequeue_workers}
    if postgres:
        config["storage"] = {"postgres": {"postgres_db": postgres}}
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


class Services:
    """A gRPC code server serving bench.many_location and `dagster-daemon run` on a workspace pointing at it."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env, self.port = folder, env, free_port()
        self.workspace = folder / "workspace.yaml"
        self.workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": {
            "host": "127.0.0.1", "port": self.port, "location_name": LOCATION}}]}))
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> "Services":
        self._start("code-server", [sys.executable, "-m", "dagster", "api", "grpc", "-m", "bench.many_location",
                                    "--host", "127.0.0.1", "--port", str(self.port)])
        self._wait_for_code_server()
        self._start("daemon", [str(Path(sys.executable).parent / "dagster-daemon"), "run",
                               "-w", str(self.workspace)])
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("w")  # a file: a full pipe would stall the process
        self.processes.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT))

    def _wait_for_code_server(self, timeout_s: float = 120) -> None:
        from dagster._grpc.client import DagsterGrpcClient

        client = DagsterGrpcClient(port=self.port, host="127.0.0.1")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.processes[0].poll() is not None:
                raise RuntimeError(f"the code server exited; see {self.folder / 'code-server.log'}")
            try:
                client.ping("")
                return
            except Exception:  # not listening yet
                time.sleep(0.5)
        raise RuntimeError(f"the code server did not answer within {timeout_s:g} s")
