"""classify(text) -> LicenseInfo: any license string to SPDX id, use class and obligations.

Order of evidence, most certain first:
1. the whole text is an SPDX id or expression, or a Hugging Face Hub license id;
2. license URLs, license names and abbreviations (any spelling), SPDX ids in prose and
   license bodies ("Permission is hereby granted, free of charge..."); several licenses
   combine to the most restrictive terms; words beside them ("non-commercial use only")
   can only make the answer more restrictive;
3. with no license named: custom terms in words (research-only, non-commercial,
   public domain, "free for any purpose"), else unknown with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from licenses import creative_commons, rules, scope
from licenses.identify import Finding, blank_out, find_licenses, operator_between
from licenses.info import (
    LicenseInfo,
    Terms,
    apply_restrictions,
    combine,
    make_info,
    unknown,
    use_rank,
)
from licenses.known import canonical_spdx_id, catalog, known_license
from licenses.text import MAX_CHARS, decode_guard, head_and_body, normalise, strip_urls
from licenses.urls import license_from_url

EXPRESSION_TOKEN_RE = re.compile(r"\(|\)|[^\s()]+")
OPERATORS = {"AND", "OR", "WITH"}
LONG_BODY = 1000  # a body this long after a license title is that license's own text
GNU_FAMILY_PREFIXES = ("GPL", "LGPL", "AGPL", "GFDL")
# Paragraphs of a license's own text talk about the license and what it covers.
LICENSE_CLAUSE_RE = re.compile(
    r"\b(?:this|the) (?:license|licence|agreement|public license|program|software|library|work|font software"
    r"|licensed material|covered work|original work|document|package)\b|\blicensor\b|\blicensee\b",
    re.IGNORECASE,
)


def classify(text: object) -> LicenseInfo:
    """Classify one license string. Never raises: unusable input gives use=unknown with the reason."""
    usable = decode_guard(text)
    if usable is None:
        return unknown(_unusable_reason(text))
    truncated = usable[:MAX_CHARS]
    try:
        info = exact(truncated) or _free_text(truncated)
    except Exception as error:  # a governance gate must get an answer; unknown is the safe one
        return unknown(f"classifier error: {type(error).__name__}: {error}")
    if len(usable) > MAX_CHARS:
        info = dataclasses.replace(info, evidence=f"{info.evidence} (first {MAX_CHARS} characters read)")
    return info


def _unusable_reason(text: object) -> str:
    if isinstance(text, str):
        return "binary or undecodable text" if text.strip() else "empty text"
    return "empty text" if text is None else f"not text ({type(text).__name__})"


def exact(text: str) -> LicenseInfo | None:
    """The whole text is a Hub license id or an SPDX id/expression."""
    stripped = text.strip().strip("\"'`").strip()
    hub_target = catalog().hub_ids.get(stripped.lower())
    if hub_target:
        known = known_license(hub_target)
        return known.info(1.0, f"Hub license id '{stripped}'") if known else None
    bare = creative_commons.from_bare_abbreviation(normalise(stripped))
    if bare:
        return bare.info(0.7, f"Creative Commons elements '{stripped}' (version not given)")
    return _spdx_expression(stripped)


def _spdx_expression(text: str) -> LicenseInfo | None:
    tokens = EXPRESSION_TOKEN_RE.findall(text)
    if not tokens or len(tokens) > 60:
        return None
    rendered: list[str] = []
    infos: list[LicenseInfo] = []
    operators: set[str] = set()
    expect_operand, after_with, depth = True, False, 0
    for token in tokens:
        upper = token.upper()
        if token == "(" and expect_operand:
            depth += 1
            rendered.append(token)
        elif token == ")" and not expect_operand and depth > 0:
            depth -= 1
            rendered.append(token)
        elif upper in OPERATORS and not expect_operand:
            operators.add(upper)
            after_with = upper == "WITH"
            expect_operand = True
            rendered.append(f" {upper} ")
        elif expect_operand and after_with:
            exception = catalog().spdx_exceptions.get(token.lower())
            if exception is None:
                return None
            rendered.append(exception)
            expect_operand, after_with = False, False
        elif expect_operand:
            spdx = canonical_spdx_id(token)
            known = known_license(spdx) if spdx else None
            if known is None:
                return None
            infos.append(known.info(1.0, ""))
            rendered.append(known.spdx or spdx)
            expect_operand = False
        else:
            return None
    if expect_operand or depth:
        return None
    expression = "".join(rendered)
    kind = "SPDX expression" if operators - {"WITH"} else "SPDX id"
    combined = combine(infos, "OR" if operators - {"WITH"} == {"OR"} else "AND")
    return dataclasses.replace(combined, spdx=expression, evidence=f"{kind} '{expression}'", confidence=1.0)


def _can_tighten(info: LicenseInfo, title: LicenseInfo) -> bool:
    """Whether a license mentioned in a license's body is more restrictive than its title license."""
    return (
        use_rank(info.use) > use_rank(title.use)
        or (info.no_derivatives and not title.no_derivatives)
        or (info.forbids_redistribution and not title.forbids_redistribution)
    )


def _is_gnu_sibling(finding: Finding) -> bool:
    """An unversioned GNU license named inside another GNU license ("version 3 of the GNU GPL")."""
    return finding.info.spdx is None and (finding.info.name or "").startswith("GNU")


def note_paragraphs(body_text: str) -> list[str]:
    """The paragraphs of a license body that are not license clauses (an appended data note), as written."""
    return [p for p in re.split(r"\n\s*\n", body_text) if not LICENSE_CLAUSE_RE.search(p)]


@dataclass(frozen=True)
class Reading:
    findings: list[Finding]  # named licenses that count, in reading order
    norm: str  # the normalised text
    residual: str  # the normalised text with every named license blanked (positions kept)
    rules_text: str  # what the custom-terms rules read
    title: LicenseInfo | None  # the license whose own text this is (a title, then a long body)


def read(text: str) -> Reading:
    """Find the named licenses; in a license's own text, trust its title.

    A long body after a recognised title is that license's text: its mentions of other
    licenses (GNU texts name their siblings, CC legal code names CC0) count only if they
    could tighten the answer, and the rules skip its clauses ("you may not distribute...
    except as permitted") so that only notes added to it can restrict it.
    """
    head_text, body_text = head_and_body(text)
    norm = normalise(text)
    head_end = len(normalise(head_text))
    findings = find_licenses(text, norm)
    head = [f for f in findings if f.start < head_end]
    body = [f for f in findings if f.start >= head_end]
    residual = blank_out(norm, findings)
    title_infos = [f.info for f in head if f.info.informative]
    title = combine(title_infos) if title_infos and len(body_text) > LONG_BODY else None
    if title is not None:
        body = [f for f in body if _can_tighten(f.info, title) and not f.modified]
        notes = normalise("\n\n".join(note_paragraphs(body_text)))
        rules_text = f"{residual[:head_end]} {notes}"
    else:
        if any((f.info.spdx or "").startswith(GNU_FAMILY_PREFIXES) for f in head):
            body = [f for f in body if not _is_gnu_sibling(f)]
        rules_text = residual
    return Reading(head + body, norm, residual, rules_text, title)


def without_subsumed(infos: list[LicenseInfo]) -> list[LicenseInfo]:
    """Drop "CC BY-SA (version not given)" when the same text also names "CC BY-SA 4.0"."""

    def subsumes(specific: LicenseInfo, vague: LicenseInfo) -> bool:
        same_family = (specific.name or "").split(" ")[0] == (vague.name or "").split(" ")[0]
        return bool(specific.spdx) and specific.terms == vague.terms and same_family

    return [
        info for info in infos if info.spdx or not any(subsumes(other, info) for other in infos if other is not info)
    ]


def _free_text(text: str) -> LicenseInfo:
    without_urls, urls = strip_urls(text)
    reading = read(without_urls)
    url_infos = [info for info in map(license_from_url, urls) if info is not None]
    findings, unstated_part = reading.findings, []
    if reading.title is not None:
        url_infos = [info for info in url_infos if _can_tighten(info, reading.title)]
    else:  # a license's own text speaks of "the software": its scope is not a part of the data
        findings, unstated_part = scope.licenses_for_the_data(
            reading.findings, reading.norm, reading.residual, unscoped_elsewhere=bool(url_infos)
        )
    named = url_infos + [f.info for f in findings]
    informative = without_subsumed([info for info in named if info.informative])
    restrictions = unstated_part + rules.restrictions(reading.rules_text)
    if informative:
        operator = operator_between(findings, reading.residual) if len(informative) > 1 else "AND"
        restrictions += rules.partly_unknown(reading.rules_text)
        return apply_restrictions(combine(informative, operator), restrictions)
    residual = reading.residual
    restrictions += rules.weak_restrictions(residual)
    if restrictions:
        base = make_info(Terms(), confidence=0.6, evidence="custom terms")
        result = apply_restrictions(base, restrictions)
        return dataclasses.replace(result, evidence="; ".join(r.evidence for r in restrictions))
    if named:  # only uninformative mentions, e.g. "Creative Commons" without a variant
        return combine(named)
    if urls and not residual.strip():
        return unknown(f"URL is not a known license address: {urls[0]}", confidence=0.2)
    return rules.statement(residual, without_urls)
