"""On-disk repository store: repos, immutable commits, branches and tags, over content-addressed blobs.

Layout under `data_dir`::

    blobs/<sha256[:2]>/<sha256>                  file bodies (shared by all repos)
    repos/<type>s/<namespace>/<name>/repo.json   {"private": bool, "createdAt": str}
    repos/<type>s/<namespace>/<name>/refs.json   {"branches": {name: oid}, "tags": {name: oid}}
    repos/<type>s/<namespace>/<name>/commits/<oid>.json

A commit oid is a git-like sha1 over the parent oid, the sorted tree (path, blob sha256, storage kind) and
the title and message, with no timestamp: replaying the same commits on a fresh server gives the same oids,
which the project relies on to pin revisions. The commit's creation time is stored beside it, outside the hash.
A super-squash (as the Hub's) replaces a branch's history with one commit holding its tree, and deletes the
commits no branch or tag reaches any more, and the blobs only they held: their oids then answer 404.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .blobs import BlobStore
from .errors import HubError, bad_request, conflict, entry_not_found, repo_not_found, revision_not_found

REPO_TYPES = ("model", "dataset")
DEFAULT_BRANCH = "main"
INITIAL_COMMIT_TITLE = "initial commit"
# Like the Hub, a new repo starts with one commit holding a `.gitattributes` routing binary files to LFS.
INITIAL_GITATTRIBUTES = b"""*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
"""

_REPO_NAME_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_REF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_COMMIT_OID = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class RepoKey:
    repo_type: str
    repo_id: str


@dataclass(frozen=True)
class TreeEntry:
    sha256: str
    size: int
    lfs: bool
    git_oid: str  # git blob sha1 of the content, or of the LFS pointer for LFS files

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "lfs": self.lfs, "gitOid": self.git_oid}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeEntry:
        return cls(sha256=data["sha256"], size=data["size"], lfs=data["lfs"], git_oid=data["gitOid"])


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    title: str
    message: str
    tree: dict[str, TreeEntry]
    created_at: str


def validate_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(_REPO_NAME_PART.match(part) for part in parts):
        raise bad_request(f"Invalid repo id {repo_id!r}: expected 'namespace/name' of letters, digits, '-', '_', '.'")
    if any(".." in part or "--" in part for part in parts):
        raise bad_request(f"Invalid repo id {repo_id!r}: '..' and '--' are not allowed")


def validate_path_in_repo(path: str) -> str:
    segments = path.split("/")
    if not path or any(segment in ("", ".", "..") for segment in segments) or "\\" in path:
        raise bad_request(f"Invalid path in repo: {path!r}")
    if any(ord(char) < 32 for char in path):
        raise bad_request("Invalid path in repo: control characters are not allowed")
    return path


def validate_ref_name(name: str) -> None:
    if not _REF_NAME.match(name) or ".." in name or "//" in name or name.endswith(("/", ".lock")):
        raise bad_request(f"Invalid reference name: {name!r}")
    if _COMMIT_OID.match(name):
        raise bad_request(f"Invalid reference name: {name!r} looks like a commit id")


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def compute_commit_oid(parent: str | None, tree: dict[str, TreeEntry], title: str, message: str) -> str:
    canonical = json.dumps(
        {
            "parent": parent,
            "tree": [[path, entry.sha256, "lfs" if entry.lfs else "regular"] for path, entry in sorted(tree.items())],
            "title": title,
            "message": message,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return hashlib.sha1(b"commit %d\0" % len(canonical) + canonical).hexdigest()


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = path.with_name(path.name + ".tmp")
    temp_path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temp_path, path)


class RepoStore:
    def __init__(self, data_dir: Path) -> None:
        self.blobs = BlobStore(data_dir / "blobs")
        self._repos_root = data_dir / "repos"
        # One lock for every mutation: refs and commits change together, and writes are rare.
        self._lock = threading.RLock()

    # -- repos ---------------------------------------------------------------------------------

    def _repo_dir(self, repo: RepoKey) -> Path:
        return self._repos_root / f"{repo.repo_type}s" / repo.repo_id

    def exists(self, repo: RepoKey) -> bool:
        return (self._repo_dir(repo) / "repo.json").is_file()

    def repo_meta(self, repo: RepoKey) -> dict[str, Any]:
        try:
            return json.loads((self._repo_dir(repo) / "repo.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise repo_not_found(repo.repo_id) from None

    def create_repo(self, repo: RepoKey, private: bool) -> None:
        with self._lock:
            if self.exists(repo):
                raise conflict("You already created this repo")
            created_at = now_iso()
            tree = {".gitattributes": self.make_entry(self.blobs.put_bytes(INITIAL_GITATTRIBUTES), lfs=False)}
            initial = self._save_commit(repo, None, INITIAL_COMMIT_TITLE, "", tree)
            _write_json_atomically(
                self._repo_dir(repo) / "refs.json", {"branches": {DEFAULT_BRANCH: initial.oid}, "tags": {}}
            )
            # repo.json last: a repo exists only once it is complete.
            _write_json_atomically(self._repo_dir(repo) / "repo.json", {"private": private, "createdAt": created_at})

    def delete_repo(self, repo: RepoKey) -> None:
        with self._lock:
            if not self.exists(repo):
                raise repo_not_found(repo.repo_id)
            # Blobs stay: they are shared between repos and content-addressed.
            shutil.rmtree(self._repo_dir(repo))

    # -- refs and revisions ----------------------------------------------------------------------

    def refs(self, repo: RepoKey) -> dict[str, dict[str, str]]:
        self.repo_meta(repo)
        return json.loads((self._repo_dir(repo) / "refs.json").read_text(encoding="utf-8"))

    def resolve(self, repo: RepoKey, revision: str) -> Commit:
        """A branch, a tag (bare or as `refs/heads/...` / `refs/tags/...`) or a full commit oid."""
        refs = self.refs(repo)
        for kind, prefix in (("branches", "refs/heads/"), ("tags", "refs/tags/")):
            name = revision.removeprefix(prefix)
            if name in refs[kind]:
                return self.commit(repo, refs[kind][name])
        if _COMMIT_OID.match(revision) and self._commit_path(repo, revision).is_file():
            return self.commit(repo, revision)
        raise revision_not_found(revision)

    def commit(self, repo: RepoKey, oid: str) -> Commit:
        data = json.loads(self._commit_path(repo, oid).read_text(encoding="utf-8"))
        tree = {path: TreeEntry.from_json(entry) for path, entry in data["tree"].items()}
        return Commit(oid, data["parent"], data["title"], data["message"], tree, data["createdAt"])

    def history(self, repo: RepoKey, head: Commit) -> list[Commit]:
        commits = [head]
        while commits[-1].parent is not None:
            commits.append(self.commit(repo, commits[-1].parent))
        return commits

    def create_tag(self, repo: RepoKey, tag: str, revision: str) -> None:
        validate_ref_name(tag)
        with self._lock:
            target = self.resolve(repo, revision)
            refs = self.refs(repo)
            if tag in refs["tags"]:
                raise conflict(f"Tag {tag} already exists")
            refs["tags"][tag] = target.oid
            _write_json_atomically(self._repo_dir(repo) / "refs.json", refs)

    def delete_tag(self, repo: RepoKey, tag: str) -> None:
        with self._lock:
            refs = self.refs(repo)
            if refs["tags"].pop(tag, None) is None:
                raise revision_not_found(tag)
            _write_json_atomically(self._repo_dir(repo) / "refs.json", refs)

    def super_squash(self, repo: RepoKey, branch: str, title: str) -> Commit:
        """Like the Hub: the branch becomes one commit holding its current tree, with no parent. Commits no branch
        or tag reaches any more are gone (their oids answer 404), and so are the blobs only they held."""
        with self._lock:
            refs = self.refs(repo)
            if branch not in refs["branches"]:
                raise revision_not_found(branch)
            head = self.commit(repo, refs["branches"][branch])
            squashed = self._save_commit(repo, None, title, "", head.tree)
            refs["branches"][branch] = squashed.oid
            _write_json_atomically(self._repo_dir(repo) / "refs.json", refs)
            self._drop_unreachable(repo, refs)
            return squashed

    def _drop_unreachable(self, repo: RepoKey, refs: dict[str, dict[str, str]]) -> None:
        reachable = {commit.oid for oid in {*refs["branches"].values(), *refs["tags"].values()}
                     for commit in self.history(repo, self.commit(repo, oid))}
        dropped = [self.commit(repo, path.stem) for path in (self._repo_dir(repo) / "commits").glob("*.json")
                   if path.stem not in reachable]
        for commit in dropped:
            self._commit_path(repo, commit.oid).unlink()
        held = {entry.sha256 for commit in dropped for entry in commit.tree.values()}
        for sha256 in held - self._blobs_in_use():
            self.blobs.path(sha256).unlink(missing_ok=True)

    def _blobs_in_use(self) -> set[str]:
        """Every blob a stored commit of any repo holds (blobs are shared between repos)."""
        return {entry["sha256"] for path in self._repos_root.glob("*/*/*/commits/*.json")
                for entry in json.loads(path.read_text(encoding="utf-8"))["tree"].values()}

    # -- commits -----------------------------------------------------------------------------------

    def make_entry(self, sha256: str, lfs: bool) -> TreeEntry:
        blob_path = self.blobs.path(sha256)
        size = blob_path.stat().st_size
        # Regular files are small (the preupload step sends big ones to LFS), so reading them is cheap.
        git_oid = git_blob_oid(lfs_pointer(sha256, size) if lfs else blob_path.read_bytes())
        return TreeEntry(sha256=sha256, size=size, lfs=lfs, git_oid=git_oid)

    def create_commit(
        self,
        repo: RepoKey,
        branch: str,
        title: str,
        message: str,
        changes: CommitChanges,
        parent_commit: str | None = None,
    ) -> Commit:
        with self._lock:
            refs = self.refs(repo)
            if branch not in refs["branches"]:
                raise revision_not_found(branch)
            head = self.commit(repo, refs["branches"][branch])
            if parent_commit is not None and parent_commit != head.oid:
                raise HubError(412, f"A commit has happened since {parent_commit}: the head of {branch} is {head.oid}")
            commit = self._save_commit(repo, head.oid, title, message, changes.apply(head.tree))
            refs["branches"][branch] = commit.oid
            _write_json_atomically(self._repo_dir(repo) / "refs.json", refs)
            return commit

    def _commit_path(self, repo: RepoKey, oid: str) -> Path:
        return self._repo_dir(repo) / "commits" / f"{oid}.json"

    def _save_commit(
        self, repo: RepoKey, parent: str | None, title: str, message: str, tree: dict[str, TreeEntry]
    ) -> Commit:
        oid = compute_commit_oid(parent, tree, title, message)
        path = self._commit_path(repo, oid)
        if path.is_file():  # commits are immutable: the same change replayed keeps its first date
            return self.commit(repo, oid)
        record = {
            "parent": parent,
            "title": title,
            "message": message,
            "tree": {file_path: entry.to_json() for file_path, entry in tree.items()},
            "createdAt": now_iso(),
        }
        _write_json_atomically(path, record)
        return self.commit(repo, oid)


@dataclass
class CommitChanges:
    """What one commit does to its parent's tree: deletions first, then additions."""

    additions: dict[str, TreeEntry]
    deleted_files: list[str]
    deleted_folders: list[str]

    def apply(self, parent_tree: dict[str, TreeEntry]) -> dict[str, TreeEntry]:
        tree = dict(parent_tree)
        for path in self.deleted_files:
            if tree.pop(path, None) is None:
                raise entry_not_found(path)
        for folder in self.deleted_folders:
            prefix = folder.rstrip("/") + "/"
            inside = [path for path in tree if path.startswith(prefix)]
            if not inside:
                raise entry_not_found(folder)
            for path in inside:
                del tree[path]
        tree.update(self.additions)
        return tree
