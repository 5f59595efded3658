"""What a takedown removes from the Hub, so that no tag and no commit still serves the removed data:

- rows: once a run has made the snapshot without them, before it is checked or published, the tags of the older
  snapshots that hold them go and main's history is squashed (`HfApi.super_squash_history`); when main
  served them its data is withdrawn until a snapshot without them is published over it. status.json records it
  (removed tags, requests, the tag to use instead when there is one);
- a derived dataset: its published snapshots built from an input snapshot a takedown purged go the same way;
- the whole dataset: one commit leaves only a card saying so and status.json, then every tag goes and main's
  history is squashed.

Each step is safe to repeat: a run that failed half-way is completed by the next."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import dagster as dg

from assets.catalog import CatalogEntry
from assets.hub import HubAccessError, HubTarget, hub_error_message
from assets.publication_status import PublicationAction, last_publish, recorded_actions
from assets.takedown_purge import add_purged, holds_rows, purge_files
from assets.takedowns import TakedownRequest, row_takedowns
from assets.warehouse import Warehouse

if TYPE_CHECKING:
    from huggingface_hub import HfApi


class TakedownHubError(RuntimeError):
    """A takedown step on the Hub failed; the next run completes it."""


def hub_step(dataset_id: str, what: str, step: Callable):
    """A takedown step on the Hub; its failure names the dataset and what was being done, never the token."""
    try:
        return step()
    except Exception as error:
        reason = str(error) if isinstance(error, HubAccessError) else hub_error_message(error)
        raise TakedownHubError(f"{dataset_id}: {what} failed: {reason}") from None


def taken_down_check(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget, entry: CatalogEntry,
                     request: TakedownRequest, check_name: str) -> dg.AssetCheckResult:
    """A dataset taken down whole: nothing of it stays served on the Hub, and its `published` check says so."""
    repo_id = hub.repo_id(entry.id)
    api = hub.client()
    removed = hub_step(entry.id, f"taking down {repo_id}", lambda: take_down_repo(
        api, warehouse, entry.id, repo_id, entry.title, request, context.run_id))
    if removed is not None:
        context.log.warning(f"{entry.id}: taken down on the Hub ({request.label}): tags "
                            f"{', '.join(removed) or 'none'} removed, history squashed")
    outcome = f"taken down ({request.request_id})"
    return dg.AssetCheckResult(check_name=check_name, passed=False, severity=dg.AssetCheckSeverity.WARN,
                               description=outcome, metadata={"reason": outcome, "repo_id": repo_id,
                                                              "removed_tags": removed or []})


def enforce_row_takedowns(context: dg.AssetExecutionContext, warehouse: Warehouse, hub: HubTarget,
                           entry: CatalogEntry, snapshot_id: str) -> dict:
    """The purge the dataset's row takedowns call for, done once the snapshot without the rows (`snapshot_id`) is
    made, which checks each request against the data, and before it is checked: neither a failing check nor a
    license decision that holds it back keeps the rows served. A derived dataset also purges what it built from an
    input snapshot a takedown purged. Returns what the snapshot's metadata says of the takedowns."""
    requests = row_takedowns(entry)
    if not requests and not entry.source.inputs:
        return {}
    older = warehouse.fetch_all(
        "SELECT * FROM governance.snapshots WHERE dataset_id = ? AND snapshot_id <> ? AND published_tag IS NOT NULL"
        " AND purged_at IS NULL ORDER BY created_at", [entry.id, snapshot_id])
    holding = [row for row in older if requests and holds_rows(row, requests)]
    ids = [request.request_id for request in requests]
    inherited_ids, inherited = inherited_takedowns(warehouse, entry, older)
    holding += [row for row in inherited if row not in holding]
    ids += [request_id for request_id in inherited_ids if request_id not in ids]
    if not ids:
        return {}
    if not holding:  # the Hub is asked only when a published snapshot holds the rows: a done purge needs no token
        return {"takedowns": ids, "purged_tags": []}
    repo_id = hub.repo_id(entry.id)
    purged = hub_step(entry.id, f"purging the snapshots holding taken-down rows from {repo_id}", lambda: (
        purge_published(hub.client(), warehouse, entry.id, repo_id, entry.title, snapshot_id, ids, holding,
                        context.run_id)))
    context.log.warning(f"{entry.id}: takedown: tags {', '.join(purged)} removed, history squashed")
    return {"takedowns": ids, "purged_tags": purged}


def inherited_takedowns(warehouse: Warehouse, entry: CatalogEntry,
                        published: list[dict]) -> tuple[list[str], list[dict]]:
    """A derived dataset's `published` snapshots built from an input snapshot that a takedown purged: what was
    taken down from an input is taken down from what was built from it. Returns (the requests, those snapshots)."""
    if not entry.source.inputs or not published:
        return [], []
    # Any request's: a purged derived input's snapshots are listed under the request on its own input.
    requests = warehouse.fetch_all("SELECT request_id, snapshots_purged FROM governance.takedowns ORDER BY request_id")
    purged_by = {snapshot_id: row["request_id"] for row in requests
                 for snapshot_id in json.loads(row["snapshots_purged"] or "[]")}
    records = {row["snapshot_id"]: row["record"] for row in warehouse.fetch_all(
        "SELECT snapshot_id, record FROM governance.provenance WHERE list_contains(?, snapshot_id)",
        [[row["snapshot_id"] for row in published]])} if purged_by else {}
    ids, holding = [], []
    for row in published:
        built_from = [item["snapshot_id"] for item in json.loads(records.get(row["snapshot_id"]) or "{}")
                      .get("derived_from", [])]
        found = [purged_by[snapshot_id] for snapshot_id in built_from if snapshot_id in purged_by]
        if found:
            holding.append(row)
            ids += [request_id for request_id in found if request_id not in ids]
    return ids, holding


def purge_published(api: "HfApi", warehouse: Warehouse, dataset_id: str, repo_id: str, title: str, new_tag: str,
                    ids: list[str], holding: list[dict], run_id: str) -> list[str]:
    """Purge the published snapshots `holding` the requests' rows: their tags go and main's history is squashed.
    When main serves one of them, its data is withdrawn in the same step (the card and status.json say why) until
    the snapshot without the rows, `new_tag`, is published over it. `ids`: the takedown requests that call for it.
    Returns the tags removed."""
    tags = {ref.name: ref.target_commit for ref in api.list_repo_refs(repo_id, repo_type="dataset").tags}
    served = {tags.get(row["published_tag"]) or row["published_revision"] for row in holding}
    removed = [row["published_tag"] for row in holding]
    # What main keeps serving: the snapshot without the rows once published (a purge that stopped half-way), else
    # the last published one if it lacks them; with neither, main's data is withdrawn.
    on_main = last_publish(warehouse, dataset_id)
    kept = new_tag if new_tag in tags else (on_main[0] if on_main and on_main[0] in set(tags) - set(removed)
                                            else None)
    # A kept tag whose history reaches a commit holding the rows would keep that commit served.
    for name in sorted(set(tags) - set(removed) - {kept}):
        if served & {commit.commit_id for commit in api.list_repo_commits(repo_id, repo_type="dataset",
                                                                          revision=name)}:
            removed.append(name)
    action = PublicationAction(
        dataset_id=dataset_id, repo_id=repo_id, action="purge" if kept else "withdraw", cause="takedown",
        reason=f"rows removed at takedown request {', '.join(ids)}: the snapshots that held them are no longer "
               "served" + (f"; {kept} lacks them" if kept else
                           "; main serves no data until a snapshot without them is published"),
        decided_by=f"takedown request {', '.join(ids)}", removed_tags=sorted(removed), requests=ids,
        use_instead=kept)
    # Before the squash, so that the one commit left on main holds none of the rows.
    commit_on_main(api, warehouse, action, remove_data=kept is None, title=title, run_id=run_id)
    # The kept tag goes too, for a moment: its commit's parents hold the rows. It comes back on the squashed main.
    for tag in [*removed, *([kept] if kept else [])]:
        delete_tag(api, repo_id, tag)
    api.super_squash_history(repo_id, repo_type="dataset", commit_message=f"Takedown {', '.join(ids)}: history "
                             "squashed so that no commit serves the removed rows")
    if kept:
        head = api.list_repo_commits(repo_id, repo_type="dataset")[0].commit_id
        api.create_tag(repo_id, tag=kept, revision=head, repo_type="dataset", tag_message=f"Snapshot {kept}")
        record_retag(warehouse, kept, head)
    by_tag = {row["published_tag"]: row["snapshot_id"] for row in warehouse.fetch_all(
        "SELECT published_tag, snapshot_id FROM governance.snapshots WHERE dataset_id = ? AND purged_at IS NULL"
        " AND published_tag IS NOT NULL", [dataset_id])}
    purged = [by_tag[tag] for tag in removed if tag in by_tag]
    purge_files(warehouse, dataset_id, purged)
    add_purged(warehouse, ids, purged)
    return sorted(removed)


def record_retag(warehouse: Warehouse, tag: str, commit_oid: str) -> None:
    """A tag set again on main's squashed commit: the snapshot's record names the commit it now points at."""
    with warehouse.connect() as connection:
        connection.execute("UPDATE governance.snapshots SET published_revision = ? WHERE published_tag = ?",
                           [commit_oid, tag])


def take_down_repo(api: "HfApi", warehouse: Warehouse, dataset_id: str, repo_id: str, title: str,
                   request: TakedownRequest, run_id: str) -> list[str] | None:
    """Leave nothing of the dataset on the repo: a card saying it was taken down and status.json on one squashed
    commit, no tag. Returns the tags removed; None when there was nothing to do (never published, or done)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
    except RepositoryNotFoundError:
        return None
    tags = [ref.name for ref in refs.tags]
    done = any(action.action == "takedown" and request.request_id in action.requests
               for action in recorded_actions(warehouse, dataset_id))
    if done and not tags and len(api.list_repo_commits(repo_id, repo_type="dataset")) == 1:
        return None
    if not done:
        action = PublicationAction(
            dataset_id=dataset_id, repo_id=repo_id, action="takedown", cause="takedown",
            reason=f"taken down at the request of {request.requested_by} ({request.requested_on}), request "
                   f"{request.request_id}" + (f" taking down its input {request.dataset_id}"
                                              if request.dataset_id != dataset_id else ""),
            decided_by=f"takedown request {request.request_id}",
            tags=published_licenses(warehouse, dataset_id, tags), removed_tags=sorted(tags),
            requests=[request.request_id])
        commit_on_main(api, warehouse, action, remove_data=True, title=title, run_id=run_id)
    for tag in tags:
        delete_tag(api, repo_id, tag)
    api.super_squash_history(repo_id, repo_type="dataset", commit_message=f"Takedown {request.request_id}: history "
                             "squashed so that no commit serves the dataset")
    return sorted(tags)


def commit_on_main(api: "HfApi", warehouse: Warehouse, action: PublicationAction, *, remove_data: bool,
                   title: str, run_id: str) -> str:
    """One commit carrying the action (assets/repo_actions.py): the card a consumer reads and status.json."""
    from assets.repo_actions import action_card, commit_action, current_card

    card = action_card(current_card(api, action.repo_id), action, title)
    return commit_action(api, warehouse, action, card, remove_data=remove_data, run_id=run_id)


def delete_tag(api: "HfApi", repo_id: str, tag: str) -> None:
    from huggingface_hub.errors import RevisionNotFoundError

    try:
        api.delete_tag(repo_id, tag=tag, repo_type="dataset")
    except RevisionNotFoundError:  # gone already: a repeated takedown
        pass


def published_licenses(warehouse: Warehouse, dataset_id: str, tags: list[str]) -> dict[str, str]:
    """tag -> the license it was published under, from the snapshot's provenance record."""
    rows = warehouse.fetch_all(
        "SELECT s.published_tag, p.record FROM governance.snapshots s JOIN governance.provenance p USING"
        " (snapshot_id) WHERE s.dataset_id = ? AND s.published_tag IS NOT NULL", [dataset_id])
    licenses = {}
    for row in rows:
        license_info = json.loads(row["record"]).get("license", {}).get("license", {})
        licenses[row["published_tag"]] = license_info.get("spdx") or license_info.get("name") or "unknown"
    return {tag: licenses.get(tag, "unknown") for tag in tags}
