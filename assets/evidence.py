"""Gather license and copyright evidence for a dataset from its catalog entry and the files beside its data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets.catalog import CatalogEntry
from assets.fetch import LICENSE_FILES, NOTICE_FILES
from licenses import (LicenseSignal, copyright_holders, credit_line, extract_copyright, restriction_signals, signal,
                      signals_from_card, signals_from_datapackage, signals_from_file)
from licenses.evidence import decode_license_bytes


@dataclass(frozen=True)
class Evidence:
    signals: list[LicenseSignal]
    notices: list[str]  # copyright notices, as written
    holders: list[str]
    attribution: str  # the attribution text consumers must reproduce: NOTICE, else notices, else the citation
    credit: str | None  # the NOTICE's sentence on whom or how to credit


def gather_evidence(entry: CatalogEntry, evidence_files: dict[str, str]) -> Evidence:
    """`evidence_files` maps a file name (LICENSE, NOTICE, README.md, ...) to its stored raw path."""
    signals: list[LicenseSignal] = []
    if entry.license:
        signals.append(signal("catalog", entry.license))
    texts: dict[str, str] = {}
    for name, path in sorted(evidence_files.items()):
        raw = Path(path).read_bytes()
        text, _ = decode_license_bytes(raw)
        texts[name] = text
        if name in LICENSE_FILES:
            signals.append(signals_from_file(name, raw))
            signals.extend(restriction_signals(name, text))
        elif name in NOTICE_FILES:  # credits, and licenses of other things: only its restrictions on the data count
            signals.extend(restriction_signals(name, text))
        elif name == "README.md":
            signals.extend(signals_from_card(text, name))
        elif name == "datapackage.json":
            signals.extend(signals_from_datapackage(raw))
    notices = list(dict.fromkeys(notice for name in (*NOTICE_FILES, *LICENSE_FILES, "README.md") if name in texts
                                 for notice in extract_copyright(texts[name])))
    notice_text = next((texts[name].strip() for name in NOTICE_FILES if name in texts), "")
    attribution = notice_text or "\n".join(notices) or (entry.citation or "").strip()
    return Evidence(signals, notices, copyright_holders(notices), attribution,
                    credit_line(notice_text) if notice_text else None)
