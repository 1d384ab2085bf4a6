"""What a folder holds, file by file: listed afresh, or from the folders found last time.

A build checks that the output folder holds exactly what the last one published (a file
deleted or added behind sitegen's back is put right). Listing 15,000 files in as many
folders takes about 0.2 s, most of it opening and reading every folder. A process that
builds again and again (the dev server) keeps what it found, folder by folder, and the
next listing reads again only the folders whose entries may have changed since.

A folder's entries change only together with its status-change time (``st_ctime``: any
file made, removed or renamed in it sets it, and no program can set it back), so a
folder whose inode and ctime are as they were holds what it held. The ctime is taken
before the folder is read; one that is recent is not trusted, as a change in the same
clock tick would leave it unchanged: such a folder is read again next time, as git does
with "racily clean" files, by the rule of the files' signatures (``fsutil.settled``).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import NamedTuple

from .fsutil import settled

Listing = tuple[dict[str, int], list[str]]
"""The files below a folder (path relative to it -> inode number), and its other entries
(links, sockets ...: not made by sitegen), sorted."""

class Folder(NamedTuple):
    """One folder as read: its ``(st_dev, st_ino, st_ctime_ns)`` (ctime -1 when too
    recent to trust), files (name, inode), other entries and subfolders, by name."""

    ident: tuple[int, int, int]
    files: tuple[tuple[str, int], ...]
    odd: tuple[str, ...]
    folders: tuple[str, ...]


Known = dict[str, Folder]
"""The folders of one listing, by path relative to the listed folder (``""``, ``"a/"``,
``"a/b/"``)."""


def scan_folder(folder: Path) -> Listing:
    """The files below ``folder``: ``(regular files with their inode numbers, other
    entries)``. Other entries (symbolic links, sockets ...) were not made by sitegen and
    are to be removed. The inode numbers come with the folder listing: no file is
    stat'ed."""
    files: dict[str, int] = {}
    odd: list[str] = []
    stack = [(str(folder), "")]
    while stack:
        current, prefix = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    odd.append(rel)
                elif entry.is_dir():
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file():
                    files[rel] = entry.inode()
                else:
                    odd.append(rel)
    return files, sorted(odd)


def relist(folder: Path, known: Known) -> tuple[Listing, Known, list[str]]:
    """:func:`scan_folder` of ``folder`` (a real folder), reading only the folders not
    in ``known`` (the last listing's) or changed since; with the folders read (to put
    into ``known``) and those of ``known`` that are gone. Any folder that vanishes or
    turns into something else meanwhile makes it a full listing (all folders read)."""
    try:
        return _relist(str(folder), known)
    except _Moved:
        pass
    try:
        listed, read, _ = _relist(str(folder), {})
    except _Moved:
        raise FileNotFoundError(f"{folder} changed while it was listed") from None
    return listed, read, [rel for rel in known if rel not in read]


class _Moved(Exception):
    """A folder vanished, or is no longer a folder, while being listed."""


def _relist(root: str, known: Known) -> tuple[Listing, Known, list[str]]:
    now = time.time_ns()
    files: dict[str, int] = {}
    odd: list[str] = []
    read: Known = {}
    seen: set[str] = set()
    stack = [("", root)]
    while stack:
        rel, path = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            raise _Moved from None
        if not stat.S_ISDIR(info.st_mode):
            raise _Moved
        ident = (info.st_dev, info.st_ino, info.st_ctime_ns)
        found = known.get(rel)
        if found is None or found.ident != ident:
            if not settled(info.st_ctime_ns, now):
                ident = (info.st_dev, info.st_ino, -1)
            found = read[rel] = _read(path, ident)
        seen.add(rel)
        for name, inode in found.files:
            files[rel + name] = inode
        if found.odd:
            odd.extend(rel + name for name in found.odd)
        for name in found.folders:
            stack.append((f"{rel}{name}/", f"{path}/{name}"))
    return (files, sorted(odd)), read, [rel for rel in known if rel not in seen]


def _read(path: str, ident: tuple[int, int, int]) -> Folder:
    files: list[tuple[str, int]] = []
    odd: list[str] = []
    folders: list[str] = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_symlink():
                    odd.append(entry.name)
                elif entry.is_dir():
                    folders.append(entry.name)
                elif entry.is_file():
                    files.append((entry.name, entry.inode()))
                else:
                    odd.append(entry.name)
    except (FileNotFoundError, NotADirectoryError):
        raise _Moved from None
    return Folder(ident, tuple(files), tuple(odd), tuple(folders))
