"""What every route needs: the store, the token roles, pending LFS uploads, and the access checks."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote

from .errors import HubError, bad_request, repo_not_found
from .faults import FaultPlan
from .store import RepoKey, RepoStore, validate_repo_id
from .transport import Request, Response

if TYPE_CHECKING:
    from .xet_cas import XetCas

USER_NAME = "steward"
ROLES = ("read", "write")
# The `<type>s/<namespace>/<name>` part of API routes, still percent-encoded.
REPO_PATH = r"(?P<type>models|datasets)/(?P<namespace>[^/]+)/(?P<name>[^/]+)"
_TYPE_BY_URL_SEGMENT = {"models": "model", "datasets": "dataset"}
_UPLOAD_TICKET_LIFETIME = 3600.0

RouteHandler = Callable[["HubContext", Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: str  # regex over the percent-encoded path, with named groups
    handler: RouteHandler
    hub_auth: bool = True  # False where the Authorization header carries another credential (Xet CAS)


@dataclass(frozen=True)
class UploadTicket:
    sha256: str
    size: int
    expires_at: float


class HubContext:
    def __init__(self, store: RepoStore, xet: XetCas, tokens: dict[str, str], fallback_url: str) -> None:
        self.store = store
        self.xet = xet
        self._tokens = tokens
        self.fallback_url = fallback_url
        self.faults = FaultPlan()
        self._upload_tickets: dict[str, UploadTicket] = {}
        self._tickets_lock = threading.Lock()

    # -- auth ------------------------------------------------------------------------------------

    def role_of(self, request: Request) -> str | None:
        """The caller's role, None when anonymous; an unknown token is refused outright, as on the Hub."""
        authorization = request.headers.get("Authorization", "")
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        role = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if role is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return role

    def require_write_role(self, request: Request) -> None:
        if request.role is None:
            raise HubError(401, "You must be authenticated with a write token to do this")
        if request.role != "write":
            raise HubError(403, "You don't have the rights to write here: this token is read-only")

    def readable_repo(self, request: Request, params: dict[str, str]) -> RepoKey:
        repo = repo_key_from(params)
        status = 404 if request.role is not None else 401
        if not self.store.exists(repo):
            raise repo_not_found(repo.repo_id, status)
        if self.store.repo_meta(repo)["private"] and request.role is None:
            raise repo_not_found(repo.repo_id, 401)
        return repo

    def writable_repo(self, request: Request, params: dict[str, str]) -> RepoKey:
        self.require_write_role(request)
        repo = repo_key_from(params)
        if not self.store.exists(repo):
            raise repo_not_found(repo.repo_id)
        return repo

    # -- LFS uploads -------------------------------------------------------------------------------

    def new_upload_ticket(self, sha256: str, size: int) -> str:
        """An unguessable one-object upload address: LFS clients PUT to it without credentials, like to S3."""
        ticket = secrets.token_urlsafe(24)
        with self._tickets_lock:
            now = time.monotonic()
            self._upload_tickets = {key: t for key, t in self._upload_tickets.items() if t.expires_at > now}
            self._upload_tickets[ticket] = UploadTicket(sha256, size, now + _UPLOAD_TICKET_LIFETIME)
        return ticket

    def upload_ticket(self, ticket: str) -> UploadTicket:
        with self._tickets_lock:
            found = self._upload_tickets.get(ticket)
        if found is None or found.expires_at < time.monotonic():
            raise HubError(403, "Unknown or expired upload URL: ask the LFS batch endpoint for a new one")
        return found

    def close_upload_ticket(self, ticket: str) -> None:
        with self._tickets_lock:
            self._upload_tickets.pop(ticket, None)

    def base_url(self, request: Request) -> str:
        host = request.headers.get("Host")
        return f"http://{host}" if host else self.fallback_url


def repo_type_from(params: dict[str, str]) -> str:
    segment = params.get("type") or "models"
    if segment not in _TYPE_BY_URL_SEGMENT:
        raise HubError(404, f"Repository type {segment!r} is not served by this Hub")
    return _TYPE_BY_URL_SEGMENT[segment]


def repo_key_from(params: dict[str, str]) -> RepoKey:
    repo_id = f"{unquote(params['namespace'])}/{unquote(params['name'])}"
    validate_repo_id(repo_id)
    return RepoKey(repo_type_from(params), repo_id)


def url_prefix(repo_type: str) -> str:
    """The path prefix of a repo's web and git URLs: none for models, `datasets/` for datasets."""
    return "" if repo_type == "model" else f"{repo_type}s/"


def decoded(params: dict[str, str], name: str, default: str | None = None) -> str:
    value = params.get(name)
    if value is None:
        if default is None:
            raise bad_request(f"Missing {name} in URL")
        return default
    return unquote(value)
