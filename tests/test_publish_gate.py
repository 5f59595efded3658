"""Only vetted snapshots reach the Hub: a failing blocking check or a non-publishable license stops the publish,
even when the publish asset is materialised on its own."""

from __future__ import annotations

import os
import uuid

import dagster as dg
import duckdb
import pytest
import yaml
from huggingface_hub import HfApi

from pipelines.run import main as run_main


@pytest.fixture
def catalog_dir(tmp_path, monkeypatch):
    folder = tmp_path / "catalog"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "dup-keys.csv").write_text("id,name\n1,a\n1,b\n2,c\n")
    (folder / "data" / "nc-rows.csv").write_text("id,name\n1,a\n2,b\n")
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [
        {"id": "dup-keys", "title": "Duplicate keys (fixture)", "format": "csv", "license": "CC0-1.0",
         "key_columns": ["id"], "source": {"kind": "file", "path": "data/dup-keys.csv"}},
        {"id": "nc-rows", "title": "Non-commercial rows (fixture)", "format": "csv", "license": "CC-BY-NC-4.0",
         "source": {"kind": "file", "path": "data/nc-rows.csv"}},
    ]}))
    monkeypatch.setenv("CATALOG_PATH", str(folder / "catalog.yaml"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"gate-{uuid.uuid4().hex[:8]}")
    return folder


def test_failing_blocking_check_stops_the_publish(catalog_dir):
    assert run_main(["--dataset", "dup-keys"]) == 0
    with duckdb.connect(os.environ["WAREHOUSE_PATH"], read_only=True) as connection:
        checks_passed, tag = connection.execute(
            "SELECT checks_passed, published_tag FROM governance.snapshots WHERE dataset_id = 'dup-keys'").fetchone()
        failed = connection.execute("SELECT check_name FROM governance.check_results WHERE NOT passed").fetchall()
    assert checks_passed is False and tag is None
    assert ("unique:id",) in failed
    assert not HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/dup-keys", repo_type="dataset")


def test_publish_asset_alone_refuses_a_blocked_license(catalog_dir):
    assert run_main(["--dataset", "nc-rows"]) == 0
    from assets.publish import hub_release
    from pipelines.definitions import defs

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("datasets", ["nc-rows"])
        result = dg.materialize([hub_release], partition_key="nc-rows", instance=instance,
                                resources=defs.resources)
    assert result.success and not result.asset_materializations_for_node("hub_release")  # never looks published
    [published] = result.get_asset_check_evaluations()
    assert not published.passed and published.partition == "nc-rows"
    assert published.description.startswith("blocked: ") and "non-commercial" in published.description
    assert not HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/nc-rows", repo_type="dataset")


def test_a_dataset_cleared_only_by_an_internal_policy_goes_to_a_private_repo(catalog_dir):
    catalog = yaml.safe_load((catalog_dir / "catalog.yaml").read_text())
    catalog["datasets"][1]["policy"] = "research"
    (catalog_dir / "data" / "NOTICE").write_text("Rows (fixture) (c) 2026 the test suite; credit it when reusing.\n")
    (catalog_dir / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    assert run_main(["--dataset", "nc-rows"]) == 0
    repo_id = f"{os.environ['HUB_NAMESPACE']}/nc-rows"
    assert HfApi().dataset_info(repo_id).private is True
    assert not HfApi(token=False).repo_exists(repo_id, repo_type="dataset")
