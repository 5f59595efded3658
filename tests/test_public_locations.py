"""Published files name public locations only: a local file's path, the catalog folder and a loopback source's
address stay in the warehouse; croissant.json names the repo at the Hub's public address, the data's creators
from the catalog and the Hub namespace as publisher. Real pipeline runs against the session loopback Hub, with a
file source and an http source on the loopback file server."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import mlcroissant as mlc
import pytest
import yaml
from huggingface_hub import DatasetCard, snapshot_download

from assets.card import source_datasets
from assets.catalog import BUNDLED_CATALOG, CatalogError, load_catalog
from assets.catalog_entry import Creator
from assets.croissant import source_entity
from assets.guards import is_public_url
from assets.hub import HubAccessError, HubTarget
from assets.store import source_location
from pipelines.local_services import environment, file_server
from pipelines.run import main as run_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
PUBLIC_HUB = "https://hub.example.org"
PUBLISHED_TEXT_FILES = ("README.md", "provenance.json", "croissant.json", "spdx.json", "LICENSE", "NOTICE")
ROWS = [{"id": 1, "site": "north", "level": 1.5}, {"id": 2, "site": "south", "level": 2.25}]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Two CC-BY-4.0 datasets published by the main command: one read from a local file (with creators and a
    homepage in the catalog), one over HTTP from the loopback file server (neither)."""
    root = tmp_path_factory.mktemp("public")
    folder = root / "catalog"
    for dataset_id in ("levels-file", "levels-http"):
        data = folder / "data" / dataset_id
        data.mkdir(parents=True)
        (data / "levels.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
        shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
        (data / "NOTICE").write_text("Copyright 2024 Example Survey Org.\n")
    common = {"format": "jsonl", "license": "CC-BY-4.0", "key_columns": ["id"]}
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"allow_private_network": True, "datasets": [
        {"id": "levels-file", "title": "Water levels (file)", "homepage": "https://example.org/levels",
         "creator": [{"name": "Example Survey Org", "url": "https://example.org/survey"},
                     {"name": "Ada Example", "type": "person"}],
         "source": {"kind": "file", "path": "data/levels-file/levels.jsonl"}, **common},
        {"id": "levels-http", "title": "Water levels (http)",
         "source": {"kind": "http", "url": "${CATALOG_HTTP_BASE}/levels-http/levels.jsonl"}, **common},
    ]}))
    namespace = f"public-{uuid.uuid4().hex[:8]}"
    with file_server(folder / "data") as base:
        env = {"CATALOG_PATH": str(folder / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
               "HUB_NAMESPACE": namespace, "HUB_PUBLIC_URL": PUBLIC_HUB, "CATALOG_HTTP_BASE": base}
        with environment(**env):
            assert run_main([]) == 0
            downloads = {}
            for dataset_id in ("levels-file", "levels-http"):
                tag = snapshot_tag(env["WAREHOUSE_PATH"], dataset_id)
                downloads[dataset_id] = Path(snapshot_download(f"{namespace}/{dataset_id}", repo_type="dataset",
                                                               revision=tag, local_dir=root / dataset_id))
            yield {"root": root, "folder": folder, "namespace": namespace, "base": base, "downloads": downloads,
                   "warehouse": env["WAREHOUSE_PATH"]}


def snapshot_tag(warehouse: str, dataset_id: str) -> str:
    with duckdb.connect(warehouse, read_only=True) as connection:
        (tag,) = connection.execute("SELECT published_tag FROM governance.snapshots WHERE dataset_id = ?",
                                    [dataset_id]).fetchone()
    return tag


@pytest.mark.parametrize("dataset_id", ["levels-file", "levels-http"])
def test_no_published_file_names_a_local_path_or_a_loopback_address(published, dataset_id):
    port = str(urlsplit(published["base"]).port)
    forbidden = [str(published["folder"]), str(published["root"]), "127.0.0.1", "localhost", f":{port}"]
    folder = published["downloads"][dataset_id]
    for name in PUBLISHED_TEXT_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        for needle in forbidden:
            assert needle not in text, (name, needle)


@pytest.mark.parametrize("dataset_id, kind", [("levels-file", "file"), ("levels-http", "http")])
def test_provenance_names_a_non_public_source_by_its_file_name(published, dataset_id, kind):
    source = json.loads((published["downloads"][dataset_id] / "provenance.json").read_text())["source"]
    assert source["kind"] == kind and source["name"] == "levels.jsonl" and "uri" not in source


def test_the_warehouse_keeps_the_real_source_locations(published):
    with duckdb.connect(published["warehouse"], read_only=True) as connection:
        recorded = dict(connection.execute("SELECT dataset_id, source_uri FROM governance.sources").fetchall())
        decided = dict(connection.execute("SELECT dataset_id, source FROM governance.datasets").fetchall())
    expected = {"levels-file": str(published["folder"] / "data" / "levels-file" / "levels.jsonl"),
                "levels-http": f"{published['base']}/levels-http/levels.jsonl"}
    assert recorded == decided == expected


def test_card_source_datasets_name_only_public_locations(published):
    file_card = DatasetCard.load(published["downloads"]["levels-file"] / "README.md")
    http_card = DatasetCard.load(published["downloads"]["levels-http"] / "README.md")
    assert file_card.data.source_datasets == ["https://example.org/levels"]  # the catalog's homepage
    assert http_card.data.source_datasets is None  # no public location known: the key is left out
    assert ("Source (file): levels.jsonl (a file on the publisher's machine; its location is not published); "
            "homepage https://example.org/levels") in file_card.text
    assert "Created by: Example Survey Org (https://example.org/survey), Ada Example" in file_card.text


@pytest.mark.parametrize("dataset_id", ["levels-file", "levels-http"])
def test_croissant_names_the_repo_at_the_public_hub_address(published, dataset_id):
    document = json.loads((published["downloads"][dataset_id] / "croissant.json").read_text())
    repo_url = f"{PUBLIC_HUB}/datasets/{published['namespace']}/{dataset_id}"
    assert document["@id"] == document["url"] == repo_url
    assert document["citeAs"].endswith(repo_url)
    assert document["publisher"] == {"@type": "sc:Organization", "name": published["namespace"],
                                     "url": f"{PUBLIC_HUB}/{published['namespace']}"}
    assert mlc.Dataset(jsonld=published["downloads"][dataset_id] / "croissant.json").metadata.ctx.issues.errors \
        == set()


def test_croissant_creators_come_from_the_catalog_or_are_left_out(published):
    with_creators = json.loads((published["downloads"]["levels-file"] / "croissant.json").read_text())
    without = json.loads((published["downloads"]["levels-http"] / "croissant.json").read_text())
    assert with_creators["creator"] == [
        {"@type": "sc:Organization", "name": "Example Survey Org", "url": "https://example.org/survey"},
        {"@type": "sc:Person", "name": "Ada Example"}]
    assert "creator" not in without  # the catalog names none: nobody is guessed, the publisher least of all


def test_public_urls_are_those_on_public_addresses_only():
    for url in ("http://127.0.0.1:8000/data.csv", "http://localhost/data.csv", "http://10.1.2.3/data.csv",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/data.csv", "https://host.invalid/data.csv",
                "ftp://1.1.1.1/data.csv", "http://1.1.1.1:notaport/data.csv"):
        assert not is_public_url(url), url
    assert is_public_url("https://1.1.1.1/data.csv")  # an address literal: no name to resolve


def test_provenance_keeps_the_location_of_public_and_hub_sources():
    entry = load_catalog(BUNDLED_CATALOG).get("world-countries")
    row = {"source_kind": "http", "source_uri": "https://1.1.1.1/files/co2%20monthly.csv"}
    assert source_location(entry, row) == {"kind": "http", "uri": row["source_uri"], "name": "co2 monthly.csv"}
    keyed = {"source_kind": "http", "source_uri": "https://1.1.1.1/files/co2.csv?api_key=s3cret#top"}
    assert source_location(entry, keyed) == {"kind": "http", "uri": "https://1.1.1.1/files/co2.csv", "name": "co2.csv"}
    private = {"source_kind": "http", "source_uri": "http://192.168.1.20/files/co2.csv"}
    assert source_location(entry, private) == {"kind": "http", "name": "co2.csv"}
    hub = {"source_kind": "hub", "source_uri": "hf://datasets/upstream/world-countries"}
    assert source_location(entry, hub) == {"kind": "hub", "uri": hub["source_uri"], "name": "countries.jsonl"}


def test_card_and_croissant_name_a_public_source_by_its_location():
    public = {"kind": "http", "uri": "https://1.1.1.1/co2.csv", "name": "co2.csv", "sha256": "ab" * 32,
              "size_bytes": 3, "homepage": "https://example.org/co2"}
    assert source_datasets(public) == ["https://1.1.1.1/co2.csv"]
    assert source_entity(public)["url"] == source_entity(public)["@id"] == "https://1.1.1.1/co2.csv"
    hub = {"kind": "hub", "uri": "hf://datasets/upstream/world-countries", "name": "countries.jsonl"}
    assert source_datasets(hub) == ["upstream/world-countries"]
    assert source_datasets({"kind": "file", "name": "a.csv", "homepage": "not a url"}) == []


def test_hub_public_address_defaults_to_the_endpoint_unless_that_is_private(monkeypatch):
    monkeypatch.delenv("HUB_PUBLIC_URL", raising=False)
    assert HubTarget().public_base("https://1.1.1.1/") == "https://1.1.1.1"
    with pytest.raises(HubAccessError, match="set HUB_PUBLIC_URL"):
        HubTarget().public_base("http://127.0.0.1:9000/")
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.org/")
    assert HubTarget().public_base("http://10.0.0.2:9000") == "https://hub.example.org"
    monkeypatch.setenv("HUB_PUBLIC_URL", "hub.example.org")
    with pytest.raises(HubAccessError, match="HUB_PUBLIC_URL must be an http"):
        HubTarget().public_base("http://10.0.0.2:9000")


def write_catalog(tmp_path: Path, creator) -> Path:
    (tmp_path / "data.csv").write_text("a\n1\n")
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"datasets": [{"id": "one", "title": "One", "format": "csv", "creator": creator,
                                                  "source": {"kind": "file", "path": "data.csv"}}]}))
    return path


@pytest.mark.parametrize("creator, expected", [
    ("Scripps CO2 Program", (Creator("Scripps CO2 Program"),)),
    ({"name": "Kristen Gorman", "type": "person"}, (Creator("Kristen Gorman", type="person"),)),
    (["A Lab", {"name": "B Org", "url": "https://b.example.org"}],
     (Creator("A Lab"), Creator("B Org", url="https://b.example.org"))),
    (None, ()),
])
def test_catalog_creator_forms(tmp_path, creator, expected):
    assert load_catalog(write_catalog(tmp_path, creator)).get("one").creator == expected


@pytest.mark.parametrize("creator, message", [
    ({"name": "X", "email": "x@example.org"}, "creator must be a name, a mapping with name"),
    ({"url": "https://x.example.org"}, "creator must be a name, a mapping with name"),
    ([""], "creator must be a name, a mapping with name"),
    (42, "creator must be a name, a mapping with name"),
    ({"name": "X", "url": "file:///home/x"}, "creator url must be http"),
    ({"name": "X", "type": "robot"}, "creator type must be one of"),
])
def test_catalog_creator_is_validated(tmp_path, creator, message):
    catalog = load_catalog(write_catalog(tmp_path, creator))
    with pytest.raises(CatalogError, match=message):
        catalog.get("one")
