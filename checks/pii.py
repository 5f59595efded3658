"""Personal-data patterns (emails, phone numbers, IPv4 / IPv6 addresses) and how a sample of one is masked.

The patterns are RE2 (DuckDB's `regexp_extract`) and Python `re` at once: the governance PII check counts
them in SQL, and `mask_text` masks any sample value shown to a steward (the PII check's own samples and the
unexpected values GX reports) so that a check result never carries a whole email, number or address.
Group 1 of each pattern is the personal datum; the groups around it only require a boundary, because
neither engine can look behind.
"""

from __future__ import annotations

import re
from typing import Any

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_HEX = r"[0-9A-Fa-f]{1,4}"
PATTERNS: dict[str, str] = {
    "email": r"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
    # An international number written with its +country code, or a North American one with separators;
    # bare digit runs (ids, amounts) and dates are not phone numbers.
    "phone": r"(?:^|[^\w+])(\+[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{2,4}[ .-]?[0-9]{2,4}[ .-]?[0-9]{2,4}"
             r"(?:[ .-]?[0-9]{2,4})?|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4})(?:$|[^\w])",
    # Not after a letter, digit, '.' or '/': version strings ("Chrome/120.0.0.0") are not addresses.
    "ipv4": rf"(?:^|[^\w./]|://)({_OCTET}(?:\.{_OCTET}){{3}})(?:$|[^\w.]|\.(?:$|[^\w]))",
    # Full (eight groups) or compressed with groups on both sides of '::' ("2001:db8::1"; not "::1").
    "ipv6": rf"(?:^|[^\w:.])((?:{_HEX}:){{7}}{_HEX}|{_HEX}(?::{_HEX}){{0,5}}::{_HEX}(?::{_HEX}){{0,5}})(?:$|[^\w:])",
}
KINDS = tuple(PATTERNS)
# What every match contains, tested first so DuckDB runs the full pattern only on values that could match (most
# values, usually, cannot): a substring, or for phone numbers, which have none, two adjacent digits (each form has
# a run of at least two; a cheap regex that halves the scan of digit-free text, measured on the bench corpus).
REQUIRED_SUBSTRING = {"email": "@", "phone": None, "ipv4": ".", "ipv6": "::"}
REQUIRED_PATTERN = {"phone": "[0-9][0-9]"}
_COMPILED = {kind: re.compile(pattern) for kind, pattern in PATTERNS.items()}


def mask(kind: str, value: str) -> str:
    """A matched datum with just enough left to recognise its kind: j***@e***.org, +1 ***-***-**67, 192.168.*.*"""
    if kind == "email":
        local, _, domain = value.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"
    if kind == "phone":
        return _mask_phone(value)
    if kind == "ipv4":
        return ".".join(value.split(".")[:2]) + ".*.*"
    return ":".join(value.split(":")[:2]) + ":*"  # the network prefix, never the host part


def _mask_phone(value: str) -> str:
    """Keep a leading +country code and the last two digits; every other digit becomes '*'."""
    code = re.match(r"\+[0-9]{1,3}(?=[ .(-])", value)
    head = code.group(0) if code else ""
    rest = value[len(head):]
    digits = sum(char.isdigit() for char in rest)
    seen = 0
    masked = []
    for char in rest:
        if char.isdigit():
            seen += 1
            masked.append(char if seen > digits - 2 else "*")
        else:
            masked.append(char)
    return head + "".join(masked)


def mask_text(text: str) -> str:
    """The text with every email, phone number and IP address in it masked."""
    for kind, pattern in _COMPILED.items():
        # A match consumes the boundary after it, so a datum right after another is found by the next pass;
        # masked data never match again, so this ends.
        while (masked := pattern.sub(lambda match: _masked_group(kind, match), text)) != text:
            text = masked
    return text


def _masked_group(kind: str, match: re.Match[str]) -> str:
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[:start - offset] + mask(kind, match.group(1)) + whole[end - offset:]


def mask_values(value: Any) -> Any:
    """`mask_text` on every string inside a JSON-like value (dicts, lists)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_values(item) for item in value]
    return value
