"""What the Dagster instance records, as the UI reads it: only a published dataset's partition of hub_release is
materialised (a blocked or quarantined one carries a failed `published` check naming why), every check evaluation
names its dataset, and a first run's snapshot metadata holds nothing it learns only later."""

from __future__ import annotations

import os
import urllib.request
import uuid

import dagster as dg
import pytest
import yaml

from assets.catalog import load_catalog
from assets.warehouse import Warehouse
from pipelines.definitions import defs
from pipelines.refresh_needed import INPUTS_TAG, refresh_inputs, refresh_reason

DATASETS = {"open-rows": "CC0-1.0", "nc-rows": "CC-BY-NC-4.0", "unlicensed-rows": None}


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The three datasets run once, as the main command runs them, on one instance."""
    folder = tmp_path_factory.mktemp("glance")
    entries = []
    for dataset_id, license_id in DATASETS.items():
        (folder / dataset_id).mkdir()
        (folder / dataset_id / "rows.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
        # The attribution an NC license asks for is there: only the license itself holds nc-rows back.
        (folder / dataset_id / "NOTICE").write_text("Rows (fixture) (c) 2026 the test suite.\n")
        entries.append({"id": dataset_id, "title": f"{dataset_id} (fixture)", "format": "csv", "key_columns": ["id"],
                        "source": {"kind": "file", "path": f"{dataset_id}/rows.csv"},
                        **({"license": license_id} if license_id else {})})
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": entries}))
    with pytest.MonkeyPatch.context() as patched:
        patched.setenv("CATALOG_PATH", str(folder / "catalog.yaml"))
        patched.setenv("WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))
        patched.setenv("HUB_NAMESPACE", f"glance-{uuid.uuid4().hex[:8]}")
        with dg.DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions("datasets", list(DATASETS))
            job = defs.resolve_job_def("refresh_dataset")
            for dataset_id in DATASETS:
                tags = {INPUTS_TAG: refresh_inputs(load_catalog().get(dataset_id))}  # as the main command tags them
                result = job.execute_in_process(partition_key=dataset_id, instance=instance, raise_on_error=False,
                                                tags=tags)
                # A dataset the gate holds back is a policy outcome: its run succeeds.
                assert result.success, [e.message for e in result.all_events if e.is_step_failure]
            yield instance


def materialized_partitions(instance, asset: str) -> set[str]:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
    return {record.partition_key for record in records}


CHECKS = [dg.AssetCheckKey(dg.AssetKey("snapshot"), "expectation_suite"),
          dg.AssetCheckKey(dg.AssetKey("snapshot"), "expectation_warnings"),
          dg.AssetCheckKey(dg.AssetKey("hub_release"), "published")]


def check_history(instance) -> list:
    """Every check execution, as the UI's check history lists them (its Partition column is `partition`)."""
    return [record for key in CHECKS
            for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=100)]


def evaluations(instance) -> list[dg.AssetCheckEvaluation]:
    return [record.event.dagster_event.event_specific_data for record in check_history(instance)
            if record.event and record.event.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]


def test_only_the_published_dataset_is_materialised_for_hub_release(instance):
    assert materialized_partitions(instance, "snapshot") == set(DATASETS)
    assert materialized_partitions(instance, "hub_release") == {"open-rows"}


def test_the_nightly_leaves_an_unpublished_dataset_alone_until_something_changes(instance):
    """hub_release never materialised for a held-back dataset does not make the nightly request it again."""
    warehouse = Warehouse(path=os.environ["WAREHOUSE_PATH"])
    for dataset_id in DATASETS:
        entry = load_catalog().get(dataset_id)
        assert refresh_reason(instance, warehouse, entry, refresh_inputs(entry)) is None, dataset_id


def test_a_dataset_held_back_has_a_failed_published_check_naming_why(instance):
    published = {e.partition: e for e in evaluations(instance) if e.check_name == "published"}
    assert published["open-rows"].passed
    assert "/datasets/" in published["open-rows"].metadata["hub_url"].value
    assert not published["nc-rows"].passed and not published["unlicensed-rows"].passed
    assert published["nc-rows"].description.startswith("blocked: ")
    assert "non-commercial" in published["nc-rows"].description
    assert published["unlicensed-rows"].description.startswith("quarantined: ")


def test_the_hub_links_in_metadata_open_as_the_dataset_page(instance):
    """The UI's Hub link (`hub_url` / `dagster/uri`) answers a browser with the release's page, not an API error."""
    (record,) = instance.fetch_materializations(dg.AssetKey("hub_release"), limit=10).records
    metadata = record.asset_materialization.metadata
    assert metadata["dagster/uri"].value == metadata["hub_url"].value
    with urllib.request.urlopen(metadata["hub_url"].value, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        html = response.read().decode()
    assert "<h1>open-rows (fixture)</h1>" in html  # the card's heading, rendered
    assert "license:cc0-1.0" in html and "provenance.json</a>" in html and "croissant.json</a>" in html


def test_every_check_evaluation_names_its_dataset(instance):
    assert {record.partition for record in check_history(instance)} == set(DATASETS)
    evaluated = evaluations(instance)
    assert {e.partition for e in evaluated} == set(DATASETS)
    names = {(e.check_name, e.partition) for e in evaluated}
    assert {("expectation_suite", d) for d in DATASETS} <= names
    assert {("expectation_warnings", d) for d in DATASETS} <= names


def test_first_run_snapshot_metadata_holds_nothing_pending(instance):
    records = instance.fetch_materializations(dg.AssetKey("snapshot"), limit=100).records
    assert len(records) == len(DATASETS)  # one first run each
    for record in records:
        metadata = record.asset_materialization.metadata
        assert metadata["status"].value == "new snapshot"
        assert not [key for key, value in metadata.items() if "pending" in str(value.value)]
        assert "checks" not in metadata and "hub_url" not in metadata


def test_the_snapshot_license_line_names_public_domain_not_unknown():
    """statsmodels' macrodata says "This is public domain.": no SPDX id, no name; the steward reads public domain."""
    from assets.store import license_summary

    decision = {"license": {"spdx": None, "name": None, "public_domain": True, "use": "commercial"},
                "policy": "default", "obligations": []}
    assert license_summary(decision).startswith("**public domain** (SPDX `none`), use: commercial")
