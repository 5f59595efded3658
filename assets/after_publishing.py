"""After publishing: a published dataset whose license decision turned to blocked or quarantine, or whose upstream
is confirmed gone, gets one commit on its repo's main, as its policy says (licenses/after_publishing.py): a license
notice on the card, or the data withdrawn from main. Tags are never touched. Each action is recorded in
`governance.withdrawals` with what, when, why and who, and is taken once: a later run finds it done."""

from __future__ import annotations

import json
from dataclasses import dataclass

from assets.catalog import CatalogEntry
from assets.hub import HubTarget
from assets.publication_status import REPO_STATE, PublicationAction, last_publish, recorded_actions
from assets.repo_actions import action_card, commit_action, current_card
from assets.warehouse import Warehouse
from licenses import load_policy
from licenses.after_publishing import ChosenAction, action_for
from licenses.info import license_label

DONE = {"notice": "license notice added", "withdraw": "withdrawn", "takedown": "taken down",
        "restore": "restored on main"}


@dataclass(frozen=True)
class AfterPublishingOutcome:
    """The action in force on the published repo, and whether this run made its commit."""

    action: PublicationAction
    commit_oid: str | None  # this run's commit; None when an earlier run took the action

    @property
    def status(self) -> str:
        return DONE[self.action.action]

    def line(self) -> str:
        """What a steward reads in the run summary and the UI."""
        action = self.action
        when = f"{action.recorded_at:%Y-%m-%d %H:%M} UTC"
        tags = ", ".join(f"{tag} ({license_id})" for tag, license_id in action.tags.items())
        what = {"notice": f"license notice added on {action.repo_id} main since {when}",
                "withdraw": f"withdrawn from {action.repo_id} main since {when} (data removed from main"
                            + (f" at takedown request {', '.join(action.requests)})" if action.requests else ")"),
                "takedown": f"taken down ({', '.join(action.requests)}) from {action.repo_id} since {when}",
                "restore": f"main restored since {when}: {action.reason}"}[action.action]
        if action.action == "takedown":  # its tags are gone with the rest
            return f"{what}; tags removed: {', '.join(action.removed_tags)}" if action.removed_tags else what
        return f"{what}; tags kept: {tags}" if tags and action.action != "restore" else what

    def metadata(self) -> dict:
        action = self.action
        return {"after_publishing": self.status, "repo_id": action.repo_id, "cause": action.cause,
                "reason": action.reason, "decided_by": action.decided_by, "license_now": action.license_now or "",
                "tags": json.dumps(action.tags), "since": action.recorded_at.isoformat(),
                "commit": self.commit_oid or "already done by an earlier run"}


def published_tags(warehouse: Warehouse, dataset_id: str) -> tuple[str | None, dict[str, str]]:
    """The repo the dataset was last published to and every published tag with the license it went out under,
    oldest first."""
    rows = warehouse.fetch_all(
        "SELECT s.published_repo, s.published_tag, p.record FROM governance.snapshots s"
        " LEFT JOIN governance.provenance p USING (snapshot_id)"
        " WHERE s.dataset_id = ? AND s.published_tag IS NOT NULL ORDER BY s.published_at, s.published_tag",
        [dataset_id])
    tags = {row["published_tag"]: published_license(row["record"]) for row in rows}
    return (rows[-1]["published_repo"] if rows else None), tags


def published_license(provenance: str | None) -> str:
    record = json.loads(provenance) if provenance else {}
    info = (record.get("license") or {}).get("license")
    return license_label(info) if info else "unknown license"


def action_in_force(warehouse: Warehouse, dataset_id: str) -> PublicationAction | None:
    """The last action on the whole repo since the dataset was last published (None: none since, or main restored
    after it, assets/republish.py)."""
    published = last_publish(warehouse, dataset_id)
    since = published[1] if published else None
    actions = [action for action in recorded_actions(warehouse, dataset_id)
               if action.action in REPO_STATE and (since is None or action.recorded_at >= since)]
    return actions[-1] if actions and actions[-1].action != "restore" else None


def policy_reference(entry: CatalogEntry, decision_record: dict | None) -> str:
    """The policy the dataset is decided under: a steward's override's, else the catalog's."""
    return ((decision_record or {}).get("steward_override") or {}).get("policy") or entry.policy


def act_on_published(hub: HubTarget, warehouse: Warehouse, entry: CatalogEntry, *, cause: str, reason: str,
                     license_now: str | None, decision_record: dict | None, run_id: str,
                     decided_by: str | None = None, chosen: ChosenAction | None = None
                     ) -> AfterPublishingOutcome | None:
    """Apply the policy to the dataset's published repo, once: None when nothing was ever published. An action
    already in force stands when it is a withdrawal (nothing is left on main to act on) or the same notice (same
    cause and license); otherwise (a notice, then another license or the upstream gone) the policy acts again.
    `chosen`: an action the cause itself decides, instead of the policy's."""
    repo_id, tags = published_tags(warehouse, entry.id)
    if repo_id is None:
        return None
    done = action_in_force(warehouse, entry.id)
    if done is not None and (done.action != "notice" or (done.cause, done.license_now) == (cause, license_now)):
        return AfterPublishingOutcome(done, None)
    if chosen is None:
        policy = load_policy(policy_reference(entry, decision_record))
        chosen = action_for(policy.after_publishing, list(tags.values()), policy.name)
    action = PublicationAction(
        dataset_id=entry.id, repo_id=repo_id, action=chosen.action, cause=cause, reason=reason,
        decided_by=f"{decided_by}; {chosen.why}" if decided_by else chosen.why, license_now=license_now, tags=tags)
    api = hub.client()
    card = action_card(current_card(api, repo_id), action, entry.title)
    oid = commit_action(api, warehouse, action, card, remove_data=chosen.action == "withdraw", run_id=run_id)
    return AfterPublishingOutcome(action, oid)


def after_license_change(hub: HubTarget, warehouse: Warehouse, entry: CatalogEntry, dataset_row: dict,
                         run_id: str) -> AfterPublishingOutcome | None:
    """A dataset decided blocked or quarantine whose earlier snapshots are published: the policy's notice or
    withdrawal, with the new license and the decision's reasons; a derived dataset blocked by an input withdrawn or
    taken down is withdrawn, naming the input."""
    record = json.loads(dataset_row["decision_record"])
    if record.get("inputs_withdrawn"):
        # What applies to an input applies to what is built from it: its data leaves main whatever its license.
        inputs = "; ".join(item["reason"] for item in record["inputs_withdrawn"])
        return act_on_published(hub, warehouse, entry, cause="input_withdrawn", reason=inputs,
                                license_now=license_label(record["license"]), decision_record=record, run_id=run_id,
                                chosen=ChosenAction("withdraw", "an input withdrawn or taken down"))
    state = "quarantined" if dataset_row["decision"] == "quarantine" else dataset_row["decision"]
    return act_on_published(hub, warehouse, entry, cause="license_change",
                            reason=f"the license decision is now {state}: {dataset_row['decision_reason']}",
                            license_now=license_label(record["license"]), decision_record=record, run_id=run_id)
