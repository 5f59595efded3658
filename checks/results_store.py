"""Check outcomes in the warehouse (governance.check_results), and when a snapshot's stored outcomes still hold.

A snapshot's Parquet file never changes, so its outcomes change only with what the checks are given: the
suite and governance settings, the license decision, the previous snapshot compared against, and the check
code itself. Their fingerprint is stored with each outcome; a run whose fingerprint matches a stored one
reuses those outcomes instead of scanning the data again (the nightly run on an unchanged source). Each outcome
records the snapshot split it was computed on; a snapshot's splits are checked, stored and reused together.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from importlib.metadata import version

from assets.warehouse import Warehouse, as_json, fingerprint
from checks.governance import DatasetRecord, PreviousSnapshot
from checks.gx_duckdb import ExpectationOutcome
from checks.suite import Suite

# Bump when a check's logic changes, so stored outcomes computed by the old logic are not reused.
# 2: outcomes per split, compared with the previous snapshot's same split.
CHECKS_LOGIC_VERSION = "2"
ENGINES = ("great-expectations", "duckdb")  # their versions decide outcomes too


def checks_fingerprint(suite: Suite, records: Mapping[str, DatasetRecord],
                       removed: Mapping[str, PreviousSnapshot]) -> str:
    """sha256 over everything besides the (immutable) data that a snapshot's check outcomes depend on: the suite
    and settings, each split's record, and the previous snapshot's splits this one no longer has."""
    inputs = {
        "logic": CHECKS_LOGIC_VERSION,
        "engines": {name: version(name) for name in ENGINES},
        "expectations": [{"type": spec.type, "kwargs": spec.kwargs, "severity": spec.severity, "name": spec.name}
                         for spec in suite.expectations],
        "governance": dataclasses.asdict(suite.governance),
        "splits": {split: dataclasses.asdict(record) for split, record in records.items()},
        "removed_splits": {split: dataclasses.asdict(previous) for split, previous in removed.items()},
    }
    return fingerprint(inputs)


@dataclasses.dataclass(frozen=True)
class StoredRun:
    run_id: str
    outcomes: list[ExpectationOutcome]  # in the order they were recorded


def stored_outcomes(warehouse: Warehouse, snapshot_id: str, fingerprint: str) -> StoredRun | None:
    """The latest recorded outcomes of this snapshot computed from the same inputs, if any."""
    rows = warehouse.fetch_all(
        "SELECT check_name, expectation_type, column_name, severity, passed, observed, run_id, split"
        " FROM governance.check_results WHERE snapshot_id = ? AND inputs_fingerprint = ?"
        " QUALIFY run_id = first_value(run_id) OVER (ORDER BY checked_at DESC) ORDER BY position",
        [snapshot_id, fingerprint],
    )
    if not rows:
        return None
    outcomes = []
    for row in rows:
        observed = json.loads(row["observed"] or "{}")
        samples = observed.pop("sample_values", [])
        outcomes.append(ExpectationOutcome(row["check_name"], row["expectation_type"], row["column_name"],
                                           row["severity"], row["passed"], observed, samples, row["split"]))
    return StoredRun(rows[0]["run_id"], outcomes)


def record_outcomes(warehouse: Warehouse, snapshot_id: str, outcomes: list[ExpectationOutcome], run_id: str,
                    fingerprint: str) -> None:
    """Every outcome into governance.check_results; checks_passed is whether every ERROR-severity check passed on
    every split (the publish step refuses a snapshot without it)."""
    with warehouse.transaction() as connection:
        connection.execute("DELETE FROM governance.check_results WHERE snapshot_id = ? AND run_id = ?",
                           [snapshot_id, run_id])
        connection.executemany(
            "INSERT INTO governance.check_results (snapshot_id, check_name, severity, passed, observed, run_id,"
            " checked_at, expectation_type, column_name, inputs_fingerprint, position, split)"
            " VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)",
            [[snapshot_id, o.name, o.severity, o.passed, as_json({**o.observed, "sample_values": o.sample_values}),
              run_id, o.expectation_type, o.column, fingerprint, position, o.split]
             for position, o in enumerate(outcomes)],
        )
        connection.execute("UPDATE governance.snapshots SET checks_passed = ? WHERE snapshot_id = ?",
                           [all(o.passed for o in outcomes if o.severity == "ERROR"), snapshot_id])
