"""Where the quick rebuild stops paying: k edited pages, the quick way against the full one.

    python benchmarks/quick_limit.py                          # N = 10,000, k = 8 ... 256
    python benchmarks/quick_limit.py --count 1000 --edits 4 16 --runs 3

Makes a site of N generated seeds (as ``bench.py`` does), imports and builds it, then for
each k edits the bodies of k pages chosen at random (a fixed seed per run) and rebuilds,
turn about, the quick way (``sitegen.quick.QUICK_LIMIT`` raised to k if need be) and the
full way (the limit set to 0: every page is read). Prints the median of sitegen's own
build time for each, and the way each build took, so that ``QUICK_LIMIT`` follows a
measurement (sitegen/quick.py says which). Each build starts ``--settle`` seconds after
its edits: a page written less than 2 s before a build is read again by the next one
(sitegen's "racily clean" rule), which would count the last round's pages as edited too.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import make_site, run  # noqa: E402

# a build with the quick way's limit set (``sys.argv[1]``), through the real command line
_BUILD = ("import sys, sitegen.quick as q; q.QUICK_LIMIT = int(sys.argv[1]); "
          "from sitegen.cli import main; sys.exit(main(['build', '--timings']))")


def build(site: Path, limit: int) -> tuple[float, str]:
    """sitegen's own seconds for one build with ``QUICK_LIMIT = limit``, and its way."""
    done = subprocess.run([sys.executable, "-c", _BUILD, str(limit)], cwd=site,
                          capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"the build failed:\n{done.stderr}")
    own = re.search(r"in (\d+) ms", done.stdout)
    if own is None:
        raise SystemExit(f"no build time in:\n{done.stdout}")
    way = "quick" if "quick: check" in done.stdout else "full"
    return int(own.group(1)) / 1000, way


def edit(site: Path, count: int, rng: random.Random) -> None:
    """Append a sentence to the bodies of ``count`` pages chosen by ``rng``."""
    pages = sorted((site / "content").rglob("*.md"))
    for page in rng.sample(pages, min(count, len(pages))):
        with page.open("a", encoding="utf-8") as handle:
            handle.write(f"\nOne more sentence, {rng.random():.6f}.\n")


def measure(site: Path, edits: list[int], runs: int, settle: float
            ) -> list[tuple[int, list, list]]:
    """For each k: the quick way's and the full way's (seconds, way) of every run."""
    found = []
    for k in edits:
        quick, full = [], []
        for n in range(runs):
            for limit, into in ((max(k, 128), quick), (0, full)):   # turn about
                edit(site, k, random.Random(f"{k}/{n}/{limit}"))
                time.sleep(settle)
                into.append(build(site, limit))
        found.append((k, quick, full))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--edits", type=int, nargs="+", default=[8, 32, 64, 128, 256])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--settle", type=float, default=2.1,
                        help="seconds between the edits and the build (see above)")
    args = parser.parse_args(argv)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="sitegen-quick-limit-"))
    site = make_site(root, args.count, search=False)
    run(site, "import", "-q")
    time.sleep(args.settle)
    run(site, "build", "-q")
    print(f"N = {args.count}, {args.runs} runs each, sitegen's own build time (median, "
          "min-max), the way each build took")
    print("| edited pages | quick way | full way |\n| --- | --- | --- |")
    for k, quick, full in measure(site, args.edits, args.runs, args.settle):
        cells = []
        for results in (quick, full):
            seconds = [s for s, _ in results]
            ways = "/".join(sorted({w for _, w in results}))
            cells.append(f"{statistics.median(seconds):.2f} s ({min(seconds):.2f}–"
                         f"{max(seconds):.2f}), {ways}")
        print(f"| {k} | {cells[0]} | {cells[1]} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
