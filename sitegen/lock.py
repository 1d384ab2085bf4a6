"""One build at a time per project: an advisory lock on a file in the cache folder.

Two builds of the same project started at once would race on the staging folder, the
output swap and the build cache. The second one stops at once, before touching anything,
with a message naming the process that holds the lock::

    with build_lock(config.cache_dir):
        build_site(config)

The lock is ``fcntl.flock`` on ``<cache_dir>/build.lock``: the kernel releases it when the
holder exits, however it exits (even SIGKILL), so a stale lock file never blocks a build.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, builds still work one at a time
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "build.lock"


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


@contextmanager
def build_lock(cache_dir: Path) -> Iterator[Path]:
    """Hold the build lock of the project whose cache folder is ``cache_dir``; raise
    :class:`LockBusy` at once (never wait) when another process holds it."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+", encoding="ascii") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(_holder(handle), path) from None
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
