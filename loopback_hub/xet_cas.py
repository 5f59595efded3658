"""A minimal Xet CAS, so that default-configured huggingface_hub clients can upload LFS-mode files.

huggingface_hub 2.4 decides alone, before asking the server anything, to send LFS-mode files through
Xet: `_commit_api._upload_files` takes the Xet path whenever `utils._runtime.is_xet_available()` is true
(hf_xet importable and `HF_HUB_DISABLE_XET` unset). The preupload answer may only say "lfs" or
"regular", the LFS batch endpoint is not called on that path, and no header or repo-info field is
consulted, so a server cannot steer such a client to plain LFS. This module therefore answers the Xet
upload protocol as hf_xet 1.8 speaks it (measured with a request log):

1. `GET /api/<type>s/<id>/xet-write-token/<rev>` (Hub token) -> `{"accessToken", "exp", "casUrl"}`;
2. `GET <cas>/v1/chunks/default/<hash>` (global dedup) -> 404: nothing to share;
3. `POST <cas>/v1/xorb-grants/...` and `POST <cas>/v2/shards` -> 404 (unrouted): hf_xet falls back to
   `POST <cas>/v1/xorbs/default/<hash>` (stored as sent) and `POST <cas>/v1/shards`;
4. on the shard, every file it describes is rebuilt from the stored xorbs and put in the blob store
   under its sha256, checked against the sha256 the shard declares. The commit that follows names the
   file by that sha256 (`lfsFile`), exactly as after a plain LFS upload.

Downloads never use Xet: resolve answers carry no `X-Xet-Hash`, so clients fetch over plain HTTP.
hf_xet skips chunks its local shard cache (under HF_HOME, kept per CAS URL) says the CAS already holds. The
Hub's CAS never forgets; a loopback Hub started over a new state folder at the same address would, so each
state folder's CAS has its own URL (`/xet-cas/<store id>`, the id kept in the folder) and a client's cache
for another folder never applies. A shard naming a xorb this server never received is refused with a 400.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from pathlib import Path
from typing import Iterator

from .blobs import BlobStore, IncomingFile
from .context import REPO_PATH, HubContext, Route
from .errors import HubError, bad_request
from .transport import Request, Response, json_response
from .xet_format import ShardFile, XetFormatError, shard_files, xorb_chunks

CAS_PATH = "/xet-cas"
_TOKEN_LIFETIME_SECONDS = 3600
_XET_HASH = re.compile(r"^[0-9a-f]{64}$")


class XetCas:
    """Xorbs as received, and the short-lived CAS tokens handed out in exchange for Hub tokens."""

    def __init__(self, root: Path, blobs: BlobStore) -> None:
        self._xorbs = root / "xorbs"
        self._xorbs.mkdir(parents=True, exist_ok=True)
        store_id_file = root / "store_id"
        if not store_id_file.is_file():
            store_id_file.write_text(secrets.token_hex(8))
        self.store_id = store_id_file.read_text().strip()
        self._blobs = blobs
        self._token_expiries: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue_token(self) -> tuple[str, int]:
        token, expires_at = secrets.token_urlsafe(24), int(time.time()) + _TOKEN_LIFETIME_SECONDS
        with self._lock:
            now = time.time()
            self._token_expiries = {key: exp for key, exp in self._token_expiries.items() if exp > now}
            self._token_expiries[token] = expires_at
        return token, expires_at

    def check_token(self, request: Request, params: dict[str, str]) -> None:
        if params["store"] != self.store_id:
            raise HubError(404, f"No Xet CAS store {params['store']} on this loopback Hub")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            expires_at = self._token_expiries.get(token.strip()) if scheme.lower() == "bearer" else None
        if expires_at is None or expires_at < time.time():
            raise HubError(401, "Invalid or expired Xet access token")

    def store_xorb(self, xorb_hash: str, body: bytes) -> bool:
        path = self._xorbs / xorb_hash
        if path.is_file():
            return False
        with IncomingFile(self._xorbs) as (handle, temp_path):  # a unique name: uploads may race
            handle.write(body)
        temp_path.replace(path)
        return True

    def rebuild_files(self, shard: bytes) -> list[str]:
        """Store every file the shard describes as a blob; returns their sha256s."""
        try:
            files = shard_files(shard)
        except XetFormatError as error:
            raise bad_request(f"Malformed shard: {error}") from None
        stored = []
        for file in files:
            sha256 = self._blobs.put_parts(self._file_parts(file))
            if file.sha256 is not None and file.sha256 != sha256:
                raise bad_request(f"Shard declares sha256 {file.sha256} but its chunks rebuild {sha256}")
            stored.append(sha256)
        return stored

    def _file_parts(self, file: ShardFile) -> Iterator[bytes]:
        for segment in file.segments:
            path = self._xorbs / segment.xorb_hash
            if not path.is_file():
                raise bad_request(f"Shard refers to xorb {segment.xorb_hash}, which was never uploaded here")
            try:
                chunks = xorb_chunks(path.read_bytes(), segment.chunk_start, segment.chunk_end)
            except XetFormatError as error:
                raise bad_request(f"Malformed xorb {segment.xorb_hash}: {error}") from None
            if sum(len(chunk) for chunk in chunks) != segment.size:
                raise bad_request(f"Xorb {segment.xorb_hash} chunks do not add up to the shard's segment size")
            yield from chunks


def xet_token(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    if params["access"] == "write":
        hub.writable_repo(request, params)
    else:
        hub.readable_repo(request, params)
    token, expires_at = hub.xet.issue_token()
    cas_url = f"{hub.base_url(request)}{CAS_PATH}/{hub.xet.store_id}"
    headers = {"X-Xet-Cas-Url": cas_url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(expires_at)}
    return json_response({"accessToken": token, "exp": expires_at, "casUrl": cas_url}, headers=headers)


def global_dedup(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    hub.xet.check_token(request, params)
    raise HubError(404, "No chunk is shared across uploads on the loopback Hub")


def upload_xorb(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    hub.xet.check_token(request, params)
    xorb_hash = params["hash"]
    if not _XET_HASH.match(xorb_hash):
        raise bad_request(f"Invalid xorb hash {xorb_hash!r}")
    return json_response({"was_inserted": hub.xet.store_xorb(xorb_hash, request.body())})


def upload_shard(hub: HubContext, request: Request, params: dict[str, str]) -> Response:
    hub.xet.check_token(request, params)
    hub.xet.rebuild_files(request.body())
    return json_response({"result": 1})  # 1: stored ("sync performed"), as opposed to 0: already known


ROUTES = [
    Route(("GET",), rf"/api/{REPO_PATH}/xet-(?P<access>read|write)-token/(?P<revision>[^/]+)", xet_token),
    Route(("GET",), rf"{CAS_PATH}/(?P<store>[^/]+)/v1/chunks/(?P<prefix>[^/]+)/(?P<hash>[^/]+)", global_dedup,
          hub_auth=False),
    Route(("POST",), rf"{CAS_PATH}/(?P<store>[^/]+)/v1/xorbs/(?P<prefix>[^/]+)/(?P<hash>[^/]+)", upload_xorb,
          hub_auth=False),
    Route(("POST",), rf"{CAS_PATH}/(?P<store>[^/]+)/v1/shards", upload_shard, hub_auth=False),
]
