"""Work files: a download on its way into the raw store (`raw/.incoming-*`), a snapshot being written
(`snapshots/<dataset>/.<snapshot id>-*`), and what a killed run leaves of them.

The process writing one holds an exclusive lock (flock) on it for as long as it writes; the kernel drops the lock
when the process ends, however it ends (kill -9 included). A work file nobody holds and that has not changed for
STALE_AFTER_S is a dead run's leftover and is removed when a step next uses its folder; a live run's work file
is held, so it is never touched."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# A work file is locked the moment after it is created: the age only covers that instant (and clocks that differ
# between the machines sharing a volume), with a wide margin.
STALE_AFTER_S = 60.0


def hold(fd: int) -> None:
    """Lock an open work file (or folder) for as long as `fd` stays open."""
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextmanager
def held_folder(path: Path) -> Iterator[None]:
    """Hold a work folder while the block writes in it; the lock follows the folder through a rename."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        hold(fd)
        yield
    finally:
        os.close(fd)


def remove_stale(folder: Path, pattern: str) -> list[str]:
    """Remove the work files matching `pattern` in `folder` that no live process holds and that have not changed
    for STALE_AFTER_S; returns their names."""
    removed = []
    for path in sorted(folder.glob(pattern)):
        try:
            if time.time() - path.lstat().st_mtime < STALE_AFTER_S:
                continue
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # gone meanwhile (settled or removed by another run), or not a work file of ours
            continue
        try:
            hold(fd)
        except BlockingIOError:
            continue  # a live run's
        else:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.name)
        finally:
            os.close(fd)
    return removed
