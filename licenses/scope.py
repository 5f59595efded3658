"""Which part of the content a named license covers: "the annotations are CC BY 4.0".

- A license scoped to the data as a whole (data, dataset, corpus, this work, the files)
  speaks for the data; beside one, licenses scoped to code (code, software, scripts, model
  weights) say nothing about the data and are set aside ("the code is MIT; the data is CC BY").
- A license scoped to a part of the content (annotations, labels, images...) applies to
  that part. When only parts are covered, the rest has no stated license: the use is unknown.
- A license scoped to nothing in particular is read as before, together with every other
  license the text names: setting a license aside must never loosen the answer on a guess.
- One statement among many (restrictions.py) speaks of its subject: "the software is for
  non-commercial use" or "flags are not covered by the ODbL" restricts the software or the
  flags, not the data; a statement that names no subject speaks of the data.
"""

from __future__ import annotations

import re

from licenses.identify import Finding
from licenses.info import LicenseInfo, Terms, make_info
from licenses.text import normalise

_WHOLE = (
    r"data|data ?sets?|databases?|corpus|corpora|work|files|contents?|collection|benchmark|resource"
    r"|everything|repository|repo"
)
_CODE = (
    r"code|source code|code ?base|software|scripts?|tools?|tooling|library|programs?|notebooks?"
    r"|models?|model weights|weights|checkpoints?|documentation|docs|website"
)
_CONTENT_PART = (
    r"annotations?|labels?|captions?|metadata|images?|photos?|photographs?|pictures?|audio|recordings?"
    r"|videos?|transcripts?|transcriptions?|descriptions?|translations?|summaries|prompts?|responses?"
    r"|masks?|segmentations?|bounding boxes|embeddings?|tweets?|articles?|reviews?"
)
# Things beside the data that a statement may speak of: the source's marks and symbols
_OTHER = r"trademarks?|service marks|logos?|brands?|brand names|trade names|flags?|emblems?|insignia"
_NOUN = rf"(?P<noun>{_CODE}|{_CONTENT_PART}|{_WHOLE})"
# "the annotations are released under" | "code is" | "data license:" right before the license name
# (a linking word is required: "... we collected tweets. CC BY 4.0" is about the whole)
SCOPE_BEFORE_RE = re.compile(
    rf"\b{_NOUN}(?: files?| data| set)?(?: (?:in|of) (?:this|the) (?:dataset|corpus|collection|repository))?(?= \w)"
    r"(?: licens\w*| terms)?(?: which| that)?(?: is| are| will be)?(?: all| also)?"
    r"(?: released| licensed| distributed| available| provided| published| shared| made available| offered| covered)?"
    r"(?: under| with| by| as| via)?(?: the| a| an)?$"
)
# "CC BY 4.0 for the annotations", "MIT applies to the code", "CC BY 4.0 (annotations only)"
SCOPE_AFTER_RES = (
    re.compile(rf"^(?:licens\w* )?(?:(?:applies|apply|applying) to|covers?|covering|for) (?:the |all |our )?{_NOUN}\b"),
    re.compile(rf"^{_NOUN} only\b"),
)
SOME_RE = re.compile(r"\b(?:some|certain|several|individual|other|few|many|most|selected)(?: \w+){0,3} $")
# names such as "code is released under mit" carry their scope ("library general public license" does not)
LEADING_NOUN_RE = re.compile(rf"{_NOUN}(?= (?:is|are|released|licensed|under|mit)\b)")


def _part(finding: Finding, norm: str, residual: str) -> str | None:
    """The noun a license is scoped to ("annotations", "code", "dataset"), None when not scoped."""
    own = norm[finding.start : finding.end]
    before = " ".join(residual[max(0, finding.start - 80) : finding.start].split())
    link = re.match(r"licens\w*", own)  # "code license: MIT" is found as "license mit"
    before = f"{before} {link.group(0)}" if link else before
    after = " ".join(residual[finding.end : finding.end + 60].split())
    match = (
        LEADING_NOUN_RE.match(own)
        or SCOPE_BEFORE_RE.search(before)
        or next(filter(None, (regex.search(after) for regex in SCOPE_AFTER_RES)), None)
    )
    if match is None:
        return None
    noun = match.group("noun")
    # "some files are licensed under GPL v2": only some of the whole
    if re.fullmatch(_WHOLE, noun) and SOME_RE.search(match.string[: match.start("noun")]):
        return f"{noun} (some of them)"
    return noun


def licenses_for_the_data(
    findings: list[Finding], norm: str, residual: str, unscoped_elsewhere: bool
) -> tuple[list[Finding], list[LicenseInfo]]:
    """The findings that speak for the data, and an unknown-terms note when only parts are covered.

    norm is the normalised text, residual the same with license names blanked;
    unscoped_elsewhere says another source in the text (a license URL) names a license.
    """
    parts = [(finding, _part(finding, norm, residual)) for finding in findings]
    if all(part is None for _, part in parts):
        return findings, []
    about_data = [finding for finding, part in parts if part is None or not re.fullmatch(_CODE, part)]
    if any(part and re.fullmatch(_WHOLE, part) for _, part in parts):
        return about_data, []
    if unscoped_elsewhere or any(part is None and finding.info.informative for finding, part in parts):
        return findings, []
    covered = "; ".join(f"{finding.info.label} covers only the {part}" for finding, part in parts if part)
    note = make_info(Terms(), confidence=0.5, evidence=f"{covered}: the rest of the data has no stated license")
    # A license read as the code's may cover the data too ("data and code are CC BY-NC"): its restrictions stay.
    set_aside = [make_info(finding.info.terms, confidence=0.5,
                           evidence=f"{finding.info.label}, stated for the {part}, may cover the data too")
                 for finding, part in parts if part and finding not in about_data]
    return about_data, [note, *set_aside]


# The verb that ends a statement's subject ("the software | is for non-commercial use")
_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|may|must|can|cannot|shall|should|will|would|remains?|applies|apply|covers?"
    r"|falls?|has|have|comes?)\b",
    re.IGNORECASE,
)
# "the code in this repository": the container names where the subject is, not what it is
_CONTAINER_RE = re.compile(
    r"\b(?:in|of|from|within|inside|accompanying|with) (?:this|the|our|that|its) (?:repository|repo|project|package"
    r"|folder|directory|dataset|data set|collection|archive|distribution)\b"
)
_DATA_NOUN_RE = re.compile(rf"\b(?:{_WHOLE}|{_CONTENT_PART})\b")
_ELSEWHERE_NOUN_RE = re.compile(rf"\b(?:{_CODE}|{_OTHER})\b")


def other_subject(statement: str) -> str | None:
    """What one statement (as written) speaks of when that is neither the data nor a part of it: "The software is
    for non-commercial use" -> "software", "Code: CC BY-NC 4.0" -> "code". None for the data, a part of it, or no
    subject ("Non-commercial use only.", "You may not sell this data"): only a subject is read, never an object, so
    a doubt reads as the data ("You may not use the software commercially" restricts the data too)."""
    verb = _VERB_RE.search(statement)
    before = statement[: verb.start()] if verb else statement.partition(":")[0] if ":" in statement else ""
    subject = _CONTAINER_RE.sub(" ", normalise(before.rpartition(":")[2]))
    # The last noun heads the subject: "this repository's code" speaks of code, "the code and data" of the data
    elsewhere = [found for found in _ELSEWHERE_NOUN_RE.finditer(subject)]
    data = [found for found in _DATA_NOUN_RE.finditer(subject)]
    if not elsewhere or (data and data[-1].start() > elsewhere[-1].start()):
        return None
    if data and re.search(r"\b(?:and|or|&)\b", subject[data[-1].end():elsewhere[-1].start()]):
        return None  # "the data and the code": the data is in the subject too
    return elsewhere[-1].group(0)


def speaks_of_code(finding: Finding, norm: str, residual: str) -> bool:
    """A license the statement scopes to the code, the software, the model ("the code is released under MIT")."""
    part = _part(finding, norm, residual)
    return part is not None and re.fullmatch(_CODE, part) is not None
