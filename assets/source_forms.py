"""The shapes a catalog source may take beyond one file: several files (a glob or a list), files per split,
an archive's members, a Hub dataset taken whole, and spreadsheets' sheets.

    source: {kind: file, path: "data/readings/*.csv"}                       # one split, `train`
    source: {kind: http, url: ["${CATALOG_HTTP_BASE}/a.csv", "${CATALOG_HTTP_BASE}/b.csv"]}
    source: {kind: file, splits: {train: "data/train-*.csv", test: data/test.csv}}
    source: {kind: file, path: data/release.zip, members: "**/*.csv"}       # or splits: {train: "train/*.csv"}
    source: {kind: hub, repo_id: org/name, revision: main}                  # no path: every split, as `datasets`
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.archives import archive_kind
from assets.guards import codec_for_name
from assets.splits import SPLIT_NAME

GLOB_CHARACTERS = re.compile(r"[*?\[]")
SPREADSHEET_FORMATS = ("xlsx", "xls", "ods")
CODECS = ("gzip", "bz2", "xz", "zstd")


class SourceFormError(ValueError):
    """A source's files are named in a way the loader refuses; the message names the field."""


@dataclass(frozen=True)
class SplitFiles:
    """The files of one split: file paths or globs (absolute), URLs, or an archive's member globs."""

    split: str
    locations: tuple[str, ...]


def is_glob(location: str) -> bool:
    return bool(GLOB_CHARACTERS.search(location))


def string_list(raw: object, field_name: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise SourceFormError(f"{field_name} must be a non-empty string or a list of them, got {raw!r}")
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise SourceFormError(f"{field_name} names {repeated} more than once")
    return tuple(items)


def split_name(name: object) -> str:
    if not isinstance(name, str) or not SPLIT_NAME.match(name):
        raise SourceFormError(f"split name {name!r} is not a valid split name: letters, digits and _, parts "
                              "separated by dots (e.g. train, test, validation)")
    return name


def split_mapping(raw: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`splits:` as (split, locations) pairs, in the catalog's order."""
    if not isinstance(raw, dict) or not raw:
        raise SourceFormError("splits must map split names to a path, glob, URL or list of them, "
                              "e.g. {train: data/train.csv, test: data/test.csv}")
    return tuple((split_name(name), string_list(value, f"splits.{name}")) for name, value in raw.items())


def compression_for(raw: object, names: tuple[str, ...]) -> str | None:
    """The codec the source's files are compressed with: as the catalog says, else inferred from their names
    (.gz, .bz2, .xz, .zst); an archive (.tar.gz, .zip) is not a compressed file."""
    if raw is not None:
        if raw not in (*CODECS, "none"):
            raise SourceFormError(f"source.compression must be one of {[*CODECS, 'none']}, got {raw!r}")
        return None if raw == "none" else str(raw)
    codecs = {codec_for_name(name) for name in names}
    if len(codecs) > 1:
        raise SourceFormError(f"the source's files are compressed differently ({sorted(map(str, codecs))}): set "
                              "source.compression, or give each kind its own entry")
    return codecs.pop() if codecs else None


def archive_for(names: tuple[str, ...]) -> str | None:
    """The archive kind when the source is one archive whose members are the data."""
    kinds = [archive_kind(name) for name in names]
    if not any(kinds):
        return None
    if len(names) != 1:
        raise SourceFormError("an archive source is one archive (source.path or source.url): choose its files "
                              "with source.members, or per split with source.splits naming member globs")
    return kinds[0]
