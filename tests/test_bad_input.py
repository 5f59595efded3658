"""Bad input fails only its own dataset, with a message naming the dataset and the cause, and loses nothing."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import HfApi

from pipelines.run import main as run_main

BUNDLED = Path(__file__).resolve().parent.parent / "catalog"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    data = tmp_path / "catalog" / "data"
    shutil.copytree(BUNDLED / "data" / "palmer-penguins", data / "good-penguins")
    (data / "broken").mkdir()
    (data / "broken" / "rows.jsonl").write_text('{"a": 1}\n{"a": \n')
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"bad-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    return tmp_path


def write_catalog(root: Path, entries: list[dict]) -> None:
    """HTTP sources here are served on loopback, which a catalog must opt in to."""
    document = {"allow_private_network": True, "datasets": entries}
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(document))


GOOD = {"id": "good-penguins", "title": "Penguins", "format": "csv", "license": "CC0-1.0", "null_values": ["NA"],
        "source": {"kind": "file", "path": "data/good-penguins/penguins.csv"}}


def test_each_bad_source_fails_alone_with_a_clear_message(workspace, capsys):
    write_catalog(workspace, [
        GOOD,
        {"id": "missing-file", "title": "Missing", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/nowhere/rows.csv"}},
        {"id": "unreachable-url", "title": "Unreachable", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "http", "url": "http://127.0.0.1:9/rows.csv"}},
        {"id": "not-found-url", "title": "Not found", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "http", "url": "${CATALOG_HTTP_BASE}/nowhere/rows.csv"}},
        {"id": "unparseable", "title": "Broken JSON lines", "format": "jsonl", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/broken/rows.jsonl"}},
        {"id": "../escape", "title": "Path traversal", "format": "csv", "source": {"kind": "file", "path": "x.csv"}},
        {"id": "no-title", "format": "csv", "source": {"kind": "file", "path": "data/good-penguins/penguins.csv"}},
    ])
    assert run_main([]) == 1
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "published" in lines["good-penguins"]
    assert "FAILED" in lines["missing-file"] and "source file not found" in lines["missing-file"]
    assert "FAILED" in lines["unreachable-url"] and "could not fetch http://127.0.0.1:9/rows.csv" in lines["unreachable-url"]
    assert "FAILED" in lines["not-found-url"] and "HTTP 404" in lines["not-found-url"]
    assert "FAILED" in lines["unparseable"] and "could not read the source as jsonl" in lines["unparseable"]
    assert "FAILED" in lines["#6"] and "id must match" in lines["#6"]
    assert "FAILED" in lines["no-title"] and "missing required field 'title'" in lines["no-title"]


def test_a_misspelt_key_column_fails_the_run_naming_the_column(workspace, capsys):
    write_catalog(workspace, [{**GOOD, "key_columns": ["speceis"]}])
    assert run_main([]) == 1
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("good-penguins")]
    assert "FAILED" in line and "published" not in line
    assert "key_columns names column 'speceis' (did you mean 'species'?)" in line
    assert "its columns: species, island, bill_length_mm" in line


def test_a_broken_update_keeps_the_previous_snapshot_and_tag(workspace):
    write_catalog(workspace, [GOOD])
    assert run_main([]) == 0
    warehouse = os.environ["WAREHOUSE_PATH"]
    with duckdb.connect(warehouse, read_only=True) as connection:
        before = connection.execute("SELECT snapshot_id, parquet_path, published_tag FROM governance.snapshots").fetchall()
    repo_id = f"{os.environ['HUB_NAMESPACE']}/good-penguins"
    refs_before = HfApi().list_repo_refs(repo_id, repo_type="dataset")

    (workspace / "catalog" / "data" / "good-penguins" / "penguins.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n")
    assert run_main([]) == 1

    with duckdb.connect(warehouse, read_only=True) as connection:
        after = connection.execute("SELECT snapshot_id, parquet_path, published_tag FROM governance.snapshots").fetchall()
        rows = connection.execute(f'SELECT count(*) FROM snapshots."{before[0][0]}"').fetchone()[0]
    assert after == before and rows == 344
    assert Path(before[0][1]).is_file()
    refs_after = HfApi().list_repo_refs(repo_id, repo_type="dataset")
    assert refs_after.tags == refs_before.tags and refs_after.branches == refs_before.branches


def summary_lines(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.strip()}


def test_an_empty_catalog_says_there_is_nothing_to_run(workspace, capsys):
    write_catalog(workspace, [])
    assert run_main([]) == 0
    assert capsys.readouterr().out.strip() == (f"nothing to run: the catalog {workspace / 'catalog' / 'catalog.yaml'}"
                                               " lists no datasets")


def test_a_catalog_that_is_not_utf8_is_refused_naming_the_file_and_the_offset(workspace, capsys):
    from assets.catalog import CatalogError, load_catalog

    path = workspace / "catalog" / "catalog.yaml"
    path.write_bytes("datasets:\n  - id: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=re.escape(f"catalog {path} is not UTF-8 text: byte 0xe9 at offset 21")):
        load_catalog(path)
    assert run_main([]) == 2
    assert f"error: catalog {path} is not UTF-8 text: byte 0xe9 at offset 21" in capsys.readouterr().err


def test_a_hub_seed_with_an_invalid_card_fails_only_its_dataset_and_is_seeded_once_fixed(workspace, capsys):
    seed = workspace / "catalog" / "data" / "seed"
    seed.mkdir()
    (seed / "rows.csv").write_text("a,b\n1,2\n")
    (seed / "README.md").write_text("---\nlicense: [cc0-1.0\n  pretty_name: : broken\n---\n# Rows\n")
    repo_id = f"upstream/{uuid.uuid4().hex[:8]}"
    write_catalog(workspace, [GOOD, {"id": "seeded", "title": "Seeded", "format": "csv", "license": "CC0-1.0",
                                     "source": {"kind": "hub", "repo_id": repo_id, "path": "rows.csv",
                                                "seed": "data/seed"}}])
    assert run_main([]) == 1
    lines = summary_lines(capsys.readouterr().out)
    assert "published" in lines["good-penguins"]
    assert lines["seeded"].split()[1:6] == ["-", "-", "-", "-", "FAILED:"]
    assert f"seeded: could not seed upstream Hub dataset {repo_id} from {seed}: Invalid metadata in README.md" \
        in lines["seeded"] and "expected ',' or ']'" in lines["seeded"]

    (seed / "README.md").write_text("---\nlicense: cc0-1.0\n---\n# Rows\n")
    assert run_main(["--dataset", "seeded"]) == 0
    assert "published" in summary_lines(capsys.readouterr().out)["seeded"]


@pytest.mark.parametrize("suffix, content, cause", [
    ("csv", gzip.compress(b"id,name\n1,a\n", mtime=0), "CSV Error on Line: 1; Invalid unicode (byte sequence "
                                                         "mismatch) detected. This file is not utf-8 encoded."),
    ("csv", "id,name\n1,caf\u00e9\n".encode("latin-1"), "CSV Error on Line: 2; Invalid unicode (byte sequence "
                                                        "mismatch) detected. This file is not utf-8 encoded."),
    ("jsonl", b'{"id": 1}\n{"id": \n', 'Malformed JSON in file "{source}", at byte 9 in line 3: unexpected end of '
                                       'data.'),
], ids=["gzip-named-csv", "latin-1-csv", "broken-jsonl"])
def test_a_source_duckdb_cannot_read_is_reported_with_its_cause_and_its_name(workspace, capsys, suffix, content,
                                                                              cause):
    source = workspace / "catalog" / "data" / f"rows.{suffix}"
    source.write_bytes(content)
    write_catalog(workspace, [{"id": "unreadable", "title": "Unreadable", "format": suffix, "license": "CC0-1.0",
                               "source": {"kind": "file", "path": f"data/rows.{suffix}"}}])
    assert run_main([]) == 1
    line = summary_lines(capsys.readouterr().out)["unreadable"]
    assert f"FAILED: unreadable ({source}): could not read the source as {suffix}: Invalid Input Error: " \
           f"{cause.format(source=source)}" in line
    assert "raw/" not in line and "Possible Solution" not in line


def test_an_id_the_catalog_cannot_use_is_named_invalid_not_missing(workspace, capsys):
    write_catalog(workspace, [GOOD, {**GOOD, "id": "Upper-Case"}])
    assert run_main(["--dataset", "Upper-Case", "--dataset", "Other_Case", "--dataset", "absent"]) == 1
    lines = summary_lines(capsys.readouterr().out)
    rule = "an id must match ^[a-z0-9][a-z0-9-]{1,62}$ (lower-case letters, digits, '-')"
    assert lines["Upper-Case"].endswith(f"FAILED: catalog entry 'Upper-Case': invalid id: {rule}")
    assert lines["Other_Case"].endswith(f"FAILED: 'Other_Case' is not a valid dataset id: {rule}; no entry of the "
                                        f"catalog {workspace / 'catalog' / 'catalog.yaml'} has it")
    assert "dataset 'absent' is not in the catalog" in lines["absent"]
def outcome_lines(capsys) -> dict[str, str]:
    return {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}


def published_file(dataset_id: str, name: str) -> Path:
    from huggingface_hub import hf_hub_download

    repo_id = f"{os.environ['HUB_NAMESPACE']}/{dataset_id}"
    tag = HfApi().list_repo_refs(repo_id, repo_type="dataset").tags[0].name
    return Path(hf_hub_download(repo_id, name, repo_type="dataset", revision=tag))


def test_an_html_page_and_json_without_records_fail_naming_the_file(workspace, capsys):
    data = workspace / "catalog" / "data"
    (data / "page").mkdir()
    (data / "page" / "rows.csv").write_text("<!doctype html>\n<html><body>Please sign in</body></html>\n")
    (data / "page" / "answer.json").write_text("42\n")
    write_catalog(workspace, [
        {"id": "sign-in-page", "title": "HTML", "format": "csv", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/page/rows.csv"}},
        {"id": "a-number", "title": "A number", "format": "json", "license": "CC0-1.0",
         "source": {"kind": "file", "path": "data/page/answer.json"}},
    ])
    assert run_main([]) == 1
    lines = outcome_lines(capsys)
    assert "FAILED" in lines["sign-in-page"] and "rows.csv is an HTML page, not csv data" in lines["sign-in-page"]
    assert "FAILED" in lines["a-number"]
    assert "answer.json" in lines["a-number"]
    assert "could not read the source as json: it holds a single number (42)" in lines["a-number"]
    assert not HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/sign-in-page", repo_type="dataset")
    assert not HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/a-number", repo_type="dataset")


def test_renamed_columns_are_recorded_in_provenance_and_the_card(workspace, capsys):
    (workspace / "catalog" / "data" / "dup").mkdir()
    (workspace / "catalog" / "data" / "dup" / "rows.csv").write_text("id,Name,name\n1,a,b\n2,c,d\n")
    write_catalog(workspace, [{"id": "dup-columns", "title": "Duplicate columns", "format": "csv",
                               "license": "CC0-1.0", "source": {"kind": "file", "path": "data/dup/rows.csv"}}])
    assert run_main([]) == 0
    assert "published" in outcome_lines(capsys)["dup-columns"]
    provenance = json.loads(published_file("dup-columns", "provenance.json").read_text())
    assert provenance["conversion"] == {"renamed_columns": [{"from": "name", "to": "name_1"}],
                                        "retyped_columns": []}
    card = published_file("dup-columns", "README.md").read_text()
    assert "converted to Parquet with these changes: column 'name' renamed 'name_1'" in card
    assert "unchanged" not in card.split("## Provenance")[1].split("## ")[0].replace("converted to Parquet with", "")
    croissant = json.loads(published_file("dup-columns", "croissant.json").read_text())
    assert "column 'name' renamed 'name_1'" in " ".join(croissant["rai:dataPreprocessingProtocol"])


def map_source(workspace: Path) -> None:
    folder = workspace / "catalog" / "data" / "maps"
    folder.mkdir()
    pq.write_table(pa.table({"id": [1, 2], "attrs": pa.array([[("a", 1)], []], type=pa.map_(pa.string(), pa.int64()))}),
                   folder / "rows.parquet")
    write_catalog(workspace, [{"id": "with-maps", "title": "Maps", "format": "parquet", "license": "CC0-1.0",
                               "source": {"kind": "file", "path": "data/maps/rows.parquet"}}])


def test_a_map_column_is_published_as_key_value_structs_that_load_dataset_reads(workspace, capsys):
    from datasets import load_dataset

    map_source(workspace)
    assert run_main([]) == 0
    assert "published" in outcome_lines(capsys)["with-maps"]
    repo_id = f"{os.environ['HUB_NAMESPACE']}/with-maps"
    tag = HfApi().list_repo_refs(repo_id, repo_type="dataset").tags[0].name
    loaded = load_dataset(repo_id, revision=tag, split="train")
    assert loaded["attrs"] == [[{"key": "a", "value": 1}], []]
    provenance = json.loads(published_file("with-maps", "provenance.json").read_text())
    assert provenance["conversion"]["retyped_columns"] == [
        {"column": "attrs", "from": "MAP(VARCHAR, BIGINT)", "to": 'STRUCT("key" VARCHAR, "value" BIGINT)[]'}]


def test_a_snapshot_datasets_cannot_load_is_not_published(workspace, capsys, monkeypatch):
    monkeypatch.setattr("assets.convert.loadable_columns", lambda described: {})  # as before: maps kept as maps
    map_source(workspace)
    assert run_main([]) == 1
    line = outcome_lines(capsys)["with-maps"]
    assert "FAILED" in line and "the Hub's datasets library could not load the snapshot" in line
    assert "column attrs: Arrow type map<" in line
    assert not HfApi().repo_exists(f"{os.environ['HUB_NAMESPACE']}/with-maps", repo_type="dataset")
