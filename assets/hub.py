"""The Hub as the publish step sees it: where to publish, a client holding the token from the environment,
bounded retries on transient failures, and errors a steward can act on.

The token is never part of the config: it is read from HF_TOKEN when a client is made, so it never shows in
the UI, the run config or the logs, and every message that could quote it is scrubbed."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import dagster as dg

if TYPE_CHECKING:
    from huggingface_hub import HfApi

T = TypeVar("T")
RETRIED_STATUSES = frozenset({408, 429})  # and every 5xx


class HubAccessError(RuntimeError):
    """The Hub cannot be used as configured (no token); the message says what to do."""


class HubTarget(dg.ConfigurableResource):
    """Where vetted snapshots are published: `<namespace>/<dataset_id>` on the Hub at HF_ENDPOINT."""

    namespace: str = "open-data"

    def repo_id(self, dataset_id: str) -> str:
        return f"{self.namespace}/{dataset_id}"

    def public_base(self, endpoint: str) -> str:
        """The Hub's address as consumers reach it, which published files name: HUB_PUBLIC_URL when set (a Hub
        behind a proxy, or one the pipeline reaches by an internal address), else the client's endpoint, unless
        that is on a loopback or private network: then publishing stops rather than name an address consumers
        cannot reach. Read when publishing, like HF_TOKEN, so each run sees the current environment."""
        from assets.guards import is_public_url

        public = os.environ.get("HUB_PUBLIC_URL")
        if not public and not is_public_url(endpoint):
            raise HubAccessError(f"the Hub at {endpoint} is on a loopback or private address, which published files "
                                 "would name: set HUB_PUBLIC_URL to the address consumers reach it by")
        base = (public or endpoint).rstrip("/")
        if not re.match(r"^https?://[^/]", base):
            raise HubAccessError(f"HUB_PUBLIC_URL must be an http(s) URL, got {base!r}")
        return base

    def client(self) -> HfApi:
        """A client for the Hub at HF_ENDPOINT with the token from HF_TOKEN, and only from there: huggingface_hub
        would otherwise fall back to a token file left on the machine by `hf auth login`."""
        from huggingface_hub import HfApi

        without_progress_bars()
        token = os.environ.get("HF_TOKEN")
        if not token:
            raise HubAccessError("HF_TOKEN is not set: publishing needs a Hub token with write access in the "
                                 "environment")
        return HfApi(token=token)


def without_progress_bars() -> None:
    """Turn off huggingface_hub's upload and download progress bars in this process: in a run's log they are
    pages of redrawn bars, not news. HF_HUB_DISABLE_PROGRESS_BARS=0 in the environment keeps them."""
    from huggingface_hub.constants import HF_HUB_DISABLE_PROGRESS_BARS
    from huggingface_hub.utils import disable_progress_bars

    if HF_HUB_DISABLE_PROGRESS_BARS is None:
        disable_progress_bars()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff on rate limits (429), server errors (5xx) and lost connections; nothing else."""

    tries: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0  # also caps the server's Retry-After

    def delay(self, error: Exception, failed_attempt: int) -> float:
        retry_after = _retry_after_s(error)
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        return min(self.base_delay_s * 2 ** (failed_attempt - 1), self.max_delay_s)


def with_retries(action: Callable[[], T], policy: RetryPolicy = RetryPolicy(),
                 log: Callable[[str], None] = lambda message: None) -> T:
    """Run `action` until it succeeds, fails for good, or the tries run out. The action must be safe to repeat."""
    attempt = 1
    while True:
        try:
            return action()
        except Exception as error:
            if attempt >= policy.tries or not is_transient(error):
                raise
            delay = policy.delay(error, attempt)
            attempt += 1
            log(f"{hub_error_message(error)}; try {attempt} of {policy.tries} in {delay:.1f}s")
            time.sleep(delay)


def is_transient(error: Exception) -> bool:
    status = _status(error)
    if status is not None:
        return status in RETRIED_STATUSES or status >= 500
    return _is_connection_failure(error)


def hub_error_message(error: Exception) -> str:
    """One line naming what went wrong and what to do; the Hub's own message, never request headers or the token."""
    status = _status(error)
    server_message = getattr(error, "server_message", None) or _first_line(error)
    if status == 401:
        message = "the Hub refused the token (401): check HF_TOKEN"
    elif status == 403:
        message = f"the Hub denied the token access (403): HF_TOKEN needs write access here ({server_message})"
    elif status == 404:
        message = f"not found on the Hub (404): {server_message}"
    elif status == 412:
        message = f"the repo changed while publishing (412): {server_message}; publish again to build on it"
    elif status is not None:
        message = f"HTTP {status}: {server_message}"
    elif _is_connection_failure(error):
        message = f"cannot reach the Hub ({type(error).__name__}: {server_message})"
    else:
        message = f"{type(error).__name__}: {server_message}"
    return scrub_token(message)


def scrub_token(text: str) -> str:
    token = os.environ.get("HF_TOKEN")
    return text.replace(token, "***") if token else text


def _is_connection_failure(error: Exception) -> bool:
    from httpx2 import TransportError  # what huggingface_hub's HTTP client raises when a connection fails

    return isinstance(error, TransportError)


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _retry_after_s(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:  # the HTTP-date form: fall back to our own backoff
        return None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
