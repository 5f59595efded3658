"""Upstream gone: each look upstream that finds the source missing (404, 410, a Hub repo, revision or file that does
not exist, a local file deleted) is recorded in `governance.upstream_checks` and flagged to the steward; errors
(401, 403, 5xx, timeouts) are recorded and never count; a present answer resets the count. Only once confirmed, by
the same answer on the policy's number of consecutive checks spanning its minimum time, or by a steward, does the
after-publishing policy act on what was published (assets/after_publishing.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import NoReturn

import dagster as dg

from assets.after_publishing import act_on_published, policy_reference
from assets.catalog import CatalogEntry
from assets.fetch import FetchError
from assets.hub import HubTarget, hub_error_message
from assets.warehouse import Warehouse
from licenses import load_policy
from licenses.after_publishing import gone_streak


def record_check(warehouse: Warehouse, entry: CatalogEntry, answer: str, status: int | None, detail: str,
                 checked_at: datetime, run_id: str) -> None:
    with warehouse.connect() as connection:
        connection.execute("INSERT INTO governance.upstream_checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [entry.id, entry.source.describe(), checked_at, status, answer, detail, run_id])


def recorded_checks(warehouse: Warehouse, entry: CatalogEntry) -> list[dict]:
    """This source's checks, oldest first."""
    return warehouse.fetch_all("SELECT * FROM governance.upstream_checks WHERE dataset_id = ? AND source_key = ?"
                               " ORDER BY checked_at", [entry.id, entry.source.describe()])


def note_present(warehouse: Warehouse, entry: CatalogEntry, checked_at: datetime, run_id: str) -> None:
    """A source that answered again ends a run of gone or error answers (recorded only then: a source that was
    always there leaves no rows)."""
    checks = recorded_checks(warehouse, entry)
    if checks and checks[-1]["answer"] != "present":
        record_check(warehouse, entry, "present", None, "the source answered", checked_at, run_id)


def fail_on_answer(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget, entry: CatalogEntry,
                   error: FetchError, confirmed_by: str | None) -> NoReturn:
    """Record what upstream answered and fail the run: an error as it is; a gone answer with its count, and the
    after-publishing action once confirmed (`confirmed_by`: a steward's confirmation)."""
    checked_at = datetime.now(timezone.utc)
    if error.answer != "gone":
        record_check(warehouse, entry, "error", error.status, str(error).removeprefix(f"{entry.id}: "), checked_at,
                     context.run_id)
        raise error
    try:
        message = upstream_gone(hub, warehouse, entry, error, checked_at, context.run_id, confirmed_by)
    except Exception as failure:  # the Hub refused the commit: said in one line, the gone answer stays recorded
        message = (f"{entry.id}: upstream gone ({error}); acting on the published repo failed: "
                   f"{hub_error_message(failure)}")
    context.log.warning(message)
    raise dg.Failure(description=message, allow_retries=False)


def upstream_gone(hub: HubTarget, warehouse: Warehouse, entry: CatalogEntry, error: FetchError,
                  checked_at: datetime, run_id: str, confirmed_by: str | None = None) -> str:
    """Record a gone answer and act when it is confirmed. Returns the message the run fails with."""
    detail = str(error).removeprefix(f"{entry.id}: ")
    record_check(warehouse, entry, "gone", error.status, detail, checked_at, run_id)
    dataset = warehouse.fetch_one("SELECT decision_record FROM governance.datasets WHERE dataset_id = ?",
                                  [entry.id])
    record = json.loads(dataset["decision_record"]) if dataset else None
    rule = load_policy(policy_reference(entry, record)).after_publishing.upstream_gone
    checks = recorded_checks(warehouse, entry)
    streak = gone_streak(rule, [(row["checked_at"], row["answer"]) for row in checks])
    said = f"{entry.id}: upstream gone ({detail}): {streak.describe(rule)}"
    if not (streak.confirmed or confirmed_by):
        return (f"{said}; nothing changed on the Hub. A steward may confirm it: launch raw_source with "
                "confirm_upstream_gone and confirmed_by")
    confirmation = f"confirmed by steward {confirmed_by}" if confirmed_by else "confirmed by the policy's checks"
    last_present = max((i for i, row in enumerate(checks) if row["answer"] == "present"), default=-1)
    first = next(row["checked_at"] for row in checks[last_present + 1:] if row["answer"] == "gone")
    since = f"{first.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    outcome = act_on_published(
        hub, warehouse, entry, cause="upstream_gone",
        reason=f"the upstream source is gone ({detail}), first found gone {since}",
        license_now=None, decision_record=record, run_id=run_id,
        decided_by=f"steward {confirmed_by}" if confirmed_by else f"upstream checks ({streak.describe(rule)})")
    return f"{said}, {confirmation}; {outcome.line() if outcome else 'nothing was published'}"
