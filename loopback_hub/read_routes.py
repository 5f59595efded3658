"""Read routes: repo info, tree, paths-info, commits, refs, file resolution, whoami."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from .cards import InvalidCardMetadata, card_metadata, card_tags
from .context import REPO_PATH, USER_NAME, HubContext, Route, decoded
from .errors import HubError, bad_request, entry_not_found
from .store import DEFAULT_BRANCH, Commit, RepoKey, TreeEntry, lfs_pointer, validate_path_in_repo
from .transport import Request, Response, file_response, json_response


def repo_info(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    commit = hub.store.resolve(repo, decoded(params, "revision", DEFAULT_BRANCH))
    meta = hub.store.repo_meta(repo)
    card = _card_of(hub, commit)
    info: dict[str, Any] = {
        "id": repo.repo_id,
        "author": repo.repo_id.split("/")[0],
        "sha": commit.oid,
        "lastModified": commit.created_at,
        "createdAt": meta["createdAt"],
        "private": meta["private"],
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": card_tags(card),
        "siblings": [_sibling(path, entry) for path, entry in sorted(commit.tree.items())],
        "usedStorage": sum(entry.size for entry in commit.tree.values()),
    }
    if card is not None:
        info["cardData"] = card
    if repo.repo_type == "model":
        info["modelId"] = repo.repo_id
    return json_response(info)


def _card_of(hub: HubContext, commit: Commit) -> dict[str, Any] | None:
    readme = commit.tree.get("README.md")
    if readme is None:
        return None
    try:
        return card_metadata(hub.store.blobs.path(readme.sha256).read_text(encoding="utf-8", errors="replace"))
    except InvalidCardMetadata:
        return None  # an unreadable card does not hide the repo, as on the Hub


def _sibling(path: str, entry: TreeEntry) -> dict[str, Any]:
    sibling: dict[str, Any] = {"rfilename": path, "size": entry.size, "blobId": entry.git_oid}
    if entry.lfs:
        sibling["lfs"] = {"size": entry.size, "sha256": entry.sha256, "pointerSize": _pointer_size(entry)}
    return sibling


def _pointer_size(entry: TreeEntry) -> int:
    return len(lfs_pointer(entry.sha256, entry.size))


# -- tree and paths-info ----------------------------------------------------------------------------

# The Hub pages a tree listing: 1000 entries a page, 50 with `expand` (lastCommit is costly to compute), the next
# page named by a `Link: <url>; rel="next"` header that huggingface_hub follows (see HfApi.list_repo_tree).
TREE_PAGE_SIZE = 1000
EXPANDED_TREE_PAGE_SIZE = 50


def _file_item(path: str, entry: TreeEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "file", "oid": entry.git_oid, "size": entry.size, "path": path}
    if entry.lfs:
        item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": _pointer_size(entry)}
    return item


def _folder_item(path: str, tree: dict[str, TreeEntry]) -> dict[str, Any]:
    # A deterministic stand-in for git's tree oid: a hash of what the folder holds.
    prefix = path + "/"
    digest = hashlib.sha1()
    for file_path, entry in sorted(tree.items()):
        if file_path.startswith(prefix):
            digest.update(f"{file_path}\0{entry.git_oid}\n".encode())
    return {"type": "directory", "oid": digest.hexdigest(), "size": 0, "path": path}


def _folders(tree: dict[str, TreeEntry]) -> set[str]:
    folders: set[str] = set()
    for path in tree:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: depth + 1]) for depth in range(len(parts)))
    return folders


def _item(path: str, tree: dict[str, TreeEntry], folders: set[str]) -> dict[str, Any] | None:
    if path in tree:
        return _file_item(path, tree[path])
    if path in folders:
        return _folder_item(path, tree)
    return None


def _history(hub: HubContext, repo: RepoKey, head: Commit) -> list[tuple[Commit, set[str]]]:
    """The commits from `head` back, each with its folders: read once for all the items of a listing."""
    return [(commit, _folders(commit.tree)) for commit in hub.store.history(repo, head)]


def _with_last_commit(history: list[tuple[Commit, set[str]]], item: dict[str, Any]) -> dict[str, Any]:
    """Add `lastCommit`: the newest commit that changed this path (`expand=true`)."""
    path = item["path"]

    def view(commit_and_folders: tuple[Commit, set[str]]) -> Any:
        commit, folders = commit_and_folders
        found = _item(path, commit.tree, folders)
        return found and found["oid"]

    last = history[-1][0]
    for newer, older in zip(history, history[1:]):
        if view(newer) != view(older):
            last = newer[0]
            break
    return {**item, "lastCommit": {"id": last.oid, "title": last.title, "date": last.created_at}}


def list_tree(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    commit = hub.store.resolve(repo, decoded(params, "revision"))
    folder = decoded(params, "path", "").strip("/")
    tree, folders = commit.tree, _folders(commit.tree)
    if folder and folder not in folders:
        raise entry_not_found(folder)
    prefix = folder + "/" if folder else ""
    recursive = request.query_flag("recursive")

    def listed(path: str) -> bool:
        return path.startswith(prefix) and (recursive or "/" not in path[len(prefix) :])

    items = [_folder_item(path, tree) for path in sorted(folders) if listed(path)]
    items += [_file_item(path, entry) for path, entry in sorted(tree.items()) if listed(path)]
    expand = request.query_flag("expand")
    start = _cursor_offset(request)
    end = start + (EXPANDED_TREE_PAGE_SIZE if expand else TREE_PAGE_SIZE)
    page = items[start:end]
    if expand:
        history = _history(hub, repo, commit)
        page = [_with_last_commit(history, item) for item in page]
    headers = {}
    if end < len(items):
        query = urlencode({**request.query, "cursor": [_cursor(end)]}, doseq=True)
        headers["Link"] = f'<{hub.base_url(request)}{request.path}?{query}>; rel="next"'
    return json_response(page, headers=headers)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _cursor_offset(request: Request) -> int:
    """Where the page starts: 0, or what the cursor of the previous page's `Link` says (opaque to clients)."""
    cursor = (request.query.get("cursor") or [""])[0]
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"]
    except (ValueError, TypeError, KeyError):
        raise bad_request("Invalid cursor") from None
    if not isinstance(offset, int) or offset < 0:
        raise bad_request("Invalid cursor")
    return offset


def paths_info(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    commit = hub.store.resolve(repo, decoded(params, "revision"))
    body = request.form_or_json()
    paths = body.get("paths") or []
    paths = [paths] if isinstance(paths, str) else paths
    expand = body.get("expand", False)
    expand = str(expand[0] if isinstance(expand, list) and expand else expand).lower() in ("1", "true")
    folders = _folders(commit.tree)
    items = [item for path in paths if (item := _item(str(path).strip("/"), commit.tree, folders))]
    if expand:
        history = _history(hub, repo, commit)
        items = [_with_last_commit(history, item) for item in items]
    return json_response(items)


# -- history and refs -----------------------------------------------------------------------------------


def list_commits(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    head = hub.store.resolve(repo, decoded(params, "revision"))
    return json_response(
        [
            {
                "id": commit.oid,
                "title": commit.title,
                "message": commit.message,
                "authors": [{"user": USER_NAME}],
                "date": commit.created_at,
            }
            for commit in hub.store.history(repo, head)
        ]
    )


def list_refs(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    refs = hub.store.refs(repo)

    def ref_items(kind: str, prefix: str) -> list[dict[str, str]]:
        return [
            {"name": name, "ref": f"{prefix}{name}", "targetCommit": oid} for name, oid in sorted(refs[kind].items())
        ]

    return json_response(
        {
            "branches": ref_items("branches", "refs/heads/"),
            "converts": [],
            "tags": ref_items("tags", "refs/tags/"),
            "pullRequests": [],
        }
    )


# -- files -------------------------------------------------------------------------------------------


def resolve_file(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.readable_repo(request, params)
    commit = hub.store.resolve(repo, decoded(params, "revision"))
    path = validate_path_in_repo(decoded(params, "path"))
    entry = commit.tree.get(path)
    if entry is None:
        error = entry_not_found(path)
        error.headers["X-Repo-Commit"] = commit.oid  # lets the client cache the miss for this commit
        raise error
    headers = {"X-Repo-Commit": commit.oid}
    if entry.lfs:
        headers.update(
            {"ETag": f'"{entry.sha256}"', "X-Linked-Etag": f'"{entry.sha256}"', "X-Linked-Size": str(entry.size)}
        )
    else:
        headers["ETag"] = f'"{entry.git_oid}"'
    return file_response(hub.store.blobs.path(entry.sha256), entry.size, request.headers.get("Range"), headers)


# -- account ------------------------------------------------------------------------------------------


def whoami(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    if request.role is None:
        raise HubError(401, "Invalid credentials in Authorization header")
    return json_response(
        {
            "type": "user",
            "id": USER_NAME,
            "name": USER_NAME,
            "fullname": "Loopback Hub steward",
            "orgs": [],
            "auth": {"type": "access_token", "accessToken": {"displayName": "loopback", "role": request.role}},
        }
    )


def agent_harnesses(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    return json_response({"standardEnvVars": [], "harnesses": {}})


ROUTES = [
    Route(("GET",), r"/api/whoami-v2", whoami),
    Route(("GET",), r"/api/agent-harnesses", agent_harnesses),
    Route(("GET",), rf"/api/{REPO_PATH}", repo_info),
    Route(("GET",), rf"/api/{REPO_PATH}/revision/(?P<revision>.+)", repo_info),
    Route(("GET",), rf"/api/{REPO_PATH}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?", list_tree),
    Route(("POST",), rf"/api/{REPO_PATH}/paths-info/(?P<revision>[^/]+)", paths_info),
    Route(("GET",), rf"/api/{REPO_PATH}/commits/(?P<revision>[^/]+)", list_commits),
    Route(("GET",), rf"/api/{REPO_PATH}/refs", list_refs),
    Route(
        ("GET", "HEAD"),
        r"/(?P<type>datasets)/(?P<namespace>[^/]+)/(?P<name>[^/]+)/resolve/(?P<revision>[^/]+)/(?P<path>.+)",
        resolve_file,
    ),
    Route(
        ("GET", "HEAD"), r"/(?P<namespace>[^/]+)/(?P<name>[^/]+)/resolve/(?P<revision>[^/]+)/(?P<path>.+)", resolve_file
    ),
]
