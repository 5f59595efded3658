"""Tree listings come in pages, as on the Hub: 1000 entries, 50 with `expand`, each naming the next in a `Link`
header; huggingface_hub's list_repo_tree (and so HfFileSystem and `datasets`) follows them to the end."""

from __future__ import annotations

import json

from huggingface_hub import CommitOperationAdd, HfApi
from loopback_helpers import REPO_ID, WRITE_TOKEN, call

from loopback_hub import HubServer

AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}


def commit_files(api: HfApi, paths: list[str]) -> str:
    api.create_repo(REPO_ID, repo_type="dataset")
    operations = [CommitOperationAdd(path, path.encode()) for path in paths]
    return api.create_commit(REPO_ID, operations, commit_message="Add shards", repo_type="dataset").oid


def test_a_long_listing_is_paged_and_the_client_reads_every_page(api: HfApi, hub: HubServer) -> None:
    shards = [f"data/train-{index:05d}-of-01100.csv" for index in range(1100)]
    commit = commit_files(api, shards)
    status, headers, body = call("GET", f"{hub.url}/api/datasets/{REPO_ID}/tree/{commit}?recursive=true", None, AUTH)
    assert status == 200 and len(json.loads(body)) == 1000
    next_url = headers["Link"].removeprefix("<").split(">; ")[0]
    assert headers["Link"].endswith('rel="next"') and "recursive=true" in next_url
    status, headers, body = call("GET", next_url, None, AUTH)
    assert status == 200 and "Link" not in headers
    assert len(json.loads(body)) == len(shards) + 2 - 1000  # .gitattributes and the data folder too
    listed = [entry.path for entry in api.list_repo_tree(REPO_ID, repo_type="dataset", revision=commit,
                                                         recursive=True)]
    assert sorted(path for path in listed if path.startswith("data/train-")) == shards
    status, _, _ = call("GET", f"{hub.url}/api/datasets/{REPO_ID}/tree/{commit}?cursor=not-a-cursor", None, AUTH)
    assert status == 400


def test_an_expanded_listing_pages_by_fifty(api: HfApi, hub: HubServer) -> None:
    commit = commit_files(api, [f"data/part-{index:03d}.jsonl" for index in range(60)])
    status, headers, body = call("GET", f"{hub.url}/api/datasets/{REPO_ID}/tree/{commit}/data?expand=true",
                                 None, AUTH)
    assert status == 200 and len(json.loads(body)) == 50 and "Link" in headers
    listed = list(api.list_repo_tree(REPO_ID, "data", repo_type="dataset", revision=commit, expand=True))
    assert len(listed) == 60 and {entry.last_commit.oid for entry in listed} == {commit}
