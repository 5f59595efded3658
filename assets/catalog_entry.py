"""A catalog entry as the pipeline uses it once loaded: the dataset, where its data comes from (Source), how a CSV
or spreadsheet source is read and who made the data. A source URL's ${VAR} is taken from the environment when it
is fetched, and only for the variables allowed here."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from assets.redaction import redact
from assets.source_forms import SplitFiles
from assets.spreadsheets import DEFAULT_MAX_CELLS

# ${VAR} in a catalog URL: only these variables, plus those CATALOG_ALLOWED_VARIABLES lists, are read from the
# environment, and never one whose name says it holds a secret, even when listed.
ALLOWED_VARIABLES = ("CATALOG_HTTP_BASE",)
SECRET_VARIABLE = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
