"""Creative Commons licenses: every variant, version and SPDX-listed port, in any spelling.

A CC license is a set of elements (BY, NC, ND, SA), a version and maybe a port
(jurisdiction). We parse those from ids ("CC-BY-NC-SA-4.0"), Hub tags, names
("Creative Commons Attribution-NonCommercial 4.0 International"), abbreviations
("CC BY- SA 4.0") and deed URLs, then build the SPDX id and check that SPDX lists it.
Ports SPDX does not list (e.g. CC BY-SA 3.0 ES) keep their terms but get spdx=None.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from licenses.info import LicenseInfo, Terms, make_info
from licenses.known import KnownLicense, catalog

ELEMENT_WORDS = {
    "by": "BY",
    "attribution": "BY",
    "nc": "NC",
    "noncommercial": "NC",
    "nd": "ND",
    "noderivatives": "ND",
    "sa": "SA",
    "sharealike": "SA",
}
ELEMENT_NAMES = {"BY": "Attribution", "NC": "NonCommercial", "ND": "NoDerivatives", "SA": "ShareAlike"}
VERSIONS = ("1.0", "2.0", "2.1", "2.5", "3.0", "4.0")

# Port codes and names. English words that are also codes (in, it, no, be, my) are left
# out of prose matching: "CC BY 3.0 in the US" must not become an Indian port.
PORT_NAMES = {
    "spain": "es",
    "espana": "es",
    "germany": "de",
    "deutschland": "de",
    "osterreich": "at",
    "austria": "at",
    "netherlands": "nl",
    "nederland": "nl",
    "australia": "au",
    "united states": "us",
    "france": "fr",
    "japan": "jp",
    "england and wales": "uk",
    "england wales": "uk",
    "united kingdom": "uk",
    "scotland": "scotland",
    "switzerland": "ch",
    "italy": "it",
    "brazil": "br",
    "canada": "ca",
    "china mainland": "cn",
    "china": "cn",
    "poland": "pl",
    "portugal": "pt",
    "greece": "gr",
    "belgium": "be",
    "norway": "no",
    "sweden": "se",
    "new zealand": "nz",
    "south africa": "za",
    "korea": "kr",
    "taiwan": "tw",
    "hong kong": "hk",
    "mexico": "mx",
    "argentina": "ar",
    "chile": "cl",
    "czech republic": "cz",
    "ireland": "ie",
    "israel": "il",
    "india": "in",
    "singapore": "sg",
    "intergovernmental organisation": "igo",
    "igo": "igo",
}
PORT_CODES = (
    "at au br ca ch cl cn co cr cz de dk ec ee es fi fr gr gt hk hr hu ie il jp kr lu mk mt mx nl"
    " nz pe ph pl pr pt ro rs se sg si sk th tw ug uk us ve vn za ar bg"
).split()

_PORT = "|".join(sorted([*PORT_NAMES, *PORT_CODES], key=len, reverse=True))
_ELEMENT = "|".join(ELEMENT_WORDS)
_FILLER = r"(?: (?:international|unported|generic|public|license|licensed|deed|legal|code|version|ver|v))*"
_VERSION_PORT = rf"{_FILLER} (?P<version>[1-4](?:\.[0-5])?)\b(?: (?P<port>{_PORT})\b)?"
_ELEMENTS = rf"(?P<elements>(?: (?:and )?(?:{_ELEMENT})\b)*)"

CC_ZERO_RE = re.compile(r"\b(?:creativecommons|cc) ?(?:0|zero)\b(?: (?:v )?1.0)?(?: universal)?")
# Elements after the version count too: "cc-by-4.0-nc" is not CC BY 4.0
_TRAILING = rf"(?P<trailing>(?: (?:{_ELEMENT})\b)*)"
CC_PREFIXED_RE = re.compile(rf"\b(?:creativecommons|cc)\b(?: license)?{_ELEMENTS}(?:{_VERSION_PORT}{_TRAILING})?")
# A deed title has its version right after the elements: "Attribution-ShareAlike 4.0 International"
CC_DEED_TITLE_RE = re.compile(
    rf"\b(?P<elements>attribution(?: (?:{_ELEMENT})\b)*) (?P<version>[1-4](?:\.[0-5])?)\b(?: (?P<port>{_PORT})\b)?"
    rf"|\b(?P<elements2>attribution(?: (?:noncommercial|noderivatives|sharealike)\b){{1,2}})"
)
CC_ABBREVIATION_RE = re.compile(rf"\b(?P<elements>by(?: (?:nc|nd|sa)\b){{1,2}}){_VERSION_PORT}")
# Without a version, "by nc" is a CC license only as the whole text ("BY-NC-SA", "License: BY-NC"): in prose
# it is a word pair ("funded by NC State").
BARE_ABBREVIATION_RE = re.compile(
    r"(?:(?:licens\w*|licensed under|the|cc|creativecommons) )*(?P<elements>by(?: (?:nc|nd|sa)){1,2})(?: licens\w*)?"
)
CC_URL_RE = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<code>[a-z-]+)/(?P<version>\d\.\d)(?:/(?P<port>[a-z]{2,3}|scotland))?"
    r"|publicdomain/(?P<pd>zero|mark)/1\.0)",
    re.IGNORECASE,
)
SPDX_CC_RE = re.compile(r"CC-((?:BY|NC|ND|SA)(?:-(?:BY|NC|ND|SA))*)-(\d\.\d)(?:-([A-Z]{2,3}))?", re.IGNORECASE)


@dataclass(frozen=True)
class CCMatch:
    start: int
    end: int
    info: LicenseInfo


def _port_code(raw: str | None) -> str | None:
    if raw is None:
        return None
    return PORT_NAMES.get(raw, raw)


def _normal_version(raw: str | None) -> str | None:
    if raw is None:
        return None
    version = raw if "." in raw else f"{raw}.0"
    return version if version in VERSIONS else None


def _spdx_ids() -> dict[str, str]:
    return catalog().spdx_ids


def build(elements: set[str], version: str | None, port: str | None) -> KnownLicense | None:
    """A CC license from its parts; None when the combination is not a CC license (ND with SA)."""
    if "ND" in elements and "SA" in elements:
        return None
    if version != "1.0":
        elements = elements | {"BY"}  # every CC license since 2.0 requires attribution
    if version == "4.0":
        port = None  # 4.0 has no ports
    ordered = [e for e in ("BY", "NC", "ND", "SA") if e in elements]
    code = "-".join(ordered)
    terms = Terms(
        use="non-commercial" if "NC" in elements else "commercial",
        attribution="BY" in elements,
        share_alike="SA" in elements,
        no_derivatives="ND" in elements,
    )
    words = "-".join(ELEMENT_NAMES[e] for e in ordered)
    if version is None:
        return KnownLicense(
            f"x-cc-{code.lower()}", None, f"Creative Commons {words} (version not given)", terms, None, None
        )
    candidate = f"CC-{code}-{version}" + (f"-{port.upper()}" if port else "")
    spdx = _spdx_ids().get(candidate.lower())
    suffix = {"4.0": " International"}.get(
        version, f" {port.upper()}" if port else " Unported" if version == "3.0" else " Generic"
    )
    url = f"https://creativecommons.org/licenses/{code.lower()}/{version}/" + (f"{port}/" if port else "")
    hub = spdx.lower() if spdx and spdx.lower() in catalog().hub_spdx_ids else None
    return KnownLicense(
        spdx or f"x-{candidate.lower()}", spdx, f"Creative Commons {words} {version}{suffix}", terms, hub, url
    )


def cc_zero() -> KnownLicense:
    return KnownLicense(
        "CC0-1.0",
        "CC0-1.0",
        "Creative Commons Zero v1.0 Universal",
        Terms(use="commercial", public_domain=True),
        "cc0-1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    )


def from_spdx_id(license_id: str) -> KnownLicense | None:
    if license_id.upper() == "CC0-1.0":
        return cc_zero()
    match = SPDX_CC_RE.fullmatch(license_id)
    if not match:
        return None
    elements = set(match.group(1).upper().split("-"))
    port = match.group(3).lower() if match.group(3) else None
    return build(elements, match.group(2), port)


def from_bare_abbreviation(norm: str) -> KnownLicense | None:
    """The CC license a whole normalised text names by its elements alone ("by nc sa"), version not given."""
    match = BARE_ABBREVIATION_RE.fullmatch(norm.strip())
    if not match:
        return None
    return build({ELEMENT_WORDS[word] for word in match.group("elements").split()}, None, None)


def from_url(url: str) -> KnownLicense | None:
    """A CC license from a deed or legal-code URL, e.g. creativecommons.org/licenses/by-sa/3.0/de/."""
    match = CC_URL_RE.search(url)
    if not match:
        return None
    if match.group("pd") == "zero":
        return cc_zero()
    if match.group("pd") == "mark":
        from licenses.known import known_license

        return known_license("CC-PDM-1.0")
    elements = {ELEMENT_WORDS.get(part) for part in match.group("code").lower().split("-")}
    if None in elements:
        return None
    port = match.group("port").lower() if match.group("port") else None
    return build(elements, match.group("version"), port)


def _from_match(match: re.Match[str]) -> tuple[KnownLicense | None, bool]:
    """The license a grammar match names; the flag says whether a variant was named at all."""
    groups = match.groupdict()
    # elements after a bare number count only beside ones before it: in "Creative Commons license [1]
    # Attribution: ..." the "1" is a footnote mark and "Attribution" a heading ("CC 3.0 BY" counts)
    trailing = bool((groups.get("elements") or "").strip()) or "." in (groups.get("version") or "")
    parts = ("elements", "elements2", "trailing") if trailing else ("elements", "elements2")
    words = " ".join(groups.get(g) or "" for g in parts).split()
    elements = {ELEMENT_WORDS[w] for w in words if w in ELEMENT_WORDS}
    if not elements:
        return None, False
    return build(elements, _normal_version(groups.get("version")), _port_code(groups.get("port"))), True


def find(norm: str, limit: int = 200) -> list[CCMatch]:
    """Creative Commons licenses named in normalised text (at most `limit`), with their spans."""
    found: list[CCMatch] = []
    for match in itertools.islice(CC_ZERO_RE.finditer(norm), limit):
        found.append(
            CCMatch(match.start(), match.end(), cc_zero().info(0.9, f"Creative Commons name '{match.group(0)}'"))
        )
    for regex in (CC_PREFIXED_RE, CC_DEED_TITLE_RE, CC_ABBREVIATION_RE):
        for match in itertools.islice(regex.finditer(norm), limit):
            if any(m.start <= match.start() < m.end for m in found):
                continue
            known, named = _from_match(match)
            snippet = match.group(0).strip()
            if known is not None:
                info = known.info(0.9 if known.spdx else 0.7, f"Creative Commons name '{snippet}'")
            elif named:
                evidence = f"'{snippet}' is not a valid Creative Commons combination"
                info = make_info(Terms(), confidence=0.3, evidence=evidence, informative=False)
            else:
                info = make_info(
                    Terms(),
                    confidence=0.3,
                    evidence=f"Creative Commons without a variant ('{snippet}')",
                    informative=False,
                )
            found.append(CCMatch(match.start(), match.end(), info))
    return found
