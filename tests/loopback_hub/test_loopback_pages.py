"""A dataset's web URL opens in a browser: an HTML page with the card rendered, the files with sizes and the tags,
everything from the repo escaped, while the API routes under the same prefix keep answering the clients."""

from __future__ import annotations

import json

from huggingface_hub import CommitOperationAdd, HfApi
from loopback_helpers import READ_TOKEN, REPO_ID, call

from loopback_hub import HubServer

CARD = """---
license: cc-by-4.0
pretty_name: Demo <b>levels</b>
tags:
- climate
- <img src=x onerror=alert(1)>
---
# Demo levels

| file | sha256 |
|---|---|
| `data/train.parquet` | abc123 |

<script>alert("card")</script> [a link](javascript:alert(1))
"""


def publish(api: HfApi, repo_id: str = REPO_ID, private: bool = False) -> str:
    api.create_repo(repo_id, repo_type="dataset", private=private)
    commit = api.create_commit(repo_id, repo_type="dataset", commit_message="Publish", operations=[
        CommitOperationAdd("README.md", CARD.encode()),
        CommitOperationAdd("data/train.csv", b"id,level\n" + b"1,1.5\n" * 300),
    ])
    api.create_tag(repo_id, repo_type="dataset", tag="snap-1", revision=commit.oid)
    return commit.oid


def page(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    status, response_headers, body = call("GET", url, headers=headers)
    return status, response_headers, body.decode()


def test_dataset_url_and_tag_url_serve_the_card_files_and_tags_as_html(api: HfApi, hub: HubServer) -> None:
    oid = publish(api)
    for url in (f"{hub.url}/datasets/{REPO_ID}", f"{hub.url}/datasets/{REPO_ID}/tree/snap-1"):
        status, headers, html = page(url)
        assert status == 200, html
        assert headers["Content-Type"].startswith("text/html")
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no scripts run
        assert "<h1>Demo levels</h1>" in html and "<table>" in html  # markdown rendered, tables included
        assert f'<a href="/datasets/{REPO_ID}/resolve/' in html and "data/train.csv</a>" in html
        assert 'title="1809 bytes">1.8 kB</td>' in html
        assert '<span class="tag">climate</span>' in html and '<span class="tag">license:cc-by-4.0</span>' in html
        assert f'href="/datasets/{REPO_ID}/tree/snap-1">snap-1</a>' in html and oid in html
        assert "Demo &lt;b&gt;levels&lt;/b&gt;" in html


def test_nothing_from_the_card_runs_as_markup(api: HfApi, hub: HubServer) -> None:
    publish(api)
    _, _, html = page(f"{hub.url}/datasets/{REPO_ID}/tree/snap-1")
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_missing_repo_or_revision_and_private_repo_get_an_html_error_page(api: HfApi, hub: HubServer) -> None:
    publish(api, "steward/hidden", private=True)
    status, headers, html = page(f"{hub.url}/datasets/steward/absent")
    assert status == 401 and headers["Content-Type"].startswith("text/html") and "Repository not found" in html
    status, _, _ = page(f"{hub.url}/datasets/steward/hidden")
    assert status == 401  # an anonymous browser learns nothing about a private repo
    status, _, html = page(f"{hub.url}/datasets/steward/hidden", {"Authorization": f"Bearer {READ_TOKEN}"})
    assert status == 200 and "data/train.csv" in html
    status, _, html = page(f"{hub.url}/datasets/steward/hidden/tree/no-such-tag",
                           {"Authorization": f"Bearer {READ_TOKEN}"})
    assert status == 404 and "no-such-tag" in html


def test_api_routes_under_the_dataset_prefix_still_answer_the_clients(api: HfApi, hub: HubServer) -> None:
    oid = publish(api)
    status, headers, body = call("GET", f"{hub.url}/datasets/{REPO_ID}/resolve/snap-1/data/train.csv")
    assert status == 200 and headers["X-Repo-Commit"] == oid and body.startswith(b"id,level\n")
    status, _, body = call("GET", f"{hub.url}/api/datasets/{REPO_ID}/tree/snap-1")
    assert status == 200 and {item["path"] for item in json.loads(body)} == {".gitattributes", "README.md", "data"}
    assert api.list_repo_files(REPO_ID, repo_type="dataset", revision="snap-1") == [
        ".gitattributes", "README.md", "data/train.csv"]
