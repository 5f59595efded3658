"""catalog/catalog.schema.json: valid draft 2020-12, accepts the bundled catalog, and names exactly the fields
the loader knows, so the two cannot drift apart."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from assets.catalog import (
    BUNDLED_CATALOG,
    CATALOG_FIELDS,
    DATASET_ID,
    ENTRY_FIELDS,
    FORMATS,
    CatalogError,
    load_catalog,
)
from assets.catalog_options import CSV_FIELDS, SHEET_FIELDS
from assets.catalog_source import SOURCE_FIELDS, SOURCE_KINDS

SCHEMA = json.loads((BUNDLED_CATALOG.parent / "catalog.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
GOOD = {"id": "good-set", "title": "Good", "format": "csv", "source": {"kind": "file", "path": "data/rows.csv"}}


def test_the_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_bundled_catalog_is_valid_against_the_schema():
    VALIDATOR.validate(yaml.safe_load(BUNDLED_CATALOG.read_text(encoding="utf-8")))


def test_schema_and_loader_name_the_same_fields():
    definitions = SCHEMA["$defs"]
    assert set(SCHEMA["properties"]) == set(CATALOG_FIELDS)
    assert set(definitions["entry"]["properties"]) == ENTRY_FIELDS
    assert set(definitions["source"]["properties"]) == SOURCE_FIELDS | {"kind"}
    assert set(definitions["csv"]["properties"]) == CSV_FIELDS
    assert set(definitions["sheet"]["properties"]) == SHEET_FIELDS
    assert all(definition["additionalProperties"] is False for definition in definitions.values())


def test_schema_and_loader_agree_on_required_fields_and_allowed_values():
    definitions = SCHEMA["$defs"]
    assert definitions["entry"]["properties"]["id"]["pattern"] == DATASET_ID.pattern
    assert definitions["entry"]["properties"]["format"]["enum"] == list(FORMATS)
    assert definitions["source"]["properties"]["kind"]["enum"] == list(SOURCE_KINDS)
    required_by_kind = {rule["if"]["properties"]["kind"]["const"]:
                        (tuple(rule["then"].get("required", ())),
                         tuple(one["required"][0] for one in rule["then"].get("anyOf", ())))
                        for rule in definitions["source"]["allOf"]}
    assert required_by_kind == SOURCE_KINDS


@pytest.mark.parametrize("bad_entry", [
    {**GOOD, "colour": "blue"},
    {**GOOD, "format": "xml"},
    {**GOOD, "source": {"kind": "file", "splits": {"train/2020": "data/rows.csv"}}},
    {**GOOD, "source": {"kind": "file", "path": []}},
    {**GOOD, "format": "xlsx", "sheet": {"header": 1}},
    {**GOOD, "id": "Upper"},
    {**GOOD, "source": {"kind": "http"}},
    {**GOOD, "csv": {"header": False}},
    {**GOOD, "csv": {"skip_lines": -1}},
    {**GOOD, "csv": {"delimiter": ";;"}},
    {**GOOD, "csv": {"separator": ";"}},
    {**GOOD, "format": "jsonl", "csv": {"header": True}},
])
def test_what_the_schema_refuses_the_loader_refuses(tmp_path: Path, bad_entry):
    document = {"datasets": [bad_entry]}
    assert not VALIDATOR.is_valid(document)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("id\n1\n")
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(document))
    catalog = load_catalog(tmp_path / "catalog.yaml")
    assert not catalog.entries and len(catalog.problems) == 1


def test_an_unknown_top_level_field_is_refused_by_both(tmp_path: Path):
    document = {"allow_private_netwrok": True, "datasets": [GOOD]}
    assert not VALIDATOR.is_valid(document)
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(CatalogError, match=r"unknown field\(s\) \['allow_private_netwrok'\]"):
        load_catalog(tmp_path / "catalog.yaml")
