"""One walk of a build's inputs: a cheap digest of every file's metadata (no file is
read), and each file's ``stat``, so the reader and the importer need not walk again.

If nothing under the site's input folders changed (no file added, removed, renamed,
resized or touched) and neither did the configuration or sitegen, the site cannot
have changed either: a rebuild can stop after this check.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from . import __version__

Stats = dict[str, "os.stat_result | None"]
"""Every file under a folder by path, with its ``stat`` (a link's target's); None for a
broken symbolic link."""


@dataclass(frozen=True)
class Snapshot:
    """The digest of the inputs' metadata, and the files found under each folder walked,
    as of ``taken_ns``. ``parts`` holds the digest of each folder's metadata (by path),
    of the single files (``"files"``) and of the settings (``"settings"``): what changed
    between two snapshots, at a glance."""

    digest: str
    folders: dict[str, Stats]
    taken_ns: int
    parts: dict[str, str] = field(default_factory=dict)

    def under(self, folder: Path) -> Stats | None:
        """The files below ``folder``, or None when it was not walked."""
        return self.folders.get(str(folder))


def _walk(folder: Path, digest, files: Stats) -> None:
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            digest.update(f"{entry.path}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0"
                          f"{info.st_ctime_ns}\0{info.st_ino}\n".encode())
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
            elif not stat.S_ISLNK(info.st_mode):
                files[entry.path] = info
            elif not entry.is_dir():     # links to folders are not followed, as os.walk
                try:                     # a link to a file counts by its target's metadata
                    target = entry.stat()
                    digest.update(f"->{target.st_size}\0{target.st_mtime_ns}\0"
                                  f"{target.st_ctime_ns}\0{target.st_ino}\n".encode())
                    files[entry.path] = target
                except OSError:          # broken: whoever reads it reports it
                    files[entry.path] = None


def take_snapshot(settings: str, folders: Iterable[Path], files: Iterable[Path]) -> Snapshot:
    """Digest of ``settings`` (the configuration, options) and the metadata of every file
    under ``folders`` and of ``files``, with the stat of each file under ``folders``."""
    taken = time.time_ns()
    parts = {"settings": _hex(f"{__version__}\0{settings}\n".encode())}
    found: dict[str, Stats] = {}
    for folder in folders:
        digest = hashlib.blake2b(f"D{folder}\n".encode(), digest_size=16)
        _walk(folder, digest, found.setdefault(str(folder), {}))
        parts[str(folder)] = digest.hexdigest()
    digest = hashlib.blake2b(b"F", digest_size=16)
    for path in files:
        try:
            info = path.stat()
            digest.update(f"F{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode())
        except OSError:
            digest.update(f"F{path}\0missing\n".encode())
    parts["files"] = digest.hexdigest()
    return Snapshot(_hex(repr(sorted(parts.items())).encode()), found, taken, parts)


def _hex(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
