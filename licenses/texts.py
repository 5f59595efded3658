"""Full license texts from ScanCode's license database (licensedcode-data), ready to ship
beside a dataset: template placeholders filled with the copyright holders, and a copyright
line on top of the short notice-style licenses (BSD, MIT, ISC, 0BSD, Zlib...) whose texts
refer to a copyright notice they do not carry themselves.
"""

from __future__ import annotations

import re

from licenses.known import canonical_spdx_id
from licenses.licensedb import LicenseRecord, license_record

NOT_STATED = "Copyright: not stated by the source"
ANONYMOUS_HOLDERS = "the copyright holders"
# Template fields for the holder's name ("the ORGANIZATION" is the old OSI BSD template's).
HOLDER_PLACEHOLDER_RE = re.compile(
    r"<(?:copyright holders?|holders|owner|organi[sz]ation|author|name of author)>"
    r"|\[(?:fullname|name of copyright (?:owner|holder)|copyright holder's name)\]",
    re.IGNORECASE,
)
ORGANIZATION_PLACEHOLDER_RE = re.compile(r"\bthe ORGANIZATION\b")
YEAR_PLACEHOLDER_RE = re.compile(r"[<\[](?:year|yyyy)[>\]],? ?", re.IGNORECASE)
# A text that speaks of a copyright notice or holder it does not include needs one on top.
NOTICE_REFERENCE_RE = re.compile(r"\babove copyright notice\b|\bcopyright holders?\b|\bthe authors?\b", re.IGNORECASE)
COPYRIGHT_LINE_RE = re.compile(r"^\s*(?:portions )?(?:copyright|\(c\)|©)", re.IGNORECASE | re.MULTILINE)
NOTICE_LICENSE_MAX_CHARS = 4000  # longer texts are full legal codes that name their own parties
HEAD_LINES = 12  # where a license's own copyright line would be


def license_text(spdx_id: str, holders: list[str] | None = None) -> str | None:
    """The full text of an SPDX license or exception (any case, deprecated ids too), or None
    when the data has no text for it.

    Holder placeholders ("the ORGANIZATION", "<copyright holders>", "[fullname]") are filled
    with the holders joined by ", ", or "the copyright holders" without any; year placeholders
    are dropped. Short notice-style licenses that refer to a copyright notice they lack
    start with "Copyright (c) <holders>", or "Copyright: not stated by the source" without
    holders. Public-domain marks and dedications (CC0, PDM) come as their legal text, unchanged.
    """
    if not spdx_id:
        return None
    record = license_record(spdx_id) or license_record(canonical_spdx_id(spdx_id) or "")  # "GPL-2.0+" too
    path = record.text_path if record else None
    if record is None or path is None or not path.is_file():
        return None
    body = _body(path.read_text(encoding="utf-8"))
    if not body:
        return None
    named = ", ".join(h.strip() for h in holders or [] if h and h.strip())
    copyright_line = f"Copyright (c) {named}" if named else NOT_STATED
    text = _fill_template_copyright_line(body, copyright_line)
    text = _fill_placeholders(text, named or ANONYMOUS_HOLDERS)
    if _needs_copyright_line(record, text):
        text = f"{copyright_line}\n\n{text}"
    return text + "\n"


def _body(raw: str) -> str:
    """The license text after the YAML front matter, without surrounding blank lines."""
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        raw = raw[end + 4 :] if end >= 0 else ""
    return raw.strip("\n").rstrip()


def _fill_template_copyright_line(text: str, copyright_line: str) -> str:
    """Replace a template copyright line at the top ("Copyright (c) <year> <owner>") with ours."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:HEAD_LINES]):
        if COPYRIGHT_LINE_RE.match(line) and (HOLDER_PLACEHOLDER_RE.search(line) or YEAR_PLACEHOLDER_RE.search(line)):
            lines[i] = copyright_line
    return "\n".join(lines)


def _fill_placeholders(text: str, holders: str) -> str:
    text = YEAR_PLACEHOLDER_RE.sub("", text)
    text = HOLDER_PLACEHOLDER_RE.sub(lambda _: holders, text)
    return ORGANIZATION_PLACEHOLDER_RE.sub(holders, text)


def _needs_copyright_line(record: LicenseRecord, text: str) -> bool:
    head = "\n".join(text.splitlines()[:HEAD_LINES])
    return (
        record.category != "Public Domain"
        and not record.is_exception
        and len(text) <= NOTICE_LICENSE_MAX_CHARS
        and bool(NOTICE_REFERENCE_RE.search(text))
        and not COPYRIGHT_LINE_RE.search(head)
    )
