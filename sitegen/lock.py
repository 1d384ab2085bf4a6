"""One build at a time per project: an advisory lock on a file in the cache folder.

Two builds of the same project started at once would race on the staging folder, the
output swap and the build cache. The second one stops at once, before touching anything,
with a message naming the process that holds the lock::

    with build_lock(config.cache_dir):
        build_site(config)

The lock is ``fcntl.flock`` on ``<cache_dir>/build.lock``: the kernel releases it when the
holder exits, however it exits (even SIGKILL), so a stale lock file never blocks a build.
A build's forked workers share its lock; when the build is killed they die with it, but
not at the same instant. A lock whose recorded holder is gone is therefore waited for, a
few seconds at most, instead of refused: rebuilding right after a kill just works.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, builds still work one at a time
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "build.lock"
ORPHAN_PATIENCE = 5.0   # seconds to wait for the dying workers of a killed build


class LockBusy(Exception):
    """Another sitegen process holds the project's build lock."""

    def __init__(self, pid: int | None, path: Path):
        self.pid, self.path = pid, path
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another sitegen build is running ({who})")

    @property
    def hint(self) -> str:
        return (f"wait for it to finish, or stop it; the lock is {self.path} and is released "
                "when that process exits")


def _holder(handle) -> int | None:
    try:
        handle.seek(0)
        return int(handle.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:     # it exists, under another user
        return True
    return True


def _take(handle, path: Path, patience: float) -> None:
    """Take the lock, or raise :class:`LockBusy`. While the process that took it is gone
    (its workers still dying), try again for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(handle)
            if holder is None or _alive(holder) or time.monotonic() > deadline:
                raise LockBusy(holder, path) from None
        time.sleep(0.02)


@contextmanager
def build_lock(cache_dir: Path, patience: float = ORPHAN_PATIENCE) -> Iterator[Path]:
    """Hold the build lock of the project whose cache folder is ``cache_dir``; raise
    :class:`LockBusy` at once when another process holds it (or after ``patience``
    seconds, when only the workers of a build that was killed still hold it)."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+", encoding="ascii") as handle:
        if fcntl is not None:
            _take(handle, path, patience)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.seek(0)
            handle.truncate()   # the pid is only meaningful while the lock is held
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
