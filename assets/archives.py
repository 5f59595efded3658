"""Archives as sources: the members a catalog names are extracted from a .zip or .tar (.tar.gz, .tgz, .tar.bz2,
.tar.xz) under guards, and the license evidence a release archive carries (LICENSE, NOTICE, README,
datapackage.json) is read from it.

Guards: a member whose path is absolute, climbs out with `..` or would land outside the extraction folder fails
the whole archive; links, devices and fifos are never extracted; encrypted members are refused; the bytes
extracted are counted as they are decompressed (headers can lie) and stop at a limit, so a zip bomb stops early."""

from __future__ import annotations

import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

CHUNK = 1 << 20
# The archive kinds by file-name suffix, longest suffix first.
ARCHIVE_SUFFIXES = (
    (".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"),
    (".tar.xz", "tar.xz"), (".txz", "tar.xz"), (".tar", "tar"), (".zip", "zip"),
)
# Evidence file names (lower case) -> the name the rest of the pipeline knows them by, in order of preference.
EVIDENCE_KEYS = {
    "license": "LICENSE", "license.txt": "LICENSE", "license.md": "LICENSE", "copying": "LICENSE",
    "notice": "NOTICE", "notice.txt": "NOTICE", "notice.md": "NOTICE",
    "readme.md": "README.md", "readme.txt": "README.md", "readme": "README.md",
    "datapackage.json": "datapackage.json",
}
# Errors the archive libraries raise on damaged data (gzip's BadGzipFile is an OSError) and, NotImplementedError,
# on a zip compression method Python does not read (deflate64, say).
READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError,
               NotImplementedError)


class ArchiveError(ValueError):
    """The archive cannot be used as a source; the message names the archive and what is wrong."""


@dataclass(frozen=True)
class ArchiveMember:
    name: str  # the member's path inside the archive (posix)
    path: Path  # the extracted regular file: absolute, under the extraction folder
    size: int  # its size as extracted (counted, not read from the header)


@dataclass(frozen=True)
class _Entry:
    name: str
    kind: str  # "file", "directory", "symbolic link", "hard link" or "device or fifo"
    declared_size: int
    encrypted: bool
    order: int  # position of its data in the archive: extraction reads forward
    info: zipfile.ZipInfo | tarfile.TarInfo


def archive_kind(name: str) -> str | None:
    """The archive kind ("zip", "tar", "tar.gz", "tar.bz2" or "tar.xz") of a file named `name` (a file name, path
    or URL path), from its suffix; None for anything else (a .gz alone is a compressed file, not an archive)."""
    lowered = name.lower().rsplit("/", 1)[-1]
    return next((kind for suffix, kind in ARCHIVE_SUFFIXES if lowered.endswith(suffix)), None)


def extract_members(archive: Path, pattern: str | list[str] | None, out_dir: Path,
                    max_bytes: int) -> list[ArchiveMember]:
    """Extract the regular files of `archive` (zip or tar, told apart by content) whose path matches `pattern` into
    `out_dir` (meant to be a fresh folder: a file already there under a member's name is replaced), keeping their
    paths, and return them in name order. `pattern` is a glob or a list of globs on the member's full path: `*`,
    `?` and `[...]` match within one folder level, a `**` level matches any depth (`**/*.csv`, `data/**`); every
    glob must match a file. None takes every regular file except the license evidence (LICENSE, NOTICE, README,
    datapackage.json at any level) and macOS metadata (__MACOSX/, ._*, .DS_Store). Links, devices and fifos are
    skipped, and named exactly they fail. At most `max_bytes` are extracted in all. Raises ArchiveError; files
    it wrote before failing are removed."""
    with _Reader(archive) as reader:
        entries = reader.entries()
        chosen = _select(archive, entries, pattern)
        declared = sum(entry.declared_size for entry in chosen)
        if declared > max_bytes:
            raise ArchiveError(f"{archive.name}: the chosen members declare {declared:,} bytes, over the size limit "
                               f"of {max_bytes:,} bytes")
        root = out_dir.resolve()
        written: list[Path] = []
        extracted = []
        total = 0
        try:
            for entry in sorted(chosen, key=lambda entry: entry.order):
                target = root / entry.name
                if not target.resolve().is_relative_to(root):
                    raise ArchiveError(f"{archive.name}: member {entry.name} lies outside the archive's root")
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    # O_NOFOLLOW: never write through a link already at the target
                    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
                    written.append(target)
                    with open(descriptor, "wb") as out:
                        size = _copy(reader, entry, out, total, max_bytes)
                except OSError as error:
                    raise ArchiveError(f"{archive.name}: member {entry.name} cannot be written to {target}: "
                                       f"{error.strerror or error}") from None
                total += size
                extracted.append(ArchiveMember(entry.name, target, size))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return sorted(extracted, key=lambda member: member.name)


def archive_evidence(archive: Path, max_bytes_each: int = 1_000_000) -> dict[str, bytes]:
    """The license evidence `archive` carries: LICENSE (also LICENSE.txt, LICENSE.md, COPYING), NOTICE (.txt,
    .md), README.md (else README.txt, else README) and datapackage.json, found at its root or, when everything
    sits in one top-level folder as in release archives, in that folder; names match in any letter case. Keys
    are those normalised names. Regular files only; one larger than `max_bytes_each` raises ArchiveError."""
    with _Reader(archive) as reader:
        entries = reader.entries()
        files = [entry for entry in entries.values() if entry.kind == "file" and not _is_os_metadata(entry.name)]
        tops = {entry.name.split("/", 1)[0] for entry in entries.values() if not _is_os_metadata(entry.name)}
        folder = next(iter(tops)) + "/" if len(tops) == 1 and all("/" in entry.name for entry in files) else ""
        found: dict[str, _Entry] = {}
        for entry in files:
            rest = entry.name[len(folder):] if entry.name.startswith(folder) else entry.name
            if "/" not in rest and rest.lower() in EVIDENCE_KEYS:
                found[rest.lower()] = entry
        evidence: dict[str, bytes] = {}
        for file_name, key in EVIDENCE_KEYS.items():  # the preferred name of each key comes first
            if file_name in found and key not in evidence:
                evidence[key] = _read(reader, found[file_name], max_bytes_each)
        return evidence


def _select(archive: Path, entries: dict[str, _Entry], pattern: str | list[str] | None) -> list[_Entry]:
    files = sorted(name for name, entry in entries.items() if entry.kind == "file")
    if pattern is None:
        chosen = [entries[name] for name in files
                  if name.rsplit("/", 1)[-1].lower() not in EVIDENCE_KEYS and not _is_os_metadata(name)]
        if not chosen:
            raise ArchiveError(f"{archive.name}: the archive holds no data files{_listing(files)}")
        return chosen
    globs = [pattern] if isinstance(pattern, str) else list(pattern)
    if not globs:
        raise ArchiveError(f"{archive.name}: an empty list of patterns names no member")
    chosen_names: set[str] = set()
    for glob in globs:
        glob = _normalised(glob)
        named = entries.get(glob)
        if named is not None and named.kind != "file":
            hint = f": name the files in it ({glob}/**)" if named.kind == "directory" else \
                ": links, devices and fifos are never extracted"
            raise ArchiveError(f"{archive.name}: member {glob} is a {named.kind}{hint}")
        matcher = _glob_regex(glob)
        matched = [name for name in files if matcher.fullmatch(name)]
        if not matched:
            raise ArchiveError(f"{archive.name}: pattern {glob!r} matches no file in the archive{_listing(files)}")
        chosen_names.update(matched)
    return [entries[name] for name in sorted(chosen_names)]


def _listing(files: list[str]) -> str:
    if not files:
        return " (it holds no regular files)"
    more = f", ... ({len(files)} files)" if len(files) > 10 else ""
    return f"; it holds {', '.join(files[:10])}{more}"


def _is_os_metadata(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"


def _normalised(glob: str) -> str:
    return "/".join(part for part in glob.replace("\\", "/").split("/") if part not in ("", "."))


def _glob_regex(glob: str) -> re.Pattern[str]:
    """A glob on a member path as a regular expression: a `**` level matches any depth, and `*`, `?` and `[...]`
    stay within one level."""
    parts = glob.split("/")
    regex = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _level_regex(part) + ("" if last else "/")
    return re.compile(regex, re.DOTALL)


def _level_regex(part: str) -> str:
    out, i = [], 0
    while i < len(part):
        char, i = part[i], i + 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = i + (part[i:i + 1] == "!")
            end = part.find("]", end + (part[end:end + 1] == "]"))
            if end < 0:
                out.append(re.escape(char))
                continue
            body, i = part[i:end], end + 1
            negated = body.startswith("!")
            members = "".join("\\" + c if c in "\\]^[" else c for c in body[negated:])  # ranges (a-z) kept
            out.append(f"[^/{members}]" if negated else f"[{members}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


class _Reader:
    """One open zip or tar archive: its entries, checked, and their contents."""

    def __init__(self, archive: Path):
        self.archive = archive
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None

    def __enter__(self) -> _Reader:
        try:
            if zipfile.is_zipfile(self.archive):
                self._zip = zipfile.ZipFile(self.archive)
            else:
                self._tar = tarfile.open(self.archive, "r:*")
        except FileNotFoundError:
            raise ArchiveError(f"{self.archive.name}: the archive file does not exist") from None
        except tarfile.ReadError:
            raise ArchiveError(f"{self.archive.name}: not a zip or tar archive, or a damaged one") from None
        except READ_ERRORS as error:
            raise ArchiveError(f"{self.archive.name}: the archive does not read: {error}") from None
        return self

    def __exit__(self, *exc_info) -> None:
        (self._zip or self._tar).close()

    def entries(self) -> dict[str, _Entry]:
        """Every member by its normalised name (a later member of the same name replaces an earlier one, as tar
        does). Any member whose name leads out of the archive's root fails the whole archive."""
        try:
            # tarfile reads every header here, and reports data cut short ("unexpected end of data")
            raw = [self._zip_entry(info) for info in self._zip.infolist()] if self._zip else \
                [self._tar_entry(info) for info in self._tar.getmembers()]
        except ArchiveError:
            raise
        except READ_ERRORS as error:
            raise ArchiveError(f"{self.archive.name}: the archive is damaged or truncated: {error}") from None
        return {entry.name: entry for entry in raw if entry.name}

    def _checked_name(self, raw_name: str) -> str:
        name = raw_name.replace("\\", "/")
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
            raise ArchiveError(f"{self.archive.name}: member {raw_name} lies outside the archive's root")
        return "/".join(parts)

    def _zip_entry(self, info: zipfile.ZipInfo) -> _Entry:
        mode = info.external_attr >> 16 if info.create_system == 3 else 0  # 3: Unix, whose mode bits are meaningful
        if info.is_dir() or stat.S_ISDIR(mode):
            kind = "directory"
        elif stat.S_ISLNK(mode):
            kind = "symbolic link"
        elif stat.S_IFMT(mode) in (0, stat.S_IFREG):
            kind = "file"
        else:
            kind = "device or fifo"
        return _Entry(self._checked_name(info.filename), kind, info.file_size, bool(info.flag_bits & 0x1),
                      info.header_offset, info)

    def _tar_entry(self, info: tarfile.TarInfo) -> _Entry:
        kind = "file" if info.isreg() else "directory" if info.isdir() else "symbolic link" if info.issym() else \
            "hard link" if info.islnk() else "device or fifo"
        return _Entry(self._checked_name(info.name), kind, info.size, False, info.offset_data, info)

    def open(self, entry: _Entry) -> IO[bytes]:
        if entry.encrypted:
            raise ArchiveError(f"{self.archive.name}: encrypted member {entry.name}: encrypted archives are not "
                               "supported")
        if self._zip:
            return self._zip.open(entry.info)
        return self._tar.extractfile(entry.info)

    def chunks(self, entry: _Entry) -> Iterator[bytes]:
        """The member's bytes, as decompressed; read errors name the archive and the member."""
        try:
            with self.open(entry) as source:
                while block := source.read(CHUNK):
                    yield block
        except READ_ERRORS as error:
            raise ArchiveError(f"{self.archive.name}: member {entry.name} does not read: {error}") from None


def _copy(reader: _Reader, entry: _Entry, out: IO[bytes], total: int, max_bytes: int) -> int:
    """Write the member to `out`, failing as soon as the bytes extracted so far pass `max_bytes`."""
    size = 0
    for block in reader.chunks(entry):
        size += len(block)
        if total + size > max_bytes:
            raise ArchiveError(f"{reader.archive.name}: the extracted files exceed the size limit of {max_bytes:,} "
                               f"bytes (stopped in member {entry.name})")
        out.write(block)
    return size


def _read(reader: _Reader, entry: _Entry, max_bytes: int) -> bytes:
    blocks, size = [], 0
    for block in reader.chunks(entry):
        size += len(block)
        if size > max_bytes:
            raise ArchiveError(f"{reader.archive.name}: {entry.name} is larger than {max_bytes:,} bytes: too large "
                               "for a license or README")
        blocks.append(block)
    return b"".join(blocks)
