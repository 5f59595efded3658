"""An HTML page where data was declared (a sign-in or error page served at a CSV or JSON URL) is refused.

Servers label CSV and JSON loosely (text/plain, application/octet-stream, none at all), so no exact type is
required of data: only a response labelled as HTML, or a body that starts like an HTML document, is refused."""

from __future__ import annotations

import re
from pathlib import Path

from assets.guards import SourceRefused

HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")
HEAD_BYTES = 4096  # enough for a BOM, an XML declaration, comments and the doctype
# Optional BOM and whitespace, an optional XML declaration and comments, then a doctype or the <html> tag.
HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
                        re.IGNORECASE | re.DOTALL)


def refuse_html_response(content_type: str | None, where: str, declared_format: str) -> None:
    """Refuse a response whose Content-Type is HTML."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in HTML_MEDIA_TYPES:
        raise SourceRefused(f"{where} answered with an HTML page (Content-Type: {media_type}) where {declared_format} "
                            "data was declared (a sign-in or error page?)")


def refuse_html_file(path: Path, where: str, declared_format: str) -> None:
    """Refuse stored bytes that start like an HTML document, whatever they were labelled."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if HTML_START.match(head):
        raise SourceRefused(f"{where} is an HTML page, not {declared_format} data (a sign-in or error page?)")
