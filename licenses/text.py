"""Text clean-up shared by the license classifier.

Everything downstream matches regular expressions over one normalised form:
lower case, ASCII separators collapsed to single spaces, dots kept only inside
version numbers, letters and digits split apart ("gplv3" -> "gpl v 3"), common
typos of license vocabulary repaired and a few compounds joined
("non commercial" -> "noncommercial").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CHARS = 20_000  # longer texts are cut: license titles and grants sit at the top

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032"), "'") | dict.fromkeys(
    map(ord, "\u201c\u201d\u201e\u201f\u2033"), '"'
)

# Words worth repairing when misspelt; short tokens are never touched (too ambiguous).
VOCABULARY = frozenset(
    """
    creative commons attribution attributions noncommercial commercial sharealike share alike
    noderivatives noderivs derivatives derivative international unported generic license licensed
    licenses public domain dedication universal version general lesser library affero apache
    software foundation documentation mozilla eclipse european union academic research educational
    purposes purpose agreement government database commons unknown unspecified unavailable copyright
    reserved permission permitted prohibited distribution redistribution community permissive
    sharing clause simplified revised modified original international
    """.split()
)

VOCABULARY_BY_INITIAL = {
    initial: tuple(word for word in VOCABULARY if word[0] == initial) for initial in {w[0] for w in VOCABULARY}
}

_COMPOUNDS = [
    (re.compile(r"\bcreative commons?\b"), "creativecommons"),
    # Creative Commons elements in the German, French, Spanish and Dutch license titles
    (
        re.compile(r"\bnamensnennung\b|\bpaternite\b|\breconocimiento\b|\batribucion\b|\bnaamsvermelding\b"),
        "attribution",
    ),
    (
        re.compile(
            r"\bnicht ?kommerziell\b|\bkeine kommerzielle nutzung\b|\bpas d ?utilisation commerciale\b"
            r"|\bno ?comercial\b|\bniet ?commercieel\b"
        ),
        "noncommercial",
    ),
    (
        re.compile(
            r"\bweitergabe unter gleichen bedingungen\b|\bpartage (?:des conditions initiales a l|dans les memes"
            r" conditions)\b(?: identique)?|\bcompartir ?igual\b|\bgelijk ?delen\b"
        ),
        "sharealike",
    ),
    (
        re.compile(
            r"\bkeine bearbeitungen?\b|\bpas de modification\b|\bsin ?obra ?derivada\b|\bgeen afgeleide werken\b"
        ),
        "noderivatives",
    ),
    (re.compile(r"\bnon commercial\b"), "noncommercial"),
    (re.compile(r"\bshare alike\b"), "sharealike"),
    (re.compile(r"\bno ?deriv(?:ative|atives|s)?(?: works?)?\b|\bnoderivs\b"), "noderivatives"),
    (re.compile(r"\bopen rail\b"), "openrail"),
]


def decode_guard(text: object) -> str | None:
    """Return the text when it is usable, None when it is not text or looks binary."""
    if not isinstance(text, str) or not text.strip():
        return None
    sample = text[:4000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    if bad / len(sample) > 0.05:
        return None
    return text


def strip_urls(text: str) -> tuple[str, list[str]]:
    """Remove URLs from text (their paths would trigger word rules) and return them separately."""
    urls = [match.group(0).rstrip(".,;:") for match in URL_RE.finditer(text)]
    return URL_RE.sub(" ", text), urls


def _typo_distance_ok(word: str, target: str) -> bool:
    """True when word is one edit (or a transposition) away from target; two for long words."""
    limit = 2 if len(target) >= 9 else 1
    if abs(len(word) - len(target)) > limit:
        return False
    previous = list(range(len(target) + 1))
    before_previous: list[int] = []
    for i, a in enumerate(word, 1):
        current = [i]
        for j, b in enumerate(target, 1):
            cost = 0 if a == b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == target[j - 2] and word[i - 2] == b:
                value = min(value, before_previous[j - 2] + 1)
            current.append(value)
        before_previous, previous = previous, current
    return previous[-1] <= limit


@lru_cache(maxsize=8192)
def repair_word(word: str) -> str:
    """Map a misspelt vocabulary word to its spelling ("Unknwon" -> "unknown")."""
    if len(word) < 5 or word in VOCABULARY or not word.isalpha():
        return word
    candidates = VOCABULARY_BY_INITIAL.get(word[0], ())  # a typo keeps the first letter
    for target in sorted(candidates, key=lambda t: (abs(len(t) - len(word)), t)):
        # an inflection ("commercially", "licenses") is a different word, not a typo
        if word.startswith(target) or target.startswith(word):
            continue
        if _typo_distance_ok(word, target):
            return target
    return word


def normalise(text: str) -> str:
    """Normalised matching form of text (see module docstring)."""
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).lower()
    t = t.replace("©", " copyright ")
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))  # "é" -> "e"
    t = re.sub(r"licen[cs]", "licens", t)
    t = re.sub(r"(?<=[a-z]{2})v(?=\d)", " v", t)  # "gplv3" -> "gpl v3"
    t = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    t = re.sub(r"\+(?=\w)", " ", t)  # '+' survives only as a trailing "or later" marker
    t = re.sub(r"[^a-z0-9.+]+", " ", t)
    t = " ".join(repair_word(word) for word in t.split())
    # glued Creative Commons elements: "ccby", "by-ncsa", "byncnd"
    t = re.sub(r"\bcc(?=(?:by|nc|nd|sa)+\b)", "cc ", t)
    t = re.sub(r"\b(?:by|nc|nd|sa){2,4}\b", lambda m: " ".join(re.findall("by|nc|nd|sa", m.group(0))), t)
    for pattern, replacement in _COMPOUNDS:
        t = pattern.sub(replacement, t)
    return t


def head_and_body(text: str) -> tuple[str, str]:
    """Split a multi-line text after its first two non-empty lines (a LICENSE file's title)."""
    lines = text.splitlines()
    non_empty = [i for i, line in enumerate(lines) if line.strip()]
    if len(non_empty) < 3:
        return text, ""
    cut = non_empty[1] + 1
    return "\n".join(lines[:cut]), "\n".join(lines[cut:])
