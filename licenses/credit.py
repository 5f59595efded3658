"""The credit line of a NOTICE: the sentence that says whom to credit, or how.

Looked for in this order: a labelled line ("Attribution:", "Credit:", "Acknowledgement:"),
a sentence naming who made the data available ("Data were collected and made available
by ...", "This database contains information from ...", "Please cite ...", Apache's "This
product includes software developed at ..."), then a labelled source or citation ("Data
source:", "Source:", "Citation:"). A labelled line runs to its sentence's end or the next
label; line breaks become spaces. License wording ("free software ... published by the
Free Software Foundation", "provided by the copyright holders") is no credit.
"""

from __future__ import annotations

import re

from licenses.copyright import is_abbreviation

LABEL = r"^[ \t]*(?:{})(?:\s*/\s*\w+)?[ \t]*:"
CREDIT_LABEL_RE = re.compile(LABEL.format(r"attribution|credits?|acknowledge?ments?"), re.IGNORECASE | re.MULTILINE)
SOURCE_LABEL_RE = re.compile(
    LABEL.format(r"data source|sources?|citation|cite as|how to cite"), re.IGNORECASE | re.MULTILINE
)
CREDIT_SENTENCE_RE = re.compile(
    r"\b(?:collected|compiled|produced|created|made available)(?:\s+and\s+(?:made\s+available|\w+))?\s+by\b"
    r"|\bincludes (?:software|data) developed (?:at|by)\b|\bcontains information from\b"
    r"|\bplease (?:cite|credit|acknowledge|attribute)\b|\bcourtesy of\b",
    re.IGNORECASE,
)
LICENSE_WORDING_RE = re.compile(r"free software|redistribute|permission|warrant|derivative works", re.IGNORECASE)
ANY_LABEL_RE = re.compile(r"\n[ \t]*[A-Z][\w /()-]{0,30}:(?:\s|$)")


def _is_abbreviation(before: str) -> bool:
    """Whether the word just before a full stop is an abbreviation; callers pass only the last few characters."""
    word = re.findall(r"[\w.]+$", before)
    return bool(word) and is_abbreviation(word[0])


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence around position starts: after a full stop, a blank line or a label line."""
    blank_line = text.rfind("\n\n", 0, position)
    base = blank_line + 2 if blank_line >= 0 else 0
    for label in ANY_LABEL_RE.finditer(text, base, position):
        base = label.start() + 1
    start = base
    for match in re.finditer(r"[.!?]\s+(?=[A-Z])", text[base:position]):
        cut = base + match.start()
        if not _is_abbreviation(text[max(0, cut - 40) : cut]):
            start = base + match.end()
    return start


def _sentence_from(text: str, start: int) -> str:
    """The sentence from start, up to its full stop, a blank line or the next label line, on one line."""
    end = len(text)
    for match in re.finditer(r"\n[ \t]*\n|[.!?](?=\s+[A-Z(]|\s*$)", text[start:]):
        cut = start + match.start()
        if match.group().strip() and _is_abbreviation(text[max(0, cut - 40) : cut]):
            continue
        end = start + match.start()
        break
    sentence = text[start:end]
    label = ANY_LABEL_RE.search(sentence)
    return " ".join((sentence[: label.start()] if label else sentence).split())


def credit_line(notice_text: str) -> str | None:
    """The sentence of a NOTICE that says whom or how to credit, as written on one line, or None."""
    text = (notice_text or "").replace("\r\n", "\n")
    candidates = [_sentence_from(text, label.start()) for label in CREDIT_LABEL_RE.finditer(text)]
    candidates += [_sentence_from(text, _sentence_start(text, m.start())) for m in CREDIT_SENTENCE_RE.finditer(text)]
    candidates += [_sentence_from(text, label.start()) for label in SOURCE_LABEL_RE.finditer(text)]
    return next((c for c in candidates if c and not c.endswith(":") and not LICENSE_WORDING_RE.search(c)), None)
