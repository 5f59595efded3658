"""A small CC-BY-4.0 CSV dataset (the bundled CC-BY-4.0 LICENSE and a NOTICE beside it) written as a catalog of its
own and published once by the main command, for tests that start from a published snapshot."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import yaml

from pipelines.local_services import environment
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"


def publish_cc_by_csv(root: Path, dataset_id: str, csv_text: str, notice: str, **entry) -> dict:
    """Publish it under a fresh namespace; `entry` adds catalog fields (title, creator, ...). Returns the
    environment it ran in (env), the repo id and the published tag."""
    data = root / "catalog" / "data"
    data.mkdir(parents=True)
    (data / f"{dataset_id}.csv").write_text(csv_text)
    shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
    (data / "NOTICE").write_text(notice)
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": dataset_id, "title": f"{dataset_id} (fixture)", "format": "csv", "license": "CC-BY-4.0",
        "key_columns": ["id"], "source": {"kind": "file", "path": f"data/{dataset_id}.csv"}, **entry}]}))
    env = {"CATALOG_PATH": str(root / "catalog" / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"{dataset_id}-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", dataset_id]) == 0
    provenance = next((root / "snapshots" / dataset_id).iterdir()) / "provenance.json"
    return {"env": env, "repo_id": f"{env['HUB_NAMESPACE']}/{dataset_id}",
            "tag": json.loads(provenance.read_text())["snapshot_id"]}
