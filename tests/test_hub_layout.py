"""Resolving a Hub dataset's splits to files: upstream repos written by `datasets`' own push_to_hub (sharded splits,
a second config in the card) or by hand with the Hub's standard file names, on the session loopback Hub; the
layout must list exactly what `datasets.load_dataset` reads at the resolved commit."""

from __future__ import annotations

import gzip
import json
import uuid

import duckdb
import pytest
from datasets import Dataset, DatasetDict, load_dataset
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import RevisionNotFoundError

from assets.hub_layout import HubLayoutError, resolve_hub_dataset

READERS = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}


def new_repo(name: str) -> str:
    return f"upstream-{uuid.uuid4().hex[:8]}/{name}"


def push_files(repo_id: str, files: dict[str, bytes]) -> str:
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    operations = [CommitOperationAdd(path, content) for path, content in files.items()]
    return api.create_commit(repo_id, operations, commit_message="Add files", repo_type="dataset").oid


def rows_in_files(repo_id: str, commit: str, paths: list[str], formats: dict[str, str]) -> int:
    """Rows of the listed files, downloaded at the commit and counted by DuckDB, without `datasets`."""
    total = 0
    for path in paths:
        local = hf_hub_download(repo_id, path, repo_type="dataset", revision=commit)
        with duckdb.connect() as connection:
            total += connection.execute(f"SELECT count(*) FROM {READERS[formats[path]]}(?)", [local]).fetchone()[0]
    return total


def assert_matches_load_dataset(repo_id: str, layout, config: str | None = None) -> None:
    loaded = load_dataset(repo_id, config, revision=layout.commit_sha)
    splits = layout.splits[config or "default"]
    assert list(splits) == list(loaded)
    for split, paths in splits.items():
        assert rows_in_files(repo_id, layout.commit_sha, paths, layout.formats) == loaded[split].num_rows


@pytest.fixture(scope="module")
def pushed():
    """Two configs written by datasets: default (train in 3 shards, test in 1) and `other` (one train shard)."""
    repo_id = new_repo("pushed")
    DatasetDict(
        train=Dataset.from_dict({"x": list(range(30))}), test=Dataset.from_dict({"x": list(range(5))})
    ).push_to_hub(repo_id, num_shards={"train": 3})
    DatasetDict(train=Dataset.from_dict({"y": ["a", "b"]})).push_to_hub(repo_id, config_name="other")
    return repo_id


def test_pushed_dataset_resolves_to_the_shards_load_dataset_reads(pushed):
    layout = resolve_hub_dataset(pushed, "main")
    assert layout.commit_sha == HfApi().dataset_info(pushed, revision="main").sha
    assert layout.splits == {"default": {
        "train": [f"data/train-0000{i}-of-00003.parquet" for i in range(3)],
        "test": ["data/test-00000-of-00001.parquet"],
    }}
    assert set(layout.formats.values()) == {"parquet"} and layout.builders == {"default": "parquet"}
    assert list(layout.card_configs) == ["default", "other"]
    assert layout.card_configs["other"]["data_files"] == [{"split": "train", "path": "other/train-*"}]
    assert_matches_load_dataset(pushed, layout)


def test_named_configs_are_resolved_each(pushed):
    layout = resolve_hub_dataset(pushed, "main", configs=["other", "default"])
    assert list(layout.splits) == ["other", "default"]
    assert layout.splits["other"] == {"train": ["other/train-00000-of-00001.parquet"]}
    assert len(layout.files()) == 5
    assert_matches_load_dataset(pushed, layout, "other")


def test_the_layout_is_that_of_the_commit_not_of_the_moving_branch():
    repo_id = new_repo("moving")
    rows = Dataset.from_dict({"x": list(range(12))})
    DatasetDict(train=rows).push_to_hub(repo_id, num_shards={"train": 3})
    old = resolve_hub_dataset(repo_id, "main")
    DatasetDict(train=rows.select(range(4))).push_to_hub(repo_id, num_shards={"train": 2})  # replaces the shards

    new = resolve_hub_dataset(repo_id, "main")
    assert new.commit_sha != old.commit_sha
    assert new.splits["default"]["train"] == [f"data/train-0000{i}-of-00002.parquet" for i in range(2)]
    again = resolve_hub_dataset(repo_id, old.commit_sha)
    assert again.commit_sha == old.commit_sha and again.splits == old.splits
    assert again.splits["default"]["train"] == [f"data/train-0000{i}-of-00003.parquet" for i in range(3)]
    assert rows_in_files(repo_id, old.commit_sha, again.splits["default"]["train"], again.formats) == 12
    assert_matches_load_dataset(repo_id, again)


def test_a_split_of_more_shards_than_a_tree_page_holds_lists_them_all():
    repo_id = new_repo("many-shards")
    shards = [f"data/train-{index:05d}-of-01005.csv" for index in range(1005)]
    push_files(repo_id, {**{path: b"v\n1\n" for path in shards}, "data/test-00000-of-00001.csv": b"v\n2\n"})
    layout = resolve_hub_dataset(repo_id, "main")
    assert layout.splits == {"default": {"train": shards, "test": ["data/test-00000-of-00001.csv"]}}


def test_loose_files_named_by_split_are_found_by_the_standard_patterns():
    repo_id = new_repo("loose")
    push_files(repo_id, {
        "README.md": b"---\nlicense: cc-by-4.0\n---\n# Loose files\n",
        "train.csv": b"a,b\n1,x\n2,y\n3,z\n",
        "test.csv": b"a,b\n4,w\n",
        "LICENSE": b"CC BY 4.0\n",
    })
    layout = resolve_hub_dataset(repo_id, "main")
    assert layout.splits == {"default": {"train": ["train.csv"], "test": ["test.csv"]}}
    assert layout.formats == {"train.csv": "csv", "test.csv": "csv"}
    assert layout.builders == {"default": "csv"} and layout.card_configs == {}
    assert_matches_load_dataset(repo_id, layout)


def test_split_folders_with_compressed_json_lines():
    repo_id = new_repo("folders")
    line = (json.dumps({"text": "row"}) + "\n").encode()
    push_files(repo_id, {
        "data/train/part-0.jsonl": line * 3,
        "data/train/part-1.jsonl": line * 2,
        "data/validation/part-0.jsonl.gz": gzip.compress(line * 4),
        "notes/readme.txt": b"not data: outside any split folder\n",
    })
    layout = resolve_hub_dataset(repo_id, "main")
    assert layout.splits == {"default": {
        "train": ["data/train/part-0.jsonl", "data/train/part-1.jsonl"],
        "validation": ["data/validation/part-0.jsonl.gz"],
    }}
    assert layout.formats["data/validation/part-0.jsonl.gz"] == "jsonl" and layout.builders == {"default": "json"}
    assert_matches_load_dataset(repo_id, layout)


def test_unknown_configs_are_refused_naming_those_that_exist(pushed):
    with pytest.raises(HubLayoutError, match=r"no config 'nope', 'nada'; its configs: \['default', 'other'\]"):
        resolve_hub_dataset(pushed, "main", configs=["nope", "default", "nada"])
    for not_a_list in ([], "other"):
        with pytest.raises(HubLayoutError, match=r"configs must list at least one config name"):
            resolve_hub_dataset(pushed, "main", configs=not_a_list)


def test_a_repo_without_data_files_is_refused_naming_repo_and_revision():
    repo_id = new_repo("empty")
    commit = push_files(repo_id, {"README.md": b"---\nlicense: mit\n---\n# Nothing yet\n", "LICENSE": b"MIT\n"})
    with pytest.raises(HubLayoutError) as refused:
        resolve_hub_dataset(repo_id, "main")
    assert f"Hub dataset {repo_id} at main (commit {commit}) has no data files" in str(refused.value)


def test_several_configs_without_a_default_must_be_named():
    repo_id = new_repo("no-default")
    card = ("---\nconfigs:\n- config_name: first\n  data_files: a/train.csv\n"
            "- config_name: second\n  data_files: b/train.csv\n---\n")
    push_files(repo_id, {"README.md": card.encode(), "a/train.csv": b"v\n1\n", "b/train.csv": b"v\n2\n3\n"})
    with pytest.raises(HubLayoutError, match=r"several configs and no default: .*\['first', 'second'\]"):
        resolve_hub_dataset(repo_id, "main")
    layout = resolve_hub_dataset(repo_id, "main", configs=["second"])
    assert layout.splits == {"second": {"train": ["b/train.csv"]}}
    assert_matches_load_dataset(repo_id, layout, "second")


def test_an_invalid_split_name_is_refused():
    repo_id = new_repo("bad-split")
    card = "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train set\n    path: train.csv\n---\n"
    push_files(repo_id, {"README.md": card.encode(), "train.csv": b"v\n1\n"})
    with pytest.raises(HubLayoutError, match=r"card config 'default': invalid split name 'train set'"):
        resolve_hub_dataset(repo_id, "main")
    sharded = new_repo("bad-shard-split")
    push_files(sharded, {"data/train set-00000-of-00001.csv": b"v\n1\n"})
    with pytest.raises(HubLayoutError, match=r"load_dataset refuses its layout: Split name should match .*train set"):
        resolve_hub_dataset(sharded, "main")


def test_a_split_matching_no_file_is_refused():
    repo_id = new_repo("no-match")
    in_first = "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.csv\n"
    empty_test = "  - split: test\n    path: data/test-*.csv\n"
    extra = "- config_name: extra\n  data_files:\n  - split: train\n    path: extra/*.csv\n---\n"
    push_files(repo_id, {"README.md": (in_first + empty_test + "---\n").encode(), "data/train.csv": b"v\n1\n"})
    # In the first config, whose files choose the reader, datasets itself refuses it; in another, the layout does.
    with pytest.raises(HubLayoutError, match=rf"{repo_id} at main .*: load_dataset refuses its layout: .*'test'"):
        resolve_hub_dataset(repo_id, "main")
    push_files(repo_id, {"README.md": (in_first + extra).encode()})
    with pytest.raises(HubLayoutError, match=r"config 'extra': split 'train' matches no file"):
        resolve_hub_dataset(repo_id, "main", configs=["extra"])


def test_a_card_reading_files_of_another_repo_or_commit_is_refused():
    elsewhere = new_repo("elsewhere")
    push_files(elsewhere, {"train.csv": b"v\n1\n"})
    repo_id = new_repo("pointer")
    card = "---\nconfigs:\n- config_name: default\n  data_files: hf://datasets/{}/train.csv\n---\n"
    push_files(repo_id, {"README.md": card.format(elsewhere).encode(), "train.csv": b"v\n2\n"})
    with pytest.raises(HubLayoutError, match=rf"{repo_id} at main .*: load_dataset refuses it: Data files don.t"):
        resolve_hub_dataset(repo_id, "main")
    # Its own files on a moving branch: not pinned by the commit the layout stands for.
    push_files(repo_id, {"README.md": card.format(repo_id + "@main").encode()})
    with pytest.raises(HubLayoutError, match=rf"reads hf://datasets/{repo_id}@main/train.csv, outside the repo at"):
        resolve_hub_dataset(repo_id, "main")


def test_an_unknown_revision_is_the_hubs_error(pushed):
    with pytest.raises(RevisionNotFoundError):
        resolve_hub_dataset(pushed, "no-such-branch")
