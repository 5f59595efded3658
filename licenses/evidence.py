"""License evidence for one dataset: signals from each source, and their reconciliation.

Sources: a catalog declaration, the Hub card YAML (license / license_name / license_link),
LICENSE / COPYING files (any encoding), a Frictionless datapackage.json `licenses` list, a
per-row license column. Every text read as evidence (those, a NOTICE, a README or card
body, the card's and datapackage.json's other values) is also read sentence by sentence:
each sentence that restricts the data (restrictions.py) is a signal of its own, quoting it.
When the informative signals disagree the most restrictive reading wins and the dataset
needs a steward's review; signals that say nothing ("other", "see LICENSE", a bare
copyright line) are kept but do not vote. A key repeated in card YAML is a disagreement.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from licenses.card import read_card
from licenses.classify import classify
from licenses.info import LicenseInfo, Terms, combine, make_info, unknown, use_rank
from licenses.restrictions import MAX_SCAN_CHARS, restrictions_in

EXCERPT_CHARS = 400
MAX_COLUMN_VALUES = 100  # distinct values classified from a row license column
CARD_LICENSE_KEYS = ("license", "license_name", "license_link")
# Structure rather than statements: feature names, splits and file patterns, a schema, inline rows
STRUCTURAL_KEYS = frozenset({"configs", "dataset_info", "schema", "data", "dialect"})
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16: its BOM starts with UTF-16-LE's
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class LicenseSignal:
    source: str  # "catalog", "hub_card:license", "LICENSE", "datapackage.json", "row_column:license", ...
    text: str
    info: LicenseInfo
    encoding: str | None = None  # how a file's bytes were decoded
    quoted: bool = False  # text is what the steward must read: a restricting sentence, repeated card keys

    def to_dict(self) -> dict:
        excerpt = self.text if len(self.text) <= EXCERPT_CHARS else self.text[:EXCERPT_CHARS] + " [...]"
        result = {"source": self.source, "text": excerpt, "info": self.info.to_dict()}
        if self.encoding:
            result["encoding"] = self.encoding
        if self.quoted:
            result["quoted"] = True
        return result


@dataclass(frozen=True)
class Reconciled:
    license: LicenseInfo
    conflicts: list[str] = field(default_factory=list)
    needs_review: bool = False
    # On disagreement, the signals of each reading, those that agree together ("CC BY-NC 4.0" in LICENSE and its
    # "non-commercial use only" in NOTICE are one reading)
    readings: list[list[LicenseSignal]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"license": self.license.to_dict(), "conflicts": list(self.conflicts), "needs_review": self.needs_review}


def signal(source: str, text: str) -> LicenseSignal:
    return LicenseSignal(source, text if isinstance(text, str) else repr(text), classify(text))


def decode_license_bytes(raw: bytes) -> tuple[str, str]:
    """Decode a license file: BOMs, UTF-16 without BOM, UTF-8, else Windows-1252 / Latin-1."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace"), encoding
    sample = raw[:4000]
    if sample.count(0) > len(sample) // 4:  # ASCII text in UTF-16: every other byte is zero
        odd_zeros = sample[1::2].count(0)
        encoding = "utf-16-le" if odd_zeros >= sample[0::2].count(0) else "utf-16-be"
        return raw.decode(encoding, errors="replace"), encoding
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"  # never fails: every byte is a character


def signals_from_file(source: str, raw: bytes) -> LicenseSignal:
    """Classify a LICENSE / COPYING file from its bytes."""
    text, encoding = decode_license_bytes(raw)
    return LicenseSignal(source, text, classify(text), encoding)


def restriction_signals(source: str, text: str) -> list[LicenseSignal]:
    """One signal per sentence of `text` that restricts the data, quoting it; a text too long to read whole is
    itself a doubt for the steward."""
    signals = [LicenseSignal(source, found.sentence, found.info, quoted=True) for found in restrictions_in(text)]
    if len(text) > MAX_SCAN_CHARS:
        doubt = make_info(Terms(), confidence=0.0, evidence=f"{source} is longer than {MAX_SCAN_CHARS} characters: "
                          "only its beginning was read for restrictions; a steward must read the rest")
        signals.append(LicenseSignal(source, text[:EXCERPT_CHARS], doubt))
    return signals


def signals_from_card(text: str, source: str = "README.md") -> list[LicenseSignal]:
    """Signals from a dataset card (README.md): its YAML license keys, a repeated key, and every restriction stated
    in its YAML values or its body. A README without front matter is all body."""
    card = read_card(text)
    if card.error:
        signals = [signal("hub_card", card.error)]
    else:
        signals = signals_from_hub_card(card.metadata)
    for repeated in card.repeated:
        said = "; ".join(f"{repeated.path}: {value} (line {line})" for line, value in repeated.values)
        doubt = make_info(Terms(), confidence=0.0, evidence=f"card YAML gives the key '{repeated.path}' "
                          f"{len(repeated.values)} times: a steward must settle which value holds")
        signals.append(LicenseSignal("hub_card", said, doubt, quoted=True))
        if repeated.path in CARD_LICENSE_KEYS:  # each value is evidence; the last one is not the only one
            signals += [_combined_signal(f"hub_card:{repeated.path} (line {line})", _as_texts(value))
                        for line, value in repeated.values[:-1]]
    for key, value in _statements(card.metadata, exclude=CARD_LICENSE_KEYS):
        signals += restriction_signals(f"hub_card:{key}", value)
    return signals + restriction_signals(source, card.body)


def _combined_signal(source: str, texts: list[str]) -> LicenseSignal:
    """One signal for several values that all apply (a card's license list, a row column)."""
    infos = [classify(text) for text in texts]
    informative = [info for info in infos if info.informative]
    info = combine(informative or infos) if infos else unknown("no values")
    return LicenseSignal(source, "; ".join(texts), info)


def _as_texts(value: object) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def signals_from_hub_card(card: Mapping) -> list[LicenseSignal]:
    """Signals from a Hub card's YAML header: license (id or list), license_name, license_link."""
    signals = []
    for key in ("license", "license_name", "license_link"):
        texts = _as_texts(card.get(key))
        if texts:
            signals.append(_combined_signal(f"hub_card:{key}", texts))
    return signals


def signals_from_datapackage(datapackage: Mapping | str | bytes) -> list[LicenseSignal]:
    """Signals from a Frictionless datapackage.json: the package's `licenses`, then each resource's."""
    if isinstance(datapackage, bytes | str):
        try:
            datapackage = json.loads(datapackage)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return [LicenseSignal("datapackage.json", "", unknown(f"invalid datapackage.json: {error}"))]
    if not isinstance(datapackage, Mapping):
        return []
    signals = []
    scopes = [("datapackage.json", datapackage)] + [
        (f"datapackage.json:resources/{r.get('name', i)}", r)
        for i, r in enumerate(datapackage.get("resources") or [])
        if isinstance(r, Mapping)
    ]
    for source, scope in scopes:
        entries = scope.get("licenses") or _as_texts(scope.get("license"))
        texts = [_license_entry_text(entry) for entry in entries if entry]
        if texts:
            signals.append(_combined_signal(source, texts))
    for key, value in _statements(datapackage, exclude=("licenses", "license", "resources")):
        signals += restriction_signals(f"datapackage.json:{key}", value)
    for source, scope in scopes[1:]:
        for key, value in _statements(scope, exclude=("licenses", "license")):
            signals += restriction_signals(f"{source}/{key}", value)
    return signals


def _statements(document: Mapping, exclude: Iterable[str]) -> list[tuple[str, str]]:
    """(key path, text) of every string in a YAML or JSON document, but the excluded top-level keys and structure."""
    found: list[tuple[str, str]] = []
    seen: set[int] = set()  # YAML anchors may share a value, or refer to themselves

    def walk(value: object, path: str) -> None:
        if isinstance(value, str):
            found.append((path, value))
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, Mapping):
            for key, item in value.items():
                if str(key) not in STRUCTURAL_KEYS:
                    walk(item, f"{path}/{key}" if path else str(key))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}/{index}")

    walk({key: value for key, value in document.items() if key not in exclude}, "")
    return found


def _license_entry_text(entry: object) -> str:
    """A Frictionless license entry {name, path, title} as one string to classify."""
    if isinstance(entry, Mapping):
        return " ".join(str(entry[k]) for k in ("name", "title", "path") if entry.get(k))
    return str(entry)


def signal_from_column(column: str, values: Iterable[object]) -> LicenseSignal:
    """One signal from a per-row license column: every distinct value applies to the dataset."""
    distinct: list[str] = []
    for value in values:
        text = str(value).strip() if value is not None else ""
        if text and text not in distinct:
            distinct.append(text)
            if len(distinct) >= MAX_COLUMN_VALUES:
                break
    return _combined_signal(f"row_column:{column}", distinct)


def _compatible(a: LicenseInfo, b: LicenseInfo) -> bool:
    """Same terms, and the same license where both name one ("CC BY" agrees with CC-BY-4.0)."""
    return a.terms == b.terms and (a.spdx == b.spdx or a.spdx is None or b.spdx is None)


def _adds_nothing(quoted: LicenseSignal, other: LicenseSignal) -> bool:
    """A quoted sentence restricts no further than the other signal's license ("non-commercial use only" beside
    CC-BY-NC-4.0)."""
    same_license = quoted.info.spdx in (None, other.info.spdx)
    return quoted.quoted and same_license and other.info.terms.restrict(quoted.info.terms) == other.info.terms


def _agree(a: LicenseSignal, b: LicenseSignal) -> bool:
    return _compatible(a.info, b.info) or _adds_nothing(a, b) or _adds_nothing(b, a)


def most_specific(signals: list[LicenseSignal]) -> LicenseSignal:
    return max(signals, key=lambda s: (s.info.spdx is not None, s.info.name is not None, s.info.confidence))


def restrictiveness(info: LicenseInfo) -> tuple:
    """Sort key: higher is more restrictive (use first, then each extra obligation)."""
    return (
        use_rank(info.use),
        info.forbids_redistribution,
        info.no_derivatives,
        info.use_restrictions,
        info.share_alike,
        info.attribution,
        not info.public_domain,
    )


def describe(info: LicenseInfo) -> str:
    """Steward-readable summary, e.g. "CC-BY-NC-4.0 (non-commercial, attribution)"."""
    flags = [info.use + " use" if info.use != "unknown" else "terms unknown"]
    flags += [
        name
        for name, on in (
            ("attribution", info.attribution),
            ("share-alike", info.share_alike),
            ("no derivatives", info.no_derivatives),
            ("use restrictions", info.use_restrictions),
            ("no redistribution", info.forbids_redistribution),
        )
        if on
    ]
    return f"{info.label} ({', '.join(flags)})"


def reconcile(signals: list[LicenseSignal]) -> Reconciled:
    """One license for the dataset: the agreed one, or the most restrictive reading of a disagreement."""
    if not signals:
        return Reconciled(unknown("no license evidence found"), [], True)
    voting = [s for s in signals if s.info.informative]
    if not voting:
        said = "; ".join(f"{s.source}: {s.info.evidence}" for s in signals)
        return Reconciled(unknown(f"no usable license evidence ({said})"), [], True)
    groups: list[list[LicenseSignal]] = []
    for candidate in voting:
        group = next((g for g in groups if all(_agree(candidate, s) for s in g)), None)
        if group is None:
            groups.append([candidate])
        else:
            group.append(candidate)
    representatives = [most_specific(group) for group in groups]
    if len(representatives) == 1:
        chosen = representatives[0].info
        return Reconciled(chosen, [], chosen.use == "unknown")
    conflicts = [
        f"{a.source} says {describe(a.info)} but {b.source} says {describe(b.info)}"
        for i, a in enumerate(representatives)
        for b in representatives[i + 1 :]
    ]
    winner = max(representatives, key=lambda s: restrictiveness(s.info))
    sources = "; ".join(f"{r.source}: {r.info.label}" for r in representatives)
    evidence = f"most restrictive of disagreeing signals, from {winner.source} ({sources})"
    return Reconciled(dataclasses.replace(winner.info, evidence=evidence), conflicts, True, groups)
