"""The dataset catalog: which datasets the pipeline governs and where each one comes from."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from assets.derived_catalog import DerivedQueryError, dependency_order, derived_problems, derived_query
from assets.redaction import has_credentials, redact
from assets.source_forms import (
    SPREADSHEET_FORMATS,
    SourceFormError,
    SplitFiles,
    archive_for,
    compression_for,
    is_glob,
    split_mapping,
    string_list,
)
from assets.splits import DEFAULT_SPLIT
from assets.spreadsheets import DEFAULT_MAX_CELLS

BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "catalog.yaml"
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ID_RULE = f"an id must match {DATASET_ID.pattern} (lower-case letters, digits, '-')"
# What each source kind needs: every field in the first group, and one of the second's.
SOURCE_KINDS = {"file": ((), ("path", "splits")), "http": ((), ("url", "splits")), "hub": (("repo_id",), ())}
FORMATS = ("csv", "jsonl", "json", "parquet", *SPREADSHEET_FORMATS)
SIGN_OFF_REQUIRED = {"who", "when", "why", "license"}
PERMISSION_FIELDS = {"kind", "reference", "granted_to"}  # a sign-off's permission, which releases an opt-out
# ${VAR} in a catalog URL: only these variables, plus those CATALOG_ALLOWED_VARIABLES lists, are read from the
# environment, and never one whose name says it holds a secret, even when listed.
ALLOWED_VARIABLES = ("CATALOG_HTTP_BASE",)
SECRET_VARIABLE = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The keys of the catalog file itself; its `datasets` are CatalogEntry mappings.
CATALOG_FIELDS = ("policy", "data_root", "allow_private_network", "datasets")


class CatalogError(ValueError):
    """The catalog file or one of its entries is malformed."""


@dataclass(frozen=True)
class Source:
    kind: str  # file | http | hub | derived
    path: str | None = None  # file: one file (absolute) or an archive; hub: one file inside the repo
    url: str | None = None  # http: one file or an archive
    repo_id: str | None = None
    revision: str = "main"
    sha256: str | None = None  # expected digest, when the catalog pins one (one file only)
    seed: Path | None = None  # hub: bundled folder the demo uploads as the upstream repo
    allow_private_network: bool = False  # http: the catalog opted in to loopback / private addresses
    data_root: Path | None = None  # file: the folder the catalog lets it read (its data_root)
    compression: str | None = None  # gzip | bz2 | xz | zstd: stored decompressed; inferred from the names
    max_bytes: int = 100 * 2**30  # refuse a source (after decompression) larger than this
    # Several files: per split, file paths or globs, URLs, or (archive set) the archive's member globs.
    splits: tuple[SplitFiles, ...] = ()
    archive: str | None = None  # zip | tar | tar.gz | ...: the source is this archive's members
    configs: tuple[str, ...] = ()  # hub, no path: the dataset's configs to take (default: its default config)
    query: str | None = None  # derived: one SELECT over catalog datasets (assets/derived.py)
    inputs: tuple[str, ...] = ()  # derived: the dataset ids the query reads

    @property
    def whole_hub_dataset(self) -> bool:
        return self.kind == "hub" and self.path is None

    @property
    def single_file(self) -> bool:
        """One data file, as every source was before splits: stored and identified by its own sha256."""
        return not self.splits and self.archive is None and not self.whole_hub_dataset

    def describe(self) -> str:
        """The catalog's source as it may be stored and shown: a URL without its credentials."""
        if self.kind == "derived":
            return f"query over {', '.join(self.inputs)}: {self.query}"
        if self.kind == "hub":
            return f"hf://datasets/{self.repo_id}@{self.revision}" + (f"/{self.path}" if self.path else "") \
                + (f" configs {list(self.configs)}" if self.configs else "")
        container = redact(self.url or "") if self.kind == "http" else str(self.path or "")
        if not self.splits:
            return container
        files = "; ".join(f"{split.split}: {', '.join(redact(location) for location in split.locations)}"
                          for split in self.splits)
        return f"{container} members {files}" if self.archive else files

    def resolved_url(self) -> str:
        """The URL with ${VAR} taken from the environment, so a catalog can name a mirror chosen at run time. It
        may carry credentials: only the request sees it; anything recorded is describe() or redact()ed."""
        return expand_env(self.url or "")


@dataclass(frozen=True)
class CsvOptions:
    """How a CSV source is laid out (the entry's `csv:` mapping). The defaults read a UTF-8 file whose first
    line is its header, with the delimiter DuckDB's sniffer detects."""

    header: bool = True  # the first line after skip_lines names the columns
    skip_lines: int | None = None  # lines before the header (or the data); None: DuckDB's sniffer decides
    columns: tuple[str, ...] = ()  # every column's name: required without a header, renames with one
    delimiter: str | None = None  # one character; None: sniffed
    encoding: str = "utf-8"  # a Python codec name, stored canonical (latin-1 -> iso8859-1)


@dataclass(frozen=True)
class SheetOptions:
    """Which sheet of a spreadsheet source is the data (the entry's `sheet:` mapping)."""

    name: str | int | None = None  # a sheet name, or its 0-based index; None: the first sheet
    header_row: int = 0  # the 0-based row naming the columns; rows above it (titles) are skipped
    max_cells: int = DEFAULT_MAX_CELLS  # a sheet is read whole: larger ones are refused


@dataclass(frozen=True)
class Creator:
    """Who made the data (not who publishes it): a person or an organisation, with an optional web page."""

    name: str
    url: str | None = None
    type: str = "organization"  # organization | person


CREATOR_TYPES = ("organization", "person")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    description: str
    source: Source
    format: str
    license: str | None = None  # what the catalog declares
    homepage: str | None = None
    citation: str | None = None
    key_columns: tuple[str, ...] = ()
    null_values: tuple[str, ...] = ()  # CSV spellings of a missing value, e.g. "NA"
    csv: CsvOptions = CsvOptions()
    sheet: SheetOptions = SheetOptions()
    origin: str | None = None
    fixture: str | None = None  # set on demo entries built to show a blocked or quarantined outcome
    policy: str = "default"
    visibility: str = "public"
    sign_off: dict | None = field(default=None, hash=False)
    creator: tuple[Creator, ...] = ()  # the data's creators, as the source credits them; none when not stated


# An entry names where its data comes from in `source`, or (a derived dataset) the query that makes it in `derived`.
ENTRY_FIELDS = {f.name for f in fields(CatalogEntry)} | {"derived"}
# What a catalog's `source:` may say besides its kind; allow_private_network and data_root are the catalog's.
SOURCE_FIELDS = {f.name for f in fields(Source)} - {"kind", "allow_private_network", "data_root", "archive", "query",
                                                   "inputs"} \
    | {"members"}
CSV_FIELDS = {f.name for f in fields(CsvOptions)}
SHEET_FIELDS = {f.name for f in fields(SheetOptions)}


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
    homepage = raw.get("homepage")
    if homepage is not None and not re.match(r"^https?://[^/\s]", str(homepage)):
        raise CatalogError(f"{where}: homepage must be an http(s) URL (it is published), got {redact(str(homepage))!r}")
    if homepage is not None and has_credentials(str(homepage)):
        raise CatalogError(f"{where}: homepage is published and may not carry credentials (user:password@ or a key "
                           f"in its query): {redact(str(homepage))!r}")
    sign_off = raw.get("sign_off")
    if sign_off is not None and (not isinstance(sign_off, dict) or not SIGN_OFF_REQUIRED <= set(sign_off)
                                 or not set(sign_off) <= SIGN_OFF_REQUIRED | {"evidence", "permission"}):
        raise CatalogError(f"{where}: sign_off must give who, when, why and license (the SPDX id or public-domain it "
                           "confirms), and may give evidence and permission")
    permission = (sign_off or {}).get("permission")
    if permission is not None and (not isinstance(permission, dict) or set(permission) != PERMISSION_FIELDS
                                   or not all(str(value).strip() for value in permission.values())):
        raise CatalogError(f"{where}: sign_off permission must give kind (licence or written-permission), reference "
                           "and granted_to: the permission granted to us that releases an opt-out")
    if sign_off and str(sign_off["license"]).strip().lower() == "public-domain" and not sign_off.get("evidence"):
        raise CatalogError(f"{where}: a public-domain sign_off needs evidence: the statement published as LICENSE")
    return CatalogEntry(
        id=dataset_id,
        title=str(raw["title"]),
        description=str(raw.get("description", "")).strip(),
        source=raw["source"] if isinstance(raw["source"], Source) else _source(raw["source"], root, settings, where),
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
        sign_off={key: {k: str(v) for k, v in value.items()} if key == "permission" else str(value)
                  for key, value in sign_off.items()} if sign_off else None,
        creator=_creators(raw.get("creator"), where),
    )


def _creators(raw: object, where: str) -> tuple[Creator, ...]:
    """`creator:` is a name, a mapping {name, url, type} (type: organization, the default, or person), or a list
    of those."""
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    creators = []
    for item in items:
        item = {"name": item} if isinstance(item, str) else item
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip() \
                or not set(item) <= {"name", "url", "type"}:
            raise CatalogError(f"{where}: creator must be a name, a mapping with name (and optionally url, type) "
                               f"or a list of those, got {item!r}")
        if item.get("url") is not None and (not re.match(r"^https?://", str(item["url"]))
                                            or has_credentials(str(item["url"]))):
            raise CatalogError(f"{where}: creator url must be http(s) without credentials (it is published), got "
                               f"{redact(str(item['url']))!r}")
        if item.get("type", "organization") not in CREATOR_TYPES:
            raise CatalogError(f"{where}: creator type must be one of {CREATOR_TYPES}, got {item['type']!r}")
        creators.append(Creator(name=item["name"].strip(), url=item.get("url"),
                                type=item.get("type", "organization")))
    return tuple(creators)


def _source(raw: object, root: Path, settings: dict, where: str) -> Source:
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


def csv_options(raw: object, where: str) -> CsvOptions:
    """The entry's `csv:` mapping, checked; CatalogError names the field at fault."""
    if raw is None:
        return CsvOptions()
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: csv must be a mapping, e.g. {{header: false, columns: [a, b]}}")
    unknown = set(raw) - CSV_FIELDS
    if unknown:
        raise CatalogError(f"{where}: unknown csv field(s) {sorted(map(str, unknown))}; known: {sorted(CSV_FIELDS)}")
    header = raw.get("header", True)
    if not isinstance(header, bool):
        raise CatalogError(f"{where}: csv.header must be true or false, got {header!r}")
    skip_lines = raw.get("skip_lines")
    if skip_lines is not None and (isinstance(skip_lines, bool) or not isinstance(skip_lines, int) or skip_lines < 0):
        raise CatalogError(f"{where}: csv.skip_lines must be a whole number >= 0, got {skip_lines!r}")
    columns = raw.get("columns") or []
    if not isinstance(columns, list) or not all(isinstance(c, str) and c.strip() for c in columns):
        raise CatalogError(f"{where}: csv.columns must be a list of column names")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise CatalogError(f"{where}: csv.columns names {repeated} more than once")
    if not header and not columns:
        raise CatalogError(f"{where}: csv.columns is required when csv.header is false (name every column)")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'):
        raise CatalogError(f"{where}: csv.delimiter must be one character other than a quote or a line break, "
                           f"got {delimiter!r}")
    return CsvOptions(header=header, skip_lines=skip_lines, columns=tuple(columns), delimiter=delimiter,
                      encoding=_codec_name(raw.get("encoding", "utf-8"), where))


def sheet_options(raw: object, where: str) -> SheetOptions:
    """The entry's `sheet:` mapping, checked."""
    if raw is None:
        return SheetOptions()
    if not isinstance(raw, dict) or not set(raw) <= SHEET_FIELDS:
        raise CatalogError(f"{where}: sheet must be a mapping with {sorted(SHEET_FIELDS)}, e.g. "
                           "{name: Data, header_row: 1}")
    name = raw.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, (str, int))
                             or (isinstance(name, int) and name < 0)):
        raise CatalogError(f"{where}: sheet.name must be a sheet's name or its 0-based index, got {name!r}")
    for number in ("header_row", "max_cells"):
        value = raw.get(number, getattr(SheetOptions(), number))
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if number == "header_row" else 1):
            raise CatalogError(f"{where}: sheet.{number} must be a whole number, got {value!r}")
    return SheetOptions(name=name, header_row=raw.get("header_row", 0),
                        max_cells=raw.get("max_cells", DEFAULT_MAX_CELLS))


def _codec_name(encoding: object, where: str) -> str:
    """The canonical name of a text encoding Python can decode, so spellings of one encoding give one recipe."""
    try:
        info = codecs.lookup(str(encoding))
        decodes_text = isinstance(info.incrementaldecoder().decode(b"", final=True), str)
    except (LookupError, TypeError):
        decodes_text = False
    if not decodes_text:  # unknown, or a bytes-to-bytes / text-to-text codec such as base64 or rot13
        raise CatalogError(f"{where}: csv.encoding {encoding!r} is not a known text encoding "
                           "(e.g. utf-8, utf-16, latin-1, cp1252, shift_jis)")
    return info.name


def allowed_variables() -> set[str]:
    """The variables a catalog URL may use: CATALOG_HTTP_BASE and the names CATALOG_ALLOWED_VARIABLES lists
    (separated by commas or spaces). The environment decides, not the catalog: a catalog cannot widen it."""
    listed = re.split(r"[,\s]+", os.environ.get("CATALOG_ALLOWED_VARIABLES", ""))
    return {*ALLOWED_VARIABLES, *(name for name in listed if name)}


def check_variable(name: str, where: str) -> None:
    """Refuse ${name} unless allow-listed, and always when the name says it holds a secret (its value is never
    read, so never shown)."""
    if SECRET_VARIABLE.search(name):
        raise CatalogError(f"{where} uses ${{{name}}}: a variable named like a secret (TOKEN, SECRET, KEY, PASSWORD) "
                           "is never substituted into a catalog URL, whose text travels to the source's server, "
                           "the warehouse, the logs and the published files")
    if name not in allowed_variables():
        raise CatalogError(f"{where} uses ${{{name}}}, which is not an allowed variable; allowed: "
                           f"{sorted(allowed_variables())} (add it to CATALOG_ALLOWED_VARIABLES to allow it)")


def expand_env(value: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        check_variable(name, f"URL {redact(value)!r}")
        if name not in os.environ:
            raise CatalogError(f"environment variable {name} is not set (used in {redact(value)!r})")
        return os.environ[name].rstrip("/")

    return VARIABLE.sub(replace, value)
