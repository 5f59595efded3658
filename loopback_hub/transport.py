"""HTTP plumbing over `http.server`: request bodies (sized or chunked), JSON and file responses, byte ranges."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs

from .errors import HubError, bad_request

_COPY_CHUNK = 1024 * 1024
# Bodies left unread by a refused request are drained (to keep the connection) up to this size.
_MAX_DRAIN = 64 * 1024 * 1024


class _ChunkedReader:
    """Reads a `Transfer-Encoding: chunked` request body as a plain stream."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._left_in_chunk = 0
        self._done = False

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        while not self._done and (size < 0 or size > 0):
            if self._left_in_chunk == 0:
                self._start_next_chunk()
                continue
            wanted = self._left_in_chunk if size < 0 else min(size, self._left_in_chunk)
            data = self._raw.read(wanted)
            if not data:
                raise bad_request("Truncated chunked request body")
            parts.append(data)
            self._left_in_chunk -= len(data)
            size = size - len(data) if size >= 0 else size
            if self._left_in_chunk == 0:
                self._raw.readline()  # CRLF closing the chunk
        return b"".join(parts)

    def _start_next_chunk(self) -> None:
        line = self._raw.readline(1024)
        try:
            self._left_in_chunk = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise bad_request("Malformed chunked request body") from None
        if self._left_in_chunk == 0:
            while self._raw.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            self._done = True


class _SizedReader:
    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        wanted = self.remaining if size < 0 else min(size, self.remaining)
        data = self._raw.read(wanted) if wanted else b""
        self.remaining -= len(data)
        return data


class Request:
    def __init__(self, method: str, target: str, headers: Message, raw_body: BinaryIO) -> None:
        self.method = method
        path, _, query = target.partition("?")
        self.path = path  # still percent-encoded: routes split on "/" before decoding
        self.query = parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.role: str | None = None  # set by the server once the token is checked
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.body_stream: _ChunkedReader | _SizedReader = _ChunkedReader(raw_body)
        else:
            self.body_stream = _SizedReader(raw_body, int(headers.get("Content-Length") or 0))
        self._body: bytes | None = None

    def query_flag(self, name: str) -> bool:
        values = self.query.get(name) or self.query.get(f"{name}[]") or []
        return any(value.lower() in ("1", "true") for value in values)

    def body(self) -> bytes:
        if self._body is None:
            self._body = self.body_stream.read()
        return self._body

    def json(self) -> Any:
        try:
            return json.loads(self.body() or b"{}")
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise bad_request("Request body must be a JSON object")
        return data

    def form_or_json(self) -> dict[str, list[str] | Any]:
        """A body sent either as a JSON object or as an urlencoded form (repeated keys become lists)."""
        if "application/x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            return parse_qs(self.body().decode(), keep_blank_values=True)
        return self.json_object()

    def drain(self) -> bool:
        """Consume what a handler left unread; False when too much is left to keep the connection."""
        if isinstance(self.body_stream, _SizedReader) and self.body_stream.remaining > _MAX_DRAIN:
            return False
        while self.body_stream.read(_COPY_CHUNK):
            pass
        return True


@dataclass
class FileBody:
    path: Path
    start: int
    length: int


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    file: FileBody | None = None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)


def error_response(error: HubError) -> Response:
    headers = {**error.headers, "X-Error-Message": _header_safe(error.message)}
    if error.code is not None:
        headers["X-Error-Code"] = error.code
    return json_response({"error": error.message}, error.status, headers)


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")


def file_response(path: Path, size: int, range_header: str | None, headers: dict[str, str]) -> Response:
    """The whole file, or one `bytes=` range of it as 206; several ranges are answered with the whole file."""
    headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", **headers}
    byte_range = _parse_single_range(range_header, size) if range_header else None
    if byte_range is None:
        return Response(200, headers, file=FileBody(path, 0, size))
    start, end = byte_range
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(206, headers, file=FileBody(path, start, end - start + 1))


def _parse_single_range(header: str, size: int) -> tuple[int, int] | None:
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    if start >= size or start > end:
        raise HubError(416, f"Requested range not satisfiable: {header}", headers={"Content-Range": f"bytes */{size}"})
    return start, end


def copy_file_range(body: FileBody, out: BinaryIO) -> None:
    with body.path.open("rb") as source:
        source.seek(body.start)
        left = body.length
        while left > 0:
            chunk = source.read(min(_COPY_CHUNK, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
