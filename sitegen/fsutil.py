"""Small file-system helpers shared by the reader, the importer and the writer."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a crash never
    leaves the file half-written. ``durable`` also flushes it to disk before the rename
    (for files that replace a curator's; a new file can skip it: it is cheap to redo).
    A file replaced keeps its permissions; a new one is private to its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


FileSig = tuple[int, int, int, int]   # size, mtime_ns, ctime_ns, inode
RACY_NS = 2_000_000_000
"""A file or folder changed less than this before it was looked at may change again with
the same times, on a file system that keeps whole seconds (or two, as FAT does)."""
RACY_FINE_NS = 200_000_000
"""The same on one that keeps finer times: many ticks of the kernel's clock (1-10 ms),
which stamps changes."""


def settled(changed_ns: int, now_ns: int) -> bool:
    """Whether something last changed at ``changed_ns`` (its times) shows any later change
    by its times when looked at ``now_ns``: changed long enough before, so that a change
    in the same clock tick cannot follow (git's "racily clean" entries). A time without a
    fraction of a second is taken to come from a file system that keeps whole seconds."""
    racy = RACY_FINE_NS if changed_ns % 1_000_000_000 else RACY_NS
    return now_ns - changed_ns >= racy


def file_sig(info: os.stat_result, now_ns: int) -> FileSig | None:
    """What tells, without reading a file, that it is the same as when last read: any
    write changes its ctime, a replacement its inode. None for a file changed so recently
    that a second write could still carry the same times (:func:`settled`): such a file
    is read again next time."""
    if not settled(max(info.st_mtime_ns, info.st_ctime_ns), now_ns):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
