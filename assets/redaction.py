"""Credentials in a source's URL are secrets: the one redaction every stored, logged or published location and
every error message goes through. The request itself is sent to the real URL."""

from __future__ import annotations

import re

REDACTED = "REDACTED"
# user:password@ (or a bare user@) after a scheme; up to the last "@" before the path, as urlsplit reads it.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")
_QUERY_PARAMETER = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s'\"]*)")
# Words of a parameter name that mark its value as a credential (api_key, access_token, X-Amz-Signature, sig, ...).
_SECRET_WORDS = {"token", "key", "apikey", "secret", "password", "passwd", "pwd", "pass", "sig", "signature",
                 "credential", "credentials", "auth", "authorization", "session", "sessionid", "jwt", "bearer"}
# Inside a one-word name ("accesstoken", "clientsecret"), these give it away as well.
_SECRET_PARTS = ("token", "secret", "passw", "apikey", "credential", "signature")


def is_secret_name(name: str) -> bool:
    """Whether a query parameter's name says its value is a credential."""
    words = {word.lower() for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)}
    return bool(words & _SECRET_WORDS) or any(part in name.lower() for part in _SECRET_PARTS)


def redact(text: str) -> str:
    """A URL, or any text that quotes URLs (an error message), without credentials: the user:password part goes,
    and a query parameter whose name looks like a key keeps its name with the value REDACTED."""
    text = _USERINFO.sub(r"\1", text)
    return _QUERY_PARAMETER.sub(
        lambda match: f"{match[1]}{match[2]}={REDACTED}" if is_secret_name(match[2]) else match[0], text)


def has_credentials(url: str) -> bool:
    return redact(url) != url
