"""Content-addressed blob storage: every file body is stored once, named by its sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterable

from .errors import bad_request

_COPY_CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / "incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str, size: int | None = None) -> bool:
        blob = self.path(sha256)
        return blob.is_file() and (size is None or blob.stat().st_size == size)

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            with self._new_incoming_file() as (handle, temp_path):
                handle.write(data)
            self._publish(temp_path, sha256)
        return sha256

    def put_stream(self, stream: BinaryIO, size: int, expected_sha256: str) -> None:
        """Store the whole of `stream`, refusing it unless it is `size` bytes hashing to `expected_sha256`."""
        digest = hashlib.sha256()
        received = 0
        with self._new_incoming_file() as (handle, temp_path):
            while received <= size:  # reading one byte past `size` is how a longer body is noticed
                chunk = stream.read(min(_COPY_CHUNK, size + 1 - received))
                if not chunk:
                    break
                digest.update(chunk)
                handle.write(chunk)
                received += len(chunk)
        if received != size or digest.hexdigest() != expected_sha256:
            temp_path.unlink(missing_ok=True)
            raise bad_request(
                f"Uploaded content does not match the announced object: expected {size} bytes with sha256 "
                f"{expected_sha256}, received {received} bytes with sha256 {digest.hexdigest()}"
            )
        self._publish(temp_path, expected_sha256)

    def put_parts(self, parts: Iterable[bytes]) -> str:
        """Store the concatenation of `parts`, named by the sha256 computed while writing it."""
        digest = hashlib.sha256()
        with self._new_incoming_file() as (handle, temp_path):
            for part in parts:
                digest.update(part)
                handle.write(part)
        self._publish(temp_path, digest.hexdigest())
        return digest.hexdigest()

    def _new_incoming_file(self) -> IncomingFile:
        return IncomingFile(self._incoming)

    def _publish(self, temp_path: Path, sha256: str) -> None:
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_path, target)


class IncomingFile:
    """A temporary file next to the blobs, so that publishing it is an atomic rename."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def __enter__(self) -> tuple[BinaryIO, Path]:
        fd, name = tempfile.mkstemp(dir=self._directory)
        self._path = Path(name)
        self._handle = os.fdopen(fd, "wb")
        return self._handle, self._path

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._handle.close()
        if exc_type is not None:
            self._path.unlink(missing_ok=True)
