"""One walk of a build's inputs: a cheap digest of every file's metadata (no file is
read), and each file's ``stat``, so the reader and the importer need not walk again.

If nothing under the site's input folders changed (no file added, removed, renamed,
resized or touched) and neither did the configuration or sitegen, the site cannot
have changed either: a rebuild can stop after this check.

A process that is told what changed (the dev server, by file-system events) patches
its last snapshot with the paths named instead of walking again; the result, digests
included, is what the walk would give.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Iterable

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


def _walk(folder: str, files: Stats) -> None:
    """Every file below ``folder`` into ``files`` in the canonical order (each folder's
    entries by name, a subfolder's files where its name falls: the order of the paths'
    parts). Links to folders are not followed, as ``os.walk``; a link to a file counts by
    its target; a broken link is None."""
    stack = [iter(_entries(folder))]
    while stack:
        for entry in stack[-1]:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(iter(_entries(entry.path)))
                break
            _add(entry.path, info, files)
        else:
            stack.pop()


def _add(path: str, info: os.stat_result, files: Stats) -> None:
    """A non-folder entry (``info``: its own ``lstat``) as the walk counts it: a file by
    its stat, a link to a file by its target's, a broken link as None (whoever reads it
    reports it), a link to a folder not at all."""
    if not stat.S_ISLNK(info.st_mode):
        files[path] = info
    elif not os.path.isdir(path):
        try:
            files[path] = os.stat(path)
        except OSError:
            files[path] = None


def _entries(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as found:
            return sorted(found, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def _folder_digest(folder: str, files: Stats) -> str:
    """The digest of a folder's files (in canonical order) and their metadata. (Pickled:
    half the time of ``repr``; each path is its own string, so the bytes depend on the
    values only.)"""
    rows = [(path, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
             info.st_ino) if info is not None else (path,) for path, info in files.items()]
    return _hex(f"D{folder}\n".encode() + pickle.dumps(rows, 4))


def take_snapshot(settings: str, folders: Iterable[Path], files: Iterable[Path],
                  since: Snapshot | None = None,
                  touched: Collection[Path] | None = None) -> Snapshot:
    """Digest of ``settings`` (the configuration, options) and the metadata of every file
    under ``folders`` and of ``files``, with the stat of each file under ``folders``.

    Given the snapshot ``since`` (of the same settings and folders) and every path
    ``touched`` since it was taken (as file-system events name them: the dev server),
    the folders are not walked again: only the touched paths are looked at, and the
    result is what a walk would give."""
    taken = time.time_ns()
    parts = {"settings": _hex(f"{__version__}\0{settings}\n".encode())}
    folders = list(dict.fromkeys(str(folder) for folder in folders))
    if since is None or touched is None or since.parts.get("settings") != parts["settings"] \
            or list(since.folders) != folders:
        since, touched = None, None
    found: dict[str, Stats] = {}
    for folder in folders:
        if since is None:
            stats: Stats = {}
            _walk(folder, stats)
        else:
            stats = _patched(folder, since.folders[folder], touched)
            if stats is since.folders[folder]:
                found[folder], parts[folder] = stats, since.parts[folder]
                continue
        found[folder], parts[folder] = stats, _folder_digest(folder, stats)
    digest = hashlib.blake2b(b"F", digest_size=16)
    for path in files:
        try:
            info = path.stat()
            digest.update(f"F{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode())
        except OSError:
            digest.update(f"F{path}\0missing\n".encode())
    parts["files"] = digest.hexdigest()
    return Snapshot(_hex(repr(sorted(parts.items())).encode()), found, taken, parts)


PATCH_LIMIT = 256
"""Touched paths in one folder beyond which it is walked again rather than patched."""


def _patched(folder: str, old: Stats, touched: Collection[Path]) -> Stats:
    """``old`` (the files below ``folder`` when last walked) with the ``touched`` paths
    looked at again: each is dropped with everything below it, then walked if it is
    there (``old`` itself when no touched path concerns the folder)."""
    base = os.path.abspath(folder)
    inside: list[str] = []
    for path in touched:
        path = os.path.abspath(path)
        if path == base or base.startswith(path + os.sep):   # the folder itself, or above
            inside = [base]
            break
        if path.startswith(base + os.sep):
            inside.append(folder + path[len(base):])
    if not inside:
        return old
    if len(inside) > PATCH_LIMIT or inside == [base]:
        stats: Stats = {}
        _walk(folder, stats)
        return stats
    again, below = set(inside), tuple(path + os.sep for path in inside)
    if again.issubset(old):   # files edited in place, most likely: the order stays
        fresh: Stats = {}
        for path in inside:
            _look_again(folder, path, fresh)
        if fresh.keys() == again:
            return {**old, **fresh}
    stats = {path: info for path, info in old.items()
             if path not in again and not path.startswith(below)}
    for path in inside:
        _look_again(folder, path, stats)
    return dict(sorted(stats.items(), key=lambda item: item[0].split(os.sep)))


def _look_again(folder: str, path: str, stats: Stats) -> None:
    """Add what a walk of ``folder`` would find at ``path`` (a file, or a folder's files),
    if every folder on the way there is a real folder, as the walk would go."""
    parent = os.path.dirname(path)
    while parent != folder and len(parent) > len(folder):
        try:
            if not stat.S_ISDIR(os.lstat(parent).st_mode):
                return
        except OSError:
            return
        parent = os.path.dirname(parent)
    try:
        info = os.lstat(path)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        _walk(path, stats)
    else:
        _add(path, info, stats)


def _hex(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
