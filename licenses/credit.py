"""The credit line of a NOTICE: the sentence that says whom to credit, or how.

Looked for in this order: a labelled line ("Attribution:", "Credit:", "Acknowledgement:"),
a sentence naming who made the data available ("Data were collected and made available
by ...", "This database contains information from ...", "Please cite ...", Apache's "This
product includes software developed at ..."), then a labelled source or citation ("Data
source:", "Source:", "Citation:"). A labelled line runs to its sentence's end or the next
label; line breaks become spaces.
"""

from __future__ import annotations

import re

LABEL = r"^[ \t]*(?:{})(?:\s*/\s*\w+)?[ \t]*:"
CREDIT_LABEL_RE = re.compile(LABEL.format(r"attribution|credits?|acknowledge?ments?"), re.IGNORECASE | re.MULTILINE)
SOURCE_LABEL_RE = re.compile(
    LABEL.format(r"data source|sources?|citation|cite as|how to cite"), re.IGNORECASE | re.MULTILINE
)
CREDIT_SENTENCE_RE = re.compile(
    r"\b(?:collected|produced|created|compiled|made available|developed|published)"
    r"(?:\s+and\s+(?:made\s+available|\w+))?\s+(?:at|by)\b"
    r"|\bcontains information from\b|\bplease (?:cite|credit|acknowledge|attribute)\b|\bcourtesy of\b",
    re.IGNORECASE,
)
ANY_LABEL_RE = re.compile(r"\n[ \t]*[A-Z][\w /]{0,30}:\s")
ABBREVIATIONS = {"dr", "prof", "inc", "ltd", "co", "corp", "llc", "e.g", "i.e", "et al", "no", "vol", "st", "jr", "sr"}


def _sentence_start(text: str, position: int) -> int:
    paragraph_start = text.rfind("\n\n", 0, position) + 2 if "\n\n" in text[:position] else 0
    start = paragraph_start
    for match in re.finditer(r"[.!?]\s+(?=[A-Z])", text[paragraph_start:position]):
        if not _is_abbreviation(text[: paragraph_start + match.start()]):
            start = paragraph_start + match.end()
    return start


def _is_abbreviation(before: str) -> bool:
    word = re.findall(r"[\w.]+$", before)
    return bool(word) and (len(word[0]) == 1 or word[0].lower() in ABBREVIATIONS)


def _sentence_from(text: str, start: int) -> str:
    end = len(text)
    for match in re.finditer(r"\n[ \t]*\n|[.!?](?=\s+[A-Z(]|\s*$)", text[start:]):
        if match.group().strip() and _is_abbreviation(text[: start + match.start()]):
            continue
        end = start + match.start()
        break
    sentence = text[start:end]
    label = ANY_LABEL_RE.search(sentence)
    return " ".join((sentence[: label.start()] if label else sentence).split())


def credit_line(notice_text: str) -> str | None:
    """The sentence of a NOTICE that says whom or how to credit, as written on one line, or None."""
    text = (notice_text or "").replace("\r\n", "\n")
    if label := CREDIT_LABEL_RE.search(text):
        return _sentence_from(text, label.start()) or None
    if sentence := CREDIT_SENTENCE_RE.search(text):
        return _sentence_from(text, _sentence_start(text, sentence.start())) or None
    if label := SOURCE_LABEL_RE.search(text):
        return _sentence_from(text, label.start()) or None
    return None
