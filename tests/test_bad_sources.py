"""Bad input at ingest and conversion: each case gives a clear error naming the dataset and the cause."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi

from assets.catalog import CatalogEntry, Source
from assets.convert import ConversionError, to_parquet
from assets.fetch import FetchError, RawStore, fetch
from assets.guards import SourceRefused, check_url


def entry(source: Source, fmt: str = "csv") -> CatalogEntry:
    return CatalogEntry(id="bad-set", title="Bad", description="", source=source, format=fmt)


def local(path: Path, **fields) -> CatalogEntry:
    return entry(Source(kind="file", path=str(path), **fields))


SIGN_IN = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>...</form></body></html>\n"
SERVED = {  # path -> (Content-Type, body)
    "/signin.csv": ("text/html; charset=utf-8", SIGN_IN),
    "/signin.json": ("application/xhtml+xml", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>'),
    "/labelled-text.csv": ("text/plain", b"\xef\xbb\xbf \n<!-- login -->\n<HTML lang='en'><body>Sign in</body></HTML>"),
    "/loose.csv": ("text/plain; charset=utf-8", b"id,name\n1,<html> is a tag\n"),
    "/loose.json": ("application/octet-stream", b'[{"id": 1, "page": "<html>"}]'),
}


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers by path: /status/N, /slow, /loop, /lies (sends more than it declares), and SERVED."""

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.path.startswith("/status/"):
            self.send_response(int(self.path.rsplit("/", 1)[1]))
            self.end_headers()
        elif self.path == "/slow":
            time.sleep(2)
            self.send_response(200)
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path in SERVED:
            content_type, body = SERVED[self.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big.csv":
            body = b"id\n" + b"1\n" * 50_000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def misbehaving_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch_url(url: str, tmp_path: Path, **fields):
    return fetch(entry(Source(kind="http", url=url, allow_private_network=True, **fields)), RawStore(tmp_path / "raw"))


@pytest.mark.parametrize("path, message", [
    ("/status/404", "bad-set: HTTP 404"),
    ("/status/500", "bad-set: HTTP 500"),
    ("/status/403", "bad-set: HTTP 403"),
    ("/loop", "bad-set: more than 5 redirects"),
])
def test_http_errors_name_the_dataset_and_status(tmp_path, path, message):
    with misbehaving_server() as base, pytest.raises(FetchError, match=message):
        fetch_url(base + path, tmp_path)


def test_http_timeout_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr("assets.fetch.HTTP_TIMEOUT_S", 0.5)
    with misbehaving_server() as base, pytest.raises(FetchError, match="bad-set: could not fetch .*Timeout"):
        fetch_url(base + "/slow", tmp_path)


def test_download_past_the_size_limit_is_refused_and_leaves_no_blob(tmp_path):
    with misbehaving_server() as base, pytest.raises(FetchError, match="exceeds the size limit of 1,000 bytes"):
        fetch_url(base + "/big.csv", tmp_path, max_bytes=1000)
    assert not [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/x.csv", "http://169.254.169.254/latest/meta-data",
                                 "http://10.1.2.3/x.csv", "http://[::1]/x.csv"])
def test_private_network_urls_are_refused_without_opt_in(url, tmp_path):
    with pytest.raises(FetchError, match="private, loopback or link-local"):
        fetch(entry(Source(kind="http", url=url)), RawStore(tmp_path / "raw"))


@pytest.mark.parametrize("path, fmt, message", [
    ("/signin.csv", "csv", r"/signin.csv answered with an HTML page \(Content-Type: text/html\) where csv data"),
    ("/signin.json", "json", r"/signin.json answered with an HTML page \(Content-Type: application/xhtml\+xml\)"),
    ("/labelled-text.csv", "csv", r"/labelled-text.csv is an HTML page, not csv data"),
])
def test_an_html_page_where_data_was_declared_is_refused(tmp_path, path, fmt, message):
    with misbehaving_server() as base, pytest.raises(FetchError, match=f"bad-set: http://127.0.0.1:[0-9]+{message}"):
        fetch(entry(Source(kind="http", url=base + path, allow_private_network=True), fmt), RawStore(tmp_path / "raw"))


@pytest.mark.parametrize("path, fmt", [("/loose.csv", "csv"), ("/loose.json", "json")])
def test_data_labelled_loosely_is_fetched(tmp_path, path, fmt):
    with misbehaving_server() as base:
        fetched = fetch(entry(Source(kind="http", url=base + path, allow_private_network=True), fmt),
                        RawStore(tmp_path / "raw"))
    assert Path(fetched.blob.path).read_bytes() == SERVED[path][1]


def test_a_local_file_holding_an_html_page_is_refused(tmp_path):
    (tmp_path / "rows.csv").write_bytes(SIGN_IN)
    with pytest.raises(FetchError, match=f"bad-set: {tmp_path / 'rows.csv'} is an HTML page, not csv data"):
        fetch(local(tmp_path / "rows.csv"), RawStore(tmp_path / "raw"))


def test_non_http_schemes_are_refused():
    with pytest.raises(SourceRefused, match="only http and https"):
        check_url("file:///etc/passwd", allow_private_network=True)


def test_gzip_source_is_stored_decompressed(tmp_path):
    (tmp_path / "rows.csv.gz").write_bytes(gzip.compress(b"id,name\n1,a\n"))
    fetched = fetch(local(tmp_path / "rows.csv.gz", compression="gzip"), RawStore(tmp_path / "raw"))
    assert Path(fetched.blob.path).read_bytes() == b"id,name\n1,a\n"


def test_every_member_of_a_multi_member_gzip_is_stored(tmp_path):
    members = gzip.compress(b"id,name\n1,a\n") + gzip.compress(b"2,b\n") + b"\0" * 512  # cat a.gz b.gz, padded
    (tmp_path / "rows.csv.gz").write_bytes(members)
    fetched = fetch(local(tmp_path / "rows.csv.gz", compression="gzip"), RawStore(tmp_path / "raw"))
    assert Path(fetched.blob.path).read_bytes() == b"id,name\n1,a\n2,b\n"


@pytest.mark.parametrize("content, message", [
    (b"\x1f\x8b\x08\x00garbage-not-deflate", "does not decompress"),
    (gzip.compress(b"id\n" + b"1\n" * 100_000)[:-12], "truncated"),
    (gzip.compress(b"id\n1\n") + gzip.compress(b"2\n" * 100_000)[:-12], "truncated"),  # in the second member
    (gzip.compress(b"\0" * 20_000_000), "decompressed data exceeds the size limit"),
])
def test_bad_gzip_is_refused(tmp_path, content, message):
    (tmp_path / "rows.csv.gz").write_bytes(content)
    with pytest.raises(FetchError, match=f"bad-set: .*{message}"):
        fetch(local(tmp_path / "rows.csv.gz", compression="gzip", max_bytes=1_000_000), RawStore(tmp_path / "raw"))


@pytest.mark.parametrize("status, code", [(401, "401"), (403, "403"), (429, "429"), (500, "500"), (503, "503")])
def test_hub_errors_while_ingesting_name_the_status(hub_server, tmp_path, status, code):
    repo_id = f"upstream-{uuid.uuid4().hex[:8]}/faulty"
    HfApi().create_repo(repo_id, repo_type="dataset")
    hub_server.inject_fault("GET", rf"/api/datasets/{repo_id}", status, times=20)
    source = Source(kind="hub", repo_id=repo_id, path="rows.csv")
    with pytest.raises(FetchError, match=f"bad-set: Hub error {code}"):
        fetch(entry(source), RawStore(tmp_path / "raw"))


def test_missing_revision_is_reported(tmp_path):
    repo_id = f"upstream-{uuid.uuid4().hex[:8]}/pinned"
    HfApi().create_repo(repo_id, repo_type="dataset")
    source = Source(kind="hub", repo_id=repo_id, revision="0" * 40, path="rows.csv")
    with pytest.raises(FetchError, match="bad-set: Hub error 404"):
        fetch(entry(source), RawStore(tmp_path / "raw"))


def convert(tmp_path: Path, content: bytes, fmt: str = "csv"):
    raw = tmp_path / f"raw.{fmt}"
    raw.write_bytes(content)
    return to_parquet(raw, fmt, tmp_path / "out.parquet")


@pytest.mark.parametrize("content, fmt", [
    (b"id,name\n1,a\n2,b,extra,more\n3\n", "csv"),
    (b'id,name\n1,"unterminated\n2,b\n', "csv"),
    (b"id,name\n1,caf\xe9\n", "csv"),
    (b"id,name\n1,caf\xc3\xa9\n2,caf\xe9\n", "csv"),
    (b'{"id": 1}\n{"id": \n', "jsonl"),
    (b'[{"id": 1}, {"id": ', "json"),
    (b"PAR1 this is not parquet", "parquet"),
])
def test_malformed_files_fail_conversion_clearly(tmp_path, content, fmt):
    with pytest.raises(ConversionError, match=f"could not read the source as {fmt}"):
        convert(tmp_path, content, fmt)
    assert not (tmp_path / "out.parquet").exists() or (tmp_path / "out.parquet").stat().st_size == 0


@pytest.mark.parametrize("content, fmt, message", [
    (b"42", "json", r"it holds a single number \(42\), not records"),
    (b' \n"just text"', "json", r"it holds a single string \(\"just text\"\), not records"),
    (b'[1, "a", {"x": 1}]', "json", r"it holds an array of 1 number, 1 string and 1 object, not records "
                                    r"\(item 1 is a number: 1\)"),
    (b"[]", "json", "it holds an empty array: no records"),
    (b'{"a": 1}\n[1, 2]\n{"a": 3}\n', "jsonl", r"the lines hold 2 objects and 1 array, not records "
                                               r"\(line 2 is an array: \[1, 2\]\)"),
    (b"".join(b'{"a": %d}\n' % i for i in range(25_000)) + b"[1, 2]\n", "jsonl",
     r"line 25001 is an array \(\[1,2\]\), not an object"),  # after the sample DuckDB types the columns from
])
def test_json_that_holds_no_records_is_refused_saying_what_it_holds(tmp_path, content, fmt, message):
    with pytest.raises(ConversionError, match=f"could not read the source as {fmt}: {message}"):
        convert(tmp_path, content, fmt)


def test_truncated_parquet_fails_conversion_clearly(tmp_path):
    pq.write_table(pa.table({"id": list(range(1000))}), tmp_path / "whole.parquet")
    truncated = (tmp_path / "whole.parquet").read_bytes()[:-100]
    with pytest.raises(ConversionError, match="could not read the source as parquet"):
        convert(tmp_path, truncated, "parquet")


def test_semicolon_csv_is_split_into_its_columns(tmp_path):
    parquet = convert(tmp_path, b"id;name\n1;a\n2;b\n")
    assert [c["name"] for c in parquet.columns] == ["id", "name"] and parquet.row_count == 2


def test_utf8_bom_does_not_leak_into_the_header(tmp_path):
    parquet = convert(tmp_path, b"\xef\xbb\xbfid,name\n1,a\n")
    assert parquet.columns[0]["name"] == "id"


def test_header_only_csv_gives_an_empty_snapshot_the_checks_then_refuse(tmp_path):
    from checks.gx_duckdb import run_suite
    from checks.suite import load_suite

    parquet = convert(tmp_path, b"id,name\n")
    assert parquet.row_count == 0
    run = run_suite(parquet.path, load_suite("no-such-suite", ["id"]))
    assert run.success is False
    assert [o.name for o in run.outcomes if not o.passed] == ["row_count"]
