"""Compressed files and archives as sources: streaming decompression under a size cap, and member extraction
under the archive guards (traversal, links, encryption, bombs, damage), with evidence read from release
archives. Archives are built here with zipfile/tarfile, and real ones shipped inside installed packages are
read too."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from assets.archives import ArchiveError, ArchiveMember, archive_evidence, archive_kind, extract_members
from assets.guards import SourceRefused, codec_for_name, decompressed

ROOT = Path(__file__).resolve().parents[1]
PENGUINS = ROOT / "catalog" / "data" / "palmer-penguins"
CSV = b"id,name,score\n" + b"".join(b"%d,name %d,%d\n" % (i, i, i * 7 % 100) for i in range(20_000))
COMPRESS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda data: pa.compress(data, "zstd", asbytes=True),
}
MB = 1 << 20


def pieces(data: bytes, size: int = 7_001) -> list[bytes]:
    """Chunks that cut streams and headers at odd places, as a download does."""
    return [data[i:i + size] for i in range(0, len(data), size)]


def installed(package: str, *parts: str) -> Path:
    module = __import__(package)
    return Path(module.__file__).parent.joinpath(*parts)


# --- compressed files ---------------------------------------------------------------------------------------

def test_codec_for_name_tells_compressed_files_from_archives():
    assert codec_for_name("data/readings.csv.gz") == "gzip"
    assert codec_for_name("https://example.org/dump/records.JSONL.GZIP") == "gzip"
    assert codec_for_name("x.csv.bz2") == "bz2"
    assert codec_for_name("x.csv.xz") == "xz"
    assert codec_for_name("x.csv.zst") == codec_for_name("x.csv.zstd") == "zstd"
    for not_a_compressed_file in ("x.csv", "x.tar.gz", "x.tgz", "x.tar.bz2", "x.tar.xz", "x.zip", "gz"):
        assert codec_for_name(not_a_compressed_file) is None, not_a_compressed_file
    assert archive_kind("release-1.0.tar.gz") == archive_kind("release.TGZ") == "tar.gz"
    assert archive_kind("a.tar.bz2") == archive_kind("a.tbz2") == "tar.bz2"
    assert archive_kind("a.tar.xz") == archive_kind("a.txz") == "tar.xz"
    assert archive_kind("a.tar") == "tar" and archive_kind("path/to/A.ZIP") == "zip"
    assert archive_kind("a.csv.gz") is None and archive_kind("a.csv") is None


@pytest.mark.parametrize("codec", sorted(COMPRESS))
def test_each_codec_round_trips_every_stream(codec):
    # Two streams (frames) back to back, as parallel compressors and `cat a.gz b.gz` make them.
    data = COMPRESS[codec](CSV[:150_000]) + COMPRESS[codec](CSV[150_000:])
    out = list(decompressed(pieces(data), codec, max_bytes=len(CSV)))
    assert b"".join(out) == CSV
    assert max(len(chunk) for chunk in out) <= MB


@pytest.mark.parametrize("codec", sorted(COMPRESS))
def test_output_exactly_at_the_limit_passes_and_one_byte_over_fails(codec):
    data = COMPRESS[codec](CSV)
    assert b"".join(decompressed(pieces(data), codec, max_bytes=len(CSV))) == CSV
    with pytest.raises(SourceRefused, match="exceeds the size limit of"):
        b"".join(decompressed(pieces(data), codec, max_bytes=len(CSV) - 1))


@pytest.mark.parametrize("codec", sorted(COMPRESS))
def test_decompression_bomb_stops_early(codec):
    bomb = COMPRESS[codec](bytes(64 * MB))
    produced, started = 0, time.monotonic()
    with pytest.raises(SourceRefused, match="decompressed data exceeds the size limit of 1,048,576 bytes"):
        for chunk in decompressed(pieces(bomb, 64 * 1024), codec, max_bytes=MB):
            produced += len(chunk)
    assert produced <= MB
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("codec", ["bz2", "xz", "zstd"])
def test_a_corrupt_truncated_or_empty_stream_is_named(codec):
    data = COMPRESS[codec](CSV)
    with pytest.raises(SourceRefused, match=f"the {codec} stream is truncated"):
        b"".join(decompressed(pieces(data[:-20]), codec, max_bytes=10 * MB))
    with pytest.raises(SourceRefused, match=f"not a valid {codec} stream"):
        b"".join(decompressed(pieces(b"id,name\n1,plain text, not compressed\n"), codec, max_bytes=10 * MB))
    with pytest.raises(SourceRefused, match=f"not a valid {codec} stream: the data is empty"):
        b"".join(decompressed([], codec, max_bytes=10 * MB))
    # Garbage after a whole stream is not silently dropped either.
    with pytest.raises(SourceRefused, match=f"not a valid {codec} stream"):
        b"".join(decompressed(pieces(data + b"trailing junk"), codec, max_bytes=10 * MB))


def test_xz_stream_padding_is_allowed():
    data = lzma.compress(CSV[:1000]) + bytes(8) + lzma.compress(CSV[1000:]) + bytes(4)
    assert b"".join(decompressed(pieces(data), "xz", max_bytes=len(CSV))) == CSV


@pytest.mark.parametrize("codec", sorted(COMPRESS))
def test_a_failing_download_is_not_reported_as_corrupt_data(codec):
    def download():
        yield COMPRESS[codec](CSV)[:500]
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(ConnectionResetError, match="connection reset by peer"):
        b"".join(decompressed(download(), codec, max_bytes=10 * MB))


def test_unknown_codec_is_refused():
    with pytest.raises(ValueError, match="unknown codec 'lz4'"):
        decompressed([b""], "lz4", max_bytes=MB)


def test_compressed_files_shipped_in_installed_packages_decompress():
    # scikit-learn's diabetes targets: 442 numbers, one a line.
    path = installed("sklearn", "datasets", "data", "diabetes_target.csv.gz")
    codec = codec_for_name(path.name)
    text = b"".join(decompressed(pieces(path.read_bytes()), codec, max_bytes=10 * MB)).decode()
    values = [float(line) for line in text.split()]
    assert len(values) == 442 and min(values) > 0
    # joblib's test pickles, bz2 and xz made by other encoders: the bytes equal the standard library's reading and
    # form a whole pickle (protocol header first, STOP opcode last).
    for name in ("joblib_0.11.0_pickle_py36_np111.pkl.bz2", "joblib_0.11.0_pickle_py36_np111.pkl.xz"):
        path = installed("joblib", "test", "data", name)
        codec = codec_for_name(name)
        raw = b"".join(decompressed(pieces(path.read_bytes()), codec, max_bytes=10 * MB))
        assert raw == (bz2.decompress if codec == "bz2" else lzma.decompress)(path.read_bytes())
        assert raw[:1] == pickle.PROTO and raw.endswith(pickle.STOP)


@pytest.mark.skipif(shutil.which("zstd") is None, reason="the zstd command is not installed")
def test_zstd_made_by_the_zstd_command_decompresses(tmp_path):
    source = tmp_path / "penguins.csv"
    shutil.copy(PENGUINS / "penguins.csv", source)
    subprocess.run(["zstd", "-q", "-19", str(source)], check=True)
    data = (tmp_path / "penguins.csv.zst").read_bytes()
    assert b"".join(decompressed(pieces(data, 999), "zstd", max_bytes=10 * MB)) == source.read_bytes()
