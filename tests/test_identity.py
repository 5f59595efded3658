"""The snapshot id's recipe: equal inputs give one id; anything published about the snapshot changes it."""

from __future__ import annotations

import dataclasses

import yaml

from assets.catalog import load_catalog
from assets.catalog_entry import Creator
from assets.identity import snapshot_id_for_decision

SHA = "ab" * 32
DECISION = {"decision": "publish", "license": {"spdx": "CC0-1.0"}}


def entry(tmp_path, **fields):
    (tmp_path / "rows.jsonl").write_text('{"id": 1}\n')
    raw = {"id": "rows", "title": "Rows", "format": "jsonl", "source": {"kind": "file", "path": "rows.jsonl"}, **fields}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [raw]}))
    return load_catalog(tmp_path / "catalog.yaml").get("rows")


def test_equal_inputs_give_one_snapshot_id(tmp_path):
    first = snapshot_id_for_decision(entry(tmp_path), [SHA], DECISION)
    assert first == snapshot_id_for_decision(entry(tmp_path), [SHA], dict(DECISION))
    assert first.startswith("rows-") and len(first) == len("rows-") + 12


def test_bytes_decision_and_published_words_each_make_a_new_snapshot(tmp_path):
    base = entry(tmp_path)
    ids = {
        snapshot_id_for_decision(base, [SHA], DECISION),
        snapshot_id_for_decision(base, ["cd" * 32], DECISION),
        snapshot_id_for_decision(base, [SHA], {**DECISION, "decision": "quarantine"}),
        snapshot_id_for_decision(dataclasses.replace(base, title="Rows, corrected"), [SHA], DECISION),
        snapshot_id_for_decision(dataclasses.replace(base, citation="Rows (2026)"), [SHA], DECISION),
        snapshot_id_for_decision(dataclasses.replace(base, creator=(Creator("Row Office"),)), [SHA], DECISION),
    }
    assert len(ids) == 6
