"""How creating files on this disk depends on what was deleted just before.

Writes N pages the way a build stages them (``YYYY/MM/DD/slug/index.html``, one folder
each), first into a fresh folder, then again right after deleting a tree of the same
size, and prints the seconds of each. On ext4 without a journal, an inode freed in the
last minute (up to five while its inode-table block is not yet written back) is skipped
by the allocator, which looks each one up: creations soon after a large deletion slow down.

    python benchmarks/disk.py [--count 10000] [--rounds 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sitegen.writer import write_into  # noqa: E402

PAGE = b"<!DOCTYPE html>\n" + b"<p>An article page of about eighteen kilobytes.</p>\n" * 350


def page_paths(count: int) -> list[str]:
    """``count`` article outputs spread over dates, one folder each."""
    return [f"{2020 + i % 5}/{1 + i % 12:02d}/{1 + i % 28:02d}/story-{i}/index.html"
            for i in range(count)]


def write_tree(folder: Path, rels: list[str]) -> float:
    """Seconds to stage ``rels`` into the new folder ``folder``."""
    folder.mkdir(parents=True)
    made: set[str] = set()
    started = time.perf_counter()
    for rel in rels:
        write_into(folder, rel, PAGE, made)
    return time.perf_counter() - started


def measure(root: Path, count: int, rounds: int) -> list[tuple[str, float]]:
    """``(what, seconds)`` of each write: into fresh space, then after each deletion."""
    rels = page_paths(count)
    rows = [("fresh folder", write_tree(root / "tree-0", rels))]
    for n in range(1, rounds + 1):
        started = time.perf_counter()
        shutil.rmtree(root / f"tree-{n - 1}")
        deleted = time.perf_counter() - started
        rows.append((f"just after deleting {count:,} pages ({deleted:.2f} s)",
                     write_tree(root / f"tree-{n}", rels)))
    shutil.rmtree(root / f"tree-{rounds}")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="scratch folder on the disk to test "
                        "(default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
        print(f"| writing {args.count:,} pages in {args.count:,} folders | seconds |")
        print("| --- | --- |")
        for what, seconds in measure(Path(scratch), args.count, args.rounds):
            print(f"| {what} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
