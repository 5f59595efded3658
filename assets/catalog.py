"""The dataset catalog: which datasets the pipeline governs and where each one comes from. Here: the catalog
file, read and checked entry by entry (one bad entry fails only its own dataset)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from assets.catalog_entry import CatalogEntry, CatalogError, Source
from assets.catalog_options import csv_options, sheet_options
from assets.catalog_source import entry_source
from assets.catalog_statements import check_homepage, check_sign_off, creators, recorded_sign_off
from assets.derived_catalog import DerivedQueryError, dependency_order, derived_problems, derived_query
from assets.source_forms import SPREADSHEET_FORMATS

BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "catalog.yaml"
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ID_RULE = f"an id must match {DATASET_ID.pattern} (lower-case letters, digits, '-')"
FORMATS = ("csv", "jsonl", "json", "parquet", *SPREADSHEET_FORMATS)
# The keys of the catalog file itself; its `datasets` are CatalogEntry mappings.
CATALOG_FIELDS = ("policy", "data_root", "allow_private_network", "datasets")
# An entry names where its data comes from in `source`, or (a derived dataset) the query that makes it in `derived`.
ENTRY_FIELDS = {f.name for f in fields(CatalogEntry)} | {"derived"}


@dataclass(frozen=True)
class Catalog:
    path: Path
    policy: str
    entries: tuple[CatalogEntry, ...]
    # Entries that failed validation, by id (or "#N" when the id itself is unusable): one bad entry
    # fails only its own dataset, never the whole catalog.
    problems: dict[str, str] = field(default_factory=dict)
    invalid_ids: dict[str, str] = field(default_factory=dict)  # an entry's unusable id -> its "#N" in problems

    def get(self, dataset_id: str) -> CatalogEntry:
        for entry in self.entries:
            if entry.id == dataset_id:
                return entry
        raise CatalogError(self.why_missing(dataset_id))

    def why_missing(self, dataset_id: str) -> str:
        """Why no valid entry has this id: its entry is invalid, the id itself is not a valid id, or no entry."""
        if dataset_id in self.problems:
            return self.problems[dataset_id]
        if dataset_id in self.invalid_ids:
            return self.problems[self.invalid_ids[dataset_id]]
        if not DATASET_ID.match(dataset_id):
            return f"{dataset_id!r} is not a valid dataset id: {ID_RULE}; no entry of the catalog {self.path} has it"
        return f"dataset {dataset_id!r} is not in the catalog {self.path}"

    def in_dependency_order(self, dataset_ids: list[str]) -> list[str]:
        """The ids with each derived dataset after those of its inputs that are among them."""
        return dependency_order(dataset_ids, {entry.id: entry.source.inputs for entry in self.entries})

    @property
    def ids(self) -> list[str]:
        """Every dataset id the catalog names, valid or not, so an invalid entry shows up as a failure."""
        return [entry.id for entry in self.entries] + [key for key in self.problems if DATASET_ID.match(key)]


def catalog_path() -> Path:
    return Path(os.environ.get("CATALOG_PATH") or BUNDLED_CATALOG)


def load_catalog(path: Path | None = None) -> Catalog:
    path = Path(path or catalog_path())
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CatalogError(f"catalog file not found: {path}") from error
    except UnicodeDecodeError as error:
        raise CatalogError(f"catalog {path} is not UTF-8 text: byte 0x{error.object[error.start]:02x} at offset "
                           f"{error.start} ({error.reason}); save it as UTF-8") from None
    except yaml.YAMLError as error:
        raise CatalogError(f"catalog {path} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("datasets"), list):
        raise CatalogError(f"catalog {path} must be a mapping with a 'datasets' list")
    unknown = set(document) - set(CATALOG_FIELDS)
    if unknown:
        raise CatalogError(f"catalog {path}: unknown field(s) {sorted(unknown)}; known: {sorted(CATALOG_FIELDS)}")
    settings = {
        "policy": str(document.get("policy", "default")),
        "data_root": (path.parent / str(document.get("data_root", "."))).resolve(),
        "allow_private_network": document.get("allow_private_network") is True,
    }
    entries: dict[str, CatalogEntry] = {}
    problems: dict[str, str] = {}
    invalid_ids: dict[str, str] = {}
    for index, raw in enumerate(document["datasets"]):
        label = str(raw.get("id")) if isinstance(raw, dict) and DATASET_ID.match(str(raw.get("id"))) \
            else f"#{index + 1}"
        if label.startswith("#") and isinstance(raw, dict) and isinstance(raw.get("id"), str):
            invalid_ids.setdefault(raw["id"], label)
        try:
            entry = _entry(raw, path.parent, settings, index)
        except CatalogError as error:
            problems[label] = str(error)
            continue
        if entry.id in entries or entry.id in problems:
            problems[entry.id] = f"catalog {path}: dataset id {entry.id!r} appears twice"
            entries.pop(entry.id, None)
            continue
        entries[entry.id] = entry
    derived = {entry.id: entry.source.inputs for entry in entries.values() if entry.source.kind == "derived"}
    for dataset_id, problem in derived_problems(derived, set(entries), problems, path).items():
        problems[dataset_id] = problem
        entries.pop(dataset_id)
    return Catalog(path=path, policy=settings["policy"], entries=tuple(entries.values()), problems=problems,
                   invalid_ids=invalid_ids)


def _entry(raw: object, root: Path, settings: dict, index: int) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog entry #{index + 1} must be a mapping")
    dataset_id = str(raw.get("id", ""))
    where = f"catalog entry {dataset_id or '#' + str(index + 1)!r}"
    if not DATASET_ID.match(dataset_id):
        raise CatalogError(f"{where}: invalid id: {ID_RULE}")
    unknown = set(raw) - ENTRY_FIELDS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(ENTRY_FIELDS)}")
    fmt = raw.get("format")
    source = raw.get("source")
    if "derived" in raw:
        if "source" in raw:
            raise CatalogError(f"{where}: give either source or derived (a query over catalog datasets), not both")
        if fmt not in (None, "parquet"):
            raise CatalogError(f"{where}: a derived dataset is its query's result, written as Parquet: leave out "
                               f"format (or give parquet), got {fmt!r}")
        try:
            query, inputs = derived_query(raw["derived"], where)
        except DerivedQueryError as error:
            raise CatalogError(str(error)) from None
        raw = {**raw, "format": "parquet", "source": Source(kind="derived", query=query, inputs=inputs)}
        fmt, source = "parquet", raw["source"]
    if fmt is None and isinstance(source, dict) and source.get("kind") == "hub" and not source.get("path"):
        fmt = ""  # a Hub dataset taken whole: each file is read in its own format
    elif fmt not in FORMATS:
        raise CatalogError(f"{where}: format must be one of {FORMATS}, got {fmt!r}")
    for required in ("title", "source"):
        if not raw.get(required):
            raise CatalogError(f"{where}: missing required field {required!r}")
    license_text = raw.get("license")
    key_columns = raw.get("key_columns") or []
    if not isinstance(key_columns, list) or not all(isinstance(c, str) for c in key_columns):
        raise CatalogError(f"{where}: key_columns must be a list of column names")
    if raw.get("visibility", "public") not in ("public", "private"):
        raise CatalogError(f"{where}: visibility must be public or private")
    null_values = raw.get("null_values") or []
    if not isinstance(null_values, list) or not all(isinstance(v, (str, int, float)) for v in null_values):
        raise CatalogError(f"{where}: null_values must be a list of values, e.g. [\"NA\"]")
    if raw.get("csv") is not None and fmt != "csv":
        raise CatalogError(f"{where}: csv applies only to format csv, not {fmt}")
    if raw.get("sheet") is not None and fmt not in SPREADSHEET_FORMATS:
        raise CatalogError(f"{where}: sheet applies only to the spreadsheet formats {SPREADSHEET_FORMATS}, not {fmt}")
    check_homepage(raw.get("homepage"), where)
    sign_off = raw.get("sign_off")
    check_sign_off(sign_off, where)
    return CatalogEntry(
        id=dataset_id,
        title=str(raw["title"]),
        description=str(raw.get("description", "")).strip(),
        source=raw["source"] if isinstance(raw["source"], Source)
        else entry_source(raw["source"], root, settings, where),
        format=fmt,
        license=str(license_text) if license_text is not None else None,
        homepage=raw.get("homepage"),
        citation=raw.get("citation"),
        key_columns=tuple(key_columns),
        null_values=tuple(str(v) for v in null_values),
        csv=csv_options(raw.get("csv"), where),
        sheet=sheet_options(raw.get("sheet"), where),
        origin=raw.get("origin"),
        fixture=raw.get("fixture"),
        policy=str(raw.get("policy", settings["policy"])),
        visibility=str(raw.get("visibility", "public")),
        sign_off=recorded_sign_off(sign_off),
        creator=creators(raw.get("creator"), where),
    )
