"""Datasets as they are shared: several files named by a glob, files per split, an archive's members and a
spreadsheet's sheet, each ingested whole (every file stored by sha256 and listed), converted per split and
queryable per split in the warehouse; bad ones fail their own dataset naming the file."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.run import main as run_main

BUNDLED = Path(__file__).resolve().parent.parent / "catalog" / "data" / "palmer-penguins"
LICENSED = {"license": "CC0-1.0", "null_values": ["NA"], "format": "csv"}


def penguin_rows() -> tuple[list[str], list[list[str]]]:
    with (BUNDLED / "penguins.csv").open(newline="") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """The bundled penguins (CC0, with LICENSE and NOTICE) cut by year into three CSV files, and the same files
    in a zip and the whole table in a workbook, built here from the bundled CSV."""
    header, rows = penguin_rows()
    data = tmp_path / "catalog" / "data"
    parts = data / "parts"
    parts.mkdir(parents=True)
    for name in ("LICENSE", "NOTICE"):
        shutil.copy(BUNDLED / name, parts / name)
    year = header.index("year")
    by_year = {y: [row for row in rows if row[year] == y] for y in ("2007", "2008", "2009")}
    for y, year_rows in by_year.items():
        (parts / f"penguins-{y}.csv").write_text(csv_text(header, year_rows))
    archive_folder = data / "archive"
    archive_folder.mkdir()
    with zipfile.ZipFile(archive_folder / "penguins-release.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(BUNDLED / "LICENSE", "penguins-release/LICENSE")
        for y in ("2007", "2008"):
            archive.write(parts / f"penguins-{y}.csv", f"penguins-release/train/penguins-{y}.csv")
        archive.write(parts / "penguins-2009.csv", "penguins-release/test/penguins-2009.csv")
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Penguins"
    sheet.append(["Palmer penguins, from the palmerpenguins package"])  # a title row above the header
    sheet.append(header)
    for row in rows:
        sheet.append([None if value == "NA" else (float(value) if _number(value) else value) for value in row])
    (data / "sheet").mkdir()
    for name in ("LICENSE", "NOTICE"):
        shutil.copy(BUNDLED / name, data / "sheet" / name)
    workbook.save(data / "sheet" / "penguins.xlsx")
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUB_NAMESPACE", f"many-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("CATALOG_PATH", str(tmp_path / "catalog" / "catalog.yaml"))
    return {"root": tmp_path, "by_year": {y: len(r) for y, r in by_year.items()}, "rows": len(rows)}


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def write_catalog(root: Path, entries: list[dict]) -> None:
    """HTTP sources are served on loopback (the local file server over catalog/data/), which a catalog opts in to."""
    document = {"allow_private_network": True, "datasets": entries}
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def entry(dataset_id: str, source: dict, **more) -> dict:
    return {"id": dataset_id, "title": dataset_id, **LICENSED, "source": {"kind": "file", **source}, **more}


def snapshot_splits(root: Path, dataset_id: str) -> dict[str, int]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        snapshot_id, splits, row_count = connection.execute(
            "SELECT snapshot_id, splits, row_count FROM governance.latest_snapshots WHERE dataset_id = ?", [dataset_id]
        ).fetchone()
        recorded = {split: record["row_count"] for split, record in json.loads(splits).items()} if splits \
            else {"train": row_count}  # a source of one file: one split
        counts = {split: connection.execute(f'SELECT count(*) FROM snapshots."{snapshot_id}/{split}"').fetchone()[0]
                  for split in recorded}
    assert counts == recorded
    return counts


def assert_published_as_snapshotted(root: Path, dataset_id: str) -> None:
    """A consumer loading the published tag with `datasets` gets the snapshot's splits and row counts, and the
    project's verify passes on it."""
    from datasets import load_dataset

    from pipelines.verify import main as verify_main

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        repo, tag = connection.execute("SELECT published_repo, published_tag FROM governance.latest_snapshots"
                                       " WHERE dataset_id = ?", [dataset_id]).fetchone()
    loaded = load_dataset(repo, revision=tag)
    assert {split: loaded[split].num_rows for split in loaded} == snapshot_splits(root, dataset_id)
    assert verify_main([repo, "--revision", tag]) == 0


def source_inputs(root: Path, dataset_id: str) -> list[dict]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute("SELECT inputs FROM governance.sources WHERE dataset_id = ? ORDER BY checked_at"
                                 " DESC LIMIT 1", [dataset_id]).fetchone()
    return json.loads(row[0])


def test_a_glob_splits_an_archive_and_a_sheet_are_each_ingested_whole(workspace, capsys):
    root, by_year = workspace["root"], workspace["by_year"]
    write_catalog(root, [
        entry("penguins-glob", {"path": "data/parts/penguins-*.csv"}),
        entry("penguins-splits", {"splits": {"test": "data/parts/penguins-2009.csv",  # listed first: published first
                                             "train": ["data/parts/penguins-2007.csv", "data/parts/penguins-2008.csv"]}}),
        entry("penguins-zip", {"path": "data/archive/penguins-release.zip",
                               "splits": {"train": "*/train/*.csv", "test": "*/test/*.csv"}}),
        {**entry("penguins-sheet", {"path": "data/sheet/penguins.xlsx"}, sheet={"name": "Penguins", "header_row": 1}),
         "format": "xlsx"},
    ])
    assert run_main([]) == 0, capsys.readouterr().out
    assert snapshot_splits(root, "penguins-glob") == {"train": workspace["rows"]}
    two = {"train": by_year["2007"] + by_year["2008"], "test": by_year["2009"]}
    assert snapshot_splits(root, "penguins-splits") == two
    assert snapshot_splits(root, "penguins-zip") == two
    inputs = source_inputs(root, "penguins-glob")
    assert [Path(i["name"]).name for i in inputs] == ["penguins-2007.csv", "penguins-2008.csv", "penguins-2009.csv"]
    assert all(len(i["sha256"]) == 64 and i["size_bytes"] > 0 for i in inputs)
    assert [i["name"] for i in source_inputs(root, "penguins-zip")] == [
        "penguins-release/train/penguins-2007.csv", "penguins-release/train/penguins-2008.csv",
        "penguins-release/test/penguins-2009.csv"]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        sheet_id = connection.execute("SELECT snapshot_id, row_count FROM governance.latest_snapshots"
                                      " WHERE dataset_id = 'penguins-sheet'").fetchone()
        decisions = dict(connection.execute("SELECT dataset_id, decision FROM governance.datasets").fetchall())
    assert sheet_id[1] == workspace["rows"]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        checked = connection.execute(
            "SELECT DISTINCT split FROM governance.check_results JOIN governance.latest_snapshots USING (snapshot_id)"
            " WHERE dataset_id = 'penguins-zip' AND check_name = 'row_count' ORDER BY split").fetchall()
    assert checked == [("test",), ("train",)]  # the suite ran on each split
    for dataset_id in ("penguins-glob", "penguins-splits", "penguins-zip", "penguins-sheet"):
        assert_published_as_snapshotted(root, dataset_id)
    # The LICENSE inside the archive, and beside the files, is the evidence the decision rests on.
    assert decisions == dict.fromkeys(["penguins-glob", "penguins-splits", "penguins-zip", "penguins-sheet"],
                                      "publish")


@pytest.mark.parametrize("source, fmt, expected", [
    ({"path": "data/parts/nothing-*.csv"}, "csv", "glob .*nothing-\\*.csv matches no file"),
    ({"path": "data/archive/penguins-release.zip", "members": "*/validation/*.csv"}, "csv",
     "penguins-release.zip: split train: pattern '\\*/validation/\\*.csv' matches no file in the archive"),
    ({"path": "data/sheet/penguins.xlsx"}, "xlsx", "penguins.xlsx.*(no sheet|not exist|Missing)"),
])
def test_bad_forms_fail_their_own_dataset_naming_the_file(workspace, capsys, source, fmt, expected):
    extra = {"sheet": {"name": "Missing"}} if fmt == "xlsx" else {}
    write_catalog(workspace["root"], [{**entry("bad-form", source, **extra), "format": fmt},
                                      entry("penguins-glob", {"path": "data/parts/penguins-*.csv"})])
    assert run_main([]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("bad-form"))
    import re

    assert re.search(expected, out), out
    assert "penguins-glob" in out and "published" in next(l for l in out.splitlines() if l.startswith("penguins-glob"))
    assert line


def test_files_of_one_split_with_different_columns_are_refused_naming_the_file_and_column(workspace, capsys):
    parts = workspace["root"] / "catalog" / "data" / "parts"
    text = (parts / "penguins-2009.csv").read_text()
    (parts / "penguins-2009.csv").write_text(text.replace("body_mass_g", "mass_g", 1))
    write_catalog(workspace["root"], [entry("penguins-glob", {"path": "data/parts/penguins-*.csv"})])
    assert run_main([]) == 1
    out = capsys.readouterr().out
    assert "penguins-2009.csv lacks column 'body_mass_g'" in out, out


def test_a_second_run_finds_every_file_unchanged_and_a_changed_file_is_fetched_again(workspace, capsys):
    root = workspace["root"]
    write_catalog(root, [entry("penguins-splits", {"splits": {"train": "data/parts/penguins-200[78].csv",
                                                              "test": "data/parts/penguins-2009.csv"}})])
    run_main([])
    first = source_inputs(root, "penguins-splits")
    from assets.catalog import load_catalog
    from assets.fetch import upstream_unchanged
    from assets.ingest import known_source, last_fetch
    from assets.warehouse import Warehouse

    catalog_entry = load_catalog().get("penguins-splits")
    warehouse = Warehouse(path=str(root / "warehouse.duckdb"))
    assert upstream_unchanged(catalog_entry, known_source(last_fetch(warehouse, catalog_entry)))
    capsys.readouterr()
    run_main([])
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        unchanged = [row[0] for row in connection.execute(
            "SELECT unchanged FROM governance.sources ORDER BY checked_at").fetchall()]
    assert unchanged == [False, True]
    test_file = root / "catalog" / "data" / "parts" / "penguins-2009.csv"
    test_file.write_text(test_file.read_text() + test_file.read_text().splitlines()[1] + "\n")
    assert not upstream_unchanged(catalog_entry, known_source(last_fetch(warehouse, catalog_entry)))
    run_main([])
    before = {Path(i["name"]).name: i["sha256"] for i in first}
    after = {Path(i["name"]).name: i["sha256"] for i in source_inputs(root, "penguins-splits")}
    assert [name for name in after if after[name] != before[name]] == ["penguins-2009.csv"]
    assert snapshot_splits(root, "penguins-splits")["test"] == workspace["by_year"]["2009"] + 1


@pytest.mark.parametrize("suffix, compress", [
    (".bz2", lambda data: __import__("bz2").compress(data)),
    (".xz", lambda data: __import__("lzma").compress(data)),
])
def test_a_compressed_file_is_stored_decompressed(workspace, capsys, suffix, compress):
    parts = workspace["root"] / "catalog" / "data" / "parts"
    (parts / f"penguins-2007.csv{suffix}").write_bytes(compress((parts / "penguins-2007.csv").read_bytes()))
    write_catalog(workspace["root"], [entry("penguins-packed", {"path": f"data/parts/penguins-2007.csv{suffix}"})])
    assert run_main([]) == 0, capsys.readouterr().out
    with duckdb.connect(str(workspace["root"] / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT row_count FROM governance.latest_snapshots").fetchone()[0]
    assert rows == workspace["by_year"]["2007"]


def test_a_hub_dataset_is_taken_whole_with_its_sharded_splits(workspace, capsys):
    """An upstream dataset written with `datasets`' own layout (train in three shards, test in one) on the
    loopback Hub, its license in the card, read whole: each split as load_dataset reads it."""
    from datasets import Dataset, DatasetDict, load_dataset
    from huggingface_hub import DatasetCard, HfApi

    repo_id = f"upstream-{uuid.uuid4().hex[:8]}/penguin-years"
    header, rows = penguin_rows()
    year = header.index("year")
    table = {"species": [row[0] for row in rows], "year": [int(row[year]) for row in rows]}
    train = Dataset.from_dict({key: [v for v, row in zip(values, rows) if row[year] != "2009"]
                               for key, values in table.items()})
    test = Dataset.from_dict({key: [v for v, row in zip(values, rows) if row[year] == "2009"]
                              for key, values in table.items()})
    DatasetDict(train=train, test=test).push_to_hub(repo_id, num_shards={"train": 3})
    card = DatasetCard.load(repo_id, repo_type="dataset")
    card.data.license = "cc0-1.0"
    card.push_to_hub(repo_id, repo_type="dataset")
    commit = HfApi().dataset_info(repo_id).sha
    write_catalog(workspace["root"], [{"id": "penguin-years", "title": "Penguin years",
                                      "source": {"kind": "hub", "repo_id": repo_id}}])
    assert run_main([]) == 0, capsys.readouterr().out
    assert snapshot_splits(workspace["root"], "penguin-years") == {"train": train.num_rows, "test": test.num_rows}
    inputs = source_inputs(workspace["root"], "penguin-years")
    assert [i["name"] for i in inputs] == [*(f"data/train-0000{n}-of-00003.parquet" for n in range(3)),
                                           "data/test-00000-of-00001.parquet"]
    with duckdb.connect(str(workspace["root"] / "warehouse.duckdb"), read_only=True) as connection:
        revision = connection.execute("SELECT upstream_revision FROM governance.sources").fetchone()[0]
    assert revision == commit
    loaded = load_dataset(repo_id, revision=commit)
    assert {split: loaded[split].num_rows for split in loaded} == snapshot_splits(workspace["root"], "penguin-years")
    assert_published_as_snapshotted(workspace["root"], "penguin-years")


def test_a_list_of_urls_and_an_archive_over_http(workspace, capsys):
    by_year = workspace["by_year"]
    base = "${CATALOG_HTTP_BASE}"
    write_catalog(workspace["root"], [
        {**entry("penguins-urls", {}), "source": {"kind": "http", "url": [f"{base}/parts/penguins-2007.csv",
                                                                         f"{base}/parts/penguins-2008.csv"]}},
        {**entry("penguins-remote-zip", {}), "source": {"kind": "http", "url": f"{base}/archive/penguins-release.zip",
                                                        "members": "**/*.csv"}},
    ])
    assert run_main([]) == 0, capsys.readouterr().out
    assert snapshot_splits(workspace["root"], "penguins-urls") == {"train": by_year["2007"] + by_year["2008"]}
    assert snapshot_splits(workspace["root"], "penguins-remote-zip") == {"train": workspace["rows"]}
    names = [i["name"] for i in source_inputs(workspace["root"], "penguins-urls")]
    assert [name.rsplit("/", 1)[1] for name in names] == ["penguins-2007.csv", "penguins-2008.csv"]
