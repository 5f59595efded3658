"""Opt-out signals of an HTTP(S) source, read at every ingest: the host's robots.txt and /.well-known/tdmrep.json,
and the TDM reservation headers on the data's own responses (licenses/opt_out.py reads them).

They are read each run, even when the data is unchanged (one small GET each per host); the data keeps its one
conditional request, whose answer's headers are read too. A 304 need not repeat every header: when it carries no
`tdm-reservation`, the one the last full answer carried stands.

robots.txt answers (RFC 9309): 200 is read, and one that is not a robots.txt (HTML, binary, no record) fails the
dataset naming its URL; 4xx (404 and the rest) means no rules; 5xx, or no answer at all (timeout, refused
connection), means complete disallow, so the dataset is quarantined saying so until the host answers again.
tdmrep.json: 200 is read (a file that is not the TDMRep array fails the dataset), except an HTML page: many sites
answer any unknown address with their home page, and few publish a tdmrep.json; any other answer means none."""

from __future__ import annotations

import dataclasses
import json
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

from assets.catalog_entry import CatalogEntry, expand_env
from assets.guards import SourceRefused, is_public_url
from assets.redaction import redact
from licenses.opt_out import (
    OptOutError,
    OptOutSignal,
    header_signal,
    robots_signals,
    robots_text,
    robots_url,
    tdmrep_signal,
    tdmrep_url,
    unreachable_robots,
)

PRIVATE_HOST = "[private host]"  # in published files, for a host on a loopback or private network
MAX_POLICY_BYTES = 512 * 2**10  # RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt
# The data responses' headers, by the URL asked for, while a fetch runs inside data_response_headers().
_SEEN: ContextVar[dict[str, dict[str, str]] | None] = ContextVar("data_response_headers", default=None)


class OptOutReadError(RuntimeError):
    """A robots.txt or tdmrep.json that cannot be read; the message names the dataset and the file's URL."""


@contextmanager
def data_response_headers() -> Iterator[dict[str, dict[str, str]]]:
    """Within: the TDM headers of every answer assets.fetch.http_get receives, by the URL asked for."""
    seen: dict[str, dict[str, str]] = {}
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)


def note_response(url: str, headers) -> None:
    """Called by http_get with each final answer (after redirects)."""
    seen = _SEEN.get()
    if seen is not None:
        seen[url] = {name.lower(): value for name, value in headers.items() if name.lower().startswith("tdm-")}


def data_urls(entry: CatalogEntry) -> list[str]:
    """The URLs of an HTTP(S) source's data (with ${VAR} resolved), or none for another kind of source."""
    source = entry.source
    if source.kind != "http":
        return []
    if source.url:
        return [source.resolved_url()]
    return [expand_env(url) for split in source.splits for url in split.locations]


def site_opt_outs(entry: CatalogEntry) -> tuple[list[OptOutSignal], list[dict]]:
    """The opt-outs robots.txt and tdmrep.json state for each data URL, and what was read (URL, HTTP status)."""
    signals: list[OptOutSignal] = []
    read: dict[str, tuple[int | str, bytes | None, str]] = {}
    for url in data_urls(entry):
        shown = redact(url)
        for where in (robots_url(url), tdmrep_url(url)):
            if where not in read:
                read[where] = _get(entry, where)
        robots_at, tdmrep_at = robots_url(url), tdmrep_url(url)
        try:
            status, body, _ = read[robots_at]
            if status == 200:
                signals += robots_signals(robots_text(body, redact(robots_at)), redact(robots_at), shown)
            elif not isinstance(status, int) or status >= 500:
                signals.append(unreachable_robots(redact(robots_at), _cause(status), shown))
            status, body, content_type = read[tdmrep_at]
            if status == 200 and not content_type.startswith("text/html") \
                    and (found := tdmrep_signal(body, redact(tdmrep_at), shown)):
                signals.append(found)
        except OptOutError as error:
            raise OptOutReadError(f"{entry.id}: {error}") from None
    return _unique(signals), [{"url": redact(where), "status": status} for where, (status, *_) in read.items()]


def header_opt_outs(entry: CatalogEntry, seen: dict[str, dict[str, str]],
                    previous: list[OptOutSignal]) -> list[OptOutSignal]:
    """The `tdm-reservation: 1` headers on the data's answers this run; for a data URL whose answer this run
    carried no tdm-reservation header (a 304 need not) or was not asked, the last recorded one stands."""
    signals = []
    for url in data_urls(entry):
        headers = seen.get(url)
        if headers is not None and "tdm-reservation" in headers:
            found = header_signal(headers, redact(url))
        else:
            found = next((s for s in previous if s.kind == "tdm-reservation header" and s.url == redact(url)), None)
        if found is not None:
            signals.append(found)
    return signals


def opt_out_record(signals: list[OptOutSignal], read: list[dict], checked_at: str) -> str:
    """What governance.sources keeps: the signals, and the files read to find them."""
    return json.dumps({"checked_at": checked_at, "signals": [s.to_dict() for s in signals], "read": read},
                      sort_keys=True)


def recorded_signals(record: str | None) -> list[OptOutSignal]:
    return [OptOutSignal.from_dict(raw) for raw in json.loads(record)["signals"]] if record else []


def _get(entry: CatalogEntry, url: str) -> tuple[int | str, bytes | None, str]:
    """(status, body of a 200, its media type) of a small site file; a status string when no answer came (the
    error's name)."""
    import requests

    from assets.fetch import http_get

    try:
        with http_get(url, entry.source, {}) as response:
            if response.status_code != 200:
                return response.status_code, None, ""
            body = b""
            for chunk in response.iter_content(1 << 16):
                body += chunk
                if len(body) >= MAX_POLICY_BYTES:
                    break  # what lies past the limit is not read (RFC 9309 2.5)
            return 200, body[:MAX_POLICY_BYTES], response.headers.get("Content-Type", "").lower()
    except SourceRefused as refusal:
        raise OptOutReadError(f"{entry.id}: cannot read {redact(url)}: {refusal}") from None
    except requests.RequestException as error:
        return type(error).__name__, None, ""


def _cause(status: int | str) -> str:
    return f"HTTP {status}" if isinstance(status, int) else f"no answer ({status})"


def _unique(signals: list[OptOutSignal]) -> list[OptOutSignal]:
    return list(dict.fromkeys(signals))


def opt_outs_changed(entry: CatalogEntry, recorded: str | None, seen: dict[str, dict[str, str]]) -> bool:
    """Whether the opt-outs read now (robots.txt, tdmrep.json, and the headers `seen` on the data's answers) differ
    from those `recorded` by the last run: the nightly then runs the dataset to decide again."""
    if not data_urls(entry):
        return False
    try:
        site, _ = site_opt_outs(entry)
    except OptOutReadError:
        return True  # the run fails the dataset, naming the file
    before = recorded_signals(recorded)
    return set(site + header_opt_outs(entry, seen, before)) != set(before)


def as_published(record: dict) -> dict:
    """The opt-out record as published files may name it (provenance.json, the decision record): a URL keeps its
    host only when that is public, and never its query (it may carry a key), as store.source_location does for the
    source. governance.sources keeps the full record for the steward. When it was read is left out: the decision
    record is part of the snapshot's identity, and the same signals read on another day are the same decision."""
    record = {key: value for key, value in record.items() if key != "checked_at"}
    return {**record, "signals": [published_signal(OptOutSignal.from_dict(raw)).to_dict() for raw in record["signals"]],
            "read": [{**item, "url": published_url(item["url"])} for item in record["read"]]}


def published_signal(signal: OptOutSignal) -> OptOutSignal:
    return dataclasses.replace(signal, url=published_url(signal.url), applies_to=published_url(signal.applies_to))


def published_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc if is_public_url(url) else PRIVATE_HOST
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
