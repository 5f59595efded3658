"""Guards on what a catalog may make the pipeline read: no server-side request forgery through a catalog URL
(every connection goes to the address that was checked), no local file outside the catalog's data root, no
download or decompression past a size limit; and on what a published file may name: only sources on public
addresses."""

from __future__ import annotations

import bz2
import io
import ipaddress
import lzma
import socket
import zlib
from typing import Iterable, Iterator
from urllib.parse import urlsplit


class SourceRefused(ValueError):
    """The catalog asks for something the pipeline will not fetch."""


def check_url(url: str, allow_private_network: bool = False) -> str | None:
    """Only http(s), and only public addresses unless the catalog opts in (a mirror on the local network).
    Returns the checked address to connect to; None when the catalog allows any address (nothing was checked)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise SourceRefused(f"refusing {parts.scheme or 'schemeless'} URL: only http and https sources are fetched")
    if not parts.hostname:
        raise SourceRefused("refusing a URL without a host")
    if allow_private_network:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SourceRefused(f"cannot resolve host {parts.hostname}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addresses:
        if not ip.is_global:
            raise SourceRefused(
                f"refusing {parts.hostname} ({ip}): a private, loopback or link-local address; set "
                "allow_private_network: true in the catalog to fetch from the local network"
            )
    return str(addresses[0])


def is_public_url(url: str) -> bool:
    """Whether `url` is an http(s) URL whose host resolves only to public addresses: what a published file may
    name. A loopback, private or link-local host, or one that does not resolve, is not public."""
    try:
        check_url(url)
    except ValueError:  # SourceRefused, or a malformed port
        return False
    return True


def capped(chunks: Iterable[bytes], max_bytes: int, what: str) -> Iterator[bytes]:
    """Pass chunks through, failing as soon as more than `max_bytes` arrive (a server may lie about size)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise SourceRefused(f"{what} exceeds the size limit of {max_bytes:,} bytes")
        yield chunk


def gunzipped(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """Stream-decompress gzip with a ceiling on the output, so a decompression bomb stops early. Every member of
    a multi-member file (pigz, bgzip, `cat a.gz b.gz`) is read, not only the first."""
    inflater = zlib.decompressobj(wbits=47)  # 47: gzip or zlib header, detected
    produced = 0
    try:
        for chunk in chunks:
            while chunk:
                if inflater.eof:  # the next member starts here, after any zero padding
                    chunk = chunk.lstrip(b"\0")
                    if not chunk:
                        break
                    inflater = zlib.decompressobj(wbits=47)
                out = inflater.decompress(chunk, 1 << 20)
                produced += len(out)
                if produced > max_bytes:
                    raise SourceRefused(f"decompressed data exceeds the size limit of {max_bytes:,} bytes")
                yield out
                chunk = inflater.unconsumed_tail or inflater.unused_data
        tail = inflater.flush()
        if not inflater.eof:
            raise SourceRefused("the gzip stream is truncated")
        yield tail
    except zlib.error as error:
        raise SourceRefused(f"the gzip stream does not decompress: {error}") from None


# A file's suffix -> the codec of a compressed single file. .tar.gz and .tgz are archives (see assets.archives).
CODEC_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}
DECOMPRESSED_CHUNK = 1 << 20


def codec_for_name(name: str) -> str | None:
    """The codec ("gzip", "bz2", "xz" or "zstd") of a compressed file named `name` (a file name, path or URL
    path), from its suffix; None for an uncompressed file and for a compressed archive (.tar.gz, .tgz, .tar.xz,
    ...), which is unpacked as an archive, not decompressed as one file."""
    lowered = name.lower().rsplit("/", 1)[-1]
    for suffix, codec in CODEC_SUFFIXES.items():
        if lowered.endswith(suffix):
            return None if lowered[: -len(suffix)].endswith(".tar") else codec
    return None


def decompressed(chunks: Iterable[bytes], codec: str, max_bytes: int) -> Iterator[bytes]:
    """Stream-decompress `chunks` compressed with `codec` ("gzip", "bz2", "xz" or "zstd"), failing as soon as the
    output passes `max_bytes` (a decompression bomb stops early). Every stream of a multi-stream file (pbzip2,
    `xz -T`, concatenated files) and every frame of a multi-frame zstd file is read. A corrupt, truncated or
    empty stream raises SourceRefused naming the codec."""
    if codec == "gzip":
        return gunzipped(chunks, max_bytes)
    if codec == "bz2":
        return _streams(chunks, bz2.BZ2Decompressor, "bz2", max_bytes)
    if codec == "xz":
        return _streams(chunks, lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ), "xz", max_bytes)
    if codec == "zstd":
        return _unzstd(chunks, max_bytes)
    raise ValueError(f"unknown codec {codec!r}: expected gzip, bz2, xz or zstd")


def _capped_output(out: bytes, produced: int, max_bytes: int) -> int:
    produced += len(out)
    if produced > max_bytes:
        raise SourceRefused(f"decompressed data exceeds the size limit of {max_bytes:,} bytes")
    return produced


def _streams(chunks: Iterable[bytes], new_decompressor, codec: str, max_bytes: int) -> Iterator[bytes]:
    """bz2 or xz, one stream after another; each call yields at most DECOMPRESSED_CHUNK bytes."""
    decompressor, produced, started = None, 0, False  # decompressor is None between streams
    for data in chunks:
        while True:
            if decompressor is None:
                if codec == "xz":  # xz allows zero padding after a stream
                    data = data.lstrip(b"\0")
                if not data:
                    break
                decompressor, started = new_decompressor(), True
            elif not data and decompressor.needs_input:
                break
            try:
                out = decompressor.decompress(data, DECOMPRESSED_CHUNK)
            except (OSError, lzma.LZMAError) as error:
                raise SourceRefused(f"not a valid {codec} stream: {error}") from None
            data = b""
            produced = _capped_output(out, produced, max_bytes)
            if out:
                yield out
            if decompressor.eof:  # the next stream, if any, starts in what is left
                data, decompressor = decompressor.unused_data, None
    if decompressor is not None:
        raise SourceRefused(f"the {codec} stream is truncated")
    if not started:
        raise SourceRefused(f"not a valid {codec} stream: the data is empty")


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks, counting what it hands out and keeping the source's own
    error (a failed download), so that it is not taken for corrupt data."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks, self._pending, self._offset, self.read_bytes, self.error = iter(chunks), b"", 0, 0, None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._offset == len(self._pending):
            try:
                chunk = next(self._chunks, None)
            except Exception as error:
                self.error = error
                raise
            if chunk is None:
                return 0
            self._pending, self._offset = memoryview(chunk), 0
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = self._pending[self._offset:self._offset + n]
        self._offset += n
        self.read_bytes += n
        return n


def _unzstd(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """zstd through Arrow's decompressing stream (the Python 3.11 library has no zstd): it reads every frame,
    returns at most what is asked per read, and reports a stream cut short."""
    import pyarrow as pa  # imported here: most sources are not zstd

    reader = _ChunkReader(chunks)
    stream = pa.CompressedInputStream(pa.PythonFile(reader, mode="r"), "zstd")
    produced = 0
    try:
        while out := stream.read(DECOMPRESSED_CHUNK):
            produced = _capped_output(out, produced, max_bytes)
            yield out
    except (OSError, pa.ArrowException) as error:
        if error is reader.error:
            raise
        message = str(error).replace("ZSTD decompress failed: ", "")
        if "Truncated" in message:
            raise SourceRefused("the zstd stream is truncated") from None
        raise SourceRefused(f"not a valid zstd stream: {message}") from None
    if reader.read_bytes == 0:
        raise SourceRefused("not a valid zstd stream: the data is empty")
