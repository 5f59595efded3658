"""HfApi.super_squash_history against the loopback Hub: the branch becomes one commit holding its current tree, and
commits no ref reaches any more (with the blobs only they held) are gone, as a takedown needs."""

from __future__ import annotations

import hashlib

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import BadRequestError, RevisionNotFoundError
from loopback_helpers import README, REPO_ID, ROWS, parquet_bytes

from loopback_hub.blobs import BlobStore

pytestmark = pytest.mark.usefixtures("lfs_client")

TAKEN = parquet_bytes(ROWS)
KEPT = parquet_bytes({name: values[:1] for name, values in ROWS.items()})


def two_snapshots(api: HfApi) -> tuple[str, str]:
    """v1 holds TAKEN, then main replaces it with KEPT (v2); returns both commits' oids."""
    api.create_repo(REPO_ID, repo_type="dataset")
    first = api.create_commit(REPO_ID, repo_type="dataset", commit_message="v1", operations=[
        CommitOperationAdd("README.md", README.encode()), CommitOperationAdd("data/train.parquet", TAKEN)])
    api.create_tag(REPO_ID, repo_type="dataset", tag="v1", revision=first.oid)
    second = api.create_commit(REPO_ID, repo_type="dataset", commit_message="v2", operations=[
        CommitOperationDelete("data/train.parquet"), CommitOperationAdd("data/kept.parquet", KEPT)])
    api.create_tag(REPO_ID, repo_type="dataset", tag="v2", revision=second.oid)
    return first.oid, second.oid


def test_squash_leaves_one_commit_with_the_current_tree_and_old_commits_unreachable(api: HfApi, tmp_path):
    first, second = two_snapshots(api)
    files_before = set(api.list_repo_files(REPO_ID, repo_type="dataset"))
    api.delete_tag(REPO_ID, repo_type="dataset", tag="v1")
    api.delete_tag(REPO_ID, repo_type="dataset", tag="v2")
    api.super_squash_history(REPO_ID, repo_type="dataset", commit_message="Takedown r-1")

    (commit,) = api.list_repo_commits(REPO_ID, repo_type="dataset")
    assert commit.title == "Takedown r-1"
    assert set(api.list_repo_files(REPO_ID, repo_type="dataset")) == files_before
    refs = api.list_repo_refs(REPO_ID, repo_type="dataset")
    assert refs.tags == [] and refs.branches[0].target_commit == commit.commit_id
    for oid in (first, second):
        with pytest.raises(RevisionNotFoundError):
            api.hf_hub_download(REPO_ID, "README.md", repo_type="dataset", revision=oid, cache_dir=tmp_path)
    # The bytes only the dropped commits held are gone from the Hub's store; the current ones stay.

    blobs = BlobStore(tmp_path / "hub" / "blobs")  # the hub fixture's store
    assert not blobs.has(hashlib.sha256(TAKEN).hexdigest())
    assert blobs.has(hashlib.sha256(KEPT).hexdigest())


def test_a_tag_keeps_its_commits_after_a_squash(api: HfApi, tmp_path):
    first, _ = two_snapshots(api)
    api.super_squash_history(REPO_ID, repo_type="dataset")
    (commit,) = api.list_repo_commits(REPO_ID, repo_type="dataset")
    assert commit.title == "Super-squash branch 'main' using huggingface_hub"
    data = api.hf_hub_download(REPO_ID, "data/train.parquet", repo_type="dataset", revision="v1", cache_dir=tmp_path)
    assert open(data, "rb").read() == TAKEN
    assert api.list_repo_commits(REPO_ID, repo_type="dataset", revision=first)[0].commit_id == first


def test_squash_of_a_tag_or_an_unknown_branch_is_refused(api: HfApi):
    two_snapshots(api)
    with pytest.raises(BadRequestError):
        api.super_squash_history(REPO_ID, repo_type="dataset", branch="v1")
    with pytest.raises(RevisionNotFoundError):
        api.super_squash_history(REPO_ID, repo_type="dataset", branch="nope")
