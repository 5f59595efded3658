"""What an entry states about its data's makers and licence, checked: `creator` and `homepage` (both published,
so never with credentials) and the steward's `sign_off` confirming a licence, with the permission that releases
an opt-out."""

from __future__ import annotations

import re

from assets.catalog_entry import CREATOR_TYPES, CatalogError, Creator
from assets.redaction import has_credentials, redact

SIGN_OFF_REQUIRED = {"who", "when", "why", "license"}
PERMISSION_FIELDS = {"kind", "reference", "granted_to"}  # a sign-off's permission, which releases an opt-out


def check_homepage(homepage: object, where: str) -> None:
    """`homepage:` is published: an http(s) URL without credentials."""
    if homepage is not None and not re.match(r"^https?://[^/\s]", str(homepage)):
        raise CatalogError(f"{where}: homepage must be an http(s) URL (it is published), got {redact(str(homepage))!r}")
    if homepage is not None and has_credentials(str(homepage)):
        raise CatalogError(f"{where}: homepage is published and may not carry credentials (user:password@ or a key "
                           f"in its query): {redact(str(homepage))!r}")


def check_sign_off(sign_off: object, where: str) -> None:
    """`sign_off:` gives who, when, why and license, and may give evidence and a permission; a public-domain
    sign-off needs its evidence."""
    if sign_off is not None and (not isinstance(sign_off, dict) or not SIGN_OFF_REQUIRED <= set(sign_off)
                                 or not set(sign_off) <= SIGN_OFF_REQUIRED | {"evidence", "permission"}):
        raise CatalogError(f"{where}: sign_off must give who, when, why and license (the SPDX id or public-domain it "
                           "confirms), and may give evidence and permission")
    permission = (sign_off or {}).get("permission")
    if "permission" in (sign_off or {}) and (not isinstance(permission, dict) or set(permission) != PERMISSION_FIELDS
                                   or not all(str(value).strip() for value in permission.values())):
        raise CatalogError(f"{where}: sign_off permission must give kind (licence or written-permission), reference "
                           "and granted_to: the permission granted to us that releases an opt-out")
    if sign_off and str(sign_off["license"]).strip().lower() == "public-domain" and not sign_off.get("evidence"):
        raise CatalogError(f"{where}: a public-domain sign_off needs evidence: the statement published as LICENSE")


def recorded_sign_off(sign_off: dict | None) -> dict | None:
    """A checked sign_off as the entry keeps it: every value as text."""
    return {key: {k: str(v) for k, v in value.items()} if key == "permission" else str(value)
            for key, value in sign_off.items()} if sign_off else None


def creators(raw: object, where: str) -> tuple[Creator, ...]:
    """`creator:` is a name, a mapping {name, url, type} (type: organization, the default, or person), or a list
    of those."""
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    found = []
    for item in items:
        item = {"name": item} if isinstance(item, str) else item
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip() \
                or not set(item) <= {"name", "url", "type"}:
            raise CatalogError(f"{where}: creator must be a name, a mapping with name (and optionally url, type) "
                               f"or a list of those, got {item!r}")
        if item.get("url") is not None and (not re.match(r"^https?://", str(item["url"]))
                                            or has_credentials(str(item["url"]))):
            raise CatalogError(f"{where}: creator url must be http(s) without credentials (it is published), got "
                               f"{redact(str(item['url']))!r}")
        if item.get("type", "organization") not in CREATOR_TYPES:
            raise CatalogError(f"{where}: creator type must be one of {CREATOR_TYPES}, got {item['type']!r}")
        found.append(Creator(name=item["name"].strip(), url=item.get("url"),
                                type=item.get("type", "organization")))
    return tuple(found)
