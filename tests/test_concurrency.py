"""Real concurrent runs: two datasets refreshed at once by two processes (a steward's refresh while the nightly
one runs, or a backfill), on one Dagster instance configured by the project's dagster.yaml and one warehouse,
while a third process keeps reading the warehouse. Every run succeeds and no lock error surfaces."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import yaml

from assets.warehouse import Warehouse

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
    shutil.copy(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "WAREHOUSE_PATH": warehouse.path,
           "CATALOG_PATH": str(concurrent_catalog(tmp_path)), "HUB_NAMESPACE": f"conc-{uuid.uuid4().hex[:8]}"}
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass  # create the instance storage once, as `dagster dev` would, before two processes share it

    runs = [subprocess.Popen([sys.executable, "-m", "pipelines.run", "--dataset", dataset_id], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for dataset_id in DATASETS]
    reads = 0
    while any(run.poll() is None for run in runs):  # a reader, as the UI or a consumer would be
        reads += len(warehouse.fetch_all("SELECT * FROM governance.sources"))
        time.sleep(0.1)
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
        assert "lock" not in output.lower(), output
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
