"""The wire protocol below the clients: LFS uploads, byte ranges, id validation, extra routes, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from loopback_helpers import PROJECT_ROOT, REPO_ID, WRITE_TOKEN, call

from loopback_hub import HubServer


def lfs_upload_href(hub: HubServer, content: bytes) -> str:
    batch = {
        "operation": "upload",
        "transfers": ["basic"],
        "objects": [{"oid": hashlib.sha256(content).hexdigest(), "size": len(content)}],
    }
    status, _, body = call(
        "POST",
        f"{hub.url}/datasets/{REPO_ID}.git/info/lfs/objects/batch",
        json.dumps(batch).encode(),
        {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"},
    )
    assert status == 200
    return json.loads(body)["objects"][0]["actions"]["upload"]["href"]


def test_lfs_upload_refuses_bytes_that_do_not_match(api: HfApi, hub: HubServer) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    content = b"PAR1" + bytes(range(256)) + b"PAR1"
    href = lfs_upload_href(hub, content)
    status, _, body = call("PUT", href, content[:-1] + b"X")
    assert status == 400 and b"does not match" in body
    status, _, _ = call("PUT", href, content + b"extra")
    assert status == 400
    commit = "\n".join(
        json.dumps(line)
        for line in (
            {"key": "header", "value": {"summary": "Add data"}},
            {
                "key": "lfsFile",
                "value": {
                    "path": "d.parquet",
                    "algo": "sha256",
                    "oid": hashlib.sha256(content).hexdigest(),
                    "size": len(content),
                },
            },
        )
    ).encode()
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/x-ndjson"}
    status, _, body = call("POST", f"{hub.url}/api/datasets/{REPO_ID}/commit/main", commit, headers)
    assert status == 400 and b"was not uploaded" in body
    assert call("PUT", href, content)[0] == 200
    assert call("POST", f"{hub.url}/api/datasets/{REPO_ID}/commit/main", commit, headers)[0] == 200


def test_resolve_serves_byte_ranges_and_hub_headers(api: HfApi, hub: HubServer, lfs_client: None) -> None:
    api.create_repo(REPO_ID, repo_type="dataset")
    content = bytes(range(256)) * 4
    oid = api.create_commit(
        REPO_ID,
        repo_type="dataset",
        commit_message="Add blob",
        operations=[CommitOperationAdd("blob.bin", content)],
    ).oid
    url = f"{hub.url}/datasets/{REPO_ID}/resolve/main/blob.bin"
    status, headers, body = call("GET", url, headers={"Range": "bytes=10-19"})
    assert status == 206 and body == content[10:20]
    assert headers["Content-Range"] == f"bytes 10-19/{len(content)}"
    status, headers, body = call("HEAD", url)
    assert status == 200 and body == b""
    assert headers["X-Repo-Commit"] == oid
    assert headers["X-Linked-Size"] == str(len(content))
    assert headers["X-Linked-Etag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    assert headers["Content-Length"] == str(len(content))
    assert call("GET", url, headers={"Range": f"bytes={len(content)}-"})[0] == 416


@pytest.mark.parametrize("repo_id", ["steward/..", "steward/has space", "a/b/c", "steward/-dash", "steward/x--y"])
def test_invalid_repo_ids_are_400(hub: HubServer, repo_id: str) -> None:
    namespace, _, name = repo_id.partition("/")
    body = json.dumps({"name": name, "organization": namespace, "type": "dataset"}).encode()
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}
    status, _, response = call("POST", f"{hub.url}/api/repos/create", body, headers)
    assert status == 400, response
    assert "error" in json.loads(response)


def test_unknown_routes_get_hub_shaped_404(hub: HubServer) -> None:
    status, _, body = call("GET", f"{hub.url}/api/spaces/steward/app")
    assert status == 404 and "error" in json.loads(body)
    status, _, body = call("GET", f"{hub.url}/api/agent-harnesses")
    assert status == 200 and json.loads(body) == {"standardEnvVars": [], "harnesses": {}}


def test_cli_serves_until_interrupted_without_printing_the_token(tmp_path: Path) -> None:
    env = {**os.environ, "HF_TOKEN": WRITE_TOKEN, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "loopback_hub", "serve", "--data-dir", str(tmp_path / "cli"), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        first_line = process.stdout.readline()
        url = first_line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        api = HfApi(endpoint=url, token=WRITE_TOKEN)
        api.create_repo(REPO_ID, repo_type="dataset")
        assert api.whoami()["name"] == "steward"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert WRITE_TOKEN not in first_line + out + err
    assert err == ""  # quiet: no per-request lines
    assert (tmp_path / "cli" / "repos" / "datasets" / "steward" / "demo" / "repo.json").is_file()
