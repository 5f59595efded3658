"""Injected failures, for testing how clients cope with the Hub's bad days: rate limits, server errors, refusals.

A fault answers the next `times` requests whose method and (percent-encoded) path match with a Hub-shaped error,
before any routing or authentication, then stops; the request is not carried out."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from .errors import HubError
from .transport import Request


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    fired: int = 0  # how many requests it has answered so far


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def error_for(self, request: Request) -> HubError | None:
        """The error to answer `request` with, if an injected fault still applies to it."""
        with self._lock:
            for fault in self._faults:
                if fault.fired < fault.times and fault.method == request.method and fault.path.search(request.path):
                    fault.fired += 1
                    return HubError(fault.status, fault.message, headers=fault.headers)
        return None
