"""Ingest: every source kind lands content-addressed with where, when and what; bad sources fail clearly."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.server
import shutil
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from assets.catalog import CatalogEntry, CatalogError, Source, load_catalog
from assets.fetch import FetchError, KnownSource, RawStore, fetch
from assets.ingest import fetched_row
from assets.redaction import redact
from pipelines.local_services import Started, file_server, seed_upstream_repos


def entry(source: Source, fmt: str = "csv") -> CatalogEntry:
    return CatalogEntry(id="sample-set", title="Sample", description="", source=source, format=fmt)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "sample-set"
    folder.mkdir()
    (folder / "rows.csv").write_text("id,name\n1,a\n2,b\n")
    (folder / "LICENSE").write_text("CC0 1.0 Universal\n")
    return folder


def test_local_file_is_stored_by_sha256_with_its_license_file(data_dir, tmp_path):
    fetched = fetch(entry(Source(kind="file", path=str(data_dir / "rows.csv"))), RawStore(tmp_path / "raw"))
    content = (data_dir / "rows.csv").read_bytes()
    assert fetched.blob.sha256 == hashlib.sha256(content).hexdigest()
    assert Path(fetched.blob.path).read_bytes() == content
    assert Path(fetched.blob.path).name == fetched.blob.sha256
    assert set(fetched.evidence) == {"LICENSE"}
    assert fetched.last_modified


def test_a_file_written_while_it_is_stored_is_refused_and_nothing_is_kept(data_dir, tmp_path, monkeypatch):
    source = data_dir / "rows.csv"
    real_copy = shutil.copyfile

    def copy_then_append(src, dst):
        real_copy(src, dst)
        with open(src, "a") as stream:  # another process appends meanwhile
            stream.write("3,c\n")

    monkeypatch.setattr("assets.fetch.shutil.copyfile", copy_then_append)
    with pytest.raises(FetchError, match="changed while it was being read"):
        fetch(entry(Source(kind="file", path=str(source))), RawStore(tmp_path / "raw"))
    assert not [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]


def test_http_source_records_etag_and_evidence(data_dir, tmp_path):
    with file_server(data_dir.parent) as base:
        fetched = fetch(entry(Source(kind="http", url=f"{base}/sample-set/rows.csv", allow_private_network=True)),
                        RawStore(tmp_path / "raw"))
    assert fetched.blob.size_bytes == len((data_dir / "rows.csv").read_bytes())
    assert fetched.last_modified and "LICENSE" in fetched.evidence


def test_hub_source_is_read_at_a_pinned_commit(data_dir, tmp_path):
    api = HfApi()
    repo_id = f"upstream-{uuid.uuid4().hex[:8]}/sample-set"
    api.create_repo(repo_id, repo_type="dataset")
    first = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=data_dir, commit_message="v1")
    (data_dir / "rows.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=data_dir, commit_message="v2")
    pinned = Source(kind="hub", repo_id=repo_id, revision=first.oid, path="rows.csv")
    fetched = fetch(entry(pinned), RawStore(tmp_path / "raw"))
    assert fetched.upstream_revision == first.oid
    assert Path(fetched.blob.path).read_text() == "id,name\n1,a\n2,b\n"
    assert "LICENSE" in fetched.evidence


def test_checksum_mismatch_is_refused(data_dir, tmp_path):
    pinned = Source(kind="file", path=str(data_dir / "rows.csv"), sha256="0" * 64)
    with pytest.raises(FetchError, match="sample-set: checksum mismatch"):
        fetch(entry(pinned), RawStore(tmp_path / "raw"))


def test_a_new_pin_is_checked_against_an_unchanged_upstream_without_downloading(data_dir, tmp_path):
    source = Source(kind="file", path=str(data_dir / "rows.csv"))
    first = fetch(entry(source), RawStore(tmp_path / "raw"))
    known = KnownSource(retrieved_at=datetime.now(timezone.utc), size_bytes=first.blob.size_bytes,
                        raw_sha256=first.blob.sha256, last_modified=first.last_modified,
                        evidence_sha256={name: blob.sha256 for name, blob in first.evidence.items()})
    assert fetch(entry(dataclasses.replace(source, sha256=first.blob.sha256)), RawStore(tmp_path / "raw"),
                 known) is None
    with pytest.raises(FetchError, match="the unchanged upstream has " + first.blob.sha256):
        fetch(entry(dataclasses.replace(source, sha256="0" * 64)), RawStore(tmp_path / "raw"), known)


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FetchError, match="is empty"):
        fetch(entry(Source(kind="file", path=str(tmp_path / "empty.csv"))), RawStore(tmp_path / "raw"))


def test_missing_hub_repo_names_the_cause(tmp_path):
    source = Source(kind="hub", repo_id="nobody/no-such-set", path="rows.csv")
    with pytest.raises(FetchError, match="sample-set: Hub error 404"):
        fetch(entry(source), RawStore(tmp_path / "raw"))


@pytest.mark.parametrize("text, redacted", [
    ("https://user:secret@example.org:8443/a.csv?x=1", "https://example.org:8443/a.csv?x=1"),
    ("https://example.org/a.csv", "https://example.org/a.csv"),
    ("http://u:p@ss@example.org/a.csv", "http://example.org/a.csv"),
    ("https://example.org/a.csv?api_key=k1&page=2&access_token=t2",
     "https://example.org/a.csv?api_key=REDACTED&page=2&access_token=REDACTED"),
    ("https://b.example.org/a?X-Amz-Signature=abc&X-Amz-Credential=def&apikey=g&sig=h&Password=i&design=j",
     "https://b.example.org/a?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&apikey=REDACTED&sig=REDACTED"
     "&Password=REDACTED&design=j"),
    ("Max retries exceeded with url: /a.csv?clientSecret=xyz (Caused by NewConnectionError)",
     "Max retries exceeded with url: /a.csv?clientSecret=REDACTED (Caused by NewConnectionError)"),
])
def test_credentials_in_urls_are_redacted(text, redacted):
    assert redact(text) == redacted


class Recording(http.server.BaseHTTPRequestHandler):
    """Serves /rows.csv and records what each request asked for and with which credentials."""

    requests: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        type(self).requests.append((self.path, self.headers.get("Authorization")))
        body = b"id,name\n1,a\n" if self.path.startswith("/rows.csv") else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_url_with_credentials_is_requested_as_written_and_recorded_without_them(tmp_path):
    Recording.requests.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    url = f"http://ann:pw-1234@127.0.0.1:{port}/rows.csv?api_key=k-5678&page=2"
    source = Source(kind="http", url=url, allow_private_network=True)
    try:
        fetched = fetch(entry(source), RawStore(tmp_path / "raw"))
    finally:
        server.shutdown()
        server.server_close()
    assert Recording.requests[0] == ("/rows.csv?api_key=k-5678&page=2", "Basic " + base64.b64encode(
        b"ann:pw-1234").decode())
    assert fetched.uri == f"http://127.0.0.1:{port}/rows.csv?api_key=REDACTED&page=2"
    row = fetched_row(fetched, entry(source), "run-1", datetime.now(timezone.utc))
    assert row["source_key"] == row["source_uri"] == fetched.uri
    assert not [value for value in row.values() if "pw-1234" in str(value) or "k-5678" in str(value)]


def test_a_failed_request_names_the_url_without_its_credentials(tmp_path):
    source = Source(kind="http", url="http://ann:pw-1234@127.0.0.1:1/rows.csv?token=k-5678",
                    allow_private_network=True)
    with pytest.raises(FetchError, match="could not fetch http://127.0.0.1:1/rows.csv") as failed:
        fetch(entry(source), RawStore(tmp_path / "raw"))
    assert "pw-1234" not in str(failed.value) and "k-5678" not in str(failed.value)


def catalog_with_file_source(tmp_path: Path, **source) -> Path:
    """A catalog whose data root is its folder, with one file source data/rows.csv (and a LICENSE beside it)."""
    (tmp_path / "catalog" / "data").mkdir(parents=True)
    (tmp_path / "catalog" / "data" / "rows.csv").write_text("id,name\n1,a\n")
    (tmp_path / "catalog" / "data" / "LICENSE").write_text("CC0 1.0 Universal\n")
    (tmp_path / "outside.txt").write_text("root:x:0:0:outside the data root\n")
    path = tmp_path / "catalog" / "catalog.yaml"
    path.write_text(yaml.safe_dump({"datasets": [{"id": "sample-set", "title": "Sample", "format": "csv", "source": {
        "kind": "file", "path": "data/rows.csv", **source}}]}))
    return path


def stored_texts(root: Path) -> list[str]:
    return [path.read_text(errors="replace") for path in root.rglob("*") if path.is_file()]


@pytest.mark.parametrize("name, target", [("LICENSE", "outside"), ("NOTICE", "outside"), ("README.md", "/etc/passwd"),
                                          ("README.md", "inside")])
def test_an_evidence_file_that_is_a_symbolic_link_is_not_followed(tmp_path, name, target):
    catalog = load_catalog(catalog_with_file_source(tmp_path))
    data = tmp_path / "catalog" / "data"
    (data / name).unlink(missing_ok=True)
    (data / "other.txt").write_text("inside the data root\n")
    pointed = {"outside": tmp_path / "outside.txt", "inside": data / "other.txt"}.get(target, Path(target))
    (data / name).symlink_to(pointed)
    with pytest.raises(FetchError, match=f"sample-set: {name} beside the data is a symbolic link; evidence files "
                                         "are read only as regular files, never followed"):
        fetch(catalog.get("sample-set"), RawStore(tmp_path / "raw"))
    assert not any("root:" in text for text in stored_texts(tmp_path / "raw"))


def test_a_data_file_replaced_by_a_link_out_of_the_data_root_is_refused(tmp_path):
    catalog = load_catalog(catalog_with_file_source(tmp_path))
    rows = tmp_path / "catalog" / "data" / "rows.csv"
    rows.unlink()
    rows.symlink_to(tmp_path / "outside.txt")  # after the catalog was loaded (and its paths resolved)
    with pytest.raises(FetchError, match="sample-set: .*rows.csv resolves outside the catalog's data root"):
        fetch(catalog.get("sample-set"), RawStore(tmp_path / "raw"))
    assert not any("root:" in text for text in stored_texts(tmp_path / "raw"))


def test_a_hub_seed_outside_the_data_root_is_refused(tmp_path):
    path = catalog_with_file_source(tmp_path)
    (tmp_path / "seed").mkdir()
    (tmp_path / "catalog" / "data" / "seed").symlink_to(tmp_path / "seed")
    document = yaml.safe_load(path.read_text())
    document["datasets"][0]["source"] = {"kind": "hub", "repo_id": "upstream/sample", "path": "rows.csv",
                                         "seed": "data/seed"}
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(CatalogError, match="source.seed 'data/seed' lies outside the catalog's data root"):
        load_catalog(path).get("sample-set")


def test_a_hub_seed_holding_a_symbolic_link_is_not_uploaded(tmp_path):
    path = catalog_with_file_source(tmp_path)
    seed = tmp_path / "catalog" / "data" / "seed"
    seed.mkdir()
    (seed / "rows.csv").write_text("id\n1\n")
    (seed / "README.md").symlink_to(tmp_path / "outside.txt")
    repo_id = f"upstream-{uuid.uuid4().hex[:8]}/seeded"
    document = yaml.safe_load(path.read_text())
    document["datasets"][0]["source"] = {"kind": "hub", "repo_id": repo_id, "path": "rows.csv", "seed": "data/seed"}
    path.write_text(yaml.safe_dump(document))
    started = Started()
    seed_upstream_repos(load_catalog(path), started)
    assert started.seed_failures == {"sample-set": (
        f"sample-set: not seeding upstream Hub dataset {repo_id}: seed/ holds symbolic links ['README.md'], which "
        "are never followed")}
    with pytest.raises(RepositoryNotFoundError):
        HfApi().dataset_info(repo_id)
