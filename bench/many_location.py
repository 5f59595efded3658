"""The project's code location (pipelines.definitions) as bench/many.py serves it: the same definitions, plus a
probe that records each time the warehouse waits for DuckDB's file lock. The code server and every run worker it
starts load this module, so every run is observed; the probe only observes (the waiting is unchanged).

A wait is recorded when Warehouse._open meets its first lock conflict and closed when the file opens; one that
ends in WarehouseBusyError stays open (a timeout: the run fails with that error). Records are JSON lines appended
to the file named by LOCK_EVENTS_PATH."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import duckdb

from assets.warehouse import Warehouse, is_lock_conflict
from pipelines.definitions import defs

LOCK_EVENTS_ENV = "LOCK_EVENTS_PATH"
_OPEN_CODE = Warehouse._open.__code__
_original_connect = duckdb.connect
_waiting = threading.local()


def _record(event: dict) -> None:
    path = os.environ.get(LOCK_EVENTS_ENV)
    if path:
        with open(path, "a") as events:  # one short append per line: lines from several processes stay whole
            events.write(json.dumps({"pid": os.getpid(), **event}) + "\n")


def _observed_connect(*args, **kwargs):
    from_warehouse = sys._getframe(1).f_code is _OPEN_CODE  # GX's own DuckDB connections are not the warehouse's
    try:
        connection = _original_connect(*args, **kwargs)
    except duckdb.IOException as error:
        if from_warehouse and is_lock_conflict(error) and getattr(_waiting, "since", None) is None:
            _waiting.since = time.monotonic()
            _record({"event": "wait_start"})
        raise
    since = getattr(_waiting, "since", None) if from_warehouse else None
    if since is not None:
        _waiting.since = None
        _record({"event": "wait_end", "waited_s": round(time.monotonic() - since, 3)})
    return connection


duckdb.connect = _observed_connect
__all__ = ["defs"]
