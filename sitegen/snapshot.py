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
    # each folder's files as its digest has them (:func:`_row`), for a patch to reuse
    rows: dict[str, dict[str, bytes]] = field(default_factory=dict)

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


def _row(path: str, info: os.stat_result | None) -> bytes:
    """One file as its folder's digest has it: the path and the metadata, each ended by a
    NUL (which no path holds), and an empty field; a broken link has no metadata."""
    if info is None:
        return f"{path}\0\0".encode("utf-8", "surrogatepass")
    return (f"{path}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}"
            f"\0{info.st_ino}\0\0").encode("utf-8", "surrogatepass")


def _folder_digest(folder: str, rows: dict[str, bytes]) -> str:
    """The digest of a folder's files (``rows``, :func:`_row`, in canonical order)."""
    digest = hashlib.blake2b(f"D{folder}\n".encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(b"".join(rows.values()))
    return digest.hexdigest()


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
    rows: dict[str, dict[str, bytes]] = {}
    for folder in folders:
        if since is None:
            stats: Stats = {}
            _walk(folder, stats)
            rows[folder] = {path: _row(path, info) for path, info in stats.items()}
        else:
            old, old_rows = since.folders[folder], since.rows[folder]
            stats, fresh = _patched(folder, old, touched)
            if stats is old:
                found[folder], parts[folder], rows[folder] = old, since.parts[folder], old_rows
                continue
            rows[folder] = _rows_again(stats, old, old_rows) if fresh is None else {
                **old_rows, **{path: _row(path, info) for path, info in fresh.items()}}
        found[folder], parts[folder] = stats, _folder_digest(folder, rows[folder])
    digest = hashlib.blake2b(b"F", digest_size=16)
    for path in files:
        try:
            info = path.stat()
            digest.update(f"F{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode())
        except OSError:
            digest.update(f"F{path}\0missing\n".encode())
    parts["files"] = digest.hexdigest()
    return Snapshot(_hex(repr(sorted(parts.items())).encode()), found, taken, parts, rows)


def _rows_again(stats: Stats, old: Stats, old_rows: dict[str, bytes]) -> dict[str, bytes]:
    """The rows of ``stats`` (:func:`_row`), in its order, reusing those of ``old_rows``
    whose file has the very ``stat`` it had in ``old``."""
    return {path: old_rows[path] if old.get(path, False) is info else _row(path, info)
            for path, info in stats.items()}


PATCH_LIMIT = 256
"""Touched paths in one folder beyond which it is walked again rather than patched."""


def _patched(folder: str, old: Stats, touched: Collection[Path]
             ) -> tuple[Stats, Stats | None]:
    """``old`` (the files below ``folder`` when last walked) with the ``touched`` paths
    looked at again: each is dropped with everything below it, then walked if it is
    there (``old`` itself when no touched path concerns the folder). With the files
    looked at again when they are all files of ``old`` (edited in place: the order
    stays), else None."""
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
        return old, {}
    if len(inside) > PATCH_LIMIT or inside == [base]:
        stats: Stats = {}
        _walk(folder, stats)
        return stats, None
    again, below = set(inside), tuple(path + os.sep for path in inside)
    if old.keys() >= again:   # files edited in place, most likely: the order stays
        fresh: Stats = {}
        for path in inside:
            _look_again(folder, path, fresh)
        if fresh.keys() == again:
            return {**old, **fresh}, fresh
    stats = {path: info for path, info in old.items()
             if path not in again and not path.startswith(below)}
    for path in inside:
        _look_again(folder, path, stats)
    return dict(sorted(stats.items(), key=lambda item: item[0].split(os.sep))), None


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
