"""A snapshot of several splits is published as `datasets` writes one: each split as Parquet shards
`data/<split>-0000i-of-0000N.parquet` (small limits here force several shards), the card's configs list every
split, croissant.json has a FileObject per shard and a RecordSet per split, provenance.json every shard; the Hub's
`datasets` loads the same splits and rows, verify passes, and a tampered shard fails verify, named."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb
import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import CommitOperationAdd, DatasetCard, HfApi, hf_hub_download, snapshot_download

from assets import shards
from assets.catalog import load_catalog
from assets.convert import file_sha256
from assets.hub import with_retries
from assets.publish import build_release
from assets.release_push import PublishError, push_release
from assets.shards import ShardingError, contiguous_bounds, shard_bytes_for_commit
from assets.splits import SplitFile, snapshot_splits
from assets.store import latest_checks
from assets.warehouse import Warehouse
from pipelines.local_services import environment
from pipelines.run import main as run_main
from pipelines.verify import main as verify_main

BUNDLED_LICENSE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "mauna-loa-co2" / "LICENSE"
ROWS = 300
TRAIN_ROWS = 240


@pytest.fixture(scope="module")
def governed(tmp_path_factory) -> dict:
    """A CC-BY-4.0 dataset published by the main command (one split, one file): its snapshot row, evidence and
    checks."""
    root = tmp_path_factory.mktemp("splits")
    data = root / "catalog" / "data"
    data.mkdir(parents=True)
    (data / "notes.jsonl").write_text("".join(json.dumps({"id": i, "note": f"note number {i} " * 3}) + "\n"
                                              for i in range(ROWS)))
    shutil.copy(BUNDLED_LICENSE, data / "LICENSE")
    (data / "NOTICE").write_text("Copyright 2025 Field Notes Society.\nNotes by the Field Notes Society.\n")
    (root / "catalog" / "catalog.yaml").write_text(yaml.safe_dump({"datasets": [{
        "id": "notes", "title": "Field notes (fixture)", "format": "jsonl", "license": "CC-BY-4.0",
        "key_columns": ["id"], "source": {"kind": "file", "path": "data/notes.jsonl"}}]}))
    env = {"CATALOG_PATH": str(root / "catalog" / "catalog.yaml"), "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "HUB_NAMESPACE": f"splits-{uuid.uuid4().hex[:8]}"}
    with environment(**env):
        assert run_main(["--dataset", "notes"]) == 0
        warehouse = Warehouse(path=env["WAREHOUSE_PATH"])
        row = warehouse.fetch_one("SELECT * FROM governance.snapshots")
        assert row["published_tag"] == row["snapshot_id"]
        source = warehouse.fetch_one("SELECT * FROM governance.sources WHERE raw_sha256 = ? LIMIT 1",
                                     [row["content_sha256"]])
        yield {"root": root, "row": row, "evidence": json.loads(source["evidence"]),
               "entry": load_catalog().get("notes"), "checks": latest_checks(warehouse, row["snapshot_id"]),
               "namespace": env["HUB_NAMESPACE"]}


def two_split_row(governed: dict, folder: Path) -> dict:
    """The snapshot's rows as two splits (train: the first TRAIN_ROWS, test: the rest), one Parquet file each with
    provenance.json beside them, as a snapshot row with `splits` records them."""
    folder.mkdir()
    parquet = governed["row"]["parquet_path"]
    splits = {"train": f"id < {TRAIN_ROWS}", "test": f"id >= {TRAIN_ROWS}"}
    for name, condition in splits.items():
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}') WHERE {condition} ORDER BY id) "
                   f"TO '{folder / name}.parquet' (FORMAT parquet)")
    provenance = json.loads((Path(parquet).parent / "provenance.json").read_text())
    provenance["files"] = {f"data/{name}-00000-of-00001.parquet": {"sha256": file_sha256(folder / f"{name}.parquet")}
                           for name in splits}
    (folder / "provenance.json").write_text(json.dumps(provenance))
    recorded = {name: {"parquet_path": str(folder / f"{name}.parquet"),
                       "row_count": pq.read_metadata(folder / f"{name}.parquet").num_rows} for name in splits}
    return {**governed["row"], "splits": json.dumps(recorded)}


@pytest.fixture(scope="module")
def published_splits(governed, tmp_path_factory) -> dict:
    """The two-split snapshot published with shard limits small enough to cut train into several shards."""
    folder = tmp_path_factory.mktemp("two-splits")
    row = two_split_row(governed, folder / "snapshot")
    repo_id = f"{governed['namespace']}/notes-splits"
    logged: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "MAX_SHARD_BYTES", 6_000)
        patch.setattr(shards, "MAX_ROW_GROUP_BYTES", 2_000)
        api = HfApi()
        release = build_release(governed["entry"], repo_id, api.endpoint, row, governed["evidence"],
                                governed["checks"], folder / "work", log=logged.append)
        oid, new_commit = with_retries(lambda: push_release(api, release))
    assert new_commit and logged == []  # a few files: no need to grow the shards
    return {"repo_id": repo_id, "tag": release.tag, "release": release, "row": row, "oid": oid, "folder": folder}


def test_each_split_is_published_as_datasets_shards_in_one_tagged_commit(published_splits):
    api = HfApi()
    repo_id, tag = published_splits["repo_id"], published_splits["tag"]
    files = set(api.list_repo_files(repo_id, repo_type="dataset", revision=tag))
    data = sorted(path for path in files if path.startswith("data/"))
    train = [path for path in data if path.startswith("data/train-")]
    assert len(train) > 1 and train == [f"data/train-{i:05d}-of-{len(train):05d}.parquet" for i in range(len(train))]
    assert [path for path in data if not path.startswith("data/train-")] == ["data/test-00000-of-00001.parquet"]
    assert [c.title for c in api.list_repo_commits(repo_id, repo_type="dataset")] == [f"Publish snapshot {tag}",
                                                                                      "initial commit"]
    first = pq.ParquetFile(hf_hub_download(repo_id, train[0], repo_type="dataset", revision=tag))
    assert first.metadata.num_row_groups > 1  # row groups cut to the (small) row group limit too
    ids = [i for path in train
           for i in pq.read_table(hf_hub_download(repo_id, path, repo_type="dataset", revision=tag))["id"].to_pylist()]
    assert ids == list(range(TRAIN_ROWS))  # contiguous, in order


def test_datasets_loads_the_same_splits_and_rows(published_splits):
    from datasets import load_dataset

    loaded = load_dataset(published_splits["repo_id"], revision=published_splits["tag"])
    assert list(loaded) == ["train", "test"]
    assert {name: split.num_rows for name, split in loaded.items()} == {"train": TRAIN_ROWS, "test": ROWS - TRAIN_ROWS}
    assert loaded["test"]["id"][:2] == [TRAIN_ROWS, TRAIN_ROWS + 1]


def test_card_provenance_and_croissant_list_every_split_and_shard(published_splits, tmp_path):
    repo_id, tag = published_splits["repo_id"], published_splits["tag"]
    folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=tag, local_dir=tmp_path / "download"))
    card = DatasetCard.load(folder / "README.md")
    assert card.data.configs == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "data/train-*"}, {"split": "test", "path": "data/test-*"}]}]
    provenance = json.loads((folder / "provenance.json").read_text())
    shard_files = sorted(str(path.relative_to(folder)) for path in (folder / "data").iterdir())
    assert sorted(provenance["files"]) == shard_files
    for path, facts in provenance["files"].items():
        assert facts == {"sha256": file_sha256(folder / path), "size_bytes": (folder / path).stat().st_size}
        assert f"`{path}` | {facts['size_bytes']} | `{facts['sha256']}`" in card.text
    assert {name: split["row_count"] for name, split in provenance["splits"].items()} == {
        "train": TRAIN_ROWS, "test": ROWS - TRAIN_ROWS}
    croissant = json.loads((folder / "croissant.json").read_text())
    objects = {item["contentUrl"]: item for item in croissant["distribution"] if item["@type"] == "cr:FileObject"}
    assert {path: objects[path]["sha256"] for path in shard_files} == {
        path: facts["sha256"] for path, facts in provenance["files"].items()}
    assert [record_set["@id"] for record_set in croissant["recordSet"]] == ["train", "test"]
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")
    assert dataset.metadata.ctx.issues.errors == set()
    assert [record["train/id"] for record in dataset.records("train")] == list(range(TRAIN_ROWS))
    assert len(list(dataset.records("test"))) == ROWS - TRAIN_ROWS


def test_verify_passes_and_a_tampered_shard_fails_named(published_splits, capsys):
    repo_id, tag = published_splits["repo_id"], published_splits["tag"]
    assert verify_main([repo_id, "--revision", tag]) == 0
    out = capsys.readouterr().out
    assert f"split train: {TRAIN_ROWS} rows" in out and f"split test: {ROWS - TRAIN_ROWS} rows in 1 file(s)" in out
    api = HfApi()
    shard = "data/train-00001-of-" + next(path for path in api.list_repo_files(repo_id, repo_type="dataset",
                                                                               revision=tag)
                                          if path.startswith("data/train-"))[-13:]
    original = Path(hf_hub_download(repo_id, shard, repo_type="dataset", revision=tag))
    table = pq.read_table(original)
    tampered = published_splits["folder"] / "tampered.parquet"
    pq.write_table(table.slice(1), tampered)  # one row dropped
    commit = api.create_commit(repo_id, [CommitOperationAdd(path_in_repo=shard, path_or_fileobj=tampered)],
                               repo_type="dataset", commit_message="Tamper")
    api.create_tag(repo_id, tag="tampered", revision=commit.oid, repo_type="dataset")
    assert verify_main([repo_id, "--revision", "tampered"]) == 1
    err = capsys.readouterr().err
    assert f"{shard}: sha256 " in err and "does not match provenance.json and croissant.json" in err
    assert [line for line in err.splitlines() if "sha256" in line and "does not match" in line] == [
        line for line in err.splitlines() if shard in line]  # only that shard is named


def test_republishing_the_split_snapshot_makes_no_commit(governed, published_splits):
    """The shards are the same bytes when cut again, so the tag is found holding this snapshot."""
    api = HfApi()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "MAX_SHARD_BYTES", 6_000)
        patch.setattr(shards, "MAX_ROW_GROUP_BYTES", 2_000)
        release = build_release(governed["entry"], published_splits["repo_id"], api.endpoint, published_splits["row"],
                                governed["evidence"], governed["checks"], published_splits["folder"] / "again")
    assert release.files.keys() == published_splits["release"].files.keys()
    assert push_release(api, release) == (published_splits["oid"], False)


def test_the_publish_step_shards_a_split_larger_than_a_shard_and_removes_its_work_folder(governed, monkeypatch):
    monkeypatch.setattr(shards, "MAX_SHARD_BYTES", 6_000)
    namespace = f"steps-{uuid.uuid4().hex[:8]}"
    with environment(HUB_NAMESPACE=namespace):
        assert run_main(["--dataset", "notes"]) == 0
    tag = governed["row"]["snapshot_id"]
    files = HfApi().list_repo_files(f"{namespace}/notes", repo_type="dataset", revision=tag)
    train = sorted(path for path in files if path.startswith("data/"))
    assert len(train) > 1 and train[-1] == f"data/train-{len(train) - 1:05d}-of-{len(train):05d}.parquet"
    assert verify_main([f"{namespace}/notes", "--revision", tag]) == 0
    assert not list((governed["root"] / "snapshots" / "notes").glob(".publish-*"))


def test_a_split_file_changed_since_it_was_vetted_is_not_published(governed, tmp_path):
    row = two_split_row(governed, tmp_path / "snapshot")
    test_file = Path(json.loads(row["splits"])["test"]["parquet_path"])
    duckdb.sql(f"COPY (SELECT 1 AS id, 'x' AS note) TO '{test_file}' (FORMAT parquet)")
    with pytest.raises(PublishError, match=f"{test_file} no longer matches the sha256 recorded when it was vetted"):
        build_release(governed["entry"], "ns/notes", "http://hub.invalid", row, governed["evidence"],
                      governed["checks"], tmp_path / "work")


def test_a_split_whose_rows_differ_from_its_record_is_not_published(governed, tmp_path):
    row = two_split_row(governed, tmp_path / "snapshot")
    splits = json.loads(row["splits"])
    splits["test"]["row_count"] += 1
    with pytest.raises(PublishError, match=f"holds {ROWS - TRAIN_ROWS} rows, the snapshot records "
                                           f"{ROWS - TRAIN_ROWS + 1} for split test"):
        build_release(governed["entry"], "ns/notes", "http://hub.invalid", {**row, "splits": json.dumps(splits)},
                      governed["evidence"], governed["checks"], tmp_path / "work")


def test_a_row_without_splits_is_its_train_file_and_bad_split_records_are_named():
    row = {"snapshot_id": "s-1", "parquet_path": "/w/s-1/data.parquet", "row_count": 3, "parquet_sha256": "ab"}
    assert snapshot_splits(row) == {"train": SplitFile(Path("/w/s-1/data.parquet"), 3, "ab")}
    split = {"parquet_path": "/w/a.parquet", "row_count": 1}
    recorded = snapshot_splits({**row, "splits": json.dumps({"validation": split, "train": split})})
    assert list(recorded) == ["validation", "train"]
    with pytest.raises(ValueError, match=r"snapshot s-1: split name\(s\) 'my-test' are not valid"):
        snapshot_splits({**row, "splits": {"my-test": split}})
    with pytest.raises(ValueError, match="snapshot s-1: its splits record is not split name"):
        snapshot_splits({**row, "splits": '{"train": {"row_count": 1}}'})


def test_shards_grow_beyond_the_default_size_to_keep_one_commit_under_the_file_limit(monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(shards, "MAX_SHARD_BYTES", 100)
    monkeypatch.setattr(shards, "MAX_FILES_PER_COMMIT", 10)
    assert shard_bytes_for_commit([250, 150], other_files=3, log=logged.append) == 100 and logged == []
    size = shard_bytes_for_commit([2_000, 1_500], other_files=3, log=logged.append)
    assert size > 100 and sum(-(-split // size) for split in (2_000, 1_500)) <= 7
    assert logged == [f"shards raised from 100 to {size} bytes so the snapshot's 3500 bytes fit one commit of at most "
                      "10 files"]
    monkeypatch.setattr(shards, "MAX_HUB_FILE_BYTES", 1_000)
    with pytest.raises(ShardingError, match="would need shards of .* beyond the Hub's 1000 bytes per file"):
        shard_bytes_for_commit([20_000], other_files=3, log=logged.append)
    assert contiguous_bounds(10, 3) == [(0, 4), (4, 7), (7, 10)]
