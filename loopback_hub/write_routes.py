"""Write routes: repo creation and deletion, the card metadata check, preupload, commits, tags, a branch's
super-squash, and git-LFS uploads."""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import PurePosixPath
from typing import Any

from .cards import card_errors
from .context import REPO_PATH, USER_NAME, HubContext, Route, decoded, repo_key_from, url_prefix
from .errors import HubError, bad_request, revision_not_found
from .store import REPO_TYPES, CommitChanges, RepoKey, TreeEntry, validate_path_in_repo
from .transport import Request, Response, json_response

# Like the Hub: big files and binary formats go to LFS, text stays a regular git blob.
LFS_SIZE_THRESHOLD = 10 * 1000 * 1000
LFS_EXTENSIONS = frozenset(
    (".arrow .avro .bin .bz2 .feather .gz .h5 .jpg .jpeg .npy .npz .parquet .pkl .png .pt .safetensors .tar .tgz .xz "
     ".zip .zst").split()
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# -- repos ---------------------------------------------------------------------------------------------


def _repo_from_body(body: dict[str, Any]) -> RepoKey:
    name, organization = body.get("name"), body.get("organization")
    if not isinstance(name, str):
        raise bad_request("Missing repo name")
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Repository type {repo_type!r} is not served by this Hub")
    return repo_key_from({"type": f"{repo_type}s", "namespace": organization or USER_NAME, "name": name})


def create_repo(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    hub.require_write_role(request)
    body = request.json_object()
    repo = _repo_from_body(body)
    private = body.get("visibility") == "private" or body.get("private") is True
    url = f"{hub.base_url(request)}/{url_prefix(repo.repo_type)}{repo.repo_id}"
    try:
        hub.store.create_repo(repo, private=private)
    except HubError as error:
        if error.status != 409:
            raise
        # The Hub's 409 carries the repo URL, which `create_repo(exist_ok=True)` returns.
        return json_response(
            {"error": error.message, "url": url}, status=409, headers={"X-Error-Message": error.message}
        )
    return json_response({"url": url, "name": repo.repo_id, "id": repo.repo_id})


def delete_repo(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    hub.require_write_role(request)
    hub.store.delete_repo(_repo_from_body(request.json_object()))
    return json_response({})


def validate_yaml(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    """The Hub's check of a README before a commit: 400 with `{"errors": [{"message"}]}` when it would refuse it."""
    body = request.json_object()
    content = body.get("content")
    if not isinstance(content, str):
        raise bad_request("Missing README content")
    errors = card_errors(content, str(body.get("repoType") or "model"))
    if not errors:
        return json_response({"errors": [], "warnings": []})
    if "text/plain" in request.headers.get("Accept", ""):
        # `RepoCard.validate` asks for text and raises it as is; huggingface_hub's own test of it against the
        # Hub expects `- Error: "license" must be one of` in that text.
        text = "".join(f"- Error: {message}\n" for message in errors)
        return Response(400, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())
    return json_response({"errors": [{"message": message} for message in errors], "warnings": []}, status=400)


# -- preupload and commit ---------------------------------------------------------------------------------


def upload_mode(path: str, size: int, sample: bytes) -> str:
    binary = PurePosixPath(path).suffix.lower() in LFS_EXTENSIONS or b"\0" in sample
    return "lfs" if size > LFS_SIZE_THRESHOLD or binary else "regular"


def preupload(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.writable_repo(request, params)
    tree = hub.store.resolve(repo, decoded(params, "revision")).tree
    files = request.json_object().get("files")
    if not isinstance(files, list) or not all(isinstance(file, dict) for file in files):
        raise bad_request("Expected a list of files")
    answers = []
    for file in files:
        path = validate_path_in_repo(str(file.get("path", "")))
        sample = base64.b64decode(file.get("sample") or "")
        existing = tree.get(path)
        answers.append(
            {
                "path": path,
                "uploadMode": upload_mode(path, int(file.get("size") or 0), sample),
                "shouldIgnore": False,
                # What the client compares with its local oid to skip unchanged files.
                "oid": (existing.sha256 if existing.lfs else existing.git_oid) if existing else None,
            }
        )
    return json_response({"files": answers, "commitOid": None})


def create_commit(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.writable_repo(request, params)
    if request.query_flag("create_pr"):
        raise bad_request("Pull requests are not supported by the loopback Hub")
    branch = decoded(params, "revision")
    lines = _ndjson_objects(request.body())
    if not lines or lines[0].get("key") != "header":
        raise bad_request("A commit payload starts with a header line")
    header = lines[0].get("value") or {}
    title = str(header.get("summary") or "").strip()
    if not title:
        raise bad_request("A commit needs a summary")
    changes = CommitChanges(additions={}, deleted_files=[], deleted_folders=[])
    for line in lines[1:]:
        _add_operation(hub, changes, line.get("key"), line.get("value") or {})
    _refuse_invalid_card(hub, repo, changes)
    commit = hub.store.create_commit(
        repo, branch, title, str(header.get("description") or ""), changes, header.get("parentCommit")
    )
    commit_url = f"{hub.base_url(request)}/{url_prefix(repo.repo_type)}{repo.repo_id}/commit/{commit.oid}"
    return json_response({"success": True, "commitOid": commit.oid, "commitUrl": commit_url, "hookOutput": ""})


def _refuse_invalid_card(hub: HubContext, repo: RepoKey, changes: CommitChanges) -> None:
    # The Hub checks a committed README's metadata itself: clients call /api/validate-yaml first only to
    # "fail early" (huggingface_hub's create_commit), and a raw commit or git push is refused the same way.
    readme = changes.additions.get("README.md")
    if readme is None:
        return
    readme_text = hub.store.blobs.path(readme.sha256).read_text(encoding="utf-8", errors="replace")
    errors = card_errors(readme_text, repo.repo_type)
    if errors:
        raise bad_request("Invalid metadata in README.md.\n" + "\n".join(f"- {message}" for message in errors))


def _ndjson_objects(body: bytes) -> list[dict[str, Any]]:
    try:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
    except ValueError:
        raise bad_request("The commit payload is not valid NDJSON") from None
    if not all(isinstance(line, dict) and isinstance(line.get("value", {}), dict) for line in lines):
        raise bad_request("Each commit payload line must be an object with a `key` and a `value` object")
    return lines


def _add_operation(hub: HubContext, changes: CommitChanges, key: str | None, value: dict[str, Any]) -> None:
    raw_path = str(value.get("path", ""))
    path = validate_path_in_repo(raw_path.rstrip("/") if key == "deletedFolder" else raw_path)
    if key == "file":
        changes.additions[path] = _regular_entry(hub, value)
    elif key == "lfsFile":
        changes.additions[path] = _lfs_entry(hub, value)
    elif key == "deletedFile":
        changes.deleted_files.append(path)
    elif key == "deletedFolder":
        changes.deleted_folders.append(path)
    else:
        raise bad_request(f"Unknown commit operation: {key!r}")


def _regular_entry(hub: HubContext, value: dict[str, Any]) -> TreeEntry:
    if value.get("encoding", "base64") != "base64":
        raise bad_request("Regular files must be sent base64-encoded")
    try:
        content = base64.b64decode(value.get("content") or "", validate=True)
    except binascii.Error:
        raise bad_request(f"Invalid base64 content for {value.get('path')}") from None
    return hub.store.make_entry(hub.store.blobs.put_bytes(content), lfs=False)


def _lfs_entry(hub: HubContext, value: dict[str, Any]) -> TreeEntry:
    sha256, size = str(value.get("oid", "")), value.get("size")
    if value.get("algo", "sha256") != "sha256" or not _SHA256.match(sha256):
        raise bad_request(f"Invalid LFS object id for {value.get('path')}")
    if not hub.store.blobs.has(sha256, size if isinstance(size, int) else None):
        raise bad_request(f"LFS object {sha256} of {value.get('path')} was not uploaded (or has another size)")
    return hub.store.make_entry(sha256, lfs=True)


# -- tags ---------------------------------------------------------------------------------------------------


def create_tag(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.writable_repo(request, params)
    tag = request.json_object().get("tag")
    if not isinstance(tag, str):
        raise bad_request("Missing tag name")
    hub.store.create_tag(repo, tag, decoded(params, "revision"))
    return json_response({"tag": tag})


def delete_tag(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.writable_repo(request, params)
    hub.store.delete_tag(repo, decoded(params, "tag"))
    return json_response({})


def super_squash(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    repo = hub.writable_repo(request, params)
    branch = decoded(params, "branch")
    if branch not in hub.store.refs(repo)["branches"]:
        if branch in hub.store.refs(repo)["tags"]:
            raise bad_request(f"{branch} is a tag: only a branch's history can be squashed")
        raise revision_not_found(branch)
    message = str(request.json_object().get("message") or f"Super-squash branch '{branch}'").strip()
    commit = hub.store.super_squash(repo, branch, message)
    return json_response({"commitOid": commit.oid})


# -- git LFS ----------------------------------------------------------------------------------------------


def lfs_batch(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    """git-LFS batch API, upload only, basic transfer: one pre-authorised PUT address per missing object."""
    hub.writable_repo(request, params)  # the blob store itself is shared by all repos
    body = request.json_object()
    if body.get("operation") != "upload":
        raise HubError(422, "The loopback Hub's LFS batch endpoint only handles uploads; download with /resolve")
    base = hub.base_url(request)
    objects = []
    for item in body.get("objects") or []:
        sha256, size = str(item.get("oid", "")), item.get("size")
        if not _SHA256.match(sha256) or not isinstance(size, int) or size < 0:
            objects.append({"oid": sha256, "size": size, "error": {"code": 422, "message": "Invalid object"}})
        elif hub.store.blobs.has(sha256, size):
            objects.append({"oid": sha256, "size": size})  # no actions: already stored
        else:
            href = f"{base}/lfs-uploads/{hub.new_upload_ticket(sha256, size)}"
            objects.append({"oid": sha256, "size": size, "authenticated": True, "actions": {"upload": {"href": href}}})
    return json_response(
        {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
        headers={"Content-Type": "application/vnd.git-lfs+json"},
    )


def lfs_upload(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    ticket_id = decoded(params, "ticket")
    ticket = hub.upload_ticket(ticket_id)
    hub.store.blobs.put_stream(request.body_stream, ticket.size, ticket.sha256)  # refuses a hash or size mismatch
    hub.close_upload_ticket(ticket_id)
    return Response(200)


ROUTES = [
    Route(("POST",), r"/api/repos/create", create_repo),
    Route(("DELETE",), r"/api/repos/delete", delete_repo),
    Route(("POST",), r"/api/validate-yaml", validate_yaml),
    Route(("POST",), rf"/api/{REPO_PATH}/preupload/(?P<revision>[^/]+)", preupload),
    Route(("POST",), rf"/api/{REPO_PATH}/commit/(?P<revision>[^/]+)", create_commit),
    Route(("POST",), rf"/api/{REPO_PATH}/tag/(?P<revision>[^/]+)", create_tag),
    Route(("DELETE",), rf"/api/{REPO_PATH}/tag/(?P<tag>[^/]+)", delete_tag),
    Route(("POST",), rf"/api/{REPO_PATH}/super-squash/(?P<branch>[^/]+)", super_squash),
    Route(
        ("POST",), r"/(?P<type>datasets)/(?P<namespace>[^/]+)/(?P<name>[^/]+)\.git/info/lfs/objects/batch", lfs_batch
    ),
    Route(("POST",), r"/(?P<namespace>[^/]+)/(?P<name>[^/]+)\.git/info/lfs/objects/batch", lfs_batch),
    Route(("PUT",), r"/lfs-uploads/(?P<ticket>[A-Za-z0-9_-]+)", lfs_upload),
]
