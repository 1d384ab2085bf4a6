"""The output folder: safety checks, a staging folder, and the swap that publishes it.

A build writes into a fresh folder beside the output folder and swaps it in only when
every file is there, so a failed or interrupted build leaves the previous site as it was.
The folder carries a marker file; sitegen never replaces a non-empty folder without it.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .errors import Diagnostic, error
from .fsutil import atomic_write

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
    """A build's output: new files go to a staging folder beside the output folder, then
    :meth:`publish` swaps the whole folder in (a full build) or :meth:`publish_changes`
    moves just the changed files in (an incremental build).

    An incremental publish first writes a journal; if it is cut off, the next build rolls
    the journal forward before anything else, so the site ends up as the new build.
    """

    def __init__(self, output: Path):
        self.output = output.resolve()
        prefix = self._prefix = f".{self.output.name}.sitegen"
        self.staging = self.output.with_name(f"{prefix}-new-{os.getpid()}")
        self._old = self.output.with_name(f"{prefix}-old-{os.getpid()}")
        self.journal = self.output.with_name(f"{prefix}-journal.json")
        self.written: set[str] = set()

    def __enter__(self) -> "OutputFolder":
        self.recover()
        self.staging.mkdir(parents=True)
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.journal.is_file():
            return   # a publish was interrupted: the next run completes it
        for leftover in self.output.parent.glob(f"{self._prefix}-*"):
            # again at the end: a killed build's helper may still have been dying at the start
            if (leftover.is_dir() and not leftover.is_symlink() and self.output.exists()
                    and "-trash-" not in leftover.name):
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
                else:
                    shutil.rmtree(leftover, ignore_errors=True)

    def marker(self) -> str | None:
        """The marker text of the published output, or None."""
        try:
            return (self.output / MARKER).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def scan(self) -> tuple[set[str], list[str]]:
        """The output folder as it is: ``(regular files, other entries)``. Other entries
        (symbolic links, sockets ...) were not made by sitegen and are to be removed."""
        files: set[str] = set()
        odd: list[str] = []
        stack = [(str(self.output), "")]
        while stack:
            folder, prefix = stack.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    rel = prefix + entry.name
                    if entry.is_symlink():
                        odd.append(rel)
                    elif entry.is_dir():
                        stack.append((entry.path, rel + "/"))
                    elif entry.is_file():
                        files.add(rel)
                    else:
                        odd.append(rel)
        return files, sorted(odd)

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

    def target(self, rel: str) -> Path:
        """Where ``rel`` goes in the staging folder."""
        return self.staging.joinpath(*self.check(rel).parts)

    def write(self, rel: str, data: bytes) -> None:
        if rel in self.written:
            raise FileExistsError(rel)
        write_into(self.staging, rel, data)
        self.written.add(rel)

    def copy_static(self, source: Path, prefix: str) -> int:
        """Copy a static folder under ``prefix``; later copies override earlier files.
        Symbolic links are not followed out of the folder."""
        count = 0
        for path in static_files(source):
            rel = f"{prefix}/{path.relative_to(source).as_posix()}"
            target = self.target(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            self.written.add(rel)
            count += 1
        return count

    def publish(self, marker: str = _MARKER_TEXT) -> None:
        """Swap the staging folder in place of the output folder, in one atomic exchange
        where the system has one (Linux), else in two renames. The old site is then
        deleted in the background (:func:`discard`)."""
        (self.staging / MARKER).write_text(marker, encoding="utf-8")
        with signals_deferred():
            if self.output.exists() and exchange(self.staging, self.output):
                self.staging.rename(self._old)
            else:
                if self.output.exists():
                    self.output.rename(self._old)
                self.staging.rename(self.output)
        if self._old.exists():   # renamed first, so that it is never restored as the site
            trash = self.output.with_name(
                f"{self._prefix}-trash-{os.getpid()}-{time.monotonic_ns()}")
            try:
                self._old.rename(trash)
            except OSError:
                shutil.rmtree(self._old, ignore_errors=True)
            else:
                discard(trash)

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
