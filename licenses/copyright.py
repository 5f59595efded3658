"""Copyright notices and holders from license texts, NOTICE files, cards and README excerpts.

A notice starts at "Copyright", "©" or "(c) <year>". It needs a year or a copyright sign
right after that marker, unless it opens a line or names someone right away ("Copyright
Steven Loria", Debian's "Copyright: D. Richard Hipp"); that keeps license wording out
("the copyright owner", "Copyright and Similar Rights", "the WIPO Copyright Treaty adopted
on December 20, 1996"). A notice ends at "All rights reserved", a license grant, a URL or
its sentence's end; it runs on to the next line while a quote is open, its line ends in
a comma, "and" or "of", or it has no name yet. Indented lines after a notice that start with a year, or name someone
with an email, are notices of their own (Debian copyright files, author lists).

Left out: the notice of a license document itself (the GPL's "Copyright (C) 2007 Free
Software Foundation"), and notices a text that speaks of data scopes to the code ("the
package's MIT license (...) covers the package's code, not this data file").
"""

from __future__ import annotations

import re

MARKER_RE = re.compile(
    r"\bcopyrighted\s+by\b|\bcopyright\b(?:\s*:)?(?:\s*(?:\(c\)|©))?|©|\(c\)(?=\s*(?:19|20)\d{2})", re.IGNORECASE
)
SIGN_RE = re.compile(r"\bcopyrighted\s+by\b|\bcopyright\b(?:\s*:)?|©|\(c\)", re.IGNORECASE)
END_RE = re.compile(
    r"\ball rights reserved\b|\b(?:is |are )?licen[cs]ed\b|\breleased under\b|\bunder the\b|\bsee\b"
    r"|<?https?://|\bwww\.|(?<!\d)\s[-|]\s|\bpermission is\b|\bcontributed by\b|\ball rights\s*$"
    r"|\band it is hereby\b|\bhereby\b|,\s*(?:but|write|we)\b",
    re.IGNORECASE,
)
YEAR = r"<?\b(?:19|20)\d[\dx]\b>?"
YEARS_RE = re.compile(
    rf"{YEAR}(?:\s*(?:[-–,/]|and|to)\s*(?:{YEAR}|\d{{2}}\b|present|now|today|later))*(?:\s*-(?!\w))?",
    re.IGNORECASE,
)
LEADING_YEARS_RE = re.compile(rf"^\W*{YEARS_RE.pattern}", re.IGNORECASE)
HOLDER_SEPARATOR_RE = re.compile(rf"\s*[;,]?\s*{YEARS_RE.pattern}\s*[,:;]?\s*|\s*;\s*", re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"\.(?=\s+[A-Z]|\s*$)")
ABBREVIATIONS = {"inc", "ltd", "co", "corp", "llc", "plc", "jr", "sr", "st", "ag", "al", "dr", "mr", "mrs", "ms",
                 "prof", "no", "vol"}
# Lines continuing the holders of the notice above: "   1992-1993 Jean-loup Gailly", "  Dan Schult <d@x.edu>"
CONTINUATION_RE = re.compile(
    r"^\s+(?:(?:19|20)\d{2}\b.*\S|[A-Z][\w.'-]*(?: [\w.'-]+){0,4} <[^<>@\s]+@[^<>\s]+>,?)\s*$"
)
QUOTE_PREFIX_RE = re.compile(r"^\s*(?:#+|>+|\*+|//+|;+)\s?")
EMAIL_RE = re.compile(r",?\s*<?\b[\w.+-]+(?:@| at )[\w-]+(?:(?:\.| dot )[\w-]+)+\b>?")
LICENSE_NAME_RE = re.compile(r",\s*(?:MIT|BSD|ISC|Apache|L?GPL|MPL|CC[- ]BY)\b.*$")
PLACEHOLDER_RE = re.compile(
    r"copyright (?:holder|owner)|name of (?:copyright )?(?:owner|author)|\b(?:yyyy|year|fullname|author name)\b"
    r"|\binitial developer\b",
    re.IGNORECASE,
)
NOT_A_HOLDER_RE = re.compile(
    r"^(?:notices?|holders?|owners?|laws?|and|or|statements?|protection|license|licence"
    r"|infringement|treaty|act|office|related|similar|the above|this|their|of|in|to|is|applies|also|like)\b"
    r"|^grant-|\blicen[cs]e$|\bBSD\b|\bL?GPL\b|^\W",
    re.IGNORECASE,
)
# The license document's own notice: the GPL family's header, or a Creative Commons notice
LICENSE_DOCUMENT_RE = re.compile(r"verbatim copies\s+of this license document|\bfsf\.org/>", re.IGNORECASE)
LICENSE_AUTHOR_RE = re.compile(r"creative commons corporation", re.IGNORECASE)
MENTIONS_DATA_RE = re.compile(r"\bdata(?:sets?|bases?)?\b", re.IGNORECASE)
CODE_NOTICE_RE = re.compile(r"\bcode\b\W*(?:\([^)]*\)\s*)?(?:©|\(c\)|copyright)", re.IGNORECASE)  # "code © 2019 X"
CODE_SCOPE_RE = re.compile(
    r"\bcover(?:s|ing)?\s+(?:only\s+)?the\s+(?:[\w-]+'s\s+)?(?:own\s+)?(?:code|software)\b"
    r"|\bcode\b[^.]*\bare:\s*$",  # "The source code ... are:" then the notice
    re.IGNORECASE | re.MULTILINE,
)


def is_abbreviation(word: str) -> bool:
    """Inc, Ltd, Dr, an initial (J) or dotted initials (J.H.M, S.A, U.S)."""
    return len(word) == 1 or "." in word or word.lower() in ABBREVIATIONS


def _cut_sentence(segment: str) -> str:
    """Up to the first full stop that ends a sentence rather than an abbreviation (Inc.) or an initial (J.)."""
    for match in SENTENCE_END_RE.finditer(segment):
        word = re.findall(r"[\w.]+$", segment[: match.start()])
        if not word or not is_abbreviation(word[0]):
            return segment[: match.start()]
    return segment


def _open(prefix: str, segment: str) -> bool:
    """The notice sits in a quote or parenthesis opened before it and not yet closed."""
    quoted = prefix.count('"') % 2 == 1 and '"' not in segment
    return quoted or prefix.count("(") > prefix.count(")") + segment.count(")")


def _has_evidence(prefix: str, marker: str, rest: str) -> bool:
    """A year or sign after the marker, or a name right after a marker that is not part of a name itself."""
    if re.search(r"(?:which|that) (?:is|are)\s*$", prefix, re.IGNORECASE):
        return False  # "software which is copyrighted by the FSF, write to the FSF" (the GPL's own words)
    if re.search(r"©|\(c\)|\bby$", marker, re.IGNORECASE) or LEADING_YEARS_RE.match(rest):
        return True
    before = re.findall(r"(\S+)\s*$", prefix)
    part_of_a_name = bool(before) and re.fullmatch(r"[A-Z][\w.]*", before[0]) is not None
    # a name starts with a capital, or is a camel-cased brand at the start of a line ("Copyright nexB Inc.")
    camel_at_line_start = not prefix.strip() and re.match(r"\s+[a-z]+[A-Z]", rest) is not None
    return not part_of_a_name and (re.match(r"\W*[A-Z]", rest) is not None or camel_at_line_start)


def _joined_segment(lines: list[str], index: int, segment: str, prefix: str, marker_length: int) -> str:
    """The notice's segment, run on over the next lines while it is plainly unfinished."""
    for following in lines[index + 1 : index + 4]:
        unfinished = (
            re.search(r"(?:,|\band|&|\bof|\bat)\s*$", segment)  # "Foo,", "Foo and", "University of"
            or not re.search(r"[^\W\d_]", YEARS_RE.sub("", segment[marker_length:]))  # only years so far
            or _open(prefix, segment)
        )
        if not unfinished or END_RE.search(segment) or MARKER_RE.search(following) or CONTINUATION_RE.match(following):
            break
        segment = f"{segment.rstrip()} {following.strip()}"
    return segment.split('"')[0] if prefix.count('"') % 2 == 1 else segment


def _continuation_notices(lines: list[str], index: int, indent: int) -> tuple[list[str], int]:
    """Notices on the lines continuing a notice (Debian's indented "2005 Jane Roe"), and the index after them."""
    notices = []
    while index < len(lines) and not MARKER_RE.search(lines[index]):
        line = lines[index]
        if CONTINUATION_RE.match(line):
            indent = _indent(line)
            stop = END_RE.search(line)
            notices.append(_cut_sentence(line[: stop.start()] if stop else line).strip(" ,;:-"))
        elif _indent(line) <= indent:
            break  # deeper lines are an address or affiliation under the holder above
        index += 1
    return [notice for notice in notices if not PLACEHOLDER_RE.search(notice) and _holders(notice)], index


def _paragraph_notices(lines: list[str]) -> list[str]:
    notices: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        markers = list(MARKER_RE.finditer(line))
        found = False
        for marker, following in zip(markers, [*markers[1:], None]):
            prefix, length = line[: marker.start()], marker.end() - marker.start()
            segment = line[marker.start() : following.start() if following else len(line)]
            if following is None:
                segment = _joined_segment(lines, index, segment, prefix, length)
            stop = END_RE.search(segment, length)
            notice = _cut_sentence(segment[: stop.start()] if stop else segment).strip(" ,;:-")
            rest = notice[length:]
            found = found or (following is None and not rest.strip())  # an empty Debian field: holders follow
            if PLACEHOLDER_RE.search(line[marker.start() :]) or not _has_evidence(prefix, marker.group(), rest):
                continue
            if _holders(notice):
                notices.append(notice)
                found = True
        index += 1
        if found:
            continued, index = _continuation_notices(lines, index, _indent(line))
            notices.extend(continued)
    return list(dict.fromkeys(notices))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip()) if line.strip() else -1


def extract_copyright(text: str) -> list[str]:
    """Copyright notices in text, de-duplicated, in order of appearance."""
    text = "\n".join(QUOTE_PREFIX_RE.sub("", line) for line in (text or "").splitlines())
    paragraphs = re.split(r"\n[ \t]*\n", text)
    mentions_data = bool(MENTIONS_DATA_RE.search(text))
    notices: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        found = _paragraph_notices(paragraph.splitlines())
        if not found or LICENSE_DOCUMENT_RE.search(paragraph):
            continue
        previous = paragraphs[number - 1] if number and paragraphs[number - 1].rstrip().endswith(":") else ""
        following = paragraphs[number + 1] if number + 1 < len(paragraphs) else ""
        context = "\n".join((previous, paragraph, following))
        if CODE_NOTICE_RE.search(paragraph) or (mentions_data and CODE_SCOPE_RE.search(context)):
            continue
        notices.extend(n for n in found if not LICENSE_AUTHOR_RE.search(n) and n not in notices)
    return notices


def _clean_holder(part: str) -> str:
    part = re.sub(r"\s+et al\b\.?|^\W*by\b|^\s*and\b|\s(?:and|&)\s*$", " ", part.strip(), flags=re.IGNORECASE)
    part = LICENSE_NAME_RE.sub("", " ".join(part.split())).strip(" ,;:-*'\"@")
    part = re.sub(r",?\s*\ball rights\b.*$", "", part, flags=re.IGNORECASE)
    while part.endswith((" and", " &", " or")):
        part = part.rsplit(" ", 1)[0].rstrip(" ,")
    if part.endswith(".") and not is_abbreviation(part[:-1].split(" ")[-1]):
        part = part[:-1]
    return part


def _holders(notice: str) -> list[str]:
    holders = []
    for part in SIGN_RE.split(notice):
        part = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", part)  # a Markdown link's text
        part = re.sub(r"<[^<>]*(?:://|see |www\.)[^<>]*>|https?://\S+|www\.\S+", " ", part)
        part = EMAIL_RE.sub("", part)
        while re.search(r"\([^()]*\)", part):
            part = re.sub(r"\s*\([^()]*\)", "", part)
        # an unmatched ")" closes a sentence around the notice; an unmatched "(" opens a remark
        part = re.sub(r"[<>\[\]]", " ", part.split(")")[0].split("(")[0])
        for piece in HOLDER_SEPARATOR_RE.split(part):
            holder = _clean_holder(piece)
            if (
                re.search(r"[^\W\d_]", holder)
                and not PLACEHOLDER_RE.search(holder)
                and not NOT_A_HOLDER_RE.search(holder)
                and holder not in holders
            ):
                holders.append(holder)
    return holders


def copyright_holders(notices: list[str]) -> list[str]:
    """The holders named by notices ("Copyright (c) 2019 ACME Corp" -> "ACME Corp"), de-duplicated."""
    holders: list[str] = []
    for notice in notices:
        holders.extend(holder for holder in _holders(notice) if holder not in holders)
    return holders
