"""Hub-shaped errors: an HTTP status, a message and the `X-Error-Code` the clients map exceptions from."""

from __future__ import annotations


class HubError(Exception):
    """An error answered as `{"error": message}` with `X-Error-Code` / `X-Error-Message` headers."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


def repo_not_found(repo_id: str, status: int = 404) -> HubError:
    # The Hub answers 401 (not 404) when the caller is not authenticated, so that it never
    # tells an anonymous caller whether a private repo exists.
    return HubError(status, f"Repository not found: {repo_id}", "RepoNotFound")


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def entry_not_found(path: str) -> HubError:
    return HubError(404, f"Entry not found: {path}", "EntryNotFound")


def bad_request(message: str) -> HubError:
    return HubError(400, message)


def conflict(message: str) -> HubError:
    return HubError(409, message)
