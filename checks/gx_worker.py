"""A process that imports Great Expectations while a run fetches and converts its source, then runs the suite.

GX takes seconds to import, the largest fixed cost of a check run. A run starts this worker as it begins (the
`great_expectations` resource), so the import overlaps ingest and conversion, and the check hands the worker
the snapshot's split files and the suite and reads back the outcomes. A process, not a thread: importing GX on
a thread raced with the run's own use of the libraries GX shares (SQLAlchemy's lazily loaded ORM failed a run
that way).

    python -m checks.gx_worker    # reads one pickled request on stdin, writes one pickled reply on stdout
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from checks.gx_duckdb import SuiteRun, run_suite_on_splits
from checks.gx_setup import prepare_gx
from checks.suite import Suite

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT_S = 5


class WorkerError(RuntimeError):
    """The worker process died or answered with something that is not a suite run."""


class SuiteWorker:
    """One worker process, started at once, used for one suite run."""

    def __init__(self) -> None:
        path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-m", "checks.gx_worker"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})

    def run_suite(self, parquet_paths: Mapping[str, Path], suite: Suite,
                  data_docs_dir: Path | None) -> dict[str, SuiteRun]:
        """The suite run on each split's file (checks.gx_duckdb.run_suite_on_splits), in the worker."""
        request = ({split: Path(path) for split, path in parquet_paths.items()}, suite, data_docs_dir)
        try:
            reply, _ = self._process.communicate(pickle.dumps(request))
            kind, value = pickle.loads(reply)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError) as error:
            raise WorkerError(f"the Great Expectations worker exited with {self._process.returncode} "
                              f"before answering ({type(error).__name__}); see its output above") from None
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the worker if it is still importing (a run that reused its outcomes never asks it anything)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT_S)
        for stream in (self._process.stdin, self._process.stdout):
            if stream and not stream.closed:
                stream.close()


def serve() -> None:
    """The worker's side: import GX, then answer the one request. Only the reply goes to stdout: anything GX
    prints goes to stderr with the rest of its output."""
    reply_stream = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        prepare_gx()
    except Exception:  # noqa: BLE001 - reported below, with the request, as the run's error
        pass
    request = sys.stdin.buffer.read()
    if not request:
        return  # the run ended without asking
    parquet_paths, suite, data_docs_dir = pickle.loads(request)
    try:
        reply = pickle.dumps(("ok", run_suite_on_splits(parquet_paths, suite, data_docs_dir=data_docs_dir)))
    except Exception as error:  # noqa: BLE001 - every failure goes back to the run, which raises it
        reply = _error_reply(error)
    reply_stream.write(reply)
    reply_stream.flush()


def _error_reply(error: Exception) -> bytes:
    try:
        return pickle.dumps(("error", error))
    except Exception:  # noqa: BLE001 - some library exceptions do not pickle: keep their type and message
        return pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}")))


def exit_without_teardown() -> None:
    """End the worker once its reply is flushed, skipping the interpreter's teardown: after GX has used DuckDB,
    DuckDB's bindings (nanobind) find module objects still alive at teardown and print pages of
    "nanobind: leaked ... instances" into the run's log. Nothing is left to clean up: the suite run released
    its connection and in-memory database, and the operating system frees the rest."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    serve()
    exit_without_teardown()
