"""The raw store and the snapshots on object storage, so that several machines share them (OBJECT_STORE_URL).

With OBJECT_STORE_URL set (`s3://bucket/prefix`), every raw blob is also kept at `<prefix>/raw/<sha[:2]>/<sha>` and
every registered snapshot's files (Parquet per split, provenance.json) at `<prefix>/snapshots/<dataset>/<snapshot
id>/<file>`; a machine missing its local copy fetches it back before a run reads it. Unset, nothing here runs.

pyarrow's S3 client talks to the store: the endpoint comes from AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), the
credentials and region from the standard AWS environment variables and config files, never from the URL; no
message names a credential."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urlsplit

import dagster as dg

from assets.messages import condensed
from assets.redaction import redact
from assets.workfiles import hold, held_folder

if TYPE_CHECKING:
    from pyarrow.fs import FileSystem

CHUNK = 8 << 20
PROVENANCE = "provenance.json"  # uploaded last: a snapshot in the store is complete once its provenance.json is there
READ_ONLY = 0o444
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
MIN_CREDENTIAL_CHARS = 8  # a shorter value is no real credential, and replacing it would garble the message


class ObjectStoreError(RuntimeError):
    """The object store cannot be used; the message names OBJECT_STORE_URL and the endpoint, never a credential."""


@dataclass
class ObjectStore:
    """A bucket and prefix on S3-compatible storage, addressed by keys relative to the prefix."""

    url: str  # s3://bucket/prefix, as set (without credentials: a URL holding any is refused)
    endpoint: str | None  # AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, for messages
    filesystem: FileSystem | None = field(repr=False)  # pyarrow's S3 client, set once connected
    _present: set[str] = field(default_factory=set, repr=False)  # keys seen with their file's size: not asked again

    def put_file(self, path: Path, key: str) -> None:
        """Upload the file to `key` unless the store already holds an object of the same size there."""
        size = path.stat().st_size
        if self.has(key, size):
            return
        from pyarrow import fs

        self._call(f"upload {path.name} to {key}", fs.copy_files, str(path), self._path(key),
                   source_filesystem=fs.LocalFileSystem(), destination_filesystem=self.filesystem)
        if not self.has(key, size):  # a partial upload is never taken for the file
            raise ObjectStoreError(f"{self}: uploading {path.name} to {key} left an object of another size")

    def has(self, key: str, size: int | None = None) -> bool:
        """Whether the store holds an object at `key` (of `size` bytes, when given)."""
        if key in self._present:
            return True
        info = self._call(f"look up {key}", self.filesystem.get_file_info, self._path(key))
        if info.is_file and size in (None, info.size):
            self._present.add(key)
            return True
        return False

    def fetch_to(self, key: str, path: Path) -> str | None:
        """Write the object at `key` to `path` (created or replaced) and return the sha256 of its bytes; None, having
        written nothing, when the store has no object there."""
        info = self._call(f"look up {key}", self.filesystem.get_file_info, self._path(key))
        if not info.is_file:
            return None

        def copy() -> str:
            digest = hashlib.sha256()
            with self.filesystem.open_input_stream(self._path(key)) as source, path.open("wb") as sink:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
            return digest.hexdigest()

        return self._call(f"download {key}", copy)

    def delete_under(self, key_prefix: str) -> None:
        """Delete every object whose key is `key_prefix` or starts with `key_prefix/` (a takedown's purge)."""
        from pyarrow import fs

        self._present = {key for key in self._present if key != key_prefix and not key.startswith(key_prefix + "/")}
        info = self._call(f"look up {key_prefix}", self.filesystem.get_file_info, self._path(key_prefix))
        if info.is_file:
            self._call(f"delete {key_prefix}", self.filesystem.delete_file, self._path(key_prefix))
        elif info.type == fs.FileType.Directory:
            self._call(f"delete {key_prefix}", self.filesystem.delete_dir_contents, self._path(key_prefix),
                       missing_dir_ok=True)

    def _path(self, key: str) -> str:
        bucket_and_prefix = self.url.removeprefix("s3://").rstrip("/")
        return f"{bucket_and_prefix}/{key}"

    def _call(self, action: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except OSError as error:
            raise ObjectStoreError(f"{self}: could not {action}: {_reason(error)}") from None

    def __str__(self) -> str:
        where = f" (endpoint {redact(self.endpoint)})" if self.endpoint else ""
        return f"object store {self.url}{where}"


def configured() -> ObjectStore | None:
    """The object store OBJECT_STORE_URL names, checked once per process (bucket reachable and present); None
    when it is unset. Raises ObjectStoreError naming the URL when it is malformed, unreachable or has no bucket."""
    url = os.environ.get("OBJECT_STORE_URL", "").strip()
    if not url:
        return None
    return _connect(url, os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"))


@lru_cache(maxsize=8)
def _connect(url: str, endpoint: str | None) -> ObjectStore:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment:
        raise ObjectStoreError(f"OBJECT_STORE_URL must be s3://bucket/prefix, got {redact(url)!r} (credentials "
                               "come from the AWS environment or config files, never from the URL)")
    from pyarrow import fs

    shown = f"s3://{parts.hostname}{parts.path.rstrip('/')}"
    store = ObjectStore(shown, endpoint, filesystem=None)
    # from_uri reads the endpoint from the environment as the AWS SDKs do; the S3 constructor alone does not.
    store.filesystem, _ = store._call("connect", fs.FileSystem.from_uri, f"s3://{parts.hostname}")
    bucket = store._call(f"look up the bucket {parts.hostname}", store.filesystem.get_file_info, parts.hostname)
    if bucket.type != fs.FileType.Directory:
        raise ObjectStoreError(f"{store}: the bucket {parts.hostname} does not exist (or these credentials cannot "
                               "see it)")
    return store


def _reason(error: OSError) -> str:
    """pyarrow's message on one line, without its "When getting information for key ...:" (the action says it) and
    without any credential the environment holds."""
    text = re.sub(r"^When [^:]*: ", "", str(error))
    for name in CREDENTIAL_VARIABLES:
        if len(os.environ.get(name, "")) >= MIN_CREDENTIAL_CHARS:
            text = text.replace(os.environ[name], "REDACTED")
    return condensed(redact(text), limit=300)


def raw_key(sha256: str) -> str:
    return f"raw/{sha256[:2]}/{sha256}"


def snapshot_key(folder: Path, name: str) -> str:
    """A snapshot's file, by its folder `<snapshots>/<dataset>/<snapshot id>`."""
    return f"snapshots/{folder.parent.name}/{folder.name}/{name}"


def share_raw_blobs(paths: Iterable[str | Path]) -> None:
    """Every raw blob (a file of the raw store, named by its sha256) also in the object store, when one is set."""
    store = configured()
    for path in map(Path, paths) if store else ():
        store.put_file(path, raw_key(path.name))


def restore_raw_blobs(paths: Iterable[str | Path]) -> list[str]:
    """Fetch back from the object store, when one is set, the raw blobs missing here; returns their sha256s. A blob
    the store does not hold stays missing (the run then downloads the source again); one whose bytes do not hash to
    its name is refused."""
    store = configured()
    restored = []
    for path in map(Path, paths) if store else ():
        if path.is_file():
            continue
        root = path.parent.parent  # the raw store: <root>/<sha[:2]>/<sha>
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".incoming-") as work:  # the raw store's work-file name
            hold(work.fileno())
            sha256 = store.fetch_to(raw_key(path.name), Path(work.name))
            if sha256 is None:
                continue
            if sha256 != path.name:
                raise ObjectStoreError(f"{store}: {raw_key(path.name)} holds bytes of sha256 {sha256}, not the "
                                       "ones its name says: delete that object")
            path.parent.mkdir(exist_ok=True)
            try:
                os.link(work.name, path)
            except FileExistsError:  # another run restored or fetched it meanwhile: the same bytes
                pass
        restored.append(path.name)
    if restored:
        dg.get_dagster_logger().info(f"fetched back from {store}: raw blobs {', '.join(restored)}")
    return restored


def share_snapshot(folder: Path) -> None:
    """A registered snapshot's files also in the object store, when one is set: the Parquet files first, then
    provenance.json, so a snapshot whose provenance.json is in the store is there whole."""
    store = configured()
    if store:
        names = sorted((p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                       key=lambda name: name == PROVENANCE)
        for name in names:
            store.put_file(folder / name, snapshot_key(folder, name))


def unshare(raw_paths: Iterable[str | Path], snapshot_folders: Iterable[Path]) -> None:
    """A takedown's purge in the object store too, when one is set: the raw blobs and the snapshots' files, so that
    no later run fetches them back."""
    store = configured()
    for path in map(Path, raw_paths) if store else ():
        store.delete_under(raw_key(path.name))
    for folder in snapshot_folders if store else ():
        store.delete_under(f"snapshots/{folder.parent.name}/{folder.name}")


def sync_snapshot(row: dict | None) -> None:
    """A registered, live snapshot (its `governance.snapshots` row) both here and in the object store, when one is
    set: files missing here are fetched back (each split's Parquet checked against the sha256 registered for it),
    and a folder complete here is uploaded if the store lacks it. A snapshot the store does not hold whole is left
    as it is: the snapshot step makes it again from the raw bytes."""
    store = configured()
    if not store or row is None or row.get("retired_at") is not None:
        return
    from assets.splits import snapshot_splits

    splits = snapshot_splits(row)
    folder = next(iter(splits.values())).parquet_path.parent
    expected = {split.parquet_path.name: split.sha256 for split in splits.values()} | {PROVENANCE: None}
    missing = [name for name in expected if not (folder / name).is_file()]
    if not missing:
        share_snapshot(folder)
        return
    if not store.has(snapshot_key(folder, PROVENANCE)):
        return  # provenance.json is uploaded last: without it the store does not hold the snapshot whole
    folder.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))  # swept as the store's are
    try:
        with held_folder(work_dir):
            for name in missing:
                sha256 = store.fetch_to(snapshot_key(folder, name), work_dir / name)
                if sha256 is None or (expected[name] and sha256 != expected[name]):
                    found = "is not there" if sha256 is None else f"has sha256 {sha256}, not {expected[name]}"
                    raise ObjectStoreError(f"{store}: snapshot file {snapshot_key(folder, name)} {found}")
                (work_dir / name).chmod(READ_ONLY)
                os.replace(work_dir / name, folder / name)
    finally:
        for leftover in work_dir.iterdir():
            leftover.unlink()
        work_dir.rmdir()
    dg.get_dagster_logger().info(f"fetched back from {store}: snapshot {folder.name} ({', '.join(missing)})")

