"""Fetch a source of several files: file globs and lists, URL lists, files per split, an archive's members and a
Hub dataset taken whole. Each file is stored by its own sha256 and listed as an input (split, name, size,
sha256); the source as a whole is identified by its manifest, stored like any blob, whose sha256 stands for
the source (`raw_sha256`) and enters the snapshot id's recipe with every input's."""

from __future__ import annotations

import glob
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from assets.archives import ArchiveError, archive_evidence, extract_members
from assets.catalog_entry import CatalogEntry, Source, expand_env
from assets.fetch import (
    CHUNK,
    EVIDENCE_NAMES,
    MAX_EVIDENCE_BYTES,
    FetchedSource,
    FetchError,
    KnownSource,
    RawStore,
    StoredBlob,
    conditional_headers,
    data_chunks,
    declared_length,
    evidence_changed_http,
    file_evidence,
    file_mtime,
    http_get,
    open_evidence,
    upstream_answer,
    utc_now,
)
from assets.guards import SourceRefused, capped
from assets.html_page import refuse_html_file, refuse_html_response
from assets.redaction import redact

HUB_FORMATS = ("csv", "json", "jsonl", "parquet")


@dataclass(frozen=True)
class InputFile:
    """One file of a source, as stored: its split, its name as the source knows it, and its bytes."""

    split: str
    name: str
    blob: StoredBlob
    format: str
    last_modified: str | None = None  # a local file's mtime, or the HTTP Last-Modified
    etag: str | None = None

    def record(self) -> dict:
        return {"split": self.split, "name": self.name, "sha256": self.blob.sha256,
                "size_bytes": self.blob.size_bytes, "path": self.blob.path, "format": self.format,
                "last_modified": self.last_modified, "etag": self.etag}


def fetch_many(entry: CatalogEntry, store: RawStore, known: KnownSource | None) -> FetchedSource | None:
    """The source's files, each stored; None when upstream reports nothing changed since `known`."""
    source = entry.source
    if known and many_unchanged(entry, known):
        return None
    if source.whole_hub_dataset:
        return _fetch_hub_dataset(entry, store)
    if source.archive:
        return _fetch_archive(entry, store)
    if source.kind == "file":
        inputs = [_stored_file(entry, split, path, store) for split, path in matched_files(source)]
        folder = Path(os.path.commonpath([Path(i.name) for i in inputs]))
        evidence = _local_evidence(folder if folder.is_dir() else folder.parent, store)
        return _with_manifest(entry, "file", source.describe(), inputs, evidence, store)
    inputs = [_downloaded(entry, split, url, store) for split, url in source_urls(source)]
    evidence = _http_evidence(source, source_urls(source)[0][1], store)
    return _with_manifest(entry, "http", source.describe(), inputs, evidence, store)


def matched_files(source: Source) -> list[tuple[str, Path]]:
    """(split, file) for every file the splits name, globs expanded in sorted order; a glob that matches no
    file, or a file outside the data root, is refused naming it."""
    matched = []
    for split in source.splits:
        for location in split.locations:
            paths = sorted(Path(p) for p in glob.glob(location, recursive=True)) if glob.has_magic(location) \
                else [Path(location)]
            files = [path for path in paths if path.is_file()]
            if not files:
                what = "glob" if glob.has_magic(location) else "file"
                raise FetchError(f"split {split.split}: {what} {location} matches no file", answer="gone")
            for path in files:
                if source.data_root is not None and not path.resolve().is_relative_to(source.data_root):
                    raise SourceRefused(f"{path} resolves outside the catalog's data root {source.data_root}")
                matched.append((split.split, path))
    return matched


def source_urls(source: Source) -> list[tuple[str, str]]:
    return [(split.split, url) for split in source.splits for url in split.locations]


def _stored_file(entry: CatalogEntry, split: str, path: Path, store: RawStore) -> InputFile:
    if entry.source.compression:
        with path.open("rb") as stream:
            blob = store.put_chunks(data_chunks(entry.source, iter(lambda: stream.read(CHUNK), b"")))
    else:
        blob = store.put_file(path, entry.source.max_bytes)
    refuse_html_file(Path(blob.path), str(path), entry.format)
    _refuse_empty(entry, blob, str(path))
    return InputFile(split, str(path), blob, entry.format, last_modified=file_mtime(path))


def _downloaded(entry: CatalogEntry, split: str, url: str, store: RawStore) -> InputFile:
    import requests  # only for sources named by URL, as in assets/fetch.py

    resolved, shown = expand_env(url), redact(url)
    try:
        with http_get(resolved, entry.source, {}) as response:
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason} fetching {redact(resolved)}",
                                 answer=upstream_answer(response.status_code), status=response.status_code)
            refuse_html_response(response.headers.get("Content-Type"), redact(resolved), entry.format)
            blob = store.put_chunks(data_chunks(entry.source, declared_length(response)))
            etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except requests.RequestException as error:
        raise FetchError(f"could not fetch {redact(resolved)}: {type(error).__name__}: {redact(str(error))}",
                         answer="error") from None
    refuse_html_file(Path(blob.path), shown, entry.format)
    _refuse_empty(entry, blob, shown)
    return InputFile(split, shown, blob, entry.format, last_modified=last_modified, etag=etag)


def _refuse_empty(entry: CatalogEntry, blob: StoredBlob, shown: str) -> None:
    if blob.size_bytes == 0:
        raise FetchError(f"source file {shown} is empty (0 bytes)")


def _fetch_archive(entry: CatalogEntry, store: RawStore) -> FetchedSource:
    """The archive, stored as fetched, then each member a split names, stored on its own; the LICENSE / NOTICE /
    README / datapackage.json inside the archive count as evidence, after those beside it."""
    from assets.fetch import fetch_file, fetch_http

    container = (fetch_file if entry.source.kind == "file" else fetch_http)(entry, store, None)
    archive = Path(container.blob.path)
    shown = container.uri
    inputs = []
    with tempfile.TemporaryDirectory(prefix=".incoming-members-", dir=store.root) as scratch:
        for split in entry.source.splits:
            try:
                members = extract_members(archive, list(split.locations), Path(scratch) / split.split,
                                          entry.source.max_bytes)
            except ArchiveError as error:
                raise FetchError(f"{Path(shown).name if entry.source.kind == 'file' else shown}: split "
                                 f"{split.split}: {_without_blob_name(error, archive)}") from None
            for member in members:
                blob = store.put_file(member.path, entry.source.max_bytes)
                refuse_html_file(Path(blob.path), f"{shown}!{member.name}", entry.format)
                inputs.append(InputFile(split.split, member.name, blob, entry.format))
        try:
            inside = archive_evidence(archive, MAX_EVIDENCE_BYTES)
        except ArchiveError as error:
            raise FetchError(_without_blob_name(error, archive)) from None
    evidence = dict(container.evidence)
    for name, content in inside.items():
        evidence.setdefault(name, store.put_chunks([content]))
    return _with_manifest(entry, entry.source.kind, shown, inputs, evidence, store,
                          container=container)


def _without_blob_name(error: Exception, archive: Path) -> str:
    """ArchiveError names the file it read: the raw store's copy, whose name means nothing to a steward."""
    return str(error).replace(f"{archive.name}: ", "")


def _fetch_hub_dataset(entry: CatalogEntry, store: RawStore) -> FetchedSource:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    from assets.hub import scrub_token, without_progress_bars
    from assets.hub_layout import HubLayoutError, resolve_hub_dataset

    source = entry.source
    without_progress_bars()
    try:
        layout = resolve_hub_dataset(source.repo_id, source.revision, list(source.configs) or None)
        if len(layout.splits) > 1:
            raise FetchError(f"Hub dataset {source.repo_id} has configs {sorted(layout.splits)}: a catalog entry "
                             "takes one (source.configs: [name]); add an entry per config")
        inputs, evidence = [], {}
        for split, paths in next(iter(layout.splits.values())).items():
            for path in paths:
                fmt = layout.formats.get(path)
                if fmt not in HUB_FORMATS:
                    raise FetchError(f"Hub dataset {source.repo_id}: {path} is {fmt or 'of an unknown format'}; "
                                     f"the pipeline reads {', '.join(HUB_FORMATS)}")
                local = hf_hub_download(source.repo_id, path, repo_type="dataset", revision=layout.commit_sha)
                with open(local, "rb") as stream:
                    blob = store.put_chunks(data_chunks(source, iter(lambda: stream.read(CHUNK), b"")))
                inputs.append(InputFile(split, path, blob, fmt))
        for name in EVIDENCE_NAMES:
            try:
                local = hf_hub_download(source.repo_id, name, repo_type="dataset", revision=layout.commit_sha)
            except HfHubHTTPError:
                continue  # evidence is optional: a 404 for a file the repo does not have
            with open(local, "rb") as stream:
                evidence[name] = store.put_stream(stream)
    except HubLayoutError as error:
        raise FetchError(str(error)) from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise FetchError(f"Hub error {status} reading {source.describe()}: "
                         f"{scrub_token(str(error).splitlines()[0])}", answer=upstream_answer(status),
                         status=status if isinstance(status, int) else None) from None
    return _with_manifest(entry, "hub", f"hf://datasets/{source.repo_id}", inputs, evidence, store,
                          upstream_revision=layout.commit_sha)


def _local_evidence(folder: Path, store: RawStore) -> dict[str, StoredBlob]:
    evidence = {}
    for name, candidate in file_evidence(folder / ".data").items():
        with open_evidence(candidate) as stream:
            evidence[name] = store.put_stream(stream)
    return evidence


def _http_evidence(source: Source, first_url: str, store: RawStore) -> dict[str, StoredBlob]:
    import requests

    base = expand_env(first_url).rsplit("/", 1)[0]
    evidence = {}
    for name in EVIDENCE_NAMES:
        try:
            with http_get(f"{base}/{name}", source, {}) as response:
                if response.status_code == 200:
                    evidence[name] = store.put_chunks(capped(response.iter_content(CHUNK), MAX_EVIDENCE_BYTES, name))
        except (requests.RequestException, SourceRefused):
            continue  # evidence beside the data is optional
    return evidence


def _with_manifest(entry: CatalogEntry, kind: str, uri: str, inputs: list[InputFile],
                   evidence: dict[str, StoredBlob], store: RawStore, container: FetchedSource | None = None,
                   upstream_revision: str | None = None) -> FetchedSource:
    """The fetched source, identified by its manifest: every input (split, name, sha256), and the container
    (the archive) it came from."""
    total = sum(i.blob.size_bytes for i in inputs)
    if not inputs:
        raise FetchError(f"{uri} holds no data file")
    if total > entry.source.max_bytes:
        raise SourceRefused(f"the source's files exceed the size limit of {entry.source.max_bytes:,} bytes")
    manifest = {
        "container": {"sha256": container.blob.sha256, "size_bytes": container.blob.size_bytes}
        if container else None,
        "inputs": [{"split": i.split, "name": i.name, "sha256": i.blob.sha256} for i in inputs],
    }
    stored = store.put_chunks([json.dumps(manifest, sort_keys=True).encode()])
    # An archive's size is the archive's: what "unchanged" compares with the file or the HTTP answer.
    size = container.blob.size_bytes if container else total
    blob = StoredBlob(sha256=stored.sha256, size_bytes=size, path=stored.path)
    return FetchedSource(entry.id, kind, uri, utc_now(), blob, upstream_revision=upstream_revision,
                         etag=container.etag if container else None,
                         last_modified=container.last_modified if container else None, evidence=evidence,
                         inputs=[i.record() for i in inputs])


def many_unchanged(entry: CatalogEntry, known: KnownSource) -> bool:
    """Whether every file is what the last fetch found, asked the cheap way: local files by the set matched and
    their size and mtime (and the evidence beside them); URLs by conditional GETs; a Hub dataset by its commit."""
    source = entry.source
    if not known.inputs:
        return False
    if source.whole_hub_dataset:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(source.repo_id, revision=source.revision).sha == known.upstream_revision
    if source.archive:
        # The evidence recorded includes the archive's own LICENSE / NOTICE: only the files beside it are compared
        # (an unchanged archive holds the same ones).
        from assets.fetch import upstream_unchanged_single

        beside = _evidence_beside_now(source)
        return upstream_unchanged_single(entry, KnownSource(**{
            **known.__dict__, "evidence_sha256": {name: known.evidence_sha256.get(name) for name in beside}}))
    if source.kind == "file":
        now = [(split, str(path), path.stat().st_size, file_mtime(path)) for split, path in matched_files(source)]
        before = [(i["split"], i["name"], i["size_bytes"], i["last_modified"]) for i in known.inputs]
        if now != before:
            return False
        folder = Path(os.path.commonpath([Path(name) for _, name, *_ in now]))
        from assets.convert import file_sha256

        evidence = file_evidence((folder if folder.is_dir() else folder.parent) / ".data")
        return {name: file_sha256(path) for name, path in evidence.items()} == known.evidence_sha256
    recorded = {(i["split"], i["name"]): i for i in known.inputs}
    for split, url in source_urls(source):
        previous = recorded.get((split, redact(url)))
        if previous is None:
            return False
        validators = conditional_headers(KnownSource(retrieved_at=known.retrieved_at, size_bytes=0, raw_sha256="",
                                             etag=previous.get("etag"), last_modified=previous.get("last_modified")))
        if not validators:
            return False
        with http_get(expand_env(url), source, validators) as response:
            if response.status_code != 304:
                return False
    base = expand_env(source_urls(source)[0][1]).rsplit("/", 1)[0]
    return not evidence_changed_http(base, source, known)


def _evidence_beside_now(source: Source) -> list[str]:
    if source.kind != "file":
        return []  # over HTTP, the conditional requests for each evidence file decide
    return sorted(file_evidence(Path(source.path)))


def input_name(name: str) -> str:
    """The file name an input is shown by in published files: its last path part (a URL's unquoted)."""
    if "://" in name:
        return unquote(PurePosixPath(urlsplit(name).path).name)
    return PurePosixPath(name).name

