"""Run one benchmark stage in its own process: its wall time and peak RSS are then its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class StageError(RuntimeError):
    """A stage's process failed; the message carries the end of its stderr."""


@dataclass(frozen=True)
class StageRun:
    wall_s: float  # from spawning the process to its exit: interpreter start-up and imports included
    peak_rss_mb: float
    cpu_s: float  # user + system CPU of the process: steadier than wall time when other work shares the cores
    report: dict  # the JSON object the stage printed last on stdout


def run_stage(module: str, args: list[str], env: dict[str, str] | None = None) -> StageRun:
    """`python -m <module> <args>` from the project root; the module prints a JSON object as its last line."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=out, stderr=err,
                                   env={**os.environ, **(env or {})})
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the maximum over every stage so far.
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().decode(errors="replace").strip().splitlines()
        if process.returncode != 0 or not lines:
            tail = err.read().decode(errors="replace").strip().splitlines()[-15:]
            raise StageError(f"{module} exited with {process.returncode}:\n" + "\n".join(tail))
    peak_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return StageRun(wall_s, peak_rss_mb, usage.ru_utime + usage.ru_stime, json.loads(lines[-1]))


def emit(report: dict) -> None:
    """A stage's last stdout line: its report for run_stage."""
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
