"""What happened to a dataset's published snapshots after publishing, as a consumer reads it on the repo's main:
`status.json`, rendered from `governance.withdrawals` (one row per action: a license notice, a withdrawal, a
takedown of the whole dataset, a purge of the snapshots holding taken-down rows, a restore of main once the snapshot
is publishable again). Every commit that acts on a published repo writes it, and every publish carries it forward,
so `verify` of any tag can read on main what became of it (pipelines/verify.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from assets.warehouse import Warehouse, as_json

STATUS_FILE = "status.json"
ACTIONS = ("notice", "withdraw", "takedown", "purge", "restore")
# The repo's state after an action on the whole repo; a purge removes some tags and leaves the repo published.
REPO_STATE = {"notice": "license_notice", "withdraw": "withdrawn", "takedown": "taken_down", "restore": "published"}


@dataclass(frozen=True)
class PublicationAction:
    """One action on a published repo, as recorded and as status.json lists it."""

    dataset_id: str
    repo_id: str
    action: str  # one of ACTIONS
    cause: str  # license_change | upstream_gone | takedown | input_withdrawn
    reason: str
    decided_by: str
    license_now: str | None = None
    # tag -> the license it was published under (a restore: the tag main holds again)
    tags: dict[str, str] = field(default_factory=dict)
    removed_tags: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    use_instead: str | None = None
    recorded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"unknown publication action {self.action!r}; one of {', '.join(ACTIONS)}")

    def to_dict(self) -> dict:
        return {"action": self.action, "cause": self.cause, "since": self.recorded_at.isoformat(),
                "reason": self.reason, "decided_by": self.decided_by, "license_now": self.license_now,
                "tags": self.tags, "removed_tags": self.removed_tags, "requests": self.requests,
                "use_instead": self.use_instead}


def record_action(warehouse: Warehouse, action: PublicationAction, commit_oid: str | None, run_id: str) -> None:
    """Record an action once its commit landed on the Hub (`commit_oid`: the commit on main that carried it)."""
    with warehouse.connect() as connection:
        connection.execute(
            "INSERT INTO governance.withdrawals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [action.dataset_id, action.repo_id, action.action, action.cause, action.reason, action.decided_by,
             action.license_now, as_json(action.tags), as_json(action.removed_tags), as_json(action.requests),
             action.use_instead, commit_oid, action.recorded_at, run_id],
        )


def recorded_actions(warehouse: Warehouse, dataset_id: str) -> list[PublicationAction]:
    """The dataset's actions, oldest first."""
    rows = warehouse.fetch_all("SELECT * FROM governance.withdrawals WHERE dataset_id = ? ORDER BY recorded_at",
                               [dataset_id])
    return [PublicationAction(
        dataset_id=row["dataset_id"], repo_id=row["repo_id"], action=row["action"], cause=row["cause"],
        reason=row["reason"], decided_by=row["decided_by"], license_now=row["license_now"],
        tags=json.loads(row["tags"] or "{}"), removed_tags=json.loads(row["removed_tags"] or "[]"),
        requests=json.loads(row["requests"] or "[]"), use_instead=row["use_instead"],
        recorded_at=row["recorded_at"]) for row in rows]


def status_document(actions: list[PublicationAction], pending: PublicationAction | None = None,
                    published: tuple[str, datetime] | None = None) -> dict | None:
    """status.json for the recorded actions plus `pending` (the action the commit being built carries); None when
    nothing ever happened after publishing. `published`: the repo's current tag and when it was published. The
    repo's `status` is published, license_notice, withdrawn or taken_down: the last action on the whole repo
    since the last publish decides it (a restore: published again, the restored tag current); `events` lists every
    action, oldest first, so a consumer of an older tag still reads what became of it."""
    events = actions + ([pending] if pending else [])
    if not events:
        return None
    since = published[1] if published else None
    whole_repo = [event for event in events if event.action in REPO_STATE
                  and (since is None or event.recorded_at >= since)]
    last = whole_repo[-1] if whole_repo else None
    state = REPO_STATE[last.action] if last else "published"
    current = next(iter(last.tags)) if last and last.action == "restore" else published[0] if published else None
    return {"dataset_id": events[-1].dataset_id, "repo_id": events[-1].repo_id, "status": state,
            "current_tag": current if state == "published" else None,
            "events": [event.to_dict() for event in events]}


def last_publish(warehouse: Warehouse, dataset_id: str) -> tuple[str, datetime] | None:
    """The dataset's last published snapshot's tag and when it was published."""
    row = warehouse.fetch_one("SELECT published_tag, published_at FROM governance.snapshots WHERE dataset_id = ?"
                              " AND published_at IS NOT NULL ORDER BY published_at DESC LIMIT 1", [dataset_id])
    return (row["published_tag"], row["published_at"]) if row else None


def status_with(warehouse: Warehouse, action: PublicationAction) -> bytes:
    """status.json for a commit carrying `action`: the recorded actions, this one, and the last publish."""
    return status_bytes(status_document(recorded_actions(warehouse, action.dataset_id), action,
                                        published=last_publish(warehouse, action.dataset_id)))


def status_bytes(document: dict) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
