"""Decoding what hf_xet uploads: xorbs (compressed chunks) and MDB shards (how files are made of chunks).

Formats as specified in the Xet protocol documentation (huggingface.co/docs/xet: xorb, shard, upload
protocol). Only decoding is needed here: the loopback CAS rebuilds each uploaded file from its chunks and
stores it by sha256, so Xet and plain LFS uploads end in the same blob store.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_CHUNK_HEADER_SIZE = 8
_COMPRESSION_NONE, _COMPRESSION_LZ4, _COMPRESSION_BG4_LZ4 = 0, 1, 2
_LZ4_FRAME_MAGIC = 0x184D2204
_SHARD_HEADER_SIZE = 48
_SHARD_RECORD_SIZE = 48  # every record of a shard's file info section is 48 bytes
_FILE_FLAG_WITH_VERIFICATION = 1 << 31
_FILE_FLAG_WITH_METADATA_EXT = 1 << 30
_BOOKEND_HASH = b"\xff" * 32


class XetFormatError(ValueError):
    pass


def hash_to_string(raw: bytes) -> str:
    """Xet's hash spelling: each 8-byte group read as a little-endian u64, in hex."""
    return "".join(raw[start : start + 8][::-1].hex() for start in range(0, 32, 8))


# -- xorbs ---------------------------------------------------------------------------------------------


def xorb_chunks(xorb: bytes, start: int, end: int) -> list[bytes]:
    """Chunks `start` to `end` (exclusive) of a serialized xorb, decompressed."""
    chunks: list[bytes] = []
    offset = 0
    for index in range(end):
        header = xorb[offset : offset + _CHUNK_HEADER_SIZE]
        if len(header) < _CHUNK_HEADER_SIZE or header[0] != 0:
            raise XetFormatError(f"Xorb has {index} chunks, {end} are referenced")
        compressed_size = int.from_bytes(header[1:4], "little")
        body_start = offset + _CHUNK_HEADER_SIZE
        offset = body_start + compressed_size
        if index < start:
            continue
        chunk = _decompress_chunk(xorb[body_start:offset], compression=header[4])
        if len(chunk) != int.from_bytes(header[5:8], "little"):
            raise XetFormatError("Xorb chunk does not decompress to its declared size")
        chunks.append(chunk)
    return chunks


def _decompress_chunk(body: bytes, compression: int) -> bytes:
    if compression == _COMPRESSION_NONE:
        return body
    if compression == _COMPRESSION_LZ4:
        return lz4_frame_decompress(body)
    if compression == _COMPRESSION_BG4_LZ4:
        return _ungroup_bytes(lz4_frame_decompress(body))
    raise XetFormatError(f"Unknown xorb chunk compression scheme {compression}")


def _ungroup_bytes(grouped: bytes) -> bytes:
    """Undo byte grouping: byte i of the chunk was stored in group i % 4, groups one after another."""
    size = len(grouped)
    out = bytearray(size)
    start = 0
    for group in range(4):
        group_size = len(range(group, size, 4))
        out[group::4] = grouped[start : start + group_size]
        start += group_size
    return bytes(out)


def lz4_frame_decompress(frame: bytes) -> bytes:
    if len(frame) < 7 or struct.unpack_from("<I", frame)[0] != _LZ4_FRAME_MAGIC:
        raise XetFormatError("Not an LZ4 frame")
    flags = frame[4]
    if flags >> 6 != 1:
        raise XetFormatError("Unsupported LZ4 frame version")
    # A trailing content checksum (flag 0x04) is left unread: the rebuilt file's sha256 is what gets checked.
    has_block_checksum, has_content_size, has_dictionary = bool(flags & 0x10), bool(flags & 0x08), bool(flags & 0x01)
    offset = 6 + (8 if has_content_size else 0) + (4 if has_dictionary else 0) + 1  # + header checksum
    out = bytearray()
    while True:
        (block_size,) = struct.unpack_from("<I", frame, offset)
        offset += 4
        if block_size == 0:
            break
        stored_raw, block_size = bool(block_size & 0x80000000), block_size & 0x7FFFFFFF
        block = frame[offset : offset + block_size]
        if stored_raw:
            out += block
        else:
            _lz4_block_decompress(block, out)  # blocks may refer back to earlier blocks: one shared output
        offset += block_size + (4 if has_block_checksum else 0)
    return bytes(out)


def _lz4_block_decompress(block: bytes, out: bytearray) -> None:
    position, end = 0, len(block)
    while position < end:
        token = block[position]
        position += 1
        literal_length = token >> 4
        if literal_length == 15:
            literal_length, position = _read_length(block, position, literal_length)
        out += block[position : position + literal_length]
        position += literal_length
        if position >= end:
            return  # the last sequence has literals only
        match_offset = block[position] | block[position + 1] << 8
        position += 2
        match_length = token & 0x0F
        if match_length == 15:
            match_length, position = _read_length(block, position, match_length)
        match_length += 4
        if match_offset == 0 or match_offset > len(out):
            raise XetFormatError("Corrupt LZ4 block")
        start = len(out) - match_offset
        if match_length <= match_offset:
            out += out[start : start + match_length]
        else:  # overlapping copy: the match repeats the last `match_offset` bytes
            pattern = out[start:]
            repeats, rest = divmod(match_length, match_offset)
            out += pattern * repeats + pattern[:rest]


def _read_length(block: bytes, position: int, length: int) -> tuple[int, int]:
    while True:
        extra = block[position]
        position += 1
        length += extra
        if extra != 255:
            return length, position


# -- shards --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSegment:
    xorb_hash: str
    chunk_start: int
    chunk_end: int  # exclusive
    size: int


@dataclass(frozen=True)
class ShardFile:
    segments: list[FileSegment]
    sha256: str | None  # from the metadata extension, when the client included it

    @property
    def size(self) -> int:
        return sum(segment.size for segment in self.segments)


def shard_files(shard: bytes) -> list[ShardFile]:
    """The files a shard's file info section describes (it starts right after the 48-byte header)."""
    files: list[ShardFile] = []
    offset = _SHARD_HEADER_SIZE
    while True:
        record = _record(shard, offset)
        file_hash, flags, entry_count = record[:32], *struct.unpack_from("<II", record, 32)
        offset += _SHARD_RECORD_SIZE
        if file_hash == _BOOKEND_HASH:
            return files
        segments = []
        for _ in range(entry_count):
            entry = _record(shard, offset)
            size, chunk_start, chunk_end = struct.unpack_from("<III", entry, 36)
            segments.append(FileSegment(hash_to_string(entry[:32]), chunk_start, chunk_end, size))
            offset += _SHARD_RECORD_SIZE
        if flags & _FILE_FLAG_WITH_VERIFICATION:
            offset += entry_count * _SHARD_RECORD_SIZE
        sha256 = None
        if flags & _FILE_FLAG_WITH_METADATA_EXT:
            sha256 = hash_to_string(_record(shard, offset)[:32])
            offset += _SHARD_RECORD_SIZE
        files.append(ShardFile(segments, sha256))


def _record(shard: bytes, offset: int) -> bytes:
    record = shard[offset : offset + _SHARD_RECORD_SIZE]
    if len(record) < _SHARD_RECORD_SIZE:
        raise XetFormatError("Truncated shard")
    return record
