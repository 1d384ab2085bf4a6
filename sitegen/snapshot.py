"""A cheap digest of every input of a build, from file metadata (no file is read).

If nothing under the site's input folders changed (no file added, removed, renamed,
resized or touched) and neither did the configuration or sitegen, the site cannot
have changed either: a rebuild can stop after this check.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from . import __version__


def _walk(folder: Path, digest) -> None:
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
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)


def inputs_digest(settings: str, folders: Iterable[Path], files: Iterable[Path]) -> str:
    """Digest of ``settings`` (the configuration, options) and the metadata of every file
    under ``folders`` and of ``files``."""
    digest = hashlib.blake2b(f"{__version__}\0{settings}\n".encode(), digest_size=16)
    for folder in folders:
        digest.update(f"D{folder}\n".encode())
        _walk(folder, digest)
    for path in files:
        try:
            info = path.stat()
            digest.update(f"F{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode())
        except OSError:
            digest.update(f"F{path}\0missing\n".encode())
    return digest.hexdigest()
