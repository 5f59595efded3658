"""Governance checks beside the GX suite: license evidence, attribution, a CSV's header, personal data,
duplicates, and the snapshot's schema and size against the previous snapshot of the same dataset. A snapshot of
several splits (train, test, ...) is checked split by split, each against the previous snapshot's same split.

Each check is a plain function returning the same `ExpectationOutcome` as a GX expectation, so both kinds
go to the same warehouse table and Dagster metadata. Data is read with DuckDB SQL from the snapshot's
Parquet file on a private in-memory connection (never into pandas, never locking the warehouse); what the
warehouse knows (the license decision, the previous snapshot) is passed in as a `DatasetRecord`.
Every string an outcome carries goes through `mask_values`: no email, phone number or IP address leaves
a check unmasked.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.csv_source import CSV_METADATA_KEY
from assets.messages import duckdb_reason
from assets.sql import sql_identifier, sql_string
from checks.duckdb_config import bounded_config
from checks.governance_config import (
    CheckSettings,
    DuplicateSettings,
    GovernanceConfig,
    PiiSettings,
    RowCountSettings,
)
from checks.gx_duckdb import SAMPLE_SIZE, ExpectationOutcome, json_safe
from checks.pii import PATTERNS, REQUIRED_PATTERN, REQUIRED_SUBSTRING, mask, mask_values
from checks.row_licenses import license_fields
from licenses import LicenseInfo, classify, signal_from_column
from licenses.evidence import describe

SPDX_OPERATORS = re.compile(r"\s+(?:AND|OR|WITH)\s+|[()]")
MAX_LICENSE_VALUES = 1000  # distinct row license values judged; more than this fails as unjudged
PII_SAMPLES_PER_COLUMN = 3
NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\s*$")
GOVERNANCE = "governance"  # the expectation_type of a governance check's outcome


@dataclass(frozen=True)
class PreviousSnapshot:
    """The previous snapshot's split compared with (its only one, for snapshots of one split)."""

    snapshot_id: str
    row_count: int | None  # None, and no columns: that snapshot has no split of this name
    columns: list[dict] | None  # [{"name", "type"}] as registered in governance.snapshots


@dataclass(frozen=True)
class DatasetRecord:
    """What the warehouse knows that the Parquet file does not."""

    decision_record: dict | None  # governance.datasets.decision_record, None before any decision
    columns: list[dict]  # the split's registered schema, comparable with the previous one's
    previous: PreviousSnapshot | None  # the dataset's snapshot current before this one, None for the first
    split: str | None = None  # the split checked (assets/splits.py)


@dataclass(frozen=True)
class SnapshotTable:
    connection: duckdb.DuckDBPyConnection  # with a view `snapshot` over the Parquet file
    path_literal: str  # the file's path as a SQL string literal, for reads with other reader options
    columns: list[dict]  # [{"name", "type"}] as DuckDB reads the file
    row_count: int


@contextmanager
def open_snapshot(parquet_path: Path) -> Iterator[SnapshotTable]:
    path_literal = sql_string(str(Path(parquet_path).resolve()))
    with bounded_config() as config, duckdb.connect(config=config) as connection:
        connection.execute("SET enable_progress_bar = false")  # it would draw over the run's log
        connection.execute(f"CREATE VIEW snapshot AS SELECT * FROM read_parquet({path_literal})")
        described = connection.execute("DESCRIBE snapshot").fetchall()
        row_count = connection.execute("SELECT count(*) FROM snapshot").fetchone()[0]  # from the file footer
        yield SnapshotTable(connection, path_literal, [{"name": n, "type": t} for n, t, *_ in described], row_count)


def run_governance(parquet_path: Path, record: DatasetRecord, config: GovernanceConfig) -> list[ExpectationOutcome]:
    """Every governance check on the snapshot, in a fixed order."""
    declared = declared_license(record.decision_record)
    with open_snapshot(parquet_path) as table:
        checks: dict[str, Callable] = {  # name (as in GovernanceConfig) -> check given its settings
            "license_consistency": lambda settings: license_consistency(table, declared, settings),
            "attribution_present": lambda settings: attribution_present(record.decision_record, settings),
            "csv_header": lambda settings: csv_header(table, settings),
            "pii": lambda settings: pii(table, settings),
            "duplicate_rows": lambda settings: duplicate_rows(table, settings),
            "schema_drift": lambda settings: schema_drift(record.columns, record.previous, settings, record.split),
            "row_count_change": lambda settings: row_count_change(table.row_count, record.previous, settings,
                                                                  record.split),
        }
        return [_guarded(name, getattr(config, name), check) for name, check in checks.items()]


def _guarded(name: str, settings: CheckSettings, check: Callable) -> ExpectationOutcome:
    try:
        return check(settings)
    except duckdb.Error as error:  # a column DuckDB cannot read must not hide the other checks' results
        return outcome(name, settings, False, f"error: {duckdb_reason(error)}")


def outcome(name: str, settings: CheckSettings, passed: bool, summary: str, details: dict | None = None,
            samples: list | None = None, column: str | None = None) -> ExpectationOutcome:
    return ExpectationOutcome(
        name=name, expectation_type=GOVERNANCE, column=column, severity=settings.severity, passed=passed,
        observed=mask_values(json_safe({"observed_value": summary, **(details or {})})),
        sample_values=mask_values(json_safe((samples or [])[:SAMPLE_SIZE])),
    )


# --- license ----------------------------------------------------------------------------------------------


def declared_license(decision_record: dict | None) -> LicenseInfo | None:
    """The decided license (a LicenseInfo dict in the record), None before any decision."""
    recorded = (decision_record or {}).get("license")
    if not recorded:
        return None
    known = {field.name for field in dataclasses.fields(LicenseInfo)}
    return LicenseInfo(**{key: value for key, value in recorded.items() if key in known})


def license_consistency(table: SnapshotTable, declared: LicenseInfo | None,
                        settings: CheckSettings) -> ExpectationOutcome:
    """Each distinct value of a row-level license field (found by its name or its values, nested fields included:
    checks/row_licenses.py) names the decided license, or the check fails: a different license, a more
    restrictive one, or a value no license can be read from."""
    name = "license_consistency"
    fields = license_fields(table.connection)
    columns = [field.path for field in fields]
    if not fields:
        return outcome(name, settings, True, "no row-level license column")
    if declared is None:
        return outcome(name, settings, False, "no license decision recorded to compare the rows with",
                       {"license_columns": columns})
    details: dict = {"declared": describe(declared), "columns": {}, "mismatches": []}
    for field in fields:
        column = field.path
        values = table.connection.execute(
            f"SELECT value, count(*) AS n FROM ({field.values_sql()})"
            f" GROUP BY value ORDER BY n DESC, value LIMIT {MAX_LICENSE_VALUES + 1}").fetchall()
        judged = [(value.strip(), n) for value, n in values[:MAX_LICENSE_VALUES] if value and value.strip()]
        details["columns"][column] = {
            "found_by": field.found_by,
            "row_license": describe(signal_from_column(column, [value for value, _ in judged]).info),
            "distinct_values": len(judged),
            "blank_rows": sum(n for value, n in values if not (value and value.strip())),
        }
        if len(values) > MAX_LICENSE_VALUES:
            details["mismatches"].append({"column": column, "value": f"more than {MAX_LICENSE_VALUES} values",
                                          "rows": None, "verdict": "unjudged"})
        for value, n in judged:
            info = classify(value)
            verdict = license_verdict(info, declared)
            if verdict:
                details["mismatches"].append({"column": column, "value": value, "rows": n, "verdict": verdict,
                                              "license": info.label})
    mismatches = details["mismatches"]
    summary = (f"every row license matches {declared.label}" if not mismatches else
               f"{len(mismatches)} row license value(s) disagree with {declared.label}")
    samples = [f"{m['value']} ({m['verdict']}" + (f": {m['license']})" if "license" in m else ")")
               for m in mismatches]
    return outcome(name, settings, not mismatches, summary, details, samples,
                   columns[0] if len(columns) == 1 else None)


def license_verdict(row: LicenseInfo, declared: LicenseInfo) -> str | None:
    """None when a row's license agrees with the declared one, else why not."""
    if not row.informative or (row.spdx is None and row.use == "unknown"):
        return "unrecognised"
    if declared.terms.restrict(row.terms) != declared.terms:
        return "more restrictive"
    if row.spdx and declared.spdx:  # a row may carry one license of a declared expression ("A AND B")
        same = row.spdx == declared.spdx or row.spdx in SPDX_OPERATORS.split(declared.spdx)
    else:
        same = row.terms == declared.terms
    return None if same else "different license"


def attribution_present(decision_record: dict | None, settings: CheckSettings) -> ExpectationOutcome:
    """A license that requires attribution needs attribution text to publish with the data."""
    name = "attribution_present"
    if decision_record is None:
        return outcome(name, settings, False, "no license decision recorded")
    recorded = decision_record.get("license") or {}
    label = recorded.get("spdx") or recorded.get("name") or "unknown license"
    if not recorded.get("attribution"):
        return outcome(name, settings, True, f"{label} does not require attribution",
                       {"license": label, "attribution_required": False})
    text = str(decision_record.get("attribution") or "").strip()
    summary = (f"{label} requires attribution: {len(text)} characters of attribution text" if text else
               f"{label} requires attribution but no attribution text was found (NOTICE or copyright lines)")
    return outcome(name, settings, bool(text), summary, {
        "license": label, "attribution_required": True, "attribution_chars": len(text),
        "attribution_excerpt": " ".join(text.split())[:120],
    })


# --- how the source was read -----------------------------------------------------------------------------


def csv_header(table: SnapshotTable, settings: CheckSettings) -> ExpectationOutcome:
    """A CSV snapshot's header is what the catalog's `csv:` options say it is. Fails when every column name is
    a number (the header line was data), when DuckDB's sniffer, run on the same file without the declared
    header, disagrees about whether the first line is a header, or when the sniffer skipped leading lines the
    catalog does not declare (a metadata line read past, the next line taken as the header). The sniffer's
    header verdict counts only when it found a column that is not text: on all-text rows it cannot tell."""
    name = "csv_header"
    reading = csv_reading(table)
    if reading is None:
        return outcome(name, settings, True, "not read from a CSV source")
    declared, sniffed = reading["declared"], reading["sniffed"]
    names = [c["name"] for c in table.columns]
    problems = []
    if names and all(NUMBER.match(column) for column in names):
        problems.append(f"all column names are numbers ({', '.join(names[:3])}{', …' if len(names) > 3 else ''}):"
                        " the header is data")
    conclusive = any(kind != "VARCHAR" for kind in sniffed["types"])
    if conclusive and sniffed["header"] != declared["header"]:
        problems.append(f"the sniffer finds {'a header' if sniffed['header'] else 'no header'}, "
                        f"csv.header says {str(declared['header']).lower()}")
    if declared["skip_lines"] is None and sniffed["skip_lines"]:
        problems.append(f"the sniffer skips {sniffed['skip_lines']} line(s) csv.skip_lines does not declare")
    summary = "; ".join(problems) or (f"csv.header: {str(declared['header']).lower()}, "
                                      + ("and DuckDB's sniffer agrees" if conclusive else
                                         "rows all text: the sniffer cannot tell"))
    return outcome(name, settings, not problems, summary,
                   {"problems": problems, "declared": declared, "sniffed": sniffed, "columns": names,
                    "unexpected_count": len(problems)},
                   names[:SAMPLE_SIZE] if problems else None)


def csv_reading(table: SnapshotTable) -> dict | None:
    """How the conversion read the CSV (declared options, the sniffer's findings), from the Parquet metadata;
    None for a snapshot not converted from CSV."""
    row = table.connection.execute(f"SELECT value FROM parquet_kv_metadata({table.path_literal}) WHERE key = ?",
                                   [CSV_METADATA_KEY]).fetchone()
    return json.loads(row[0].decode("utf-8")) if row else None


# --- data -------------------------------------------------------------------------------------------------


def pii(table: SnapshotTable, settings: PiiSettings) -> ExpectationOutcome:
    """Rows per text column whose value contains an email, phone number or IP address; one scan for all."""
    name = "pii"
    columns = [c for c in table.columns if "VARCHAR" in c["type"] and c["name"] not in settings.exclude_columns]
    details: dict = {"columns_scanned": [c["name"] for c in columns], "kinds": list(settings.kinds),
                     "max_fraction": settings.max_fraction, "excluded_columns": list(settings.exclude_columns)}
    pairs = [(c, kind) for c in columns for kind in settings.kinds]
    if not pairs or table.row_count == 0:
        return outcome(name, settings, True, "no text to scan", details)
    matches = [f"m{i}" for i in range(len(pairs))]
    extracted = ", ".join(f"{_extract(column, kind)} AS {m}" for (column, kind), m in zip(pairs, matches))
    aggregates = ", ".join(f"count_if({m} <> ''), min(DISTINCT {m}, {PII_SAMPLES_PER_COLUMN}) FILTER (WHERE {m} <> '')"
                           for m in matches)
    row = table.connection.execute(f"SELECT {aggregates} FROM (SELECT {extracted} FROM snapshot)").fetchone()
    counts: dict[str, dict[str, int]] = {}
    flagged, samples = [], []
    for i, (column, kind) in enumerate(pairs):
        n, found = row[2 * i], row[2 * i + 1] or []
        if not n:
            continue
        counts.setdefault(column["name"], {})[kind] = n
        if n / table.row_count > settings.max_fraction:
            flagged.append(f"{column['name']}: {n} {kind}")
        samples += [f"{column['name']}: {mask(kind, value)}" for value in found]
    total = sum(n for per_kind in counts.values() for n in per_kind.values())
    listed = "; ".join(f"{col}: " + ", ".join(f"{n} {kind}" for kind, n in per_kind.items())
                       for col, per_kind in counts.items())
    summary = (f"{total} matching value(s) in {len(counts)} of {len(columns)} text column(s) ({listed})"
               if counts else f"none in {len(columns)} text column(s)")
    return outcome(name, settings, not flagged, summary,
                   {**details, "unexpected_count": total, "matches": counts, "over_threshold": flagged},
                   list(dict.fromkeys(samples)))  # distinct values can look alike once masked


def _extract(column: dict, kind: str) -> str:
    """The first match of `kind` in the column's text ('' if none); nested types are read as their text."""
    text = sql_identifier(column["name"])
    if column["type"] != "VARCHAR":
        text = f"CAST({text} AS VARCHAR)"
    extract = f"regexp_extract({text}, {sql_string(PATTERNS[kind])}, 1)"
    required = REQUIRED_SUBSTRING[kind]
    # Cheap test first: DuckDB then runs the full regex only on the values that could match.
    if required:
        return f"CASE WHEN contains({text}, {sql_string(required)}) THEN {extract} ELSE '' END"
    if kind in REQUIRED_PATTERN:
        return f"CASE WHEN regexp_matches({text}, {sql_string(REQUIRED_PATTERN[kind])}) THEN {extract} ELSE '' END"
    return extract


def duplicate_rows(table: SnapshotTable, settings: DuplicateSettings) -> ExpectationOutcome:
    """Rows identical in every column to an earlier row; samples are row positions, never row contents."""
    name = "duplicate_rows"
    columns = ", ".join(sql_identifier(c["name"]) for c in table.columns)
    # Group by a 64-bit hash of the row first (8 bytes a row, not the row itself), then compare whole rows
    # only where a hash repeats: the same answer in a fraction of the memory.
    repeated_hashes = (f"SELECT row_hash FROM (SELECT hash({columns}) AS row_hash FROM snapshot)"
                       " GROUP BY row_hash HAVING count(*) > 1")
    extra, groups, most = table.connection.execute(
        "SELECT coalesce(sum(n - 1), 0), count(*), coalesce(max(n), 0)"
        f" FROM (SELECT count(*) AS n FROM snapshot WHERE hash({columns}) IN ({repeated_hashes})"
        f" GROUP BY {columns}) WHERE n > 1").fetchone()
    fraction = extra / table.row_count if table.row_count else 0.0
    summary = (f"{extra} of {table.row_count} rows repeat an earlier row ({fraction:.2%})" if extra else
               f"no duplicated rows in {table.row_count}")
    samples = _duplicate_positions(table, columns) if extra else []
    return outcome(name, settings, fraction <= settings.max_fraction, summary, {
        "unexpected_count": extra, "duplicated_rows_distinct": groups, "most_copies": most,
        "duplicate_fraction": round(fraction, 6), "max_fraction": settings.max_fraction,
    }, samples)


def _duplicate_positions(table: SnapshotTable, columns: str) -> list[str]:
    """Where the first few duplicated rows sit (1-based row numbers in the snapshot file). A second scan, made
    only when there are duplicates: row numbers make the grouping twice as slow."""
    examples = table.connection.execute(
        "SELECT min({'first': first_row + 1, 'last': last_row + 1, 'copies': n}, 3)"
        " FROM (SELECT count(*) AS n, min(file_row_number) AS first_row, max(file_row_number) AS last_row"
        f" FROM read_parquet({table.path_literal}, file_row_number = true) GROUP BY {columns}) WHERE n > 1"
    ).fetchone()[0]
    return [f"rows {e['first']} and {e['last']}" if e["copies"] == 2 else
            f"{e['copies']} copies, first row {e['first']}, last row {e['last']}" for e in examples or []]


# --- against the previous snapshot ------------------------------------------------------------------------


def schema_drift(columns: list[dict], previous: PreviousSnapshot | None, settings: CheckSettings,
                 split: str | None = None) -> ExpectationOutcome:
    """Columns removed, added or retyped since the previous snapshot's same split (a new column order alone
    passes). A split the previous snapshot did not have fails at WARN whatever the configured severity: a split
    added is a change to review, not a broken schema."""
    name = "schema_drift"
    if previous is None:
        return outcome(name, settings, True, "first snapshot of the dataset: nothing to compare")
    if previous.columns is None:
        return outcome(name, dataclasses.replace(settings, severity="WARN"), False,
                       f"split {split!r} is new: {previous.snapshot_id} has no such split",
                       {"previous_snapshot": previous.snapshot_id, "split_added": split, "unexpected_count": 1},
                       [f"+split {split}"])
    old = {c["name"]: c["type"] for c in previous.columns}
    new = {c["name"]: c["type"] for c in columns}
    removed = [column for column in old if column not in new]
    added = [column for column in new if column not in old]
    retyped = [f"{column}: {old[column]} -> {new[column]}" for column in new if column in old
               and old[column] != new[column]]
    changes = [f"-{column}" for column in removed] + [f"+{column} {new[column]}" for column in added] + retyped
    reordered = not changes and list(old) != list(new)
    summary = (f"{len(removed)} removed, {len(added)} added, {len(retyped)} retyped since {previous.snapshot_id}"
               if changes else f"same columns as {previous.snapshot_id}" + (" (new order)" if reordered else ""))
    return outcome(name, settings, not changes, summary, {
        "previous_snapshot": previous.snapshot_id, "removed": removed, "added": added, "retyped": retyped,
        "reordered": reordered, "unexpected_count": len(changes),
    }, changes)


def row_count_change(row_count: int, previous: PreviousSnapshot | None, settings: RowCountSettings,
                     split: str | None = None) -> ExpectationOutcome:
    """The relative change in rows since the previous snapshot's same split, against a maximum either way."""
    name = "row_count_change"
    if previous is None:
        return outcome(name, settings, True, f"{row_count} rows; first snapshot of the dataset")
    if previous.row_count is None:
        return outcome(name, settings, True, f"{row_count} rows; split {split!r} is new since {previous.snapshot_id}",
                       {"rows": row_count, "previous_snapshot": previous.snapshot_id})
    before = previous.row_count
    change = (row_count - before) / before if before else (0.0 if row_count == 0 else math.inf)
    described = f"{change:+.1%}" if math.isfinite(change) else "from none"
    summary = (f"{row_count} rows, {before} in {previous.snapshot_id} ({described}; "
               f"allowed ±{settings.max_change:.0%})")
    return outcome(name, settings, abs(change) <= settings.max_change, summary, {
        "rows": row_count, "previous_rows": before, "previous_snapshot": previous.snapshot_id,
        "change": round(change, 6) if math.isfinite(change) else None, "max_change": settings.max_change,
    })


def split_removed(split: str, previous: PreviousSnapshot, settings: CheckSettings) -> ExpectationOutcome:
    """A split of the previous snapshot that this snapshot no longer has: schema drift, at WARN whatever the
    configured severity (a split dropped is a change to review, not a broken schema)."""
    return outcome("schema_drift", dataclasses.replace(settings, severity="WARN"), False,
                   f"split {split!r} of {previous.snapshot_id} ({previous.row_count} rows) is gone",
                   {"previous_snapshot": previous.snapshot_id, "split_removed": split,
                    "previous_rows": previous.row_count, "unexpected_count": 1},
                   [f"-split {split}"])
