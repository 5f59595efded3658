"""Find the licenses a text names: Creative Commons, catalog names, SPDX ids, the names and
short names of every SPDX license and exception (licensedb.py), license bodies.

Works on the normalised text (text.normalise); every finding carries its span there so
the custom-terms rules can run on what is left once the license names are blanked out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from licenses import creative_commons
from licenses.info import LicenseInfo, Terms, make_info
from licenses.known import canonical_spdx_id, catalog, exception_info, known_license
from licenses.licensedb import find_names
from licenses.text import normalise

# "modified MIT", "custom license based on Apache 2.0", "MIT-style": not the named license
MODIFIED_BEFORE_RE = re.compile(
    r"\b(?:modified|custom|customi[sz]ed|based on|adapted from|derived from|similar to|variant of|non profit"
    r"|inspired by|modification of|fork of|amended|adaptation of)(?: (?:version|form|variant) of)?"
    r"(?: (?:the|a|an))?\s*$"
)
MODIFIED_AFTER_RE = re.compile(
    r"^\s*(?:[a-z]+ ){0,2}(?:variant|modification)\b"
    r"|^\s*(?:style|like|inspired|based|derived"
    r"|with (?:modifications|additional|extra|custom|further|some|special|restrictions)|plus\b|modified"
    r"|\+ ?(?:additional|extra|custom|further|special|modifications))"
)
# "not under CC BY", "unlike MIT": the license is mentioned but not granted
NEGATED_BEFORE_RE = re.compile(
    r"\b(?:not|unlike|instead of|rather than|no longer|never)"
    r"(?: (?:licensed|released|distributed|available|provided|offered|covered|under|the|a|an|is|are|be|by))*\s*$"
)
SPDX_TOKEN_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9.+-]*-[A-Za-z0-9.+-]*[A-Za-z0-9+](?![\w-])")
# Ids that read as words ("Info-ZIP", "MIT-CMU"): in prose only with "license" beside them
WORD_LIKE_ID_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")
LICENSE_WORD_RE = re.compile(r"\blicens\w*\b")
# "GPL-2.0-or-later with the Classpath exception 2.0": the exception belongs to the license
WITH_GAP_RE = re.compile(r"^\s*(?:with|plus|and|\+)?\s*(?:the|a)?\s*$")
BSD_BODY = "redistribution and use in source and binary forms"
MAX_CANDIDATES = 200  # a text naming more licenses than this is noise; keeps matching linear


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    info: LicenseInfo
    modified: bool = False  # "modified MIT", "based on the GPL": named, but not the terms that apply
    grant: bool = False  # found by a sentence of a license body ("Permission is hereby granted...")


def _catalog_findings(norm: str) -> list[Finding]:
    findings = []
    for pattern in catalog().names:
        if pattern.whole:
            continue  # see _core_findings
        for match in pattern.regex.finditer(norm):
            license_id = pattern.resolve(match)
            known = known_license(license_id) if license_id else None
            if known is None:
                continue
            confidence = 0.9 if known.spdx else 0.7
            kind = "license text" if pattern.grant else "license name"
            info = known.info(confidence, f"{kind} '{match.group(0).strip()}'")
            findings.append(Finding(match.start(), match.end(), info, grant=pattern.grant))
    return findings


def _core_findings(original: str, norm: str) -> list[Finding]:
    """Names that count only as the whole text, once asides are dropped: "MIT (see LICENSE)"."""
    core = normalise(re.sub(r"\([^)]*\)|\[[^\]]*\]|\bsee\b.*$", " ", original, flags=re.IGNORECASE | re.DOTALL))
    core = re.sub(r"^(?:license|licensed under|the)\s+|\s+(?:license|licensed)$", "", core).strip()
    start = norm.find(core) if core else -1
    if start < 0:
        return []
    findings = []
    for pattern in catalog().names:
        match = pattern.regex.fullmatch(core) if pattern.whole else None
        license_id = pattern.resolve(match) if match else None
        known = known_license(license_id) if license_id else None
        if known is not None:
            findings.append(Finding(start, start + len(core), known.info(0.95, f"license name '{core}'")))
    return findings


def _bsd_body_findings(norm: str) -> list[Finding]:
    """BSD license bodies: the variant is the number of conditions the text lists."""
    start = norm.find(BSD_BODY)
    if start < 0:
        return []
    if "all advertising materials mentioning" in norm:
        license_id = "BSD-4-Clause"
    elif "neither the name" in norm or "may not be used to endorse" in norm:
        license_id = "BSD-3-Clause"
    elif "this software is provided by" in norm:
        license_id = "BSD-2-Clause"  # the disclaimer follows right after the last condition
    else:
        license_id = "x-bsd"  # excerpt cut before the conditions
    known = known_license(license_id)
    assert known is not None, license_id
    return [Finding(start, start + len(BSD_BODY), known.info(0.85, f"BSD license text ({license_id})"), grant=True)]


def _spdx_id_info(token: str) -> LicenseInfo | None:
    spdx = canonical_spdx_id(token)
    known = known_license(spdx) if spdx else None
    if known is not None:
        return known.info(0.95, f"SPDX id '{token}'")
    return exception_info(token, 0.95, f"SPDX exception id '{token}'")


def _spdx_token_findings(original: str, norm: str) -> list[Finding]:
    """SPDX ids written as such inside prose ("released under CECILL-2.1")."""
    findings = []
    for token in dict.fromkeys(SPDX_TOKEN_RE.findall(original)):
        info = _spdx_id_info(token.rstrip("."))
        if info is None:
            continue
        word_like = WORD_LIKE_ID_RE.fullmatch(token.rstrip(".")) is not None
        for match in re.finditer(rf"(?<!\S){re.escape(normalise(token))}(?!\S)", norm):
            beside = norm[max(0, match.start() - 12) : match.end() + 12]
            if word_like and norm.strip() != match.group(0) and not LICENSE_WORD_RE.search(beside):
                continue
            findings.append(Finding(match.start(), match.end(), info))
    return findings


def _database_findings(norm: str) -> list[Finding]:
    """Names and short names of SPDX licenses and exceptions ("Open Government Licence v3.0")."""
    findings = []
    for start, end, spdx in find_names(norm):
        evidence = f"license name '{norm[start:end]}'"
        known = known_license(spdx)
        info = known.info(0.9, evidence) if known else exception_info(spdx, 0.9, evidence)
        if info is not None:
            findings.append(Finding(start, end, info))
    return findings


def _with_exceptions(findings: list[Finding], norm: str) -> list[Finding]:
    """Join a license and the exception named right after it into "<license> WITH <exception>"."""
    joined: list[Finding] = []
    for finding in findings:
        previous = joined[-1] if joined else None
        exception = finding.info.spdx if not finding.info.informative else None
        if (
            previous is not None
            and exception
            and catalog().spdx_exceptions.get(exception.lower())
            and previous.info.spdx
            and " " not in previous.info.spdx
            and WITH_GAP_RE.match(norm[previous.end : finding.start])
        ):
            info = dataclasses.replace(
                previous.info,
                spdx=f"{previous.info.spdx} WITH {exception}",
                name=f"{previous.info.name} with {finding.info.name}",
                evidence=f"{previous.info.evidence} with {exception}",
            )
            joined[-1] = Finding(previous.start, finding.end, info, previous.modified, previous.grant)
        else:
            joined.append(finding)
    return joined


def _without_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the longest of overlapping findings ("bsd 3 clause clear" over "bsd 3 clause")."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (-(f.end - f.start), f.start)):
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


def _qualified(finding: Finding, norm: str) -> Finding | None:
    """Drop negated mentions; a modified or "-style" license becomes custom terms."""
    before = norm[max(0, finding.start - 60) : finding.start]
    after = norm[finding.end : finding.end + 40]
    if NEGATED_BEFORE_RE.search(before):
        return None
    if MODIFIED_BEFORE_RE.search(before) or MODIFIED_AFTER_RE.search(after):
        label = finding.info.label
        custom = make_info(Terms(), confidence=0.4, evidence=f"modified or custom version of {label}: terms unknown")
        return Finding(finding.start, finding.end, custom, modified=True)
    return finding


def find_licenses(original: str, norm: str) -> list[Finding]:
    """Licenses named in a text, in reading order (norm = normalise(original))."""
    candidates = [Finding(m.start, m.end, m.info) for m in creative_commons.find(norm)]
    candidates += _catalog_findings(norm) + _core_findings(original, norm)
    candidates += _bsd_body_findings(norm) + _spdx_token_findings(original, norm) + _database_findings(norm)
    candidates = sorted(candidates, key=lambda f: f.start)[:MAX_CANDIDATES]
    qualified = [q for f in _without_overlaps(candidates) if (q := _qualified(f, norm)) is not None]
    qualified = _with_exceptions(qualified, norm)
    if any(not f.grant and f.info.informative for f in qualified):
        # "MIT No Attribution" then its body "Permission is hereby granted...": the name decides
        qualified = [f for f in qualified if not f.grant]
    return qualified


def operator_between(findings: list[Finding], residual: str) -> str:
    """'OR' when the text offers a choice ("MIT or Apache-2.0", "dual-licensed"), else 'AND'.

    residual is the normalised text with the license names blanked (positions kept).
    """
    if re.search(r"\bdual(?:ly)?\b|\beither\b|\bat your (?:option|choice)\b", residual):
        return "OR"
    gaps = [residual[a.end : b.start] for a, b in zip(findings, findings[1:])]
    if gaps and all(re.search(r"\bor\b", gap) and not re.search(r"\band\b", gap) for gap in gaps):
        return "OR"
    return "AND"


def blank_out(norm: str, findings: list[Finding]) -> str:
    """The text with the license names blanked, for the custom-terms rules."""
    chars = list(norm)
    for finding in findings:
        chars[finding.start : finding.end] = " " * (finding.end - finding.start)
    return "".join(chars)
