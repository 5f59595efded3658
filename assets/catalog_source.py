"""A catalog entry's `source:` mapping, checked and resolved into a Source: its kind and the fields that kind
needs, its files (one, several, per split or an archive's members) made absolute inside the catalog's data root,
its URLs checked, and what it pins (sha256, revision, configs, max_bytes)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from assets.catalog_entry import VARIABLE, CatalogError, Source, check_variable
from assets.redaction import redact
from assets.source_forms import (
    SourceFormError,
    SplitFiles,
    archive_for,
    compression_for,
    is_glob,
    split_mapping,
    string_list,
)
from assets.splits import DEFAULT_SPLIT

# What each source kind needs: every field in the first group, and one of the second's.
SOURCE_KINDS = {"file": ((), ("path", "splits")), "http": ((), ("url", "splits")), "hub": (("repo_id",), ())}
# What a catalog's `source:` may say besides its kind; allow_private_network and data_root are the catalog's.
SOURCE_FIELDS = {f.name for f in fields(Source)} - {"kind", "allow_private_network", "data_root", "archive", "query",
                                                   "inputs"} \
    | {"members"}


def entry_source(raw: object, root: Path, settings: dict, where: str) -> Source:
    """The entry's `source:` mapping as a Source; `settings` are the catalog's (data_root, allow_private_network)."""
    if not isinstance(raw, dict) or raw.get("kind") not in SOURCE_KINDS:
        raise CatalogError(f"{where}: source.kind must be one of {sorted(SOURCE_KINDS)}")
    kind = raw["kind"]
    required, one_of = SOURCE_KINDS[kind]
    for name in required:
        if not raw.get(name):
            raise CatalogError(f"{where}: a {kind} source needs source.{name}")
    if one_of and not any(raw.get(name) for name in one_of):
        raise CatalogError(f"{where}: a {kind} source needs source.{' or source.'.join(one_of)}")
    unknown = set(raw) - SOURCE_FIELDS - {"kind", "members"}
    if unknown:
        raise CatalogError(f"{where}: unknown source field(s) {sorted(unknown)}")
    try:
        return _source_form(raw, kind, root, settings, where)
    except SourceFormError as error:
        raise CatalogError(f"{where}: {error}") from None


def _source_form(raw: dict, kind: str, root: Path, settings: dict, where: str) -> Source:
    location_field = {"file": "path", "http": "url", "hub": "path"}[kind]
    locations = string_list(raw[location_field], f"source.{location_field}") if raw.get(location_field) else ()
    if kind == "hub" and len(locations) > 1:
        raise SourceFormError("a hub source names one file (source.path), or none to take the dataset whole")
    archive = archive_for(locations) if kind != "hub" else None
    split_pairs = split_mapping(raw["splits"]) if raw.get("splits") is not None else ()
    if raw.get("members") is not None:
        if archive is None:
            raise SourceFormError("source.members applies only to an archive source (.zip, .tar, .tar.gz, .tgz)")
        if split_pairs:
            raise SourceFormError("give an archive's members either as source.members or per split in "
                                  "source.splits, not both")
        split_pairs = ((DEFAULT_SPLIT, string_list(raw["members"], "source.members")),)
    if kind == "hub" and split_pairs:
        raise SourceFormError("a hub source takes its splits from the dataset itself (no source.splits)")
    if locations and split_pairs and archive is None:
        raise SourceFormError(f"name the files either in source.{location_field} or per split in "
                              "source.splits, not both")
    globbed = kind == "file" and any(map(is_glob, locations))  # a URL's "?" starts its query, not a glob
    if not split_pairs and archive is None and (len(locations) > 1 or globbed):
        split_pairs = ((DEFAULT_SPLIT, locations),)  # several files, one split
        locations = ()
    if archive is None:  # the split locations are files: resolve and check them like one file
        split_pairs = tuple((split, tuple(_location(kind, location, root, settings, where) for location in items))
                            for split, items in split_pairs)
    single = locations[0] if locations else None
    if kind == "file" and single is not None:
        single = str(_inside_data_root(single, root, settings, where, "source.path"))
    if kind == "http" and single is not None:
        single = _location(kind, single, root, settings, where)
    if raw.get("sha256") and (split_pairs or archive or (kind == "hub" and single is None)):
        raise SourceFormError("source.sha256 pins one file: a source of several files cannot carry it")
    names = tuple(location for _, items in split_pairs for location in items) if archive is None else locations
    configs = string_list(raw["configs"], "source.configs") if raw.get("configs") is not None else ()
    if configs and not (kind == "hub" and single is None):
        raise SourceFormError("source.configs applies to a hub source taken whole (without source.path)")
    values = {key: str(value) for key, value in raw.items()
              if key in ("repo_id", "revision", "sha256")}
    if "seed" in raw:
        values["seed"] = _inside_data_root(str(raw["seed"]), root, settings, where, "source.seed")
    if "max_bytes" in raw:
        if not str(raw["max_bytes"]).isdigit():
            raise SourceFormError("source.max_bytes must be a whole number of bytes")
        values["max_bytes"] = int(raw["max_bytes"])
    return Source(kind=kind, path=single if kind != "http" else None, url=single if kind == "http" else None,
                  splits=tuple(SplitFiles(split, items) for split, items in split_pairs), archive=archive,
                  configs=configs, compression=compression_for(raw.get("compression"), names or locations),
                  allow_private_network=settings["allow_private_network"],
                  data_root=settings["data_root"] if kind == "file" else None, **values)


def _location(kind: str, location: str, root: Path, settings: dict, where: str) -> str:
    """A file path or glob made absolute (its fixed part inside the data root), or a URL checked."""
    if kind == "file":
        parts = Path(location).parts
        fixed = next((index for index, part in enumerate(parts) if is_glob(part)), len(parts))
        folder = _inside_data_root(str(Path(*parts[:fixed])) if fixed else ".", root, settings, where, "source.path")
        return str(folder.joinpath(*parts[fixed:]))
    if not re.match(r"^(https?://|\$\{)", location):
        raise SourceFormError(f"source.url must be http(s), got {redact(location)!r}")
    if is_glob(location.split("?")[0]):
        raise SourceFormError(f"a URL cannot be a glob (HTTP has no directory listing): list the files, got "
                              f"{redact(location)!r}")
    for name in VARIABLE.findall(location):
        check_variable(name, f"{where}: source.url")
    return location


def _inside_data_root(path: str, root: Path, settings: dict, where: str, field_name: str) -> Path:
    """The path with every symbolic link resolved, refused when that lies outside the catalog's data root."""
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(settings["data_root"]):
        raise CatalogError(f"{where}: {field_name} {path!r} lies outside the catalog's data root "
                           f"{settings['data_root']} (symbolic links resolved)")
    return resolved
