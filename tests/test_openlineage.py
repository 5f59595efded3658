"""OpenLineage run events: a real run of the bundled catalog through the `openlineage-python` client's file
transport, configured by its standard environment variables; a failing step; no configuration, no events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import jsonschema
import pytest
import yaml

from assets.lineage import STEP_RUN_IDS, safe_message
from pipelines.local_services import environment
from pipelines.run import main as run_main

ROOT = Path(__file__).resolve().parent.parent
FACET = "openDataGovernance_licenseDecision"
ASSETS = ("raw_source", "license_decision", "snapshot", "hub_release")
DATASETS = ("mauna-loa-co2", "world-countries", "cloudflare-verified-bots", "palmer-penguins")


def file_transport(events: Path) -> dict[str, str]:
    """The client's file transport, appending every event as one JSON line to `events`."""
    return {"OPENLINEAGE__TRANSPORT__TYPE": "file", "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(events),
            "OPENLINEAGE__TRANSPORT__APPEND": "true"}


def read_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


@pytest.fixture(scope="module")
def lineage(tmp_path_factory):
    root = tmp_path_factory.mktemp("lineage")
    events = root / "events.jsonl"
    with environment(WAREHOUSE_PATH=str(root / "warehouse.duckdb"), HUB_NAMESPACE=f"ol-{uuid.uuid4().hex[:8]}",
                     OPENLINEAGE_NAMESPACE="governance-test", **file_transport(events)):
        exit_code = run_main([arg for dataset_id in DATASETS for arg in ("--dataset", dataset_id)])
        namespace = os.environ["HUB_NAMESPACE"]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        snapshots = {row[0]: row[1:] for row in connection.execute(
            "SELECT dataset_id, snapshot_id, parquet_path, run_id, published_tag FROM governance.snapshots").fetchall()}
        sources = dict(connection.execute("SELECT dataset_id, raw_path FROM governance.sources").fetchall())
    by_job: dict[str, list[dict]] = {}
    for event in read_events(events):
        by_job.setdefault(event["job"]["name"], []).append(event)
    return {"exit_code": exit_code, "events": by_job, "snapshots": snapshots, "sources": sources,
            "namespace": namespace, "raw": events.read_bytes()}


def completed(lineage, asset: str, dataset_id: str) -> dict:
    events = lineage["events"][f"{asset}.{dataset_id}"]
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    return events[1]


def names(datasets: list[dict]) -> list[tuple[str, str]]:
    return [(dataset["namespace"], dataset["name"]) for dataset in datasets]


def test_every_asset_step_is_one_openlineage_run_under_its_dagster_run(lineage):
    assert lineage["exit_code"] == 0
    assert set(lineage["events"]) == {f"{asset}.{dataset_id}" for asset in ASSETS for dataset_id in DATASETS}
    for dataset_id in DATASETS:
        dagster_run_id = lineage["snapshots"][dataset_id][2]
        for asset in ASSETS:
            start, complete = lineage["events"][f"{asset}.{dataset_id}"]
            assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
            run_id = str(uuid.uuid5(STEP_RUN_IDS, f"{dagster_run_id}/{asset}/{dataset_id}"))
            assert start["run"]["runId"] == complete["run"]["runId"] == run_id
            assert complete["job"]["namespace"] == "governance-test"
            parent = complete["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == dagster_run_id
            assert (parent["job"]["namespace"], parent["job"]["name"]) == ("governance-test", "refresh_dataset")
            assert complete["job"]["facets"]["jobType"]["integration"] == "DAGSTER"


def test_inputs_and_outputs_follow_the_data_from_source_to_release(lineage):
    snapshot_id, parquet_path, _, tag = lineage["snapshots"]["mauna-loa-co2"]
    raw = ("file", str(Path(lineage["sources"]["mauna-loa-co2"]).resolve()))
    ingest = completed(lineage, "raw_source", "mauna-loa-co2")
    # A loopback URL is not public: named by its file name only, as provenance.json names it.
    assert names(ingest["inputs"]) == [("governance-test", "sources/mauna-loa-co2/co2-concentration.csv")]
    assert names(ingest["outputs"]) == [raw]
    decision = completed(lineage, "license_decision", "mauna-loa-co2")
    assert names(decision["inputs"])[0] == raw
    assert decision["outputs"][0]["name"] == "governance.datasets/mauna-loa-co2"
    assert decision["outputs"][0]["namespace"].startswith("duckdb:///")
    snapshot = completed(lineage, "snapshot", "mauna-loa-co2")
    assert names(snapshot["inputs"]) == [raw] and names(snapshot["outputs"]) == [("file", parquet_path)]
    release = completed(lineage, "hub_release", "mauna-loa-co2")
    assert names(release["inputs"]) == [("file", parquet_path)]
    assert names(release["outputs"]) == [("hf://datasets", f"{lineage['namespace']}/mauna-loa-co2@{tag}")]
    assert tag == snapshot_id
    countries = completed(lineage, "raw_source", "world-countries")
    assert names(countries["inputs"]) == [("hf://datasets", "upstream/world-countries")]
    penguins = completed(lineage, "raw_source", "palmer-penguins")
    assert names(penguins["inputs"]) == [("governance-test", "sources/palmer-penguins/penguins.csv")]
    assert str(ROOT) not in json.dumps(penguins["inputs"])


def test_the_license_decision_facet_rides_on_what_it_governs(lineage):
    schema = json.loads((ROOT / "assets" / "license_decision_facet.schema.json").read_text())
    facet_schema = {**schema["$defs"]["OpenDataGovernanceLicenseDecisionDatasetFacet"], "$defs": schema["$defs"]}
    facet_schema["allOf"] = facet_schema["allOf"][1:]  # the spec's base facet: checked below by hand, offline
    snapshot_id = lineage["snapshots"]["mauna-loa-co2"][0]
    expected = {"license": "CC-BY-4.0", "use": "commercial", "decision": "publish", "policy": "default",
                "snapshotId": snapshot_id}
    for asset in ("license_decision", "snapshot", "hub_release"):
        (output,) = completed(lineage, asset, "mauna-loa-co2")["outputs"]
        facet = output["facets"][FACET]
        jsonschema.validate(facet, facet_schema)
        assert {key: facet[key] for key in expected} == expected
        assert facet["_schemaURL"].startswith(schema["$id"] + "#/$defs/")
        assert facet["_producer"].startswith("urn:open-data-governance:")
    assert all(FACET not in dataset.get("facets", {}) for dataset in
               completed(lineage, "raw_source", "mauna-loa-co2")["outputs"])
    blocked = completed(lineage, "license_decision", "cloudflare-verified-bots")["outputs"][0]["facets"][FACET]
    assert (blocked["license"], blocked["use"], blocked["decision"]) == ("CC-BY-NC-4.0", "non-commercial", "blocked")


def test_a_release_the_gate_refused_completes_with_no_output(lineage):
    refused = completed(lineage, "hub_release", "cloudflare-verified-bots")
    assert refused["outputs"] == [] and lineage["snapshots"]["cloudflare-verified-bots"][3] is None


def test_the_hub_token_is_in_no_event(lineage):
    assert os.environ["HF_TOKEN"].encode() not in lineage["raw"]


def test_a_failing_step_sends_fail_with_its_error_and_the_rest_nothing(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [
        {"id": "vanished", "title": "Vanished", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/vanished.csv"}}]}))
    events = tmp_path / "events.jsonl"
    with environment(WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"), CATALOG_PATH=str(tmp_path / "catalog" /
                     "catalog.yaml"), HUB_NAMESPACE=f"ol-{uuid.uuid4().hex[:8]}", **file_transport(events)):
        assert run_main([]) == 1
    sent = read_events(events)
    assert [(event["job"]["name"], event["eventType"]) for event in sent] == [
        ("raw_source.vanished", "START"), ("raw_source.vanished", "FAIL")]
    assert sent[0]["run"]["runId"] == sent[1]["run"]["runId"]
    error = sent[1]["run"]["facets"]["errorMessage"]
    assert "vanished.csv" in error["message"] and error["programmingLanguage"] == "python"


def test_an_openlineage_yml_in_the_working_directory_configures_it(tmp_path, monkeypatch):
    events = tmp_path / "events.jsonl"
    (tmp_path / "openlineage.yml").write_text(yaml.safe_dump(
        {"transport": {"type": "file", "log_file_path": str(events), "append": True}}))
    monkeypatch.chdir(tmp_path)
    with environment(WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"), HUB_NAMESPACE=f"ol-{uuid.uuid4().hex[:8]}"):
        assert run_main(["--dataset", "palmer-penguins"]) == 0
    assert [(event["job"]["name"], event["eventType"]) for event in read_events(events)] == [
        (f"{asset}.palmer-penguins", state) for asset in ASSETS for state in ("START", "COMPLETE")]


def test_a_transport_that_cannot_send_never_fails_the_run(tmp_path, capfd):
    unwritable = tmp_path / "no-such-folder" / "events.jsonl"
    with environment(WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"), HUB_NAMESPACE=f"ol-{uuid.uuid4().hex[:8]}",
                     **file_transport(unwritable)):
        assert run_main(["--dataset", "palmer-penguins"]) == 0
    assert not unwritable.parent.exists()
    assert "OpenLineage: the START event of raw_source.palmer-penguins was not sent" in capfd.readouterr().err


NO_CONFIGURATION = """
import sys
from pipelines.run import main
code = main(["--dataset", "palmer-penguins"])
print("openlineage" in sys.modules, code)
"""


def test_without_configuration_nothing_is_sent_and_the_client_is_never_imported(tmp_path):
    """A fresh process runs a dataset with no OpenLineage variable and no openlineage.yml in reach."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENLINEAGE")}
    env |= {"WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"), "HUB_NAMESPACE": f"ol-{uuid.uuid4().hex[:8]}",
            "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", NO_CONFIGURATION], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=600)
    assert result.stdout.splitlines()[-1] == "False 0", result.stdout + result.stderr
    assert not list(tmp_path.glob("*.json*"))


def test_a_fail_message_carries_no_secret():
    """The FAIL event's message as safe_message makes it: the Hub token's value and URL credentials redacted."""
    token = os.environ["HF_TOKEN"]
    message = safe_message(RuntimeError(f"GET https://reader:pw-1@data.example.org/x.csv?api_key=k-2 sent {token}"))
    assert message == "RuntimeError: GET https://data.example.org/x.csv?api_key=REDACTED sent REDACTED"
