"""Error text a steward reads: the useful lines of a library's message, on one line and bounded in length, naming
files as the steward knows them rather than by where the pipeline keeps its copies."""

from __future__ import annotations

import re

MAX_REASON_CHARS = 600
# DuckDB appends advice ("Possible Solution: ...") and, after the cause, the reader's options ("  file = ..."),
# the query with a caret under the culprit ("LINE 1: ...") or a trace; the offending row ("Original Line: ...")
# can be megabytes of someone's data. The cause is what is left.
DUCKDB_ADVICE = re.compile(r"^(Possible Solution|Original Line)\b")
DUCKDB_TAIL = re.compile(r"^(\s+\w[\w ]* = |LINE \d+:|Stack Trace\b)")


def duckdb_reason(error: BaseException, renames: dict[str, str] | None = None) -> str:
    """DuckDB's cause without its advice and option dump, every path in `renames` replaced by its name."""
    kept = []
    for line in str(error).splitlines():
        if DUCKDB_TAIL.match(line):
            break
        if not DUCKDB_ADVICE.match(line):
            kept.append(line)
    return condensed("\n".join(kept), renames)


def condensed(text: str, renames: dict[str, str] | None = None, limit: int = MAX_REASON_CHARS) -> str:
    """The text's non-blank lines joined by "; " (a line ending in ":" by a space), whitespace collapsed, paths
    renamed, cut to `limit` characters."""
    for path, name in sorted((renames or {}).items(), key=lambda item: -len(item[0])):
        text = text.replace(path, name)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    joined = ""
    for line in lines:
        joined += line if not joined else (" " if joined.endswith(":") else "; ") + line
    return joined if len(joined) <= limit else joined[:limit - 1].rstrip() + "…"
