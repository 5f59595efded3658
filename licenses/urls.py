"""License URLs: Creative Commons deeds and legal code, Open Data Commons, SPDX, OSI,
choosealicense.com, GNU, Apache, national open-government licences and model-license pages,
then any URL the license database lists for exactly one SPDX license (licensedb.py).

Offline: only the URL's shape is read. A URL that is not one of these (a GitHub LICENSE
file, a project page) is no evidence of which license applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from licenses import creative_commons
from licenses.info import LicenseInfo
from licenses.known import KnownLicense, canonical_spdx_id, known_license
from licenses.licensedb import spdx_for_url
from licenses.text import normalise


def _by_id(license_id: str | None) -> KnownLicense | None:
    return known_license(license_id) if license_id else None


def _by_spdx_segment(segment: str) -> KnownLicense | None:
    """A path segment holding an SPDX id, e.g. spdx.org/licenses/MIT.html, opensource.org/license/bsd-3-clause."""
    segment = re.sub(r"\.(?:html?|php|json|txt)$", "", segment)
    for candidate in (segment, re.sub(r"-license$", "", segment, flags=re.IGNORECASE)):
        spdx = canonical_spdx_id(candidate)
        if spdx:
            return known_license(spdx)
    from licenses.identify import find_licenses  # names in the path, e.g. "apache2.0"

    norm = normalise(segment.replace("-", " "))
    findings = [f for f in find_licenses(segment, norm) if f.info.informative]
    if len(findings) == 1 and findings[0].info.spdx:
        return known_license(findings[0].info.spdx)
    return None


def _gnu(match: re.Match[str]) -> KnownLicense | None:
    family = {"gpl": "GPL", "lgpl": "LGPL", "agpl": "AGPL", "fdl": "GFDL"}[match.group(1).lower()]
    if match.group(2):
        return _by_id(f"{family}-{match.group(2)}")
    return _by_id(f"x-{family.lower()}")


def _llama(match: re.Match[str]) -> KnownLicense | None:
    version = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
    return _by_id(f"x-llama{version}")


def _odc(match: re.Match[str]) -> KnownLicense | None:
    return _by_id(
        {"by": "ODC-By-1.0", "odbl": "ODbL-1.0", "pddl": "PDDL-1.0", "dbcl": "x-dbcl"}[match.group(1).lower()]
    )


def _dl_de(match: re.Match[str]) -> KnownLicense | None:
    kind, version = match.group(1).lower(), match.group(2)
    if kind == "by-nc":
        return _by_id("x-dl-de-by-nc")
    if kind == "zero":
        return _by_id("DL-DE-ZERO-2.0" if version == "2" else None)
    return _by_id("DL-DE-BY-2.0" if version == "2" else "x-dl-de-by")


# (pattern over the URL without scheme, resolver)
URL_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], KnownLicense | None]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), resolver)
    for pattern, resolver in (
        (r"^creativecommons\.org/", lambda m: creative_commons.from_url(m.string)),
        (r"^opendatacommons\.org/licenses/(by|odbl|pddl|dbcl)\b", _odc),
        (r"^spdx\.org/licenses/([^/?#]+)", lambda m: _by_spdx_segment(m.group(1))),
        (r"^opensource\.org/licen[sc]es?/([^/?#]+)", lambda m: _by_spdx_segment(m.group(1))),
        (r"^choosealicense\.com/licenses/([^/?#]+)", lambda m: _by_spdx_segment(m.group(1))),
        (r"^apache\.org/licenses/LICENSE-(\d\.\d)", lambda m: _by_id(f"Apache-{m.group(1)}")),
        (r"^gnu\.org/licenses/(?:old-licenses/)?(a?gpl|lgpl|fdl)(?:-(\d\.\d))?", _gnu),
        (r"^mozilla\.org/(?:en-US/)?MPL/(\d\.\d)", lambda m: _by_id(f"MPL-{m.group(1)}")),
        (r"^eclipse\.org/legal/epl-(\d\.\d)", lambda m: _by_id(f"EPL-{m.group(1)}")),
        (
            r"^nationalarchives\.gov\.uk/doc/open-government-licen[cs]e(?:/version/(\d))?",
            lambda m: _by_id(f"OGL-UK-{m.group(1)}.0" if m.group(1) else "x-ogl-uk"),
        ),
        (r"^open\.canada\.ca/.*open-government-licen[cs]e-canada", lambda m: _by_id("OGL-Canada-2.0")),
        (r"^(?:etalab\.gouv\.fr/licence-ouverte|github\.com/etalab/licence-ouverte)", lambda m: _by_id("etalab-2.0")),
        (r"^govdata\.de/dl-de/(by-nc|by|zero)-(\d)-\d", _dl_de),
        (r"^cdla\.(?:dev|io)/permissive-(\d)-0", lambda m: _by_id(f"CDLA-Permissive-{m.group(1)}.0")),
        (r"^cdla\.(?:dev|io)/sharing-1-0", lambda m: _by_id("CDLA-Sharing-1.0")),
        (r"^data\.norge\.no/nlod/\w+/(\d\.\d)", lambda m: _by_id(f"NLOD-{m.group(1)}")),
        (r"^unlicense\.org", lambda m: _by_id("Unlicense")),
        (r"^wtfpl\.net", lambda m: _by_id("WTFPL")),
        (r"^ai\.google\.dev/gemma/terms", lambda m: _by_id("x-gemma")),
        (r"^openai\.com/(?:policies|terms)", lambda m: _by_id("x-openai-terms")),
        (r"^anthropic\.com/(?:legal|terms|policies)", lambda m: _by_id("x-anthropic-terms")),
        (r"llama[-_]?(\d)(?:[._](\d))?.*licen[sc]e", _llama),
    )
)


def license_from_url(url: str) -> LicenseInfo | None:
    """The license a URL points to, or None when the URL is not a known license address."""
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip(), flags=re.IGNORECASE)
    for pattern, resolver in URL_RULES:
        match = pattern.search(bare)
        if match:
            known = resolver(match)
            if known is not None:
                return known.info(0.95, f"license URL {url}")
    known = _by_id(spdx_for_url(url))
    return known.info(0.9, f"license URL {url}") if known is not None else None
