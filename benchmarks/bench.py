"""Build-speed and memory benchmark at newsroom scale.

    python benchmarks/bench.py                    # N = 1,000 and 10,000, 3 runs each
    python benchmarks/bench.py --sizes 1000 --runs 5
    python benchmarks/bench.py --huge             # adds N = 100,000 (takes a while)
    python benchmarks/bench.py --search           # with the Pagefind index (search: true)

For each N it generates N seeds (benchmarks/generate_seeds.py, deterministic) in a
scratch folder with the project's site.yaml and a copy of the default theme, and runs
the real command line in a fresh process for every measurement:

- import of N new seeds (empty content/ and cache)
- cold build (no cache, no output)
- no-change rebuild
- rebuild after editing one article's body
- rebuild after editing one article's title (its slug, made from the title, changes: the
  article moves to another URL)
- rebuild after changing one article's topics (to other topics of the taxonomy)
- build after adding one seed, newer than every article (today's news: it is imported,
  and every page of the lists it tops shifts)
- rebuild after editing one template (article.html: a visible line on every article
  page, so 10,000 pages are rendered and written), cache warm
- save-to-served latency of the dev server for a one-article title edit (the slug, made
  from the title, changes with it: the article moves) and for a body edit

Each figure is the median of the runs, with min and max: wall time of the command
(interpreter start-up included), sitegen's own build time, peak resident memory (RSS)
of the process and its workers, and their CPU seconds in user mode + in the kernel (the
kernel share is file-system work, which swings most on this machine's disk, see
``disk.py``). Machines are shared and noisy: compare medians.

    python benchmarks/bench.py --sizes 10000 --baseline HEAD~3 --runs 5 --no-serve

compares with sitegen as it was at a git revision: its ``sitegen/`` is exported into the
scratch folder and put first on PYTHONPATH, a second copy of the site is made, and every
measurement alternates between the two versions (same seeds and theme), so that the
machine's drift falls on both. Each row is printed for both, then the change of the
medians (build time, or wall time for the import and the dev server).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from generate_seeds import generate, newest  # noqa: E402

TARGETS = {  # at N = 10,000 (issue 4)
    "import": "< 5 s", "cold build": "< 10 s", "no-change rebuild": "< 1 s",
    "edit one body": "< 0.3 s", "edit one title": "< 0.3 s",
    "change one article's topics": "< 0.3 s",
    "edit one template": "< 5 s", "serve: save to served": "",
}


def _environment(extra: dict | None) -> dict:
    """This process's environment with ``extra`` (a baseline's PYTHONPATH) added."""
    return {**os.environ, **(extra or {})}


Result = tuple[float, float | None, int, float | None, float | None]
"""Wall seconds, sitegen's own seconds, peak RSS in MB, and the CPU seconds in user mode
and in the kernel of the command and its workers (None where not measured)."""


def run(site: Path, *args: str, env: dict | None = None) -> Result:
    """The :data:`Result` of one command; ``env`` adds to the environment (a baseline's
    PYTHONPATH)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sitegen", *args, "--config",
                                str(site / "site.yaml")], cwd=site, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=_environment(env))
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"sitegen {' '.join(args)} failed ({process.returncode}):\n{err}")
    own = re.search(r"in (\d+) ms", out)
    # the children's usage: the command and its workers, the only ones of this process
    # tree (``measured``); peak RSS is the largest of them (ru_maxrss is KB)
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (wall, (int(own.group(1)) / 1000 if own else None), usage.ru_maxrss // 1024,
            usage.ru_utime, usage.ru_stime)


CALIBRATION = "import time\nt = time.perf_counter()\nx = 0\nfor i in range({steps}): x += i\n" \
              "print(time.perf_counter() - t)"


def machine_speed(steps: int = 10_000_000) -> float:
    """Seconds a fresh Python process takes for a fixed loop of ``steps`` additions: the
    machine's speed at the moment (shared machines drift by half within an hour), printed
    before and after each size so that figures of different hours can be compared (the
    same loop three times as long took 2.6 s in the quickest hours of this project's
    machine and 5.2 s in the slowest: 10 million steps, about 0.9 and 1.7 s)."""
    done = subprocess.run([sys.executable, "-c", CALIBRATION.format(steps=steps)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout)


def measured(fn, runs: int) -> list[Result]:
    """Run ``fn`` (which prepares and then measures one run) ``runs`` times, each in a
    fresh child process tree so that peak memory is that run's own."""
    results = []
    for n in range(runs):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                os.write(write, " ".join(map(str, fn(n))).encode())
            finally:
                os._exit(0)
        os.close(write)
        data = os.read(read, 200).decode().split()
        os.waitpid(pid, 0)
        if len(data) != 5:
            raise SystemExit("a measurement failed")
        user, system = (None if v == "None" else float(v) for v in data[3:])
        results.append((float(data[0]), None if data[1] == "None" else float(data[1]),
                        int(data[2]), user, system))
    return results


def make_site(root: Path, count: int, search: bool) -> Path:
    site = root / f"site-{count}"
    shutil.rmtree(site, ignore_errors=True)
    generate(count, site / "seeds")
    config = (REPO / "site.yaml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^search:.*$", "", config) + f"\nsearch: {'true' if search else 'false'}\n"
    (site / "site.yaml").write_text(config, encoding="utf-8")
    shutil.copytree(REPO / "themes" / "default", site / "themes" / "default")
    return site


def set_aside(site: Path, *names: str) -> None:
    """Move the site's ``names`` (its output, cache or content) out of the way, into the
    site's ``.trash`` folder, deleted when the size is done (:func:`benchmark`). Deleting
    them here instead would slow the build measured next on a disk like this machine's:
    ext4 without a journal does not reuse an inode freed in the last minutes, and looks
    each such inode up while it searches (``disk.py``, README "Performance"); a rename
    frees nothing."""
    trash = site / ".trash"
    trash.mkdir(exist_ok=True)
    for name in names:
        if (site / name).exists():
            (site / name).rename(trash / f"{name}-{time.time_ns()}")


def pages(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


def serve_latency(site: Path, n: int, env: dict | None = None, body: bool = False) -> Result:
    """Seconds from saving a title edit (``body``: a paragraph added to the body) of the
    newest article to the dev server serving the home page with the new title (its own
    page with the new paragraph)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", str(port),
                               "-q", "--config", str(site / "site.yaml")], cwd=site,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=_environment(env))
    try:
        page = max(pages(site), key=lambda p: re.search(r"(?m)^date: (.*)$", p.read_text(
            encoding="utf-8")).group(1))       # the newest article: it is on the home page
        text = page.read_text(encoding="utf-8")
        slug_match = re.search(r"(?m)^title: (.*)$", text)
        served = re.search(r"(?m)^date: (\d{4})-(\d\d)-(\d\d)", text)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:   # wait for the first build to be served
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)
        marker = f"Benchmark edit {n} {time.time_ns()}"
        url = f"http://127.0.0.1:{port}/"
        if body:   # its own page: /YYYY/MM/DD/<slug>/, the slug made from the title as
            # the file's name was (the importer names the page by its slug)
            url += f"{'/'.join(served.groups())}/{page.stem}/"
            urllib.request.urlopen(url, timeout=5).read()    # there before the edit
            page.write_text(f"{text}\n{marker}.\n", encoding="utf-8")
        else:
            page.write_text(text.replace(slug_match.group(0), f"title: {marker}", 1),
                            encoding="utf-8")
        saved = time.perf_counter()
        while time.perf_counter() - saved < 120:
            try:
                html = urllib.request.urlopen(url, timeout=5).read()
                if marker.encode() in html:
                    break
            except OSError:
                pass
            time.sleep(0.02)
        latency = time.perf_counter() - saved
        page.write_text(text, encoding="utf-8")
    finally:
        server.terminate()
        server.wait(30)
    return latency, None, 0, None, None


def steps(serve: bool) -> list[tuple[str, object]]:
    """The measurements, in order: ``(name, fn(site, env, n))``, each preparing its run
    ``n`` on ``site`` and then measuring one command."""

    def fresh_import(site, env, _):
        set_aside(site, "content", ".sitegen-cache")
        return run(site, "import", "-q", env=env)

    def cold(site, env, _):
        set_aside(site, "public", ".public.sitegen-spare", ".sitegen-cache")
        return run(site, "build", env=env)

    def no_change(site, env, _):
        return run(site, "build", env=env)

    def edit_body(site, env, n):
        page = pages(site)[n * 37 % len(pages(site))]
        page.write_text(page.read_text(encoding="utf-8") + f"\nA corrected paragraph {n}.\n",
                        encoding="utf-8")
        return run(site, "build", env=env)

    def edit_title(site, env, n):
        """A new headline: the slug follows the title, so the article moves to a new URL."""
        page = pages(site)[(n * 41 + 7) % len(pages(site))]
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^title: ['\"]?", lambda m: f"{m.group(0)}Revised {n} ", text, count=1)
        page.write_text(text, encoding="utf-8")
        return run(site, "build", env=env)

    def edit_topics(site, env, n):
        page = pages(site)[(n * 53 + 11) % len(pages(site))]
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^topics:\n(  - .*\n)*", "topics:\n  - science\n  - health\n", text)
        page.write_text(text, encoding="utf-8")
        return run(site, "build", env=env)

    def add_seed(site, env, n):
        """Today's news: a new seed, newer than every article, imported and built. It tops
        the home page and the lists it is on, so every later page of those lists shifts."""
        newest(n, site / "seeds")
        return run(site, "build", env=env)

    def edit_template(site, env, n):
        """A visible change to every article page (a line before the end of its block), so
        that all 10,000 pages are rendered, written and published, as after a real edit."""
        template = site / "themes" / "default" / "templates" / "article.html"
        text = template.read_text(encoding="utf-8")
        end = text.rindex("{% endblock %}")
        template.write_text(f'{text[:end]}<p class="edition">Edition {n}</p>\n{text[end:]}',
                            encoding="utf-8")
        return run(site, "build", env=env)

    found = [("import", fresh_import), ("cold build", cold), ("no-change rebuild", no_change),
             ("edit one body", edit_body), ("edit one title", edit_title),
             ("change one article's topics", edit_topics), ("add one seed", add_seed),
             ("edit one template", edit_template)]
    if serve:
        found.append(("serve: save to served", lambda site, env, n: serve_latency(site, n, env)))
        found.append(("serve: body edit to served",
                      lambda site, env, n: serve_latency(site, n, env, body=True)))
    return found


def benchmark(root: Path, count: int, runs: int, search: bool, serve: bool,
              baseline: Path | None = None) -> None:
    """Measure N = ``count``. With ``baseline`` (sitegen's source at another revision),
    each measurement alternates between that version and this one, on two copies of the
    same site, and the rows of both are printed with the change of the medians."""
    print(f"(N = {count:,}: generating seeds in {root})", file=sys.stderr, flush=True)
    site = make_site(root, count, search)
    versions = [("", site, None)]
    if baseline is not None:
        twin = root / f"{site.name}-baseline"
        shutil.rmtree(twin, ignore_errors=True)
        shutil.copytree(site, twin)
        versions = [("baseline", twin, {"PYTHONPATH": str(baseline)}), ("current", site, None)]
    for name, fn in steps(serve):
        rows: dict[str, list] = {label: [] for label, _, _ in versions}
        for n in range(runs):
            for label, where, env in (versions if n % 2 == 0 else versions[::-1]):
                rows[label] += measured(lambda _, w=where, e=env, n=n: fn(w, e, n), 1)
        if name == "import":
            for _, where, env in versions:
                run(where, "build", env=env)     # the builds below start from an imported site
        for label, _, _ in versions:
            report_row(f"{name} ({label})" if label else name, rows[label], count)
        if baseline is not None:
            report_change(name, rows["baseline"], rows["current"])
    for _, where, _ in versions:
        shutil.rmtree(where / ".trash", ignore_errors=True)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def report_change(name: str, before: list, after: list) -> None:
    """The change of the median build time (or wall time, where sitegen gives none)."""
    column = 1 if all(r[1] is not None for r in before + after) else 0
    old = statistics.median(r[column] for r in before)
    new = statistics.median(r[column] for r in after)
    print(f"| {name}: change | {new - old:+.2f} s ({(new - old) / old:+.0%}) | | | | |",
          flush=True)


def report_row(name: str, results: list, count: int) -> None:
    walls = [r[0] for r in results]
    owns = [r[1] for r in results if r[1] is not None]
    peaks = [r[2] for r in results if r[2]]
    cpu = [(r[3], r[4]) for r in results if r[3] is not None and r[4] is not None]
    target = TARGETS.get(name, "") if count == 10_000 else ""
    print(f"| {name} | {spread(walls)} | {spread(owns) if owns else '–'} | "
          f"{int(statistics.median(peaks)) if peaks else '–'} | {_cpu(cpu)} | {target} |",
          flush=True)


def _cpu(usage: list[tuple[float, float]]) -> str:
    """Median CPU seconds in user mode + in the kernel: what the command (and its workers)
    computed, against what the file system cost; the kernel share is what swings most on
    a disk like this machine's (README, "Performance")."""
    if not usage:
        return "–"
    return (f"{statistics.median(u for u, _ in usage):.2f} + "
            f"{statistics.median(s for _, s in usage):.2f}")


def checkout(revision: str, root: Path) -> Path:
    """sitegen's source at ``revision``, exported (git archive) into the scratch folder."""
    target = root / "baseline-source"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "sitegen"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--huge", action="store_true", help="also N = 100,000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--search", action="store_true", help="build the Pagefind index too")
    parser.add_argument("--no-serve", action="store_true", help="skip the dev-server latency")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure sitegen at git revision REV, alternating runs")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.huge else [])
    root = args.workdir or Path(tempfile.mkdtemp(prefix="sitegen-bench-"))
    print(f"sitegen benchmark: {os.cpu_count()} cores, runs={args.runs}, "
          f"search={'on' if args.search else 'off'}, scratch {root}")
    print("\n| measure | wall s, median (min–max) | build s (sitegen's own) | peak RSS MB "
          "| CPU s, user + system | target at 10k |")
    print("| --- | --- | --- | --- | --- | --- |")
    baseline = checkout(args.baseline, root) if args.baseline else None
    for count in sizes:
        before = machine_speed()
        print(f"| **N = {count:,}** | | | | | |", flush=True)
        benchmark(root, count, args.runs if count < 100_000 else 1, args.search,
                  not args.no_serve, baseline)
        print(f"| (machine: 10 million loop steps took {before:.2f} s before N = {count:,}, "
              f"{machine_speed():.2f} s after) | | | | | |", flush=True)
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
