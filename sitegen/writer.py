"""The output folder: safety checks, a staging folder, and the swap that publishes it.

A build writes into a folder beside the output folder and swaps it in only when every
file is there, so a failed or interrupted build leaves the previous site as it was. The
site a swap replaces is kept beside it as the *spare*, the staging folder of the next
large rebuild: most of its files and all of its folders are already there, so that
rebuild rewrites files in place instead of making and deleting tens of thousands. The
spare is never trusted: every file it keeps is checked against the output first.
The output folder carries a marker file; sitegen never replaces a non-empty folder
without it.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .errors import Diagnostic, error
from .fsutil import atomic_write
from .listings import Known, Listing, relist, scan_folder

MARKER = ".sitegen-output"
_MARKER_TEXT = "This folder is written by sitegen; it is replaced on every build.\n"


def unsafe_output(output: Path, root: Path, protected: list[Path]) -> Diagnostic | None:
    """Why ``output`` must not be cleaned or replaced, or None when it is safe."""
    output, root = output.resolve(), root.resolve()
    home = Path.home().resolve()
    reason = None
    if output == Path(output.anchor):
        reason = "is the file system root"
    elif output == home:
        reason = "is your home folder"
    elif output == root or output in root.parents:
        reason = "is the project folder or one of its parents"
    elif any(output == p.resolve() or p.resolve() in output.parents or output in p.resolve().parents
             for p in protected):
        reason = "overlaps the content, seeds, themes or templates folder"
    elif output.is_symlink() or (output.exists() and not output.is_dir()):
        reason = "is a symbolic link or a file"
    elif output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        reason = "is a non-empty folder that sitegen did not make"
    if reason is None:
        return None
    return error("site.yaml", f"refusing to use output folder {output}: it {reason}",
                 hint="set output_dir in site.yaml (or --output) to a folder of its own, "
                      "such as 'public'")


class OutputFolder:
    """A build's output: new files go to a staging folder beside the output folder (a
    fresh one, or the spare, :meth:`use_spare`), then :meth:`publish` swaps the whole
    folder in (a full build, or a large rebuild staged in the spare) or
    :meth:`publish_changes` moves just the changed files in (a small rebuild).

    A small rebuild's publish first writes a journal; if it is cut off, the next build rolls
    the journal forward before anything else, so the site ends up as the new build.
    """

    def __init__(self, output: Path):
        self.output = output.resolve()
        prefix = self._prefix = f".{self.output.name}.sitegen"
        self.staging = self.fresh = self.output.with_name(f"{prefix}-new-{os.getpid()}")
        self.spare = self.output.with_name(f"{prefix}-spare")
        self._old = self.output.with_name(f"{prefix}-old-{os.getpid()}")
        self.journal = self.output.with_name(f"{prefix}-journal.json")

    def __enter__(self) -> "OutputFolder":
        self.recover()
        self.staging.mkdir(parents=True)
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.fresh, ignore_errors=True)
        if self.journal.is_file():
            return   # a publish was interrupted: the next run completes it
        for leftover in self.output.parent.glob(f"{self._prefix}-*"):
            # again at the end: a killed build's helper may still have been dying at the start
            if (leftover.is_dir() and not leftover.is_symlink() and self.output.exists()
                    and "-trash-" not in leftover.name and leftover != self.spare):
                shutil.rmtree(leftover, ignore_errors=True)

    def recover(self) -> None:
        """Finish a publish that was cut off, then remove what killed builds left behind."""
        if self.journal.is_file():
            try:
                plan = json.loads(self.journal.read_text(encoding="utf-8"))
                self._apply(self.output.with_name(plan["staging"]), plan["write"], plan["remove"])
            except (OSError, ValueError, KeyError):
                pass
            self.journal.unlink(missing_ok=True)
        parent = self.output.parent
        if not parent.is_dir():
            return
        for leftover in parent.glob(f"{self._prefix}-*"):
            if leftover.is_dir() and not leftover.is_symlink():
                if not self.output.exists() and "-old-" in leftover.name:
                    leftover.rename(self.output)  # a swap was cut off half-way: restore
                elif "-trash-" in leftover.name:
                    discard(leftover)             # a deletion that did not finish
                elif leftover == self.spare:
                    continue                      # checked file by file when used
                else:
                    shutil.rmtree(leftover, ignore_errors=True)

    def marker(self) -> str | None:
        """The marker text of the published output, or None."""
        try:
            return (self.output / MARKER).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def scan(self) -> tuple[dict[str, int], list[str]]:
        """The output folder as it is (see :func:`scan_folder`)."""
        return scan_folder(self.output)

    def link_from_output(self, rels: list[str]) -> None:
        """Hard-link published files into the staging folder (a full view for indexing, or
        the unchanged files of a new folder). Files already staged are kept."""
        made: set[str] = set()
        staging, output = str(self.staging), str(self.output)
        for rel in rels:
            parts = self.check(rel).parts
            rel = "/".join(parts)
            _make_folders(staging, parts[:-1], made)
            try:
                os.link(os.path.join(output, rel), os.path.join(staging, rel))
            except FileExistsError:
                continue

    @staticmethod
    def check(rel: str) -> PurePosixPath:
        """``rel`` as a path that stays inside the folder; refuses anything else."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"unsafe output path {rel!r}")
        return pure

    def use_spare(self, keep: set[str], listed: "Listing | None" = None) -> dict[str, int]:
        """Make the spare the staging folder (an empty one when there is none), holding
        only regular files named in ``keep`` (the outputs this build may have, and the
        published ones). Returns them with their inode numbers. Anything else in it
        (links, stray files, emptied folders) is deleted first, so nothing in it can
        send a write elsewhere or stand where a folder must go. ``listed``: the spare as
        :func:`scan_folder` found it earlier in this build, if it was a folder then."""
        spare = self.spare
        if spare.is_symlink() or (spare.exists() and not spare.is_dir()):
            spare.unlink()
            listed = None
        spare.mkdir(exist_ok=True)
        files, odd = listed if listed is not None else scan_folder(spare)
        stray = odd + [rel for rel in files if rel not in keep]
        for rel in stray:
            files.pop(rel, None)
        self.staging = spare
        self.drop(stray)
        return files

    def drop(self, rels: list[str]) -> None:
        """Delete ``rels`` from the staging folder (those present), and folders left empty."""
        root = os.fspath(self.staging)
        for rel in rels:
            path = os.path.join(root, *self.check(rel).parts)
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError:      # a folder where the file was (EISDIR, or EPERM on macOS)
                if not os.path.isdir(path) or os.path.islink(path):
                    raise
                shutil.rmtree(path)
            _prune_empty(Path(path).parent, self.staging)

    def carry(self, rels: list[str], staged: dict[str, int], published: dict[str, int]) -> None:
        """Make each of ``rels`` in the staging folder the published file (a hard link to
        it), unless it already is: ``staged`` and ``published`` give each file's inode
        number in the staging and the output folder (``staged`` is kept up to date)."""
        made: set[str] = set()
        staging, output = os.fspath(self.staging), os.fspath(self.output)
        for rel in rels:
            inode = staged.get(rel)
            if inode is not None and inode == published.get(rel):
                continue
            parts = self.check(rel).parts
            target = os.path.join(staging, *parts)
            if inode is not None:
                os.unlink(target)
            _make_folders(staging, parts[:-1], made)
            os.link(os.path.join(output, *parts), target)
            staged[rel] = published[rel]

    def publish(self, marker: str = _MARKER_TEXT) -> None:
        """Swap the staging folder in place of the output folder, in one atomic exchange
        where the system has one (Linux), else in two renames. The old site becomes the
        spare (a spare from before is deleted in the background, :func:`discard`)."""
        marker_file = self.staging / MARKER
        marker_file.unlink(missing_ok=True)     # never written through into a published file
        marker_file.write_text(marker, encoding="utf-8")
        with signals_deferred():
            if self.output.exists() and exchange(self.staging, self.output):
                if self.staging != self.spare:   # the staging path holds the old site now
                    self.staging.rename(self._old)
            else:
                if self.output.exists():
                    self.output.rename(self._old)
                self.staging.rename(self.output)
        if self._old.exists():
            self._keep_as_spare(self._old)

    def _keep_as_spare(self, old: Path) -> None:
        """``old`` (the site just replaced) becomes the spare."""
        if self.spare.exists() or self.spare.is_symlink():
            trash = self.output.with_name(
                f"{self._prefix}-trash-{os.getpid()}-{time.monotonic_ns()}")
            try:
                self.spare.rename(trash)
            except OSError:
                shutil.rmtree(self.spare, ignore_errors=True)
            else:
                discard(trash)
        try:
            old.rename(self.spare)
        except OSError:
            shutil.rmtree(old, ignore_errors=True)

    def publish_changes(self, written: list[str], removed: list[str],
                        marker: str = _MARKER_TEXT) -> None:
        """Move the staged files into the output folder and delete ``removed`` ones."""
        (self.staging / MARKER).write_text(marker, encoding="utf-8")
        written = sorted(written) + [MARKER]
        with signals_deferred():
            atomic_write(self.journal, json.dumps(
                {"staging": self.staging.name, "write": written, "remove": sorted(removed)}
            ).encode())
            self._apply(self.staging, written, removed)
            self.journal.unlink(missing_ok=True)

    def _apply(self, staging: Path, written: list[str], removed: list[str]) -> None:
        for rel in written:
            source = staging.joinpath(*self.check(rel).parts)
            if source.is_file():
                os.replace(source, self._real_target(rel))
        for rel in removed:
            target = self.output.joinpath(*self.check(rel).parts)
            if target.is_file() or target.is_symlink():
                target.unlink()
            _prune_empty(target.parent, self.output)

    def _real_target(self, rel: str) -> Path:
        """``output/rel`` with its folders made; a symbolic link planted among them is
        removed, never followed out of the output folder."""
        folder = self.output
        parts = self.check(rel).parts
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                folder.unlink()
            folder.mkdir(exist_ok=True)
        target = folder / parts[-1]
        if target.is_symlink() or target.is_dir():
            shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
        return target


def discard(folder: Path) -> None:
    """Delete ``folder`` (the site a publish replaced) without waiting for it: a detached
    ``rm -rf`` removes it while sitegen goes on. The old copy of a 10,000-article site is
    25,000 files and folders, about 1.5 s of file-system work here, after every rebuild
    that swaps a new folder in. It runs in a session of its own, so that a Ctrl-C in the
    terminal does not cut it short; where no shell can start it, it is deleted here."""
    try:
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" </dev/null >/dev/null 2>&1 &', "sh",
                        str(folder)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       start_new_session=True)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(folder, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False
    where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


@contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM until the block is done: a publish is never cut in two by
    Ctrl-C or a polite kill (SIGKILL cannot be held; the journal covers that)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def write_into(folder: Path, rel: str, data: bytes, made: set[str] | None = None) -> None:
    """Write one file below ``folder`` (a fresh staging folder). Never recreates the folder
    itself: if it is gone, its build was abandoned (killed) and nothing must be written.
    ``made`` remembers the subfolders already made (by this caller) in ``folder``, so a
    file in one of them costs one system call to create and one to write."""
    parts = OutputFolder.check(rel).parts
    root = os.fspath(folder)
    _make_folders(root, parts[:-1], set() if made is None else made)
    # without ``folder``, making its first subfolder or opening the file fails, as it must
    with open(os.path.join(root, *parts), "wb", buffering=0) as handle:
        view = memoryview(data)
        while view:
            view = view[handle.write(view):]


def listing(folder: Path) -> "Listing | None":
    """:func:`scan_folder` of ``folder`` if it is a folder (not a link), else None."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    return scan_folder(folder)


def relisting(folder: Path, known: Known) -> tuple["Listing | None", Known, list[str]]:
    """:func:`listing` of ``folder`` from ``known``, the folders the last one found
    (:func:`listings.relist`): with the folders read again and those gone."""
    if folder.is_symlink() or not folder.is_dir():
        return None, {}, list(known)
    return relist(folder, known)


def replace_into(folder: Path, rel: str, data: bytes, made: set[str] | None = None) -> None:
    """Write one file below ``folder`` (the spare, see :meth:`OutputFolder.use_spare`),
    where an older version of it may be. A file of the spare's own (one link) is
    overwritten in place, so neither an inode nor a folder is made or freed; one that is
    also a published file (hard-linked) is replaced by a new file, never written through.
    Anything else in the way (a folder where the file goes, a file where a folder goes)
    is deleted."""
    parts = OutputFolder.check(rel).parts
    root = os.fspath(folder)
    path = os.path.join(root, *parts)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        fd = None
    except OSError:     # a folder, a link, or a file where one of the folders goes
        _clear_way(root, parts)
        fd = None
    if fd is not None:
        try:
            info = os.fstat(fd)
            if info.st_nlink == 1 and stat.S_ISREG(info.st_mode):
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.ftruncate(fd, len(data))
                return
        finally:
            os.close(fd)
        os.unlink(path)
    try:
        write_into(folder, rel, data, made)
    except (NotADirectoryError, FileExistsError, IsADirectoryError):
        _clear_way(root, parts)
        write_into(folder, rel, data, set())


def _clear_way(root: str, parts: tuple[str, ...]) -> None:
    """Delete what stands where ``root/parts`` must be written: a non-folder in place of
    one of its folders, or anything at the file's own place."""
    current = root
    for part in parts[:-1]:
        current = os.path.join(current, part)
        if os.path.islink(current) or (os.path.lexists(current) and not os.path.isdir(current)):
            os.unlink(current)
    current = os.path.join(current, parts[-1])
    if os.path.isdir(current) and not os.path.islink(current):
        shutil.rmtree(current)
    elif os.path.lexists(current):
        os.unlink(current)


def _make_folders(root: str, parts: tuple[str, ...], made: set[str]) -> None:
    """Make ``root/parts[0]/parts[1]/...`` one level at a time (never ``root`` itself),
    skipping the levels in ``made`` (relative paths; each level made is added)."""
    if not parts or "/".join(parts) in made:    # the common case: a folder made before
        return
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        if sub in made:
            continue
        try:
            os.mkdir(os.path.join(root, sub))
        except FileExistsError:
            pass
        made.add(sub)


def static_files(source: Path) -> list[Path]:
    """Regular files below ``source``, sorted; symbolic links are skipped."""
    return [p for p in sorted(source.rglob("*")) if not p.is_symlink() and p.is_file()]


def _prune_empty(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
