"""One tag, one truth: a license fixed in the catalog over unchanged bytes is a new snapshot with a new tag, and
everything published at each tag (card, LICENSE, provenance.json, croissant.json) tells that tag's story."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download

from pipelines.local_services import environment
from pipelines.run import main as run_main

ROWS = [{"id": 1, "station": "harbour", "level_m": 1.25}, {"id": 2, "station": "pier", "level_m": 0.5}]


def write_catalog(folder: Path, license_id: str) -> None:
    (folder / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "tides", "title": "Tide levels (fixture)", "format": "jsonl", "license": license_id,
        "fixture": "written by this project's tests", "source": {"kind": "file", "path": "data/tides.jsonl"}}]}))


@pytest.fixture(scope="module")
def two_decisions(tmp_path_factory):
    root = tmp_path_factory.mktemp("one-tag")
    folder = root / "catalog"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "tides.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    (folder / "data" / "NOTICE").write_text("Copyright (c) 2026 Harbour Tide Watchers\n")
    namespace = f"truth-{uuid.uuid4().hex[:8]}"
    with environment(CATALOG_PATH=str(folder / "catalog.yaml"), WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
                     HUB_NAMESPACE=namespace):
        write_catalog(folder, "MIT")
        assert run_main([]) == 0
        write_catalog(folder, "CC0-1.0")  # the steward corrects the license; the bytes stay the same
        assert run_main([]) == 0
    return f"{namespace}/tides"


def at_tag(repo_id: str, tag: str, path: str) -> str:
    return Path(hf_hub_download(repo_id, path, repo_type="dataset", revision=tag)).read_text(encoding="utf-8")


def test_each_tag_publishes_one_consistent_license(two_decisions):
    repo_id = two_decisions
    tags = [ref.name for ref in HfApi().list_repo_refs(repo_id, repo_type="dataset").tags]
    assert len(tags) == 2
    seen = {}
    for tag in tags:
        card = yaml.safe_load(at_tag(repo_id, tag, "README.md").split("---")[1])
        provenance = json.loads(at_tag(repo_id, tag, "provenance.json"))
        croissant = json.loads(at_tag(repo_id, tag, "croissant.json"))
        spdx = provenance["license"]["license"]["spdx"]
        assert provenance["snapshot_id"] == tag
        assert card["license"] == spdx.lower()
        assert any(spdx in url for url in croissant["license"])
        seen[spdx] = at_tag(repo_id, tag, "LICENSE")
    assert set(seen) == {"MIT", "CC0-1.0"}
    assert "Permission is hereby granted" in seen["MIT"]
    assert "Copyright (c) Harbour Tide Watchers" in seen["MIT"]  # the MIT template's line, filled
    assert "CC0" in seen["CC0-1.0"] and "Permission is hereby granted" not in seen["CC0-1.0"]
