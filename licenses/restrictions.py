"""Restrictions stated anywhere in a text, each with the sentence that states it.

A NOTICE, a README or a dataset card's body, a LICENSE file may name a permissive license in one
place and say in another, in one sentence among many, that the data is not for commercial use,
not for sale, for research only or not to be redistributed. Each sentence is read on its own with
the classifier's vocabulary (the licenses it names, the restriction rules of rules.py); a
sentence whose terms restrict the data is returned with those terms, to count under "most
restrictive wins" and to be quoted to the steward.

Not a restriction on the data:
- a statement about something else (scope.py): "the software is for non-commercial use", "the
  model weights are CC BY-NC", "flags are not covered by the ODbL";
- a license named in the negative ("not licensed under CC BY-NC": identify.py drops it);
- the clauses of a license's own text: in a LICENSE holding a license's full text, only its title
  and the notes added to it are read (as classify does);
- wording that beside other text describes intent, not terms ("collected for research
  purposes", "all rights reserved" closing a copyright notice): rules.py's weak restrictions.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from licenses import rules, scope
from licenses.classify import exact, note_paragraphs, read, without_subsumed
from licenses.info import LicenseInfo, Terms, apply_restrictions, combine, make_info
from licenses.text import MAX_CHARS, head_and_body, strip_urls
from licenses.urls import license_from_url

# Read whole up to this length; a longer text cannot be read for restrictions in reasonable time.
MAX_SCAN_CHARS = 200_000
QUOTE_CHARS = 300
# Blank lines, and lines that start a list item, a heading, a table row or a quote, end a paragraph.
PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-*+#>|]|\d+[.)])\s)")
# A sentence ends at . ! ? or ; before a space, unless the dot closes a one-letter abbreviation ("e.g.", "U.S.")
SENTENCE_END_RE = re.compile(r"(?<![.\s(][A-Za-z]\.)(?<=[.!?;])[\"')\]]*\s+")
# Clauses of one sentence may have subjects of their own: "the code is MIT, and the data is non-commercial"
CLAUSE_BREAK_RE = re.compile(r"[,;:] (?=(?:and|but|while|whereas|however)\b)")


@dataclass(frozen=True)
class Restriction:
    sentence: str  # as written, whitespace collapsed, cut to QUOTE_CHARS
    info: LicenseInfo


def restrictive(info: LicenseInfo) -> bool:
    """Terms that keep data from being used and shared freely (under the default policy: not publishable)."""
    return (info.use in ("non-commercial", "research-only") or info.no_derivatives or info.use_restrictions
            or info.forbids_redistribution)


def restrictions_in(text: str) -> list[Restriction]:
    """Every sentence of `text` that restricts the data, in reading order, each with its terms."""
    found: list[Restriction] = []
    seen: set[str] = set()
    for sentence in sentences(text[:MAX_SCAN_CHARS]):
        if sentence in seen:
            continue
        seen.add(sentence)
        infos = [info for clause in CLAUSE_BREAK_RE.split(sentence) if (info := stated_restriction(clause))]
        if infos:
            quote = sentence if len(sentence) <= QUOTE_CHARS else sentence[:QUOTE_CHARS] + " [...]"
            found.append(Restriction(quote, combine(infos)))
    return found


def sentences(text: str) -> list[str]:
    """The sentences of a text, whitespace collapsed; of a license's own text, only its title and added notes."""
    head, body = head_and_body(text)
    if read(text[:MAX_CHARS]).title is not None:  # as classify reads it
        paragraphs = [head, *note_paragraphs(body)]
    else:
        paragraphs = PARAGRAPH_BREAK_RE.split(text)
    found = []
    for paragraph in paragraphs:
        for sentence in SENTENCE_END_RE.split(" ".join(paragraph.split())):
            sentence = sentence.strip(" -*+#>|")
            if re.search(r"[A-Za-z]{2}", sentence):
                found.append(sentence)
    return found


def stated_restriction(statement: str) -> LicenseInfo | None:
    """The restrictive terms one statement puts on the data, or None: the licenses it names for the data (not for the
    code) and the restrictions in its words, when together they restrict (see `restrictive`)."""
    whole = exact(statement)  # an id, or CC elements alone ("BY-NC-SA")
    if whole is not None:
        return whole if restrictive(whole) else None
    if scope.other_subject(statement):
        return None
    without_urls, urls = strip_urls(statement)
    reading = read(without_urls)
    named = [info for info in map(license_from_url, urls) if info is not None]
    named += [finding.info for finding in reading.findings
              if not scope.speaks_of_code(finding, reading.norm, reading.residual)]
    informative = without_subsumed([info for info in named if info.informative])
    words = rules.restrictions(reading.rules_text)
    if informative:
        info = apply_restrictions(combine(informative), words)
    elif words:
        info = apply_restrictions(make_info(Terms(), confidence=0.6, evidence="custom terms"), words)
        info = dataclasses.replace(info, evidence="; ".join(word.evidence for word in words))
    else:
        return None
    return info if restrictive(info) else None
