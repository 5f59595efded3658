"""The per-dataset summary the main command prints, read back from the warehouse."""

from __future__ import annotations

from assets.store import latest_checks
from assets.warehouse import Warehouse


def dataset_summary(warehouse: Warehouse, dataset_id: str, error: str | None) -> dict:
    dataset = warehouse.fetch_one("SELECT * FROM governance.datasets WHERE dataset_id = ?", [dataset_id]) or {}
    snapshot = warehouse.fetch_one("SELECT * FROM governance.latest_snapshots WHERE dataset_id = ?",
                                   [dataset_id]) or {}
    if error:
        outcome = f"FAILED: {error}"
    elif snapshot.get("published_tag"):
        outcome = f"published {snapshot['published_repo']}@{snapshot['published_tag']}"
    elif dataset.get("decision") and dataset["decision"] != "publish":
        outcome = f"not published: {dataset['decision_reason']}"
    elif snapshot.get("checks_passed") is False:
        failed = [c["check_name"] for c in latest_checks(warehouse, snapshot["snapshot_id"])
                  if not c["passed"] and c["severity"] == "ERROR"]
        outcome = f"not published: blocking quality checks failed ({', '.join(failed)})"
    else:
        outcome = f"not published: {snapshot.get('publish_error') or 'see the run in the Dagster UI'}"
    checks = {True: "passed", False: "failed", None: "-"}[snapshot.get("checks_passed")]
    return {
        "dataset": dataset_id,
        "license": dataset.get("license_spdx") or ("unknown" if dataset else "-"),
        "decision": dataset.get("decision", "-"),
        "checks": checks,
        "snapshot": snapshot.get("snapshot_id", "-"),
        "outcome": outcome,
        "error": error,
    }


def format_table(outcomes: list[dict]) -> str:
    columns = ("dataset", "license", "decision", "checks", "snapshot", "outcome")
    widths = {c: max(len(c), *(len(str(o[c])) for o in outcomes)) for c in columns[:-1]}
    lines = ["  ".join(c.ljust(widths.get(c, 0)) for c in columns)]
    lines += ["  ".join(str(o[c]).ljust(widths.get(c, 0)) for c in columns) for o in outcomes]
    return "\n".join(lines)
