"""Data Docs that read offline: GX's pages load their scripts and styles from CDNs (offline the index renders
blank), so each built site gets the bundled copies in `static/vendor/` and its pages point at them; what is
not bundled (charts, the date picker, a dark theme, a remote logo) is dropped from the pages, which read
without it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

# Where the local services serve the warehouse's data_docs/ folder unless DATA_DOCS_URL names another address.
DEFAULT_PORT = 8810
STATIC = Path(__file__).with_name("data_docs_static")
VENDOR_DIR = Path("static") / "vendor"

# The address GX's templates use -> the bundled file (see data_docs_static/README.md).
BUNDLED = {
    "code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    "maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/bootstrap.min.js",
    "unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    # Our own stylesheet: the few icons GX uses, as text symbols (the icon font is not bundled).
    "cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "icons.css",
}
# The run-time column's date-picker filter needs bootstrap-datepicker (not bundled): filter by typed date.
DATE_PICKER_FILTER = ("'filterControl': 'datepicker'", "'filterControl': 'input'")

# A tag that loads something: <script src=…></script>, <link href=…>, <img src=…>.
LOADING_TAG = re.compile(
    r"<script\b[^>]*\bsrc=\"(?P<script>[^\"]+)\"[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=\"(?P<link>[^\"]+)\"[^>]*>"
    r"|<img\b[^>]*\bsrc=\"(?P<img>[^\"]+)\"[^>]*>",
    re.IGNORECASE,
)


class UnbundledResourceError(RuntimeError):
    """A page loads a remote script or style this module does not know: offline it would be missing."""


def make_offline(site: Path) -> None:
    """Copy the bundled files into the site and point every page at them; remote loads not bundled are dropped
    when they are decoration, and refused otherwise (a new GX template would otherwise go blank unnoticed)."""
    target = site / VENDOR_DIR
    shutil.copytree(STATIC, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    for page in site.rglob("*.html"):
        if VENDOR_DIR in page.relative_to(site).parents:
            continue
        up = "../" * (len(page.relative_to(site).parts) - 1)
        text = page.read_text(encoding="utf-8")
        offline = LOADING_TAG.sub(lambda match: local_tag(match, f"{up}{VENDOR_DIR.as_posix()}/", page), text)
        offline = offline.replace(*DATE_PICKER_FILTER)
        if offline != text:
            page.write_text(offline, encoding="utf-8")


def local_tag(match: re.Match, vendor: str, page: Path) -> str:
    address = match.group("script") or match.group("link") or match.group("img")
    if not address.startswith(("http://", "https://", "//")):
        return match.group(0)  # the site's own files
    bundled = BUNDLED.get(address.split("//", 1)[1])
    if bundled and match.group("script"):
        return f'<script src="{vendor}{bundled}"></script>'
    if bundled:
        return f'<link rel="stylesheet" href="{vendor}{bundled}">'
    if match.group("link") and "stylesheet" not in match.group(0).lower():
        return match.group(0)  # a link that loads nothing (canonical, icon)
    if match.group("img") or droppable(address):
        return ""
    raise UnbundledResourceError(f"Data Docs page {page.name} loads {address}, which is not bundled in "
                                 f"{STATIC.name}/: offline the page would miss it")


def droppable(address: str) -> bool:
    """Loads the pages read well without: Vega (charts our suites do not draw), the date picker, a dark theme."""
    return any(name in address for name in ("/vega", "bootstrap-datepicker", "bootstrap-dark"))


def site_url(dataset_id: str) -> str:
    """The web address of a dataset's Data Docs index, which check metadata links to: browsers do not open
    file:// links from a web page, so the site is served over HTTP (DATA_DOCS_URL, else the local services'
    fixed default address)."""
    base = os.environ.get("DATA_DOCS_URL") or f"http://127.0.0.1:{DEFAULT_PORT}"
    return f"{base.rstrip('/')}/{dataset_id}/index.html"
