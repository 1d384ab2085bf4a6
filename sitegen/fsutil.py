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
RACY_NS = 2_000_000_000   # file times are coarse (a clock tick; 2 s on some file systems)


def file_sig(info: os.stat_result, now_ns: int) -> FileSig | None:
    """What tells, without reading a file, that it is the same as when last read: any
    write changes its ctime, a replacement its inode. None for a file changed so recently
    that a second write could still carry the same times (as git's "racily clean"
    entries): such a file is read again next time."""
    if now_ns - max(info.st_mtime_ns, info.st_ctime_ns) < RACY_NS:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
