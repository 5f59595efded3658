"""Scale-out. Real concurrent runs: two datasets refreshed at once by two processes (a steward's refresh while
the nightly one runs, or a backfill), on one Dagster instance configured by the project's
dagster_home/dagster.yaml and one warehouse, while a third process keeps reading the warehouse: every run
succeeds, no lock error surfaces. And the same dagster.yaml with Postgres instance storage on a real, throwaway
PostgreSQL server (skipped, with the reason, on a machine without PostgreSQL's server binaries)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import dagster as dg
import pytest
import yaml

from assets.warehouse import Warehouse
from bench.many_services import throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"penguins": ("palmer-penguins", "penguins.csv", ["NA"]),
            "co2": ("mauna-loa-co2", "co2-concentration.csv", [])}


def concurrent_catalog(root: Path) -> Path:
    entries = []
    for dataset_id, (bundled, file_name, null_values) in DATASETS.items():
        shutil.copytree(ROOT / "catalog" / "data" / bundled, root / "catalog" / "data" / dataset_id)
        entries.append({"id": dataset_id, "title": dataset_id, "format": "csv", "null_values": null_values,
                        "source": {"kind": "file", "path": f"data/{dataset_id}/{file_name}"}})
    path = root / "catalog" / "catalog.yaml"
    path.write_text(yaml.safe_dump({"datasets": entries}))
    return path


def test_two_datasets_refreshed_at_once_both_succeed_without_lock_errors(tmp_path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "WAREHOUSE_PATH": warehouse.path,
           "CATALOG_PATH": str(concurrent_catalog(tmp_path)), "HUB_NAMESPACE": f"conc-{uuid.uuid4().hex[:8]}"}
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass  # create the instance storage once, as `dagster dev` would, before two processes share it

    logs = [tmp_path / f"{dataset_id}.log" for dataset_id in DATASETS]  # files: a full pipe would stall a run
    runs = [subprocess.Popen([sys.executable, "-m", "pipelines.run", "--dataset", dataset_id], cwd=ROOT, env=env,
                             stdout=log.open("w"), stderr=subprocess.STDOUT)
            for dataset_id, log in zip(DATASETS, logs)]
    reads, deadline = 0, time.monotonic() + 300
    while any(run.poll() is None for run in runs) and time.monotonic() < deadline:
        reads += len(warehouse.fetch_all("SELECT * FROM governance.sources"))  # a reader, as the UI would be
        time.sleep(0.1)
    outputs = [log.read_text() for run, log in zip(runs, logs) if run.wait(timeout=5) is not None]

    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
        assert "Could not set lock" not in output and "WarehouseBusyError" not in output, output
        assert "published" in output, output
    published = warehouse.fetch_all("SELECT dataset_id FROM governance.snapshots WHERE published_tag IS NOT NULL")
    assert sorted(row["dataset_id"] for row in published) == sorted(DATASETS)
    assert reads > 0

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records()
        assert sorted(r.dagster_run.status.value for r in records) == ["SUCCESS", "SUCCESS"]
        first, second = sorted(records, key=lambda r: r.start_time)
        assert second.start_time < first.end_time, "the two runs did not overlap: nothing was tested"
        pools = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
        assert pools == {"warehouse": 1}  # the writing steps went through the pool set by dagster.yaml


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict]:
    """A throwaway cluster on a free port, trust authentication, fsync off (bench/many_services.py): it starts in
    a few seconds."""
    with throwaway_postgres() as settings:
        if settings is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found, or no `postgres` user to run them "
                        "as root; `apt-get install postgresql` adds both")
        yield settings


def test_runs_partitions_and_pools_live_in_postgres(postgres, tmp_path, monkeypatch):
    from assets.ingest import raw_source
    from assets.provenance import license_decision
    from assets.store import snapshot
    from pipelines.definitions import defs

    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
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
