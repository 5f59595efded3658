"""Copyright notices and holders from license texts, cards and README excerpts.

A notice starts at "Copyright", "©" or "(c) <year>" and must carry a year or a
copyright sign, which keeps license boilerplate ("the above copyright notice...",
"COPYRIGHT HOLDERS AND CONTRIBUTORS") out. It ends at "All rights reserved", a license
grant ("Licensed under..."), a URL or the end of its sentence.
"""

from __future__ import annotations

import re

MARKER_RE = re.compile(r"\bcopyright\b(?:\s*(?:\(c\)|©))?|©|\(c\)(?=\s*(?:19|20)\d{2})", re.IGNORECASE)
END_RE = re.compile(
    r"\ball rights reserved\b|\b(?:is |are )?licen[cs]ed\b|\breleased under\b|\bunder the\b|\bsee\b"
    r"|<?https?://|\bwww\.|;|\s[-|]\s|\bpermission is\b",
    re.IGNORECASE,
)
YEARS_RE = re.compile(
    r"<?\b(?:19|20)\d{2}\b>?(?:\s*(?:[-–,/]|and|to)\s*(?:<?\b(?:19|20)\d{2}\b>?|present|now|today))*", re.IGNORECASE
)
SENTENCE_END_RE = re.compile(r"\.(?=\s+[A-Z]|\s*$)")
ABBREVIATIONS = {
    "inc",
    "ltd",
    "co",
    "corp",
    "llc",
    "plc",
    "s.a",
    "b.v",
    "n.v",
    "jr",
    "sr",
    "st",
    "e.v",
    "ag",
    "al",
    "u.s",
}
# Notices of the license documents themselves, not of the data they cover
LICENSE_AUTHORS_RE = re.compile(r"free software foundation|creative commons corporation", re.IGNORECASE)
PLACEHOLDER_RE = re.compile(
    r"copyright (?:holder|owner)|name of (?:copyright )?owner|\b(?:yyyy|year|fullname|author name)\b|^\W*$",
    re.IGNORECASE,
)
NOT_A_HOLDER_RE = re.compile(
    r"^(?:notice|notices|holder|holders|owner|owners|law|laws|and|or|statement|protection|license|infringement"
    r"|the above|this|of|in|to|is|applies|act)\b",
    re.IGNORECASE,
)


def _cut_sentence(segment: str) -> str:
    """Up to the first full stop that ends a sentence rather than an abbreviation (Inc., Ltd.)."""
    for match in SENTENCE_END_RE.finditer(segment):
        word = re.findall(r"[\w.]+$", segment[: match.start()])
        if not word or word[0].lower().rstrip(".") not in ABBREVIATIONS:
            return segment[: match.start()]
    return segment


def _notice_segments(line: str) -> list[str]:
    markers = list(MARKER_RE.finditer(line))
    segments = []
    for marker, following in zip(markers, [*markers[1:], None]):
        end = following.start() if following else len(line)
        segment = line[marker.start() : end]
        stop = END_RE.search(segment, marker.end() - marker.start())
        segments.append(_cut_sentence(segment[: stop.start()] if stop else segment).strip(" ,;:-"))
    return segments


def _holder(notice: str) -> str:
    rest = MARKER_RE.sub(" ", notice)
    rest = YEARS_RE.sub(" ", rest)
    rest = re.sub(r"^\s*(?:by\b)?", "", rest)
    rest = re.sub(r"[<>\[\]]", " ", rest)
    rest = " ".join(rest.split()).strip(" ,;:-")
    if rest.endswith(".") and rest[:-1].split(" ")[-1].lower() not in ABBREVIATIONS:
        rest = rest[:-1]
    return rest


def _is_notice(notice: str) -> bool:
    has_year_or_sign = bool(YEARS_RE.search(notice)) or bool(re.search(r"©|\(c\)", notice, re.IGNORECASE))
    holder = _holder(notice)
    return (
        has_year_or_sign
        and bool(holder)
        and not PLACEHOLDER_RE.search(holder)
        and not NOT_A_HOLDER_RE.match(holder)
        and not LICENSE_AUTHORS_RE.search(holder)
    )


def extract_copyright(text: str) -> list[str]:
    """Copyright notices in text, de-duplicated, in order of appearance."""
    notices: list[str] = []
    for line in (text or "").splitlines():
        for segment in _notice_segments(line):
            if _is_notice(segment) and segment not in notices:
                notices.append(segment)
    return notices


def copyright_holders(notices: list[str]) -> list[str]:
    """The holders named by notices ("Copyright (c) 2019 ACME Corp" -> "ACME Corp"), de-duplicated."""
    holders: list[str] = []
    for notice in notices:
        holder = _holder(notice)
        if holder and holder not in holders:
            holders.append(holder)
    return holders
