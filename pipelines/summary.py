"""The per-dataset summary the main command prints, read back from the warehouse."""

from __future__ import annotations

import json

from assets.after_publishing import AfterPublishingOutcome, action_in_force
from assets.republish import restored_in_run
from assets.store import latest_checks
from assets.takedown_purge import dataset_taken_down
from assets.warehouse import Warehouse
from licenses.info import license_label

COLUMNS = ("dataset", "license", "decision", "checks", "snapshot", "outcome")


def dataset_summary(warehouse: Warehouse, dataset_id: str, error: str | None, run_id: str | None = None) -> dict:
    """One dataset's outcome. With the run's id, a run that made no new snapshot says since when nothing changed.
    A published dataset acted on since its last publish (a license notice, a withdrawal) says so, never published;
    one whose main this run restored says so beside its tag."""
    dataset = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [dataset_id]) or {}
    snapshot = warehouse.fetch_one("SELECT * FROM governance.latest_snapshots WHERE dataset_id = ?",
                                   [dataset_id]) or {}
    checks = latest_checks(warehouse, snapshot["snapshot_id"]) if snapshot else []
    in_force = action_in_force(warehouse, dataset_id)
    after = AfterPublishingOutcome(in_force, None).line() if in_force else None
    taken_down = dataset_taken_down(warehouse, dataset_id)
    restored = restored_in_run(warehouse, dataset_id, run_id) if run_id else None
    if error:
        outcome = f"FAILED: {error}"
    elif taken_down:
        outcome = f"taken down ({taken_down})"
    elif after and dataset.get("decision") not in (None, "publish"):
        outcome = f"not published: {dataset['decision_reason']}; {after}"
    elif after and snapshot.get("checks_passed") is False:  # a takedown withdrew main before the checks failed
        outcome = f"not published: {checks_failed(checks)}; {after}"
    elif after:  # upstream confirmed gone, say: what was published is no longer on main as it was
        outcome = after
    elif snapshot.get("published_tag"):
        outcome = f"published {snapshot['published_repo']}@{snapshot['published_tag']}"
        if restored:
            outcome += f"; {AfterPublishingOutcome(restored, None).line()}"
    elif dataset.get("decision") and dataset["decision"] != "publish":
        outcome = f"not published: {dataset['decision_reason']}"
    elif snapshot.get("checks_passed") is False:
        outcome = f"not published: {checks_failed(checks)}"
    else:
        outcome = f"not published: {snapshot.get('publish_error') or 'see the run in the Dagster UI'}"
    unchanged = bool(not error and run_id and snapshot and snapshot["run_id"] != run_id and not restored)
    record = json.loads(dataset["decision_record"]) if dataset.get("decision_record") else {}
    return {
        "dataset": dataset_id,
        "license": license_label(record["license"]) if record else "-",
        "decision": dataset.get("decision", "-"),
        "checks": {True: "passed", False: "failed", None: "-"}[snapshot.get("checks_passed")],
        "snapshot": snapshot.get("snapshot_id", "-"),
        "outcome": outcome,
        "error": error,
        "unchanged_since": f"{snapshot['created_at']:%Y-%m-%d %H:%M:%S %Z}" if unchanged else None,
        "obligations": record.get("obligations") or [],
        "warnings": [c["check_name"] for c in checks if not c["passed"] and c["severity"] != "ERROR"],
    }


def checks_failed(checks: list[dict]) -> str:
    failed = [check["check_name"] for check in checks if not check["passed"] and check["severity"] == "ERROR"]
    return f"blocking quality checks failed ({', '.join(failed)})"


def format_table(outcomes: list[dict]) -> str:
    """A table of outcomes, then per dataset what a steward must know: unchanged since when, the obligations a
    consumer takes on, and the warning-level checks that failed (they do not block the publish)."""
    widths = {c: max([len(c), *(len(str(o[c])) for o in outcomes)]) for c in COLUMNS[:-1]}
    lines = ["  ".join(c.ljust(widths.get(c, 0)) for c in COLUMNS)]
    lines += ["  ".join(str(o[c]).ljust(widths.get(c, 0)) for c in COLUMNS) for o in outcomes]
    details = []
    for outcome in outcomes:
        said = ([f"unchanged since {outcome['unchanged_since']}: no new snapshot, nothing republished"]
                if outcome.get("unchanged_since") else [])
        said += [f"obligation: {obligation}" for obligation in outcome.get("obligations") or []]
        said += [f"warning: check {name} failed (WARN: shown, not blocking)" for name in outcome.get("warnings") or []]
        details += [f"  {outcome['dataset']}: {line}" for line in said]
    return "\n".join([*lines, *([""] if details else []), *details])
