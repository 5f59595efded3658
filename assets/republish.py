"""Publishable again: a published dataset acted on after publishing (a license notice on its card, its data
withdrawn from main) whose license decision is publish again over the same bytes, say its upstream's license
changed back, is the very snapshot its tag already holds, so publishing it commits nothing. Its main is restored
instead, once: one commit puts the release's files back (the card as published, the data, the records), and
status.json and `governance.withdrawals` record the restore like every action on the repo."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from assets.after_publishing import AfterPublishingOutcome, action_in_force, published_tags
from assets.convert import file_sha256
from assets.publication_status import STATUS_FILE, PublicationAction, record_action, recorded_actions, status_with
from assets.release_push import KEPT_FILES, Release, replace_files
from assets.repo_actions import action_summary
from assets.warehouse import Warehouse
from licenses.info import license_label

if TYPE_CHECKING:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

# What a restore says, by the cause of the action it lifts.
RESTORED_BECAUSE = {
    "license_change": "the license decision is publish again: {decision_reason}",
    "input_withdrawn": "its inputs are published again and the license decision is publish: {decision_reason}",
    "upstream_gone": "the upstream answers again with the same data",
}


def restore_main(api: "HfApi", warehouse: Warehouse, dataset_id: str, release: Release, dataset_row: dict,
                 run_id: str) -> AfterPublishingOutcome | None:
    """For a release whose tag already exists: when a notice or withdrawal is in force on the repo's main, one
    commit making main hold the release again, with status.json listing the restore. A main found holding it
    already (the commit landed, its record did not) is recorded as restored without a commit. None when nothing
    is in force: main was never acted on, or already restored. Safe to repeat."""
    from huggingface_hub.hf_api import RepoFile

    lifted = action_in_force(warehouse, dataset_id)
    # A takedown's withdrawal is never lifted by a decision: only a snapshot without the rows replaces it.
    if lifted is None or lifted.action not in ("notice", "withdraw") or lifted.cause not in RESTORED_BECAUSE:
        return None
    record = json.loads(dataset_row["decision_record"])
    _, tags = published_tags(warehouse, dataset_id)
    action = PublicationAction(
        dataset_id=dataset_id, repo_id=release.repo_id, action="restore", cause=lifted.cause,
        reason=RESTORED_BECAUSE[lifted.cause].format(decision_reason=dataset_row["decision_reason"]),
        decided_by=f"the license decision under policy {dataset_row['policy']}",
        license_now=license_label(record["license"]), tags={release.tag: tags.get(release.tag, "unknown license")})
    refs = api.list_repo_refs(release.repo_id, repo_type="dataset")
    head = next(ref.target_commit for ref in refs.branches if ref.name == "main")
    on_main = {item.path: item for item in api.list_repo_tree(release.repo_id, repo_type="dataset", revision=head,
                                                              recursive=True) if isinstance(item, RepoFile)}
    if holds_files(on_main, {path: content for path, content in release.files.items() if path != STATUS_FILE}):
        record_action(warehouse, action, head, run_id)
        return AfterPublishingOutcome(action, None)
    files = {**release.files, STATUS_FILE: status_with(warehouse, action)}
    oid = replace_files(api, release.repo_id, head, files, set(on_main),
                        message=f"Restore snapshot {release.tag}: {action.reason}"[:200],
                        description=action_summary(action))
    record_action(warehouse, action, oid, run_id)
    return AfterPublishingOutcome(action, oid)


def holds_files(on_main: dict[str, "RepoFile"], files: dict[str, Path | bytes]) -> bool:
    """Whether main's files (path -> the Hub's tree entry, status.json aside) are exactly `files`, by the Hub's own
    content ids: the LFS sha256, else the git blob id. The small files are compared first: a withdrawal or a notice
    changed those."""
    if set(on_main) - KEPT_FILES - {STATUS_FILE} != set(files):
        return False
    in_order = sorted(files.items(), key=lambda item: isinstance(item[1], Path))
    return all(same_content(on_main[path], content) for path, content in in_order)


def same_content(entry: "RepoFile", content: Path | bytes) -> bool:
    if entry.lfs:
        sha256 = file_sha256(content) if isinstance(content, Path) else hashlib.sha256(content).hexdigest()
        return entry.lfs.sha256 == sha256
    data = content.read_bytes() if isinstance(content, Path) else content
    return entry.blob_id == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def restored_in_run(warehouse: Warehouse, dataset_id: str, run_id: str) -> PublicationAction | None:
    """The restore of the dataset's main this run recorded, if any."""
    row = warehouse.fetch_one("SELECT recorded_at FROM governance.withdrawals WHERE dataset_id = ? AND run_id = ?"
                              " AND action = 'restore'", [dataset_id, run_id])
    return next((action for action in recorded_actions(warehouse, dataset_id)
                 if row and action.recorded_at == row["recorded_at"]), None)
