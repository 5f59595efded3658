"""Acting on a published repo after publishing: one commit on its main carries a license notice, a withdrawal or a
takedown, with the card saying so and status.json listing every action (assets/publication_status.py). Tags are
never moved here: what they hold stays for the record, unless a takedown purges them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assets.publication_status import STATUS_FILE, PublicationAction, record_action, status_with
from assets.warehouse import Warehouse

if TYPE_CHECKING:
    from huggingface_hub import HfApi

KEPT_ON_REMOVAL = {"README.md", STATUS_FILE, ".gitattributes"}
HEADINGS = {"notice": "License notice", "purge": "Snapshots removed on request", "withdraw": "Withdrawn",
            "takedown": "Taken down"}
CARD_TAGS = {"withdraw": "withdrawn", "takedown": "taken-down"}


def commit_action(api: "HfApi", warehouse: Warehouse, action: PublicationAction, card: str, *, remove_data: bool,
                  run_id: str) -> str:
    """One commit on the repo's main: README.md becomes `card`, status.json lists the recorded actions and this
    one, and with `remove_data` every other file goes (data, records, license files). The action is recorded once
    the commit landed. Returns the commit's oid."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations = [CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode("utf-8")),
                  CommitOperationAdd(path_in_repo=STATUS_FILE, path_or_fileobj=status_with(warehouse, action))]
    if remove_data:
        current = api.list_repo_files(action.repo_id, repo_type="dataset")
        operations += [CommitOperationDelete(path_in_repo=path) for path in sorted(current)
                       if path not in KEPT_ON_REMOVAL]
    commit = api.create_commit(action.repo_id, operations, repo_type="dataset",
                               commit_message=f"{HEADINGS[action.action]}: {action.reason}"[:200],
                               commit_description=action_summary(action))
    record_action(warehouse, action, commit.oid, run_id)
    return commit.oid


def current_card(api: "HfApi", repo_id: str) -> str:
    """The card on the repo's main, as text ("" when there is none)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hf_hub_download(repo_id, "README.md", repo_type="dataset", revision="main")
    except EntryNotFoundError:
        return ""
    with open(path, encoding="utf-8") as card:
        return card.read()


def action_card(current: str, action: PublicationAction, title: str) -> str:
    """The card main carries after the action. A notice keeps the card (its data is still licensed as it was) with
    the notice on top, as does a purge (main holds the snapshot that replaced the purged ones); a withdrawal or
    takedown replaces it with a short card that says so, keeping the license id of what was published when the Hub
    knows it (a card without data names no `configs`)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    notice = notice_lines(action)
    card = DatasetCard(current) if current.strip() else DatasetCard(f"---\n{DatasetCardData().to_yaml()}\n---\n")
    if action.action in ("notice", "purge"):
        body = card.text.lstrip("\n")
        # A later notice replaces an earlier one (above the card's title) rather than stacking them.
        if body.startswith("## ") and "\n# " in body:
            body = body[body.index("\n# ") + 1:]
        return f"---\n{card.data.to_yaml()}\n---\n\n" + "\n".join(notice) + "\n" + body
    previous = card.data.to_dict()
    data = DatasetCardData(pretty_name=previous.get("pretty_name") or title, tags=[CARD_TAGS[action.action]],
                           license=previous.get("license") if previous.get("license") != "other" else None)
    return f"---\n{data.to_yaml()}\n---\n\n# {title}\n\n" + "\n".join(notice)


def notice_lines(action: PublicationAction) -> list[str]:
    lines = [f"## {HEADINGS[action.action]}", "", f"Since {action.recorded_at:%Y-%m-%d %H:%M} UTC: {action.reason}.",
             ""]
    if action.license_now:
        lines += [f"The license is now **{action.license_now}**.", ""]
    if action.tags:
        lines += ["Published snapshots and the license each was published under:", ""]
        lines += [f"- `{tag}`: {license_id}" for tag, license_id in sorted(action.tags.items())] + [""]
    if action.requests:
        lines += [f"Takedown request(s): {', '.join(action.requests)}.", ""]
    if action.use_instead:
        lines += [f"Use `{action.use_instead}` instead.", ""]
    lines += [f"Decided by {action.decided_by}. `{STATUS_FILE}` on main lists every action on this repo.", ""]
    return lines


def action_summary(action: PublicationAction) -> str:
    parts = [f"{action.action} ({action.cause}) decided by {action.decided_by}"]
    if action.license_now:
        parts.append(f"license now {action.license_now}")
    if action.requests:
        parts.append(f"requests {', '.join(action.requests)}")
    return "; ".join(parts)
