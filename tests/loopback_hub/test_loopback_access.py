"""Tokens, private repos, and the Hub-shaped errors the client maps to its exceptions."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import (
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from loopback_helpers import READ_TOKEN, REPO_ID, WRITE_TOKEN

from loopback_hub import HubServer

pytestmark = pytest.mark.usefixtures("lfs_client")


def _commit_text(api: HfApi, repo_id: str = REPO_ID) -> None:
    api.create_commit(
        repo_id,
        repo_type="dataset",
        commit_message="Add notes",
        operations=[CommitOperationAdd("notes.txt", b"hello\n")],
    )


def test_write_without_token_is_401(api: HfApi, hub: HubServer) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    anonymous = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(HfHubHTTPError) as raised:
        anonymous.create_repo("steward/other", repo_type="dataset")
    assert raised.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as raised:
        anonymous.create_tag(REPO_ID, repo_type="dataset", tag="v0")
    assert raised.value.response.status_code == 401
    assert anonymous.list_repo_refs(REPO_ID, repo_type="dataset").tags == []


def test_unknown_token_is_401_even_for_reads(api: HfApi, hub: HubServer) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=hub.url, token="hf_notAKnownToken").dataset_info(REPO_ID)
    assert raised.value.response.status_code == 401
    assert raised.value.response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"


def test_read_token_reads_but_cannot_write(api: HfApi, hub: HubServer) -> None:
    api.create_repo(REPO_ID, repo_type="dataset", private=True)
    reader = HfApi(endpoint=hub.url, token=READ_TOKEN)
    assert reader.dataset_info(REPO_ID).private is True
    for write in (
        lambda: _commit_text(reader),
        lambda: reader.create_repo("steward/other", repo_type="dataset"),
        lambda: reader.create_tag(REPO_ID, repo_type="dataset", tag="v0"),
        lambda: reader.delete_repo(REPO_ID, repo_type="dataset"),
    ):
        with pytest.raises(HfHubHTTPError) as raised:
            write()
        assert raised.value.response.status_code == 403


def test_private_repo_is_hidden_from_anonymous_callers(api: HfApi, hub: HubServer, tmp_path: Path) -> None:
    api.create_repo(REPO_ID, repo_type="dataset", private=True)
    _commit_text(api)
    with pytest.raises(RepositoryNotFoundError) as raised:
        HfApi(endpoint=hub.url, token=False).dataset_info(REPO_ID)
    assert raised.value.response.status_code == 401
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(
            REPO_ID, "notes.txt", repo_type="dataset", endpoint=hub.url, token=False, cache_dir=tmp_path / "anon"
        )
    path = hf_hub_download(
        REPO_ID, "notes.txt", repo_type="dataset", endpoint=hub.url, token=READ_TOKEN, cache_dir=tmp_path / "reader"
    )
    assert Path(path).read_bytes() == b"hello\n"


def test_missing_things_raise_the_matching_client_errors(api: HfApi, hub: HubServer, tmp_path: Path) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError) as raised:
        api.dataset_info("steward/absent")
    assert raised.value.response.status_code == 404
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(REPO_ID, revision="no-such-tag")
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_files(REPO_ID, repo_type="dataset", revision="refs/convert/parquet")
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(
            REPO_ID, "absent.csv", repo_type="dataset", endpoint=hub.url, token=WRITE_TOKEN, cache_dir=tmp_path / "c"
        )
    with pytest.raises(RemoteEntryNotFoundError):
        api.create_commit(
            REPO_ID,
            repo_type="dataset",
            commit_message="Delete nothing",
            operations=[CommitOperationDelete("absent.csv")],
        )


def test_create_repo_conflicts_unless_exist_ok(api: HfApi) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as raised:
        api.create_repo(REPO_ID, repo_type="dataset")
    assert raised.value.response.status_code == 409
    assert api.create_repo(REPO_ID, repo_type="dataset", exist_ok=True).repo_id == REPO_ID
    api.delete_repo(REPO_ID, repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info(REPO_ID)


def test_stale_parent_commit_is_refused(api: HfApi) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    initial = api.dataset_info(REPO_ID).sha
    _commit_text(api)
    with pytest.raises(HfHubHTTPError) as raised:
        api.create_commit(
            REPO_ID,
            repo_type="dataset",
            commit_message="Late",
            parent_commit=initial,
            operations=[CommitOperationAdd("late.txt", b"late\n")],
        )
    assert raised.value.response.status_code == 412


def test_whoami_names_the_steward_and_role(api: HfApi, hub: HubServer) -> None:
    assert api.whoami()["name"] == "steward"
    assert HfApi(endpoint=hub.url, token=READ_TOKEN).whoami()["auth"]["accessToken"]["role"] == "read"


def test_token_never_reaches_stored_files_or_logs(
    api: HfApi, hub: HubServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="loopback_hub")
    api.create_repo(REPO_ID, repo_type="dataset")
    _commit_text(api)
    api.create_tag(REPO_ID, repo_type="dataset", tag="v1")
    api.whoami()
    with pytest.raises(HfHubHTTPError):
        HfApi(endpoint=hub.url, token=READ_TOKEN).create_tag(REPO_ID, repo_type="dataset", tag="v2")
    captured = capfd.readouterr()
    assert caplog.records, "the request log was expected to record something"
    logged = caplog.text + captured.out + captured.err
    stored = b"".join(path.read_bytes() for path in (tmp_path / "hub").rglob("*") if path.is_file())
    for token in (WRITE_TOKEN, READ_TOKEN):
        assert token not in logged
        assert token.encode() not in stored
