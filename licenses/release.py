"""How a license is published: the Hub license id for the card and where the license's full text comes from.

A snapshot can be published only when both exist. The Hub accepts only its own license ids in card YAML; any
other license is `license: other` with a `license_name` and a link to the terms, which is the LICENSE file
published with the data. That file holds, in order of preference: the upstream license file when it states the
decided license, the license's full text from the SPDX list data, or (for a license without an SPDX id, such as
a public-domain statement or custom terms) the statement itself, verbatim.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from licenses.evidence import LicenseSignal
from licenses.info import LicenseInfo
from licenses.known import known_license
from licenses.texts import license_text

LICENSE_FILE_PREFIXES = ("LICENSE", "LICENCE", "COPYING")
MAX_STATEMENT_CHARS = 4000  # a longer text without an SPDX id is a license document we cannot identify
# An upstream file is the license's text only when it is about as long as that text: "MIT" alone, or "This project is
# MIT licensed", names the license without carrying the terms every copy must carry.
FULL_TEXT_SHARE = 0.5
# Texts that may mention a license but are not a statement of one to publish as LICENSE (nor is a sentence quoted
# from a longer text).
NOT_STATEMENTS = ("README", "ROW_COLUMN")
PUBLIC_DOMAIN_NAME = "public-domain"


@dataclass(frozen=True)
class LicenseRelease:
    hub_license: str  # a Hub license id, or "other"
    license_name: str | None  # with "other": the slug the card gives as license_name
    text_from: str  # "upstream:<file name>", "spdx:<id or expression>" or "statement:<signal source>"
    statement: str | None = None  # with "statement:": the text published as LICENSE, verbatim

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def hub_license(info: LicenseInfo) -> tuple[str, str | None]:
    """(Hub id, license_name): the Hub's own id, else `other` named by its SPDX id, or `public-domain`."""
    if info.hub_id:
        return info.hub_id, None
    if info.public_domain and not info.spdx:
        return "other", PUBLIC_DOMAIN_NAME
    return "other", _slug(info.spdx or info.name or "custom-terms")


def license_release(info: LicenseInfo, signals: list[LicenseSignal]) -> LicenseRelease | None:
    """How `info` (the decided license) is published, or None when no full text of it is at hand."""
    if info.spdx and narrower_than_named(info):
        return None  # "MIT. Non-commercial use only.": no one text states both the license and the restriction
    hub_id, license_name = hub_license(info)
    full_text = spdx_text(info.spdx) if info.spdx else None
    upstream = next((s for s in signals if s.source.upper().startswith(LICENSE_FILE_PREFIXES) and not s.quoted
                     and s.info.informative and _same_license(s.info, info)
                     and len(s.text.strip()) >= len(full_text or "") * FULL_TEXT_SHARE), None)
    if upstream is not None:
        return LicenseRelease(hub_id, license_name, f"upstream:{upstream.source}")
    if full_text is not None:
        return LicenseRelease(hub_id, license_name, f"spdx:{info.spdx}")
    if info.spdx or info.name:  # a name is not the terms: "CC BY" without a version, a model license
        return None
    statement = next((s for s in signals if not s.source.upper().startswith(NOT_STATEMENTS) and not s.quoted
                      and s.info.informative and _same_license(s.info, info)
                      and len(s.text.strip()) <= MAX_STATEMENT_CHARS), None)
    if statement is None:
        return None
    return LicenseRelease(hub_id, license_name, f"statement:{statement.source}", statement.text.strip())


def narrower_than_named(info: LicenseInfo) -> bool:
    """The decided terms are narrower than the named license's own (words beside it restrict it)."""
    plain = known_license(info.spdx) if info.spdx else None
    return plain is not None and info.terms.restrict(plain.terms) != plain.terms


def license_file_name(text_from: str) -> str:
    """The published file that holds the license text: the upstream file under its own name, else LICENSE."""
    kind, _, origin = text_from.partition(":")
    return origin if kind == "upstream" else "LICENSE"


def spdx_text(expression: str, holders: list[str] | None = None) -> str | None:
    """The full text of an SPDX id, or of every license in an expression one after another; None if one lacks it."""
    tokens = [token for token in re.split(r"[\s()]+", expression) if token]
    ids = [token for token in tokens if token.upper() not in ("AND", "OR", "WITH")]
    if not tokens or tokens[-1].upper() in ("AND", "OR", "WITH"):
        return None
    texts = [license_text(spdx_id, holders) for spdx_id in ids]
    if not texts or any(text is None for text in texts):
        return None
    return ("\n\n" + "-" * 72 + "\n\n").join(texts)


def _same_license(candidate: LicenseInfo, decided: LicenseInfo) -> bool:
    """A signal states the decided license: the same SPDX id, or (without one) the same terms and name."""
    if decided.spdx or candidate.spdx:
        return candidate.spdx == decided.spdx
    return candidate.terms == decided.terms and candidate.name == decided.name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.") or "custom-terms"
