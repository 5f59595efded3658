"""Fetch a catalog source (local file, HTTP(S) URL or Hub dataset) into a content-addressed raw store."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable

from assets.catalog import CatalogEntry, Source
from assets.convert import file_sha256
from assets.guards import SourceRefused, capped, decompressed
from assets.html_page import refuse_html_file, refuse_html_response
from assets.hub import scrub_token, without_progress_bars
from assets.opt_out import note_response
from assets.redaction import redact
from assets.workfiles import hold

if TYPE_CHECKING:  # requests is imported where a URL is fetched: loading the definitions needs no HTTP client
    import requests

LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING")
# A NOTICE carries copyright and attribution, and often names the licenses of other things (a package's
# code, say): it feeds the attribution text, and only the restrictions it states on the data count in the
# license decision.
NOTICE_FILES = ("NOTICE", "NOTICE.md", "NOTICE.txt")
# Files beside the data that carry license and copyright evidence.
EVIDENCE_NAMES = (*LICENSE_FILES, *NOTICE_FILES, "README.md", "datapackage.json")
CHUNK = 1 << 20
HTTP_TIMEOUT_S = 30
MAX_REDIRECTS = 5
MAX_EVIDENCE_BYTES = 10 * 2**20  # a LICENSE or NOTICE is text: anything larger is not one


GONE_STATUSES = (404, 410)


class FetchError(RuntimeError):
    """The source could not be fetched; the message names the source and the cause. `answer` is what upstream
    said, when it said anything about the source itself: gone (404, 410, a Hub repo, revision or file that does not
    exist, a local file missing) or error (401, 403, 5xx, a timeout: no news about the source); see
    assets/upstream_gone.py."""

    def __init__(self, message: str, *, answer: str | None = None, status: int | None = None):
        super().__init__(message)
        self.answer, self.status = answer, status


def upstream_answer(status: int | None) -> str:
    return "gone" if status in GONE_STATUSES else "error"


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size_bytes: int
    path: str


@dataclass
class FetchedSource:
    dataset_id: str
    kind: str
    uri: str
    retrieved_at: str
    blob: StoredBlob
    upstream_revision: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    evidence: dict[str, StoredBlob] = field(default_factory=dict)
    # A source of several files: each one's split, name, sha256, size, stored path and format (fetch_many.py).
    inputs: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class KnownSource:
    """What the last fetch of a source recorded: enough to ask upstream "changed since?" without downloading."""

    retrieved_at: datetime
    size_bytes: int
    raw_sha256: str
    etag: str | None = None
    last_modified: str | None = None
    upstream_revision: str | None = None
    evidence_sha256: dict[str, str] = field(default_factory=dict)  # evidence file name -> sha256
    inputs: tuple[dict, ...] = ()  # a source of several files: what each one was (fetch_many.InputFile.record)


class RawStore:
    """Raw bytes kept by sha256, written to a temporary file first so a crash never leaves a partial blob."""

    def __init__(self, root: Path):
        self.root = root

    def put_stream(self, stream: BinaryIO) -> StoredBlob:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""))

    def put_chunks(self, chunks: Iterable[bytes]) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".incoming-", delete=False) as tmp:
            hold(tmp.fileno())  # a live download is never taken for a killed run's leftover
            try:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
            except OSError as error:
                os.unlink(tmp.name)
                raise self._write_error(error, tmp.name) from None
            except BaseException:
                os.unlink(tmp.name)
                raise
        return self._settle(Path(tmp.name), digest.hexdigest(), size)

    def put_file(self, path: Path, max_bytes: int) -> StoredBlob:
        """A local file, copied in the kernel (shutil.copyfile uses sendfile: no pass through Python) while a
        thread hashes it (hashlib releases the GIL): one pass's time for both. A file that changed meanwhile is refused,
        so the hash is always of the bytes stored."""
        before = _identity(path)
        if before[0] > max_bytes:
            raise SourceRefused(f"the source exceeds the size limit of {max_bytes:,} bytes")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = tempfile.NamedTemporaryFile(dir=self.root, prefix=".incoming-", delete=False)
        hold(tmp.fileno())  # held until closed: a live copy is never taken for a killed run's leftover
        try:
            with ThreadPoolExecutor(max_workers=1) as hasher:
                sha256 = hasher.submit(file_sha256, path)
                shutil.copyfile(path, tmp.name)
            if _identity(path) != before or os.path.getsize(tmp.name) != before[0]:
                raise SourceRefused(f"{path} changed while it was being read; fetch it again")
            return self._settle(Path(tmp.name), sha256.result(), before[0])
        except OSError as error:
            os.unlink(tmp.name)
            raise self._write_error(error, tmp.name) from None
        except BaseException:
            os.unlink(tmp.name)
            raise
        finally:
            tmp.close()

    def _write_error(self, error: OSError, work_file: str) -> OSError:
        """A failed write named by the raw store, not by its work file (a steward cannot act on that name)."""
        if error.errno in (errno.ENOSPC, errno.EDQUOT) or work_file in (error.filename, error.filename2):
            return OSError(error.errno, f"could not keep a copy in the raw store {self.root}: {error.strerror}")
        return error

    def _settle(self, tmp: Path, sha256: str, size: int) -> StoredBlob:
        final = self.root / sha256[:2] / sha256
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp, final)
        return StoredBlob(sha256=sha256, size_bytes=size, path=str(final))


def _identity(path: Path) -> tuple[int, int, int]:
    """Size, mtime and inode: what changes when a file is written or replaced."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def fetch(entry: CatalogEntry, store: RawStore, known: KnownSource | None = None) -> FetchedSource | None:
    """Fetch the source into the store. With `known` (the last fetch), first ask upstream cheaply whether
    anything changed (file size + mtime and evidence hashes, HTTP conditional GET, Hub commit sha) and return
    None, having downloaded nothing, when nothing did. Either way the bytes must match the catalog's pin:
    the catalog may pin a new checksum while upstream stays the same."""
    from assets.fetch_many import fetch_many

    fetchers = {"file": fetch_file, "http": fetch_http, "hub": fetch_hub}
    try:
        if not entry.source.single_file:
            return _named(entry, fetch_many, store, known)
        fetched = fetchers[entry.source.kind](entry, store, known)
        if fetched is not None:
            where = entry.source.describe() if fetched.kind == "hub" else fetched.uri
            refuse_html_file(Path(fetched.blob.path), where, entry.format)
    except SourceRefused as refusal:
        raise FetchError(f"{entry.id}: {refusal}") from None
    expected = entry.source.sha256
    got = fetched.blob.sha256 if fetched else known.raw_sha256
    if expected and expected.lower() != got:
        found = "got" if fetched else "the unchanged upstream has"
        raise FetchError(f"{entry.id}: checksum mismatch for {entry.source.describe()}: catalog pins sha256 "
                         f"{expected}, {found} {got}")
    if fetched is None:
        return None
    if fetched.blob.size_bytes == 0:
        raise FetchError(f"{entry.id}: source {fetched.uri} is empty (0 bytes)")
    return fetched


def _named(entry: CatalogEntry, fetcher, store: RawStore, known: KnownSource | None) -> FetchedSource | None:
    """Errors of a source of several files name the dataset, as the single-file fetchers' do."""
    try:
        return fetcher(entry, store, known)
    except FetchError as error:
        raise FetchError(str(error) if str(error).startswith(f"{entry.id}: ") else f"{entry.id}: {error}",
                         answer=error.answer, status=error.status) from None


def data_chunks(source: Source, chunks: Iterable[bytes]) -> Iterable[bytes]:
    """The data as it will be stored: size-capped and, for compressed sources (gzip, bz2, xz, zstd),
    decompressed with the same cap."""
    chunks = capped(chunks, source.max_bytes, "the source")
    return decompressed(chunks, source.compression, source.max_bytes) if source.compression else chunks


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def upstream_unchanged(entry: CatalogEntry, known: KnownSource) -> bool:
    """Whether the source is what the last fetch found, asked the cheap way the fetch itself asks first (file
    size + mtime and evidence hashes, HTTP conditional GET, Hub commit sha), downloading nothing."""
    from assets.fetch_many import many_unchanged

    try:
        return upstream_unchanged_single(entry, known) if entry.source.single_file else many_unchanged(entry, known)
    except Exception:  # noqa: BLE001 - any doubt means "changed": the run then fetches and reports the error
        return False


def upstream_unchanged_single(entry: CatalogEntry, known: KnownSource) -> bool:
    """upstream_unchanged for one file (or an archive, as one file)."""
    try:
        if entry.source.kind == "file":
            path = _data_path(entry.source)
            return path.is_file() and _file_unchanged(path, file_evidence(path), known)
        if entry.source.kind == "http":
            url = entry.source.resolved_url()
            with http_get(url, entry.source, conditional_headers(known)) as response:
                not_modified = response.status_code == 304
            return not_modified and not evidence_changed_http(url.rsplit("/", 1)[0], entry.source, known)
        from huggingface_hub import HfApi

        return HfApi().dataset_info(entry.source.repo_id, revision=entry.source.revision).sha \
            == known.upstream_revision
    except Exception:  # noqa: BLE001 - any doubt means "changed": the run then fetches and reports the error
        return False


def file_evidence(path: Path) -> dict[str, Path]:
    """The evidence files beside the data. A symbolic link is not followed (it may lead out of the data root):
    the source is refused until the link is replaced by the file itself."""
    found = {}
    for name in EVIDENCE_NAMES:
        candidate = path.parent / name
        if candidate.is_symlink():
            raise SourceRefused(f"{name} beside the data is a symbolic link; evidence files are read only as "
                                f"regular files, never followed: put the file itself in {path.parent}")
        if candidate.is_file() and candidate != path:
            found[name] = candidate
    return found


def _data_path(source: Source) -> Path:
    """The data file, every symbolic link resolved again now (the catalog resolved it when loaded), refused when
    that leads outside the catalog's data root."""
    path = Path(source.path)
    if source.data_root is not None and not path.resolve().is_relative_to(source.data_root):
        raise SourceRefused(f"{path} resolves outside the catalog's data root {source.data_root}")
    return path


def open_evidence(path: Path) -> BinaryIO:
    """Open without following a link put there since the folder was listed."""
    try:
        return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")
    except OSError as error:
        raise SourceRefused(f"cannot read {path.name} beside the data as a regular file: {error.strerror}") from None


def file_mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat()


def _file_unchanged(path: Path, evidence_paths: dict[str, Path], known: KnownSource) -> bool:
    """Same size and mtime: the data is not re-read; the small evidence files are hashed."""
    return (path.stat().st_size, file_mtime(path)) == (known.size_bytes, known.last_modified) \
        and {name: file_sha256(p) for name, p in evidence_paths.items()} == known.evidence_sha256


def fetch_file(entry: CatalogEntry, store: RawStore, known: KnownSource | None) -> FetchedSource | None:
    path = _data_path(entry.source)
    if not path.is_file():
        raise FetchError(f"{entry.id}: source file not found: {path}", answer="gone")
    evidence_paths = file_evidence(path)
    mtime = file_mtime(path)
    if known and _file_unchanged(path, evidence_paths, known):
        return None
    if entry.source.compression:
        with path.open("rb") as stream:
            blob = store.put_chunks(data_chunks(entry.source, iter(lambda: stream.read(CHUNK), b"")))
    else:
        blob = store.put_file(path, entry.source.max_bytes)
    evidence = {}
    for name, candidate in evidence_paths.items():
        with open_evidence(candidate) as stream:
            evidence[name] = store.put_stream(stream)
    return FetchedSource(entry.id, "file", str(path), utc_now(), blob, evidence=evidence, last_modified=mtime)


def fetch_http(entry: CatalogEntry, store: RawStore, known: KnownSource | None) -> FetchedSource | None:
    import requests

    url = entry.source.resolved_url()
    shown = redact(url)
    base = url.rsplit("/", 1)[0]
    try:
        with http_get(url, entry.source, conditional_headers(known)) as response:
            if response.status_code not in (200, 304):
                raise FetchError(f"{entry.id}: HTTP {response.status_code} {response.reason} fetching {shown}",
                                 answer=upstream_answer(response.status_code), status=response.status_code)
            not_modified = response.status_code == 304
            if not not_modified:
                refuse_html_response(response.headers.get("Content-Type"), shown, entry.format)
                blob = store.put_chunks(data_chunks(entry.source, declared_length(response)))
                etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except requests.RequestException as error:
        raise FetchError(f"{entry.id}: could not fetch {shown}: {type(error).__name__}: {redact(str(error))}",
                         answer="error") from None
    if not_modified:  # 304 answers only a conditional request, so `known` is set
        # Only a changed LICENSE / NOTICE beside unchanged data makes the data worth fetching again.
        return fetch_http(entry, store, None) if evidence_changed_http(base, entry.source, known) else None
    evidence = {}
    for name in EVIDENCE_NAMES:
        try:
            with http_get(f"{base}/{name}", entry.source, {}) as response:
                if response.status_code == 200:
                    evidence[name] = store.put_chunks(capped(response.iter_content(CHUNK), MAX_EVIDENCE_BYTES, name))
        except (requests.RequestException, SourceRefused):
            continue  # evidence beside the data is optional
    return FetchedSource(entry.id, "http", shown, utc_now(), blob, etag=etag, last_modified=last_modified,
                         evidence=evidence)


def http_get(url: str, source: Source, headers: dict[str, str]) -> requests.Response:
    """GET following redirects by hand, so every hop passes the private-network guard and connects to the address
    the guard checked. The final answer's TDM headers are noted for the opt-out check (assets/opt_out.py)."""
    import requests

    from assets.pinned_http import pinned_get

    asked = url
    for _ in range(MAX_REDIRECTS + 1):
        response = pinned_get(url, source.allow_private_network, headers=headers, timeout=HTTP_TIMEOUT_S)
        if not response.is_redirect:
            note_response(asked, response.headers)
            return response
        url = requests.compat.urljoin(url, response.headers["Location"])
        response.close()
    raise SourceRefused(f"more than {MAX_REDIRECTS} redirects (a redirect loop?) fetching {redact(url)}")


def declared_length(response: requests.Response) -> Iterable[bytes]:
    """The body, refused if it runs past its declared Content-Length."""
    declared = response.headers.get("Content-Length")
    chunks = response.iter_content(CHUNK)
    return capped(chunks, int(declared), "the download (Content-Length)") if declared and declared.isdigit() \
        else chunks


def conditional_headers(known: KnownSource | None) -> dict[str, str]:
    """Conditional-request headers from the last fetch: the server answers 304 Not Modified, without a body,
    when the file has not changed."""
    headers = {}
    if known and known.etag:
        headers["If-None-Match"] = known.etag
    if known and known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def evidence_changed_http(base: str, source: Source, known: KnownSource) -> bool:
    """Whether a LICENSE / NOTICE / ... beside the data appeared, vanished or changed since the last fetch
    (conditional GETs: no body crosses the wire for an unchanged file)."""
    import requests

    since = {"If-Modified-Since": format_datetime(known.retrieved_at.astimezone(timezone.utc), usegmt=True)}
    for name in EVIDENCE_NAMES:
        try:
            with http_get(f"{base}/{name}", source, since) as response:
                present = response.status_code in (200, 304)
                if present != (name in known.evidence_sha256) or response.status_code == 200:
                    return True
        except (requests.RequestException, SourceRefused):
            continue  # as in the fetch: evidence that cannot be read is not evidence
    return False


def fetch_hub(entry: CatalogEntry, store: RawStore, known: KnownSource | None) -> FetchedSource | None:
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    source: Source = entry.source
    without_progress_bars()
    try:
        info = HfApi().dataset_info(source.repo_id, revision=source.revision)
        commit = info.sha
        if known and known.upstream_revision == commit:
            return None  # the same commit holds the same data and evidence files
        repo_files = {sibling.rfilename for sibling in info.siblings or []}
        if source.path not in repo_files:
            raise FetchError(f"{entry.id}: file {source.path!r} not found in Hub dataset "
                             f"{source.repo_id} at {source.revision}", answer="gone")
        local = hf_hub_download(source.repo_id, source.path, repo_type="dataset", revision=commit)
        with open(local, "rb") as stream:
            blob = store.put_chunks(data_chunks(source, iter(lambda: stream.read(CHUNK), b"")))
        evidence = {}
        for name in EVIDENCE_NAMES:
            if name in repo_files:
                path = hf_hub_download(source.repo_id, name, repo_type="dataset", revision=commit)
                with open(path, "rb") as stream:
                    evidence[name] = store.put_stream(stream)
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        # A repo, revision or file the Hub says does not exist (404) is gone; 401 / 403 / 5xx say nothing of it.
        raise FetchError(f"{entry.id}: Hub error {status} reading {source.describe()}: "
                         f"{scrub_token(str(error).splitlines()[0])}", answer=upstream_answer(status),
                         status=status if isinstance(status, int) else None) from None
    return FetchedSource(entry.id, "hub", f"hf://datasets/{source.repo_id}", utc_now(), blob,
                         upstream_revision=commit, evidence=evidence)
