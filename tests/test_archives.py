"""Compressed files and archives as sources: streaming decompression under a size cap, and member extraction
under the archive guards (traversal, links, encryption, bombs, damage), with evidence read from release
archives. Archives are built here with zipfile/tarfile, and real ones shipped inside installed packages are
read too."""

from __future__ import annotations

import bz2
import gzip
import importlib.util
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
    """A file shipped inside an installed package (found without importing it)."""
    return Path(importlib.util.find_spec(package).origin).parent.joinpath(*parts)


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


# --- archives -----------------------------------------------------------------------------------------------

def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, members: dict[str, bytes | tarfile.TarInfo], mode: str = "w") -> Path:
    """Regular files from bytes; a TarInfo is added as it is (links, fifos, directories)."""
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            if isinstance(data, tarfile.TarInfo):
                archive.addfile(data)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def tar_info(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir()) \
        if folder.exists() else []


NESTED = {
    "top.csv": b"a\n1\n",
    "data/2024/jan.csv": b"a\n2\n",
    "data/2024/xjan.csv": b"a\n2\n",
    "data/2024/notes.txt": b"not data",
    "data/2025/q1/feb.csv": b"a\n3\n",
    "data/2025/q1/deep/mar.csv": b"a\n4\n",
    "other/apr.csv": b"a\n5\n",
}


@pytest.mark.parametrize("maker", ["zip", "tar", "tar.gz", "tar.bz2", "tar.xz"])
def test_double_star_globs_reach_any_depth_and_single_stars_one_level(tmp_path, maker):
    name = f"nested.{maker}"
    archive = make_zip(tmp_path / name, NESTED) if maker == "zip" else \
        make_tar(tmp_path / name, NESTED, "w" if maker == "tar" else f"w:{maker[4:]}")
    assert archive_kind(name) == maker

    def names(pattern):
        out = tmp_path / "out" / os.urandom(4).hex()
        return [member.name for member in extract_members(archive, pattern, out, max_bytes=MB)]

    data_csv = ["data/2024/jan.csv", "data/2024/xjan.csv", "data/2025/q1/deep/mar.csv", "data/2025/q1/feb.csv"]
    assert names("data/**/*.csv") == data_csv
    assert names("**/*.csv") == [*data_csv, "other/apr.csv", "top.csv"]
    assert names("*.csv") == ["top.csv"]
    assert names("data/*/*.csv") == ["data/2024/jan.csv", "data/2024/xjan.csv"]
    assert names("data/202[4]/**") == ["data/2024/jan.csv", "data/2024/notes.txt", "data/2024/xjan.csv"]
    assert names("**/[!j]*") == ["data/2024/notes.txt", "data/2024/xjan.csv", "data/2025/q1/deep/mar.csv",
                                 "data/2025/q1/feb.csv", "other/apr.csv", "top.csv"]
    assert names(["other/apr.csv", "./top.csv", "top.csv"]) == ["other/apr.csv", "top.csv"]
    assert names("**/jan.csv") == ["data/2024/jan.csv"]  # a `**` level ends at a folder boundary
    with pytest.raises(ArchiveError, match="an empty list of patterns names no member"):
        names([])
    out = tmp_path / "final"
    members = extract_members(archive, "data/**/*.csv", out, max_bytes=MB)
    for member in members:
        assert member == ArchiveMember(member.name, out.resolve() / member.name, len(NESTED[member.name]))
        assert member.path.read_bytes() == NESTED[member.name]
    assert files_under(out) == [member.name for member in members]


def test_bracket_globs_follow_fnmatch_within_one_level(tmp_path):
    archive = make_zip(tmp_path / "b.zip", {name: b"1" for name in ("a.csv", "b.csv", "]x", "^.csv", "d/c.csv")})

    def names(pattern):
        return [member.name for member in extract_members(archive, pattern, tmp_path / os.urandom(4).hex(), MB)]

    assert names("[a-b].csv") == ["a.csv", "b.csv"]
    assert names("[!a]*") == ["]x", "^.csv", "b.csv"]  # never a folder's "/"
    assert names("[]]x") == ["]x"]
    assert names("[^z].csv") == ["^.csv"]  # as in fnmatch, ^ is no negation


def test_no_pattern_takes_the_data_files_and_leaves_evidence_and_os_metadata(tmp_path):
    archive = make_zip(tmp_path / "release.zip", {
        "LICENSE": b"CC-BY-4.0", "README.md": b"# readme", "docs/NOTICE.txt": b"credit",
        "datapackage.json": b"{}", "__MACOSX/._a.csv": b"\0\5\26\7", "sub/.DS_Store": b"\0", "sub/._b.csv": b"x",
        "a.csv": b"a\n1\n", "sub/b.csv": b"b\n2\n", "sub/empty.csv": b"",
    })
    members = extract_members(archive, None, tmp_path / "out", max_bytes=MB)
    assert [(member.name, member.size) for member in members] == [("a.csv", 4), ("sub/b.csv", 4), ("sub/empty.csv", 0)]
    only_evidence = make_zip(tmp_path / "docs.zip", {"LICENSE": b"MIT", "README": b"hello"})
    with pytest.raises(ArchiveError, match=r"docs.zip: the archive holds no data files; it holds LICENSE, README$"):
        extract_members(only_evidence, None, tmp_path / "out2", max_bytes=MB)


def test_a_pattern_matching_nothing_names_the_pattern_and_some_members(tmp_path):
    archive = make_zip(tmp_path / "many.zip", {f"part-{i:02}.csv": b"a\n1\n" for i in range(12)})
    with pytest.raises(ArchiveError) as error:
        extract_members(archive, ["part-00.csv", "data/*.csv"], tmp_path / "out", max_bytes=MB)
    message = str(error.value)
    assert message.startswith("many.zip: pattern 'data/*.csv' matches no file in the archive; it holds part-00.csv, ")
    assert "part-09.csv, ... (12 files)" in message and "part-10.csv" not in message
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("bad_name", ["../x.csv", "data/../../x.csv", "/etc/x.csv", "..\\x.csv", "C:/x.csv"])
def test_a_member_leading_out_of_the_root_fails_the_whole_archive(tmp_path, bad_name):
    for archive in (make_zip(tmp_path / "evil.zip", {"good.csv": b"a\n1\n", bad_name: b"a\n2\n"}),
                    make_tar(tmp_path / "evil.tar", {"good.csv": b"a\n1\n", bad_name: b"a\n2\n"})):
        with pytest.raises(ArchiveError, match=f"{archive.name}: member .* lies outside the archive's root"):
            extract_members(archive, "good.csv", tmp_path / "out", max_bytes=MB)
        with pytest.raises(ArchiveError, match="lies outside the archive's root"):
            archive_evidence(archive)
    assert files_under(tmp_path / "out") == []
    assert not (tmp_path / "x.csv").exists()


def test_the_exact_traversal_message(tmp_path):
    archive = make_tar(tmp_path / "evil.tar", {"../x": b"1"})
    with pytest.raises(ArchiveError, match=r"^evil.tar: member \.\./x lies outside the archive's root$"):
        extract_members(archive, None, tmp_path / "out", max_bytes=MB)


def test_links_devices_and_fifos_are_skipped_and_fail_when_named(tmp_path):
    archive = make_tar(tmp_path / "links.tar", {
        "data/a.csv": b"a\n1\n",
        "data/passwd.csv": tar_info("data/passwd.csv", tarfile.SYMTYPE, "/etc/passwd"),
        "data/up.csv": tar_info("data/up.csv", tarfile.SYMTYPE, "../../outside.csv"),
        "data/hard.csv": tar_info("data/hard.csv", tarfile.LNKTYPE, "data/a.csv"),
        "data/pipe.csv": tar_info("data/pipe.csv", tarfile.FIFOTYPE),
        "data/tty.csv": tar_info("data/tty.csv", tarfile.CHRTYPE),
    })
    out = tmp_path / "out"
    assert [member.name for member in extract_members(archive, "data/*.csv", out, max_bytes=MB)] == ["data/a.csv"]
    assert files_under(out) == ["data/a.csv"] and not any(path.is_symlink() for path in out.rglob("*"))
    for name, kind in [("data/passwd.csv", "symbolic link"), ("data/hard.csv", "hard link"),
                       ("data/pipe.csv", "device or fifo"), ("data/tty.csv", "device or fifo")]:
        with pytest.raises(ArchiveError, match=f"links.tar: member {name} is a {kind}: links, devices and fifos"):
            extract_members(archive, [name], tmp_path / "named", max_bytes=MB)
    with pytest.raises(ArchiveError, match=r"member data is a directory: name the files in it \(data/\*\*\)"):
        extract_members(make_tar(tmp_path / "dir.tar", {"data": tar_info("data", tarfile.DIRTYPE), "data/a": b"1"}),
                        "data", tmp_path / "dir", max_bytes=MB)


def test_a_symlink_stored_in_a_zip_is_not_extracted(tmp_path):
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("a.csv", b"a\n1\n")
        link = zipfile.ZipInfo("b.csv")
        link.create_system, link.external_attr = 3, (0o120777 << 16)  # Unix, a symbolic link
        out.writestr(link, "/etc/passwd")
    assert [member.name for member in extract_members(archive, "*.csv", tmp_path / "out", max_bytes=MB)] == ["a.csv"]
    with pytest.raises(ArchiveError, match="member b.csv is a symbolic link"):
        extract_members(archive, "b.csv", tmp_path / "out2", max_bytes=MB)


def test_extraction_never_writes_through_a_link_already_in_the_folder(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"data/a.csv": b"a\n1\n", "b.csv": b"b\n"})
    outside, out = tmp_path / "outside", tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (out / "data").symlink_to(outside)
    with pytest.raises(ArchiveError, match="member data/a.csv lies outside the archive's root"):
        extract_members(archive, None, out, max_bytes=MB)
    (out / "data").unlink()
    (out / "b.csv").symlink_to(outside / "b.csv")
    with pytest.raises(ArchiveError, match="member b.csv"):
        extract_members(archive, "b.csv", out, max_bytes=MB)
    assert list(outside.iterdir()) == []


def set_encrypted_flag(archive: Path) -> None:
    """Set the "encrypted" flag bit (bit 0) of every entry, in the local headers and the central directory:
    zipfile cannot write encrypted members, and the flag is what readers go by."""
    data = bytearray(archive.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_offset] |= 0x1
            at = data.find(signature, at + 4)
    archive.write_bytes(bytes(data))


def test_an_encrypted_zip_member_is_refused(tmp_path):
    archive = make_zip(tmp_path / "locked.zip", {"a.csv": b"a\n1\n"}, zipfile.ZIP_STORED)
    set_encrypted_flag(archive)
    assert zipfile.ZipFile(archive).getinfo("a.csv").flag_bits & 0x1
    with pytest.raises(ArchiveError, match="^locked.zip: encrypted member a.csv: encrypted archives are not supported"):
        extract_members(archive, None, tmp_path / "out", max_bytes=MB)
    assert files_under(tmp_path / "out") == []


@pytest.mark.skipif(shutil.which("zip") is None, reason="the zip command is not installed")
def test_a_zip_encrypted_by_the_zip_command_is_refused(tmp_path):
    shutil.copy(PENGUINS / "penguins.csv", tmp_path / "penguins.csv")
    subprocess.run(["zip", "-q", "-P", "secret", "locked.zip", "penguins.csv"], cwd=tmp_path, check=True)
    with pytest.raises(ArchiveError, match="encrypted member penguins.csv: encrypted archives are not supported"):
        extract_members(tmp_path / "locked.zip", "*.csv", tmp_path / "out", max_bytes=MB)


def test_a_zip_bomb_stops_early_and_leaves_nothing(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("small.csv", b"a\n1\n")
        with out.open("zeros.csv", "w") as member:  # 200 MB of zeros, about 200 KB compressed
            for _ in range(200):
                member.write(bytes(MB))
    assert archive.stat().st_size < MB
    started = time.monotonic()
    with pytest.raises(ArchiveError, match="bomb.zip: the chosen members declare 209,715,204 bytes, over the size "
                                          "limit of 1,048,576 bytes"):
        extract_members(archive, None, tmp_path / "out", max_bytes=MB)
    assert time.monotonic() - started < 1
    assert files_under(tmp_path / "out") == []


def test_a_zip_bomb_whose_header_lies_still_stops_at_the_limit(tmp_path):
    """The sizes in the headers claim 1,000 bytes; the member holds 50 MB. What is extracted is counted."""
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("a.csv", b"a\n1\n")
        out.writestr("zeros.csv", bytes(50 * MB))
    data = bytearray(archive.read_bytes())
    real = (50 * MB).to_bytes(4, "little")
    at = data.find(real)
    while at >= 0:  # the uncompressed size, in the local header and in the central directory
        data[at:at + 4] = (1000).to_bytes(4, "little")
        at = data.find(real)
    archive.write_bytes(bytes(data))
    assert zipfile.ZipFile(archive).getinfo("zeros.csv").file_size == 1000
    with pytest.raises(ArchiveError, match="liar.zip: member zeros.csv does not read"):
        extract_members(archive, None, tmp_path / "out", max_bytes=2000)
    assert files_under(tmp_path / "out") == []


def test_the_size_limit_counts_all_members_together(tmp_path):
    archive = make_tar(tmp_path / "parts.tar.gz", {f"part-{i}.csv": bytes(400) for i in range(3)}, "w:gz")
    assert len(extract_members(archive, None, tmp_path / "fits", max_bytes=1200)) == 3
    with pytest.raises(ArchiveError, match="parts.tar.gz: the chosen members declare 1,200 bytes, over the size "
                                          "limit of 1,199 bytes"):
        extract_members(archive, None, tmp_path / "over", max_bytes=1199)


def test_damaged_archives_fail_naming_the_archive(tmp_path):
    (tmp_path / "notes.zip").write_bytes(b"id,name\n1,this is a CSV file with the wrong suffix\n")
    with pytest.raises(ArchiveError, match="^notes.zip: not a zip or tar archive, or a damaged one"):
        extract_members(tmp_path / "notes.zip", None, tmp_path / "out", max_bytes=MB)
    with pytest.raises(ArchiveError, match="^gone.zip: the archive file does not exist"):
        extract_members(tmp_path / "gone.zip", None, tmp_path / "out", max_bytes=MB)

    bad_crc = make_zip(tmp_path / "bad-crc.zip", {"a.csv": CSV}, zipfile.ZIP_STORED)
    data = bytearray(bad_crc.read_bytes())
    data[100] ^= 0xFF  # inside a.csv's stored bytes
    bad_crc.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="^bad-crc.zip: member a.csv does not read: Bad CRC-32"):
        extract_members(bad_crc, None, tmp_path / "out", max_bytes=MB)

    deflate64 = make_zip(tmp_path / "deflate64.zip", {"a.csv": CSV})
    data = bytearray(deflate64.read_bytes())
    for signature, method_offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method 9: deflate64
        data[data.find(signature) + method_offset] = 9
    deflate64.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="^deflate64.zip: member a.csv does not read: .*compression method"):
        extract_members(deflate64, None, tmp_path / "out", max_bytes=MB)

    whole = make_tar(tmp_path / "whole.tar", {"a.csv": CSV, "b.csv": CSV}).read_bytes()
    (tmp_path / "cut.tar").write_bytes(whole[:len(CSV) + 2048])  # b.csv's header kept, its data cut short
    with pytest.raises(ArchiveError, match="^cut.tar: the archive is damaged or truncated"):
        extract_members(tmp_path / "cut.tar", "a.csv", tmp_path / "out", max_bytes=MB)

    random_tar = make_tar(tmp_path / "random.tar.gz", {"r.bin": os.urandom(300_000)}, "w:gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(random_tar[:200_000])
    with pytest.raises(ArchiveError, match="^cut.tar.gz: "):
        extract_members(tmp_path / "cut.tar.gz", None, tmp_path / "out", max_bytes=MB)
    assert files_under(tmp_path / "out") == []


# --- evidence -----------------------------------------------------------------------------------------------

def test_a_release_archive_carries_its_license_in_its_top_folder(tmp_path):
    """A release archive built from the bundled Palmer penguins data: everything under one versioned folder."""
    archive = tmp_path / "palmer-penguins-1.0.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(PENGUINS.iterdir()):
            out.write(path, f"palmer-penguins-1.0/{path.name}")
        out.writestr("palmer-penguins-1.0/README.txt", b"Palmer penguins, release 1.0")
        out.writestr("palmer-penguins-1.0/data/LICENSE", b"a license of something else")
    evidence = archive_evidence(archive)
    assert evidence == {"LICENSE": (PENGUINS / "LICENSE").read_bytes(), "NOTICE": (PENGUINS / "NOTICE").read_bytes(),
                        "README.md": b"Palmer penguins, release 1.0"}
    members = extract_members(archive, None, tmp_path / "out", max_bytes=MB)
    assert [member.name for member in members] == ["palmer-penguins-1.0/penguins.csv"]
    assert members[0].path.read_bytes() == (PENGUINS / "penguins.csv").read_bytes()


def test_evidence_at_the_root_with_preferred_names_and_any_case(tmp_path):
    archive = make_tar(tmp_path / "data.tar.gz", {
        "copying": b"GPL", "License.md": b"CC0-1.0", "README": b"plain", "README.TXT": b"text", "Readme.md": b"md",
        "datapackage.json": json.dumps({"licenses": [{"name": "CC0-1.0"}]}).encode(),
        "sub/NOTICE": b"not at the root", "a.csv": b"a\n1\n",
    }, "w:gz")
    assert archive_evidence(archive) == {"LICENSE": b"CC0-1.0", "README.md": b"md",
                                         "datapackage.json": b'{"licenses": [{"name": "CC0-1.0"}]}'}
    with_txt = make_zip(tmp_path / "txt.zip", {"README": b"plain", "README.txt": b"text", "a.csv": b"1"})
    assert archive_evidence(with_txt) == {"README.md": b"text"}
    assert archive_evidence(make_zip(tmp_path / "none.zip", {"a.csv": b"1", "b/LICENSE": b"x", "c/x": b"y"})) == {}


def test_evidence_is_read_from_regular_files_only_and_capped(tmp_path):
    archive = make_tar(tmp_path / "release.tar", {
        "pkg/LICENSE": tar_info("pkg/LICENSE", tarfile.SYMTYPE, "/etc/passwd"),
        "pkg/NOTICE": tar_info("pkg/NOTICE", tarfile.LNKTYPE, "pkg/a.csv"),
        "pkg/README.md": b"r" * 2000,
        "pkg/a.csv": b"a\n1\n",
    })
    assert archive_evidence(archive) == {"README.md": b"r" * 2000}
    with pytest.raises(ArchiveError, match="release.tar: pkg/README.md is larger than 1,000 bytes"):
        archive_evidence(archive, max_bytes_each=1000)


# --- archives not made here ---------------------------------------------------------------------------------

def test_the_zoneinfo_tarball_shipped_with_dateutil(tmp_path):
    """python-dateutil ships its time zone data as a .tar.gz in which many zones are hard links."""
    archive = installed("dateutil", "zoneinfo", "dateutil-zoneinfo.tar.gz")
    with tarfile.open(archive) as tar:
        hard_links = {member.name for member in tar.getmembers() if member.islnk()}
    assert "Europe/London" in hard_links
    members = extract_members(archive, ["Europe/*", "METADATA"], tmp_path / "out", max_bytes=10 * MB)
    names = [member.name for member in members]
    assert names == sorted(names) and "Europe/Amsterdam" in names and "Europe/London" not in names
    assert not hard_links & set(names)
    assert all(member.path.read_bytes()[:4] == b"TZif" for member in members if member.name != "METADATA")
    assert json.loads(members[names.index("METADATA")].path.read_bytes())["tzversion"]
    with pytest.raises(ArchiveError, match="dateutil-zoneinfo.tar.gz: member Europe/London is a hard link"):
        extract_members(archive, "Europe/London", tmp_path / "london", max_bytes=10 * MB)
    assert archive_evidence(archive) == {}
