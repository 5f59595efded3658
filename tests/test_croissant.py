"""croissant.json: valid Croissant 1.1 that mlcroissant loads offline, with the real sha256 of every published file,
the license as SPDX URLs (checked against the SPDX list: mlcroissant accepts any string), PROV-O provenance and
the Responsible-AI fields, on a snapshot published by the real pipeline."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb
import mlcroissant as mlc
import pytest
import yaml
from huggingface_hub import snapshot_download
from license_expression import get_license_index

from assets.convert import file_sha256
from assets.croissant import (content_iri, croissant_data_type, license_file_url, license_urls,
                              personal_information_findings, source_entity)
from pipelines.local_services import environment
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
ROWS = [
    {"id": 1, "station": "north", "reading": 1.5, "taken_on": "2024-03-01", "ok": True, "tags": ["a", "b"]},
    {"id": 2, "station": "south", "reading": 2.25, "taken_on": "2024-03-02", "ok": False, "tags": []},
    {"id": 3, "station": "east", "reading": 0.5, "taken_on": "2024-03-03", "ok": True, "tags": ["c"]},
]


@pytest.fixture(scope="module")
def snapshot_folder(tmp_path_factory) -> Path:
    """A CC-BY-4.0 JSONL dataset published by the main command, downloaded at its tag."""
    root = tmp_path_factory.mktemp("croissant")
    data = root / "catalog" / "data"
    data.mkdir(parents=True)
    (data / "readings.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
    (data / "NOTICE").write_text("Copyright 2023 River Survey Ltd.\nReadings by River Survey Ltd.\n")
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "readings", "title": "River readings (fixture)", "format": "jsonl", "license": "CC-BY-4.0",
        "key_columns": ["id"], "source": {"kind": "file", "path": "data/readings.jsonl"},
        "creator": [{"name": "River Survey Ltd.", "url": "https://example.org/river-survey"},
                    {"name": "Ada Example", "type": "person"}]}]}))
    env = {"CATALOG_PATH": str(root / "catalog" / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"cr-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", "readings"]) == 0
        repo_id = f"{env['HUB_NAMESPACE']}/readings"
        tag = json.loads((next((root / "snapshots" / "readings").iterdir()) / "provenance.json").read_text())[
            "snapshot_id"]
        yield Path(snapshot_download(repo_id, repo_type="dataset", revision=tag, local_dir=root / "download"))


@pytest.fixture(scope="module")
def document(snapshot_folder) -> dict:
    return json.loads((snapshot_folder / "croissant.json").read_text())


def test_mlcroissant_validates_it_and_reads_every_record(snapshot_folder):
    dataset = mlc.Dataset(jsonld=snapshot_folder / "croissant.json")
    assert dataset.metadata.ctx.issues.errors == set()
    records = list(dataset.records("train"))
    assert [record["train/id"] for record in records] == [1, 2, 3]
    assert records[0]["train/tags"] == [b"a", b"b"] and records[1]["train/ok"] is False


def test_mlcroissant_refuses_the_data_when_the_recorded_sha256_is_wrong(snapshot_folder, document, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(snapshot_folder, folder, ignore=shutil.ignore_patterns(".cache"))
    tampered = json.loads(json.dumps(document))
    tampered["distribution"][0]["sha256"] = "0" * 64
    (folder / "croissant.json").write_text(json.dumps(tampered))
    with pytest.raises(Exception) as raised:
        list(mlc.Dataset(jsonld=folder / "croissant.json").records("train"))
    assert "Hash of downloaded file" in str(raised.value.__cause__)


def test_every_published_file_carries_its_real_sha256(snapshot_folder, document):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    objects = {item["contentUrl"]: item for item in document["distribution"]}
    assert set(objects) == {"data/train-00000-of-00001.parquet", "provenance.json", "spdx.json", "LICENSE", "NOTICE"}
    for path, item in objects.items():
        assert item["@type"] == "cr:FileObject"
        assert item["sha256"] == file_sha256(snapshot_folder / path), path
        assert item["contentSize"] == f"{(snapshot_folder / path).stat().st_size} B"
    parquet = objects["data/train-00000-of-00001.parquet"]
    assert parquet["encodingFormat"] == "application/x-parquet"
    assert parquet["sha256"] == provenance["files"]["data/train-00000-of-00001.parquet"]["sha256"]


def test_license_is_a_real_spdx_url(document):
    assert document["license"] == ["https://spdx.org/licenses/CC-BY-4.0.html"]
    spdx_ids = {entry["spdx_license_key"] for entry in get_license_index() if entry.get("spdx_license_key")}
    for url in document["license"]:
        assert url.removeprefix("https://spdx.org/licenses/").removesuffix(".html") in spdx_ids


def test_it_declares_croissant_1_1_and_the_columns_types(document):
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["@context"]["prov"] == "http://www.w3.org/ns/prov#"
    fields = {field["name"]: field for field in document["recordSet"][0]["field"]}
    assert {name: field["dataType"] for name, field in fields.items()} == {
        "id": "sc:Integer", "station": "sc:Text", "reading": "sc:Float", "taken_on": "sc:Date", "ok": "sc:Boolean",
        "tags": "sc:Text"}
    assert fields["tags"]["isArray"] is True and "isArray" not in fields["station"]


def test_provenance_derivation_generation_and_attribution(snapshot_folder, document):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    derived = document["prov:wasDerivedFrom"]
    assert derived["@type"] == "prov:Entity"
    assert derived["sha256"] == provenance["source"]["sha256"]
    # A local file's location is not published: the entity is named by its content and its file name.
    assert "uri" not in provenance["source"] and "url" not in derived
    assert derived["@id"] == content_iri(provenance["source"]["sha256"]) and derived["@id"].startswith("ni:///sha-256;")
    assert "readings.jsonl" in derived["name"]
    generated = document["prov:wasGeneratedBy"]
    assert generated["@id"] == f"urn:dagster:run:{provenance['pipeline']['dagster_run_id']}"
    assert generated["prov:used"] == {"@id": derived["@id"]}
    assert generated["prov:endedAtTime"] == document["dateCreated"]
    assert generated["prov:wasAssociatedWith"]["softwareVersion"] == provenance["pipeline"]["code_version"]
    assert document["prov:wasAttributedTo"] == [{"@type": "prov:Agent", "name": "River Survey Ltd."}]


def test_creators_come_from_the_catalog_and_the_publisher_is_the_hub_namespace(document):
    assert document["creator"] == [
        {"@type": "sc:Organization", "name": "River Survey Ltd.", "url": "https://example.org/river-survey"},
        {"@type": "sc:Person", "name": "Ada Example"}]
    namespace = document["url"].rstrip("/").split("/")[-2]
    assert document["publisher"]["name"] == namespace and namespace.startswith("cr-")
    assert document["publisher"] not in document["creator"]


def test_responsible_ai_fields_say_what_is_known(snapshot_folder, document):
    provenance = json.loads((snapshot_folder / "provenance.json").read_text())
    assert provenance["source"]["sha256"] in document["rai:dataCollection"]
    assert any("3 rows" in step for step in document["rai:dataPreprocessingProtocol"])
    with duckdb.connect(str(snapshot_folder.parent / "warehouse.duckdb"), read_only=True) as connection:
        pii_checks = connection.execute("SELECT count(*) FROM governance.check_results WHERE check_name = 'pii'"
                                        " AND snapshot_id = ?", [provenance["snapshot_id"]]).fetchone()[0]
    (finding,) = document["rai:personalSensitiveInformation"]
    assert finding.startswith("Check pii (") if pii_checks else finding.startswith("Not assessed")


def test_personal_information_summary_reports_findings_and_absence():
    assert personal_information_findings([]) == ["Not assessed: no personal-information check ran on this snapshot."]
    failed = {"check_name": "pii", "severity": "WARN", "passed": False,
              "observed": {"kinds": ["email"], "observed_value": "2 matching value(s) in 1 of 3 text column(s)",
                           "sample_values": ["a***@b***.com"]}}
    (finding,) = personal_information_findings([failed])
    assert finding == ("Check pii (WARN, FAILED), scanning text columns for email: 2 matching value(s) in 1 of 3 "
                       "text column(s).")


def test_license_urls_for_expressions_and_licenses_without_spdx_id():
    published = license_file_url("https://hub.example/datasets/org/set", "set-0123", {"text_from": "statement:catalog"})
    assert published == "https://hub.example/datasets/org/set/blob/set-0123/LICENSE"
    assert license_urls({"spdx": "MIT AND (CC-BY-4.0 OR ODbL-1.0)"}, published) == [
        "https://spdx.org/licenses/MIT.html", "https://spdx.org/licenses/CC-BY-4.0.html",
        "https://spdx.org/licenses/ODbL-1.0.html"]
    assert license_urls({"spdx": None, "url": "https://ai.meta.com/llama/license/"}, published) == [
        "https://ai.meta.com/llama/license/"]
    assert license_urls({"spdx": None, "url": None, "public_domain": True}, published) == [published]
    assert license_file_url("https://h/datasets/o/s", "t", {"text_from": "upstream:COPYING"}).endswith("/t/COPYING")


def test_hub_sources_are_named_by_repo_at_revision_and_http_dates_become_iso():
    source = {"kind": "hub", "uri": "hf://datasets/upstream/countries", "upstream_revision": "4c5b" * 10,
              "sha256": "d" * 64, "size_bytes": 10, "last_modified": "Tue, 24 Nov 2026 22:06:27 GMT"}
    entity = source_entity(source)
    assert entity["@id"] == f"hf://datasets/upstream/countries@{'4c5b' * 10}"
    assert entity["version"] == "4c5b" * 10 and entity["dateModified"] == "2026-11-24T22:06:27+00:00"


def test_duckdb_types_map_to_croissant_types():
    assert [croissant_data_type(t) for t in ("BIGINT", "UINTEGER", "DECIMAL(10,2)", "TIMESTAMP WITH TIME ZONE",
                                             "TIME", "BLOB", "STRUCT(a INTEGER)")] == [
        "sc:Integer", "sc:Integer", "sc:Float", "sc:DateTime", "sc:Time", "sc:Text", "sc:Text"]
