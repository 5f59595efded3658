"""The real huggingface_hub and datasets clients through a whole publish → pin → download cycle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download, snapshot_download
from loopback_helpers import README, REPO_ID, ROWS, WRITE_TOKEN, parquet_bytes, run_client

from loopback_hub import HubServer

pytestmark = pytest.mark.usefixtures("lfs_client")

PARQUET = parquet_bytes(ROWS)
META = b'{"source": "loopback", "rows": 3}\n'


def publish_demo(api: HfApi) -> str:
    """Create the demo repo with one data commit tagged v1; returns that commit's oid."""
    api.create_repo(REPO_ID, repo_type="dataset")
    commit = api.create_commit(
        REPO_ID,
        repo_type="dataset",
        commit_message="Add demo snapshot",
        operations=[
            CommitOperationAdd("README.md", README.encode()),
            CommitOperationAdd("data/train.parquet", PARQUET),
            CommitOperationAdd("meta.json", META),
        ],
    )
    api.create_tag(REPO_ID, repo_type="dataset", tag="v1", revision=commit.oid)
    return commit.oid


def test_commit_stores_parquet_as_lfs_and_json_as_regular(api: HfApi) -> None:
    oid = publish_demo(api)
    info = api.dataset_info(REPO_ID, revision="v1", files_metadata=True)
    assert info.sha == oid
    siblings = {sibling.rfilename: sibling for sibling in info.siblings}
    assert set(siblings) == {".gitattributes", "README.md", "data/train.parquet", "meta.json"}
    assert siblings["data/train.parquet"].lfs is not None
    assert siblings["data/train.parquet"].lfs.size == len(PARQUET)
    assert siblings["meta.json"].lfs is None
    assert siblings["meta.json"].size == len(META)
    assert info.card_data["license"] == "cc-by-4.0"
    assert "license:cc-by-4.0" in info.tags
    assert info.private is False
    assert info.last_modified is not None


def test_tag_pins_the_commit_in_refs(api: HfApi) -> None:
    oid = publish_demo(api)
    refs = api.list_repo_refs(REPO_ID, repo_type="dataset")
    assert [(tag.name, tag.ref, tag.target_commit) for tag in refs.tags] == [("v1", "refs/tags/v1", oid)]
    assert [(branch.name, branch.target_commit) for branch in refs.branches] == [("main", oid)]


def test_downloads_at_the_tag_are_byte_identical(api: HfApi, hub: HubServer, tmp_path: Path) -> None:
    oid = publish_demo(api)
    for filename, content in (("data/train.parquet", PARQUET), ("meta.json", META), ("README.md", README.encode())):
        path = hf_hub_download(
            REPO_ID,
            filename,
            repo_type="dataset",
            revision="v1",
            endpoint=hub.url,
            token=WRITE_TOKEN,
            cache_dir=tmp_path / "cache",
        )
        assert Path(path).read_bytes() == content, filename
    snapshot = Path(
        snapshot_download(
            REPO_ID,
            repo_type="dataset",
            revision="v1",
            endpoint=hub.url,
            token=WRITE_TOKEN,
            cache_dir=tmp_path / "snapshot-cache",
        )
    )
    assert snapshot.name == oid
    assert (snapshot / "data" / "train.parquet").read_bytes() == PARQUET
    assert (snapshot / "meta.json").read_bytes() == META


def test_deleting_a_file_leaves_the_old_tag_intact(api: HfApi, hub: HubServer, tmp_path: Path) -> None:
    first = publish_demo(api)
    second = api.create_commit(
        REPO_ID,
        repo_type="dataset",
        commit_message="Drop meta.json",
        operations=[CommitOperationDelete("meta.json")],
        parent_commit=first,
    )
    assert second.oid != first
    assert "meta.json" not in api.list_repo_files(REPO_ID, repo_type="dataset")
    assert "meta.json" in api.list_repo_files(REPO_ID, repo_type="dataset", revision="v1")
    old = hf_hub_download(
        REPO_ID,
        "meta.json",
        repo_type="dataset",
        revision="v1",
        endpoint=hub.url,
        token=WRITE_TOKEN,
        cache_dir=tmp_path / "cache",
    )
    assert Path(old).read_bytes() == META
    commits = api.list_repo_commits(REPO_ID, repo_type="dataset")
    assert [commit.commit_id for commit in commits[:2]] == [second.oid, first]
    assert [commit.title for commit in commits] == ["Drop meta.json", "Add demo snapshot", "initial commit"]


def test_tree_and_paths_info(api: HfApi) -> None:
    publish_demo(api)
    tree = {item.path: item for item in api.list_repo_tree(REPO_ID, repo_type="dataset", recursive=True)}
    assert set(tree) == {".gitattributes", "README.md", "data", "data/train.parquet", "meta.json"}
    assert not hasattr(tree["data"], "size")  # a RepoFolder
    top = [item.path for item in api.list_repo_tree(REPO_ID, repo_type="dataset")]
    assert "data/train.parquet" not in top and "data" in top
    nested = [item.path for item in api.list_repo_tree(REPO_ID, path_in_repo="data", repo_type="dataset")]
    assert nested == ["data/train.parquet"]
    infos = api.get_paths_info(REPO_ID, ["meta.json", "data", "missing.txt"], repo_type="dataset", expand=True)
    assert [info.path for info in infos] == ["meta.json", "data"]
    assert infos[0].last_commit.title == "Add demo snapshot"


def test_commits_are_deterministic_across_fresh_servers(tmp_path: Path) -> None:
    def replay(data_dir: Path) -> list[str]:
        with HubServer(data_dir, tokens={WRITE_TOKEN: "write"}) as hub:
            api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
            first = publish_demo(api)
            second = api.create_commit(
                REPO_ID,
                repo_type="dataset",
                commit_message="Drop meta.json",
                operations=[CommitOperationDelete("meta.json")],
            )
            initial = api.list_repo_commits(REPO_ID, repo_type="dataset")[-1].commit_id
            return [initial, first, second.oid]

    oids = replay(tmp_path / "one")
    assert oids == replay(tmp_path / "two")
    assert len(set(oids)) == 3 and all(len(oid) == 40 for oid in oids)


def test_repos_survive_a_restart(tmp_path: Path) -> None:
    with HubServer(tmp_path / "hub", tokens={WRITE_TOKEN: "write"}) as hub:
        oid = publish_demo(HfApi(endpoint=hub.url, token=WRITE_TOKEN))
    with HubServer(tmp_path / "hub", tokens={WRITE_TOKEN: "write"}) as hub:
        api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
        assert api.dataset_info(REPO_ID, revision="v1").sha == oid
        path = hf_hub_download(
            REPO_ID,
            "data/train.parquet",
            repo_type="dataset",
            revision=oid,
            endpoint=hub.url,
            token=WRITE_TOKEN,
            cache_dir=tmp_path / "cache",
        )
        assert Path(path).read_bytes() == PARQUET


LOAD_DATASET = """
import json
import datasets
dataset = datasets.load_dataset("steward/demo", revision="v1", split="train")
print(json.dumps(dataset.to_dict()))
"""


def test_load_dataset_reads_the_tagged_rows(api: HfApi, hub: HubServer, tmp_path: Path) -> None:
    publish_demo(api)
    assert run_client(LOAD_DATASET, hub, tmp_path / "home", disable_xet=True) == ROWS


DEFAULT_SETTINGS_PUBLISH = """
import json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"])
from huggingface_hub import HfApi, CommitOperationAdd
from huggingface_hub.utils._runtime import is_xet_available
from loopback_helpers import README, REPO_ID, ROWS, parquet_bytes
assert is_xet_available()  # the default: hf_xet installed and Xet not disabled
api = HfApi()
api.create_repo(REPO_ID, repo_type="dataset")
commit = api.create_commit(REPO_ID, repo_type="dataset", commit_message="Add demo snapshot", operations=[
    CommitOperationAdd("README.md", README.encode()),
    CommitOperationAdd("data/train.parquet", parquet_bytes(ROWS)),
    CommitOperationAdd("meta.json", b'{"source": "loopback", "rows": 3}\\n'),
    CommitOperationAdd("mixed.bin", open(os.environ["MIXED_FILE"], "rb").read()),
])
print(json.dumps({"oid": commit.oid}))
"""


def test_default_client_settings_upload_through_xet(hub: HubServer, tmp_path: Path) -> None:
    # Several Xet chunks, some compressible (LZ4 / byte grouping) and some not (stored raw).
    mixed = b"".join(os.urandom(70_000) + b"governance %d\n" % index * 5_000 for index in range(6))
    (tmp_path / "mixed.bin").write_bytes(mixed)
    extra_env = {"TESTS_DIR": str(Path(__file__).parent), "MIXED_FILE": str(tmp_path / "mixed.bin")}
    outcome = run_client(DEFAULT_SETTINGS_PUBLISH, hub, tmp_path / "home", disable_xet=False, extra_env=extra_env)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    info = api.dataset_info(REPO_ID, files_metadata=True)
    assert info.sha == outcome["oid"]
    lfs_files = {sibling.rfilename for sibling in info.siblings if sibling.lfs is not None}
    assert lfs_files == {"data/train.parquet", "mixed.bin"}
    for filename, content in (("data/train.parquet", PARQUET), ("mixed.bin", mixed), ("meta.json", META)):
        path = hf_hub_download(
            REPO_ID, filename, repo_type="dataset", endpoint=hub.url, token=WRITE_TOKEN, cache_dir=tmp_path / "c"
        )
        assert Path(path).read_bytes() == content, filename
