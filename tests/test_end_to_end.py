"""The whole governed path on the bundled catalog, through the real Dagster job, DuckDB, GX and the Hub clients."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import duckdb
import pytest
from huggingface_hub import HfApi

from assets.catalog import load_catalog
from pipelines.local_services import environment
from pipelines.run import main as run_main

EXPECTED = {  # dataset id -> (decision, SPDX, rows)
    "palmer-penguins": ("publish", "CC0-1.0", 344),
    "palmer-penguins-raw": ("publish", "CC0-1.0", 344),
    "mauna-loa-co2": ("publish", "CC-BY-4.0", 741),
    "world-countries": ("publish", "ODbL-1.0", 250),
    # Derived from the two above: its license is theirs together.
    "mauna-loa-co2-annual": ("publish", "CC-BY-4.0 AND ODbL-1.0", 60),
    "cloudflare-verified-bots": ("blocked", "CC-BY-NC-4.0", 705),
    "garden-sensor-fixture": ("quarantine", None, 24),
}


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    """Run the main command once on the bundled catalog into a fresh warehouse and Hub namespace."""
    root = tmp_path_factory.mktemp("governed")
    with environment(WAREHOUSE_PATH=str(root / "warehouse.duckdb"), HUB_NAMESPACE=f"e2e-{uuid.uuid4().hex[:8]}"):
        exit_code = run_main([])
        yield {"root": root, "namespace": os.environ["HUB_NAMESPACE"], "exit_code": exit_code,
               "warehouse": os.environ["WAREHOUSE_PATH"]}


def query(governed, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(governed["warehouse"], read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_every_bundled_dataset_reaches_its_license_outcome(governed):
    assert governed["exit_code"] == 0
    rows = dict((r[0], r[1:]) for r in query(
        governed, "SELECT dataset_id, decision, license_spdx, license_use, decision_reason FROM governance.datasets"))
    assert set(rows) == set(EXPECTED)
    for dataset_id, (decision, spdx, _) in EXPECTED.items():
        assert rows[dataset_id][0] == decision, (dataset_id, rows[dataset_id])
        assert rows[dataset_id][1] == spdx, (dataset_id, rows[dataset_id])
    assert rows["cloudflare-verified-bots"][2] == "non-commercial"
    assert "non-commercial" in rows["cloudflare-verified-bots"][3].lower()
    assert rows["garden-sensor-fixture"][2] == "unknown"


def test_snapshots_hold_every_row_and_only_vetted_ones_are_published(governed):
    snapshots = {r[0]: r[1:] for r in query(
        governed, "SELECT dataset_id, row_count, checks_passed, published_tag, parquet_path, snapshot_id"
                  " FROM governance.snapshots")}
    for dataset_id, (decision, _, rows) in EXPECTED.items():
        row_count, checks_passed, tag, parquet_path, snapshot_id = snapshots[dataset_id]
        assert row_count == rows
        assert Path(parquet_path).is_file() and (Path(parquet_path).parent / "provenance.json").is_file()
        assert checks_passed is True
        assert (tag == snapshot_id) if decision == "publish" else tag is None
    in_view = query(governed, f'SELECT count(*) FROM snapshots."{snapshots["palmer-penguins"][4]}"')[0][0]
    assert in_view == 344


def test_published_snapshot_loads_with_datasets_at_its_tag(governed):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard, hf_hub_download

    snapshot_id, parquet_path = query(governed, "SELECT snapshot_id, parquet_path FROM governance.snapshots"
                                                " WHERE dataset_id = 'mauna-loa-co2'")[0]
    repo_id = f"{governed['namespace']}/mauna-loa-co2"
    loaded = load_dataset(repo_id, revision=snapshot_id, split="train")
    with duckdb.connect() as connection:
        expected = connection.execute("SELECT * FROM read_parquet(?)", [parquet_path]).fetchall()
    assert [tuple(row.values()) for row in loaded] == expected
    card = DatasetCard.load(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=snapshot_id))
    assert card.data.license == "cc-by-4.0"
    assert "Scripps" in card.text
    files = set(HfApi().list_repo_files(repo_id, repo_type="dataset", revision=snapshot_id))
    assert {"README.md", "provenance.json", "LICENSE", "data/train-00000-of-00001.parquet"} <= files


def test_derived_bundled_dataset_is_published_under_its_inputs_licenses_together_and_names_them(governed):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard, hf_hub_download

    tags = dict(query(governed, "SELECT dataset_id, published_tag FROM governance.snapshots"))
    inputs = {"mauna-loa-co2": "CC-BY-4.0", "world-countries": "ODbL-1.0"}
    repo_id, tag = f"{governed['namespace']}/mauna-loa-co2-annual", tags["mauna-loa-co2-annual"]

    def published(name: str) -> Path:
        return Path(hf_hub_download(repo_id, name, repo_type="dataset", revision=tag))

    card = DatasetCard.load(published("README.md"))
    # A conjunction has no Hub id: the card says `other`, names it and links the LICENSE holding both texts.
    assert (card.data.license, card.data.license_name, card.data.license_link) == (
        "other", "cc-by-4.0-and-odbl-1.0", "LICENSE")
    assert card.data.source_datasets == [f"{governed['namespace']}/{dataset_id}@{tags[dataset_id]}"
                                         for dataset_id in inputs]
    assert "Share-alike (adaptations under the same license): yes" in card.text
    record = json.loads(published("provenance.json").read_text())
    assert [(item["dataset_id"], item["tag"], item["license"]) for item in record["derived_from"]] == [
        (dataset_id, tags[dataset_id], spdx) for dataset_id, spdx in inputs.items()]
    notice = published("NOTICE").read_text()
    assert "Scripps CO2 Program" in notice and "Mohammed Le Doze" in notice
    license_text = published("LICENSE").read_text()
    assert "Attribution 4.0 International" in license_text and "Open Database License" in license_text

    loaded = load_dataset(repo_id, revision=tag, split="train")
    (co2_parquet,) = query(governed, "SELECT parquet_path FROM governance.snapshots WHERE dataset_id = ?",
                           ["mauna-loa-co2"])[0]
    with duckdb.connect() as connection:
        complete_years = connection.execute(
            'SELECT year("Date") AS year FROM read_parquet(?) GROUP BY 1 HAVING count(*) = 12 ORDER BY 1',
            [co2_parquet]).fetchall()
    assert [(row["year"],) for row in loaded] == complete_years
    assert {(row["country_cca3"], row["country"]) for row in loaded} == {("USA", "United States")}


def test_blocked_and_quarantined_datasets_never_reach_the_hub(governed):
    api = HfApi()
    for dataset_id in ("cloudflare-verified-bots", "garden-sensor-fixture"):
        assert not api.repo_exists(f"{governed['namespace']}/{dataset_id}", repo_type="dataset")


def test_provenance_record_travels_with_the_snapshot(governed):
    repo_id = f"{governed['namespace']}/world-countries"
    snapshot_id, content_sha256 = query(governed, "SELECT snapshot_id, content_sha256 FROM governance.snapshots"
                                                  " WHERE dataset_id = 'world-countries'")[0]
    from huggingface_hub import hf_hub_download

    record = json.loads(Path(hf_hub_download(repo_id, "provenance.json", repo_type="dataset",
                                             revision=snapshot_id)).read_text())
    assert record["source"]["kind"] == "hub"
    assert record["source"]["sha256"] == content_sha256
    assert len(record["source"]["upstream_revision"]) == 40
    assert record["license"]["decision"] == "publish"
    assert record["pipeline"]["dagster_run_id"]


def test_published_files_name_hub_sources_by_repo_and_loopback_sources_by_homepage(governed):
    from huggingface_hub import DatasetCard, hf_hub_download

    def published(dataset_id: str, name: str) -> Path:
        (tag,) = query(governed, "SELECT published_tag FROM governance.snapshots WHERE dataset_id = ?", [dataset_id])[0]
        return Path(hf_hub_download(f"{governed['namespace']}/{dataset_id}", name, repo_type="dataset", revision=tag))

    countries = json.loads(published("world-countries", "provenance.json").read_text())["source"]
    assert (countries["uri"], countries["name"]) == ("hf://datasets/upstream/world-countries", "countries.jsonl")
    assert DatasetCard.load(published("world-countries", "README.md")).data.source_datasets == [
        "upstream/world-countries"]
    co2 = json.loads(published("mauna-loa-co2", "provenance.json").read_text())["source"]
    assert co2["kind"] == "http" and "uri" not in co2 and co2["name"] == "co2-concentration.csv"
    assert DatasetCard.load(published("mauna-loa-co2", "README.md")).data.source_datasets == [
        "https://scrippsco2.ucsd.edu/data/atmospheric_co2/primary_mlo_co2_record"]
    croissant = json.loads(published("palmer-penguins", "croissant.json").read_text())
    assert croissant["creator"] == [
        {"@type": "sc:Person", "name": "Kristen Gorman"},
        {"@type": "sc:Organization", "name": "Palmer Station Long Term Ecological Research (LTER) Program"}]
    assert croissant["publisher"]["name"] == governed["namespace"]


def test_second_run_on_unchanged_inputs_makes_no_snapshot_and_no_commit(governed):
    api = HfApi()
    repo_id = f"{governed['namespace']}/palmer-penguins"
    commits_before = len(api.list_repo_commits(repo_id, repo_type="dataset"))
    snapshots_before = query(governed, "SELECT snapshot_id FROM governance.snapshots ORDER BY 1")
    raw_before = sorted(p.name for p in (governed["root"] / "raw").rglob("*") if p.is_file())
    latest_sources = ("SELECT dataset_id, unchanged, raw_sha256 FROM governance.sources"
                      " QUALIFY row_number() OVER (PARTITION BY dataset_id ORDER BY checked_at DESC) = 1")
    derived = {entry.id for entry in load_catalog().entries if entry.source.kind == "derived"}
    derived_before = {row[0]: row[2] for row in query(governed, latest_sources) if row[0] in derived}
    assert run_main([]) == 0
    assert query(governed, "SELECT snapshot_id FROM governance.snapshots ORDER BY 1") == snapshots_before
    assert len(api.list_repo_commits(repo_id, repo_type="dataset")) == commits_before
    # Every kind of source (file, HTTP, Hub) was found unchanged upstream and not downloaded again.
    checks = {row[0]: row[1:] for row in query(governed, latest_sources)}
    assert {dataset_id: checks[dataset_id][0] for dataset_id in set(EXPECTED) - derived} == {
        dataset_id: True for dataset_id in set(EXPECTED) - derived}
    # A derived dataset is made again every run: from the same input snapshots, the same bytes.
    assert derived and {dataset_id: checks[dataset_id][1] for dataset_id in derived} == derived_before
    assert sorted(p.name for p in (governed["root"] / "raw").rglob("*") if p.is_file()) == raw_before
