"""The output folder: safety checks, a staging folder, and the swap that publishes it.

A build writes into a fresh folder beside the output folder and swaps it in only when
every file is there, so a failed or interrupted build leaves the previous site as it was.
The folder carries a marker file; sitegen never replaces a non-empty folder without it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from .errors import Diagnostic, error

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
    """Collects a build's files in a staging folder; :meth:`publish` swaps it in."""

    def __init__(self, output: Path):
        self.output = output.resolve()
        self.staging = self.output.with_name(f".{self.output.name}.sitegen-new-{os.getpid()}")
        self._old = self.output.with_name(f".{self.output.name}.sitegen-old-{os.getpid()}")
        self.written: set[str] = set()

    def __enter__(self) -> "OutputFolder":
        self._clean_leftovers()
        self.staging.mkdir(parents=True)
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def _clean_leftovers(self) -> None:
        """Remove staging folders left by builds that were killed."""
        parent = self.output.parent
        if not parent.is_dir():
            return
        for leftover in parent.glob(f".{self.output.name}.sitegen-*"):
            if leftover.is_dir() and not leftover.is_symlink():
                if not self.output.exists() and "-old-" in leftover.name:
                    leftover.rename(self.output)  # a swap was cut off half-way: restore
                else:
                    shutil.rmtree(leftover, ignore_errors=True)

    def target(self, rel: str) -> Path:
        """Where ``rel`` goes in the staging folder; refuses paths that leave it."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"unsafe output path {rel!r}")
        return self.staging.joinpath(*pure.parts)

    def write(self, rel: str, data: bytes) -> None:
        if rel in self.written:
            raise FileExistsError(rel)
        path = self.target(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.add(rel)

    def copy_static(self, source: Path, prefix: str) -> int:
        """Copy a static folder under ``prefix``; later copies override earlier files.
        Symbolic links are not followed out of the folder."""
        count = 0
        for path in sorted(source.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            rel = f"{prefix}/{path.relative_to(source).as_posix()}"
            target = self.target(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            self.written.add(rel)
            count += 1
        return count

    def publish(self) -> None:
        """Swap the staging folder in place of the output folder."""
        (self.staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        if self.output.exists():
            self.output.rename(self._old)
        self.staging.rename(self.output)
        shutil.rmtree(self._old, ignore_errors=True)
