"""Pushing a release to the Hub: one atomic commit replacing the repo's files with the release's, tagged with the
snapshot id, safe to repeat after any failure and never overwriting another publisher's change on main."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huggingface_hub import HfApi

KEPT_FILES = {".gitattributes"}  # repo plumbing the Hub made, never the snapshot's to delete


class PublishError(RuntimeError):
    """The snapshot could not be published; the previous tag and snapshot are untouched."""


@dataclass(frozen=True)
class Release:
    """What one publish commit holds: path in the repo -> a file on disk or the bytes to write."""

    repo_id: str
    tag: str
    private: bool
    files: dict[str, Path | bytes]
    commit_message: str
    commit_description: str


def push_release(api: "HfApi", release: Release) -> tuple[str, bool]:
    """Create the repo if missing, then one atomic commit replacing the repo's files with the release's, and a tag
    on that very commit. Safe to repeat after any failure: an existing tag ends it, and a commit that already
    landed is found unchanged and tagged. Another publisher of the same snapshot (a second run on the same
    warehouse) may get there first: its commit or tag is this publish's success, a different change on main is
    not overwritten. Returns (the tagged commit's oid, whether main moved to a new commit for it)."""
    from huggingface_hub.errors import HfHubHTTPError

    api.create_repo(release.repo_id, repo_type="dataset", private=release.private, exist_ok=True)
    tagged, head = repo_refs(api, release)
    if tagged:
        return adopted_tag(api, release, tagged), False
    current = set(api.list_repo_files(release.repo_id, repo_type="dataset", revision=head))
    try:
        oid = replace_files(api, release.repo_id, head, release.files, current, message=release.commit_message,
                            description=release.commit_description)
    except HfHubHTTPError as error:
        if getattr(error.response, "status_code", None) != 412:
            raise
        return adopted_commit(api, release, error), False
    return tag_release(api, release, oid), oid != head


def replace_files(api: "HfApi", repo_id: str, head: str, files: dict[str, Path | bytes], current: set[str], *,
                  message: str, description: str) -> str:
    """One commit on main, on top of `head`, holding `files` and none of main's `current` others (the Hub's own
    plumbing aside). A change pushed to main meanwhile makes the Hub refuse it (412) instead of it being lost.
    Returns its oid."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content) for path, content in files.items()]
    operations += [CommitOperationDelete(path_in_repo=path) for path in sorted(current - set(files))
                   if path not in KEPT_FILES]
    return api.create_commit(repo_id, operations, repo_type="dataset", parent_commit=head, commit_message=message,
                             commit_description=description).oid


def repo_refs(api: "HfApi", release: Release) -> tuple[str | None, str]:
    """The commit the snapshot's tag names (None when untagged) and the head of main."""
    refs = api.list_repo_refs(release.repo_id, repo_type="dataset")
    tagged = next((ref.target_commit for ref in refs.tags if ref.name == release.tag), None)
    return tagged, next(ref.target_commit for ref in refs.branches if ref.name == "main")


def adopted_commit(api: "HfApi", release: Release, conflict: Exception) -> str:
    """After main moved under this publish: the same snapshot, tagged or committed by another publisher, is
    this publish done (tagged here if need be); anything else is the conflict, raised again."""
    tagged, head = repo_refs(api, release)
    if tagged:
        return adopted_tag(api, release, tagged)
    if not holds_release(api, release, head):
        raise conflict
    return tag_release(api, release, head)


def tag_release(api: "HfApi", release: Release, commit_oid: str) -> str:
    """Tag the commit with the snapshot id; when another publisher tagged it first, adopt that tag. Returns the
    commit the tag names."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_tag(release.repo_id, tag=release.tag, revision=commit_oid, repo_type="dataset",
                       tag_message=f"Snapshot {release.tag}")
    except HfHubHTTPError as error:
        if getattr(error.response, "status_code", None) != 409:
            raise
        tagged, _ = repo_refs(api, release)
        if tagged is None:
            raise
        return adopted_tag(api, release, tagged)
    return commit_oid


def adopted_tag(api: "HfApi", release: Release, tagged: str) -> str:
    """An existing tag of this snapshot id is this publish done, if the commit it names holds this snapshot."""
    if not holds_release(api, release, tagged):
        raise PublishError(f"tag {release.tag} of {release.repo_id} names commit {tagged}, which does not hold this "
                           "snapshot (its provenance.json or data file differ); a tag never moves: delete the tag "
                           "on the Hub if it is wrong, then publish again")
    return tagged


def holds_release(api: "HfApi", release: Release, revision: str) -> bool:
    """Whether the commit holds this release's snapshot: its provenance.json names the snapshot id and the same data
    files with the same sha256 as this one's, and the Hub's own sha256 of each data file there (when it keeps one)
    agrees."""
    from huggingface_hub.errors import EntryNotFoundError

    ours_files = json.loads(_text(release.files["provenance.json"]))["files"]
    ours = {path: facts["sha256"] for path, facts in ours_files.items()}
    try:
        theirs = json.loads(Path(api.hf_hub_download(release.repo_id, "provenance.json", repo_type="dataset",
                                                      revision=revision)).read_text(encoding="utf-8"))
        stored = api.get_paths_info(release.repo_id, sorted(ours), repo_type="dataset", revision=revision)
    except (EntryNotFoundError, ValueError):  # no provenance.json, or not JSON: not a snapshot of ours
        return False
    if not isinstance(theirs, dict) or not isinstance(theirs.get("files"), dict):
        return False
    recorded = {path: facts.get("sha256") if isinstance(facts, dict) else None
                for path, facts in theirs["files"].items()}
    hub_sha256 = {item.path: item.lfs.sha256 for item in stored if getattr(item, "lfs", None)}
    return (theirs.get("snapshot_id") == release.tag and recorded == ours
            and {item.path for item in stored} == set(ours)
            and all(ours[path] == sha256 for path, sha256 in hub_sha256.items()))


def _text(content: Path | bytes) -> str:
    return content.read_text(encoding="utf-8") if isinstance(content, Path) else content.decode("utf-8")
