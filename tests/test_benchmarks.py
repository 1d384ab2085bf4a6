"""The benchmark tooling keeps working: the seed generator is deterministic and its seeds
import as the articles they describe, and ``benchmarks/bench.py`` measures every row (its
template edit really changes the article pages) at a small N."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from conftest import REPO
from sitegen.cli import main

sys.path.insert(0, str(REPO / "benchmarks"))
import bench  # noqa: E402
from generate_seeds import generate  # noqa: E402


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_generator_is_deterministic_and_its_seeds_become_the_articles_they_describe(
        tmp_path: Path):
    generate(40, tmp_path / "a")
    generate(40, tmp_path / "b")
    generate(40, tmp_path / "c", seed=2)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")
    texts = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "a").iterdir())]
    bodies = [t.split("\n---\n")[1] for t in texts]
    assert all(380 <= len(b.split()) <= 1000 for b in bodies)     # 400-900 words of prose
    for mark in ("](https://", "*", "\n- ", "\n> "):             # links, emphasis, lists, quotes
        assert sum(mark in b for b in bodies) >= 4, mark
    assert len({re.search(r"<https://([^/]+)/", t).group(1) for t in texts}) >= 6   # publishers

    site = bench.make_site(tmp_path, 40, search=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(["build", "--config", str(site / "site.yaml")], out=out, err=err) == 0, err.getvalue()
    assert len(bench.pages(site)) == 40
    feed = feedparser.parse((site / "public" / "feed.xml").read_bytes())
    titles = {re.search(r"# \*(.*)\*", t).group(1) for t in texts}
    assert feed.entries and {e.title for e in feed.entries} <= titles
    years = {p.parent.parent.name for p in bench.pages(site)}
    assert len(years) >= 3                                        # dates over several years


def test_the_benchmark_measures_every_row_at_a_small_size(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench.py"), "--sizes", "30", "--runs", "1",
         "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"(?m)^\| ([a-z][^|]*?) \| (\d+\.\d+) \(", result.stdout)}
    assert set(rows) == {name for name, _ in bench.steps(serve=True)}
    assert all(float(seconds) > 0 for seconds in rows.values())
    cpu = dict(re.findall(r"(?m)^\| ([a-z][^|]*?) \|.*\| (\d+\.\d+ \+ \d+\.\d+|–) \| [^|]* \|$",
                          result.stdout))
    assert set(cpu) == set(rows)
    serve = {"serve: save to served", "serve: body edit to served"}
    assert all(cpu[name] == "–" for name in serve)
    assert all(float(rows[name]) < 60 for name in serve), rows    # the edit was served
    for name in set(rows) - serve:     # the command and its workers ran
        user, system = (float(x) for x in cpu[name].split(" + "))
        assert user > 0.05 and system >= 0, (name, cpu[name])
    machine = re.search(r"machine: 10 million loop steps took (\d+\.\d+) s before N = 30, "
                        r"(\d+\.\d+) s after", result.stdout)
    assert machine and all(0.05 < float(s) < 60 for s in machine.groups()), result.stdout
    site = tmp_path / "site-30"
    template = (site / "themes" / "default" / "templates" / "article.html").read_text()
    assert '<p class="edition">Edition 0</p>' in template
    article = next((site / "public").glob("20*/*/*/*/index.html")).read_text(encoding="utf-8")
    assert '<p class="edition">Edition 0</p>' in article            # a visible edit
    newest = re.search(r"# \*(.*)\*", (site / "seeds" / "new-0000.txt").read_text()).group(1)
    home = (site / "public" / "index.html").read_text(encoding="utf-8")
    assert newest in html.unescape(home)    # the added seed tops the home page


def test_the_quick_limit_probe_measures_both_ways(tmp_path: Path):
    """``quick_limit.py`` edits k pages and builds each way: the quick way within the
    limit, the full way with it at 0; the edits reach the pages."""
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "quick_limit.py"), "--count", "40",
         "--edits", "1", "3", "--runs", "1", "--settle", "0", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"(?m)^\| (\d+) \| (\d+\.\d+) s [^|]*, (\w+) \| (\d+\.\d+) s [^|]*, "
                      r"(\w+) \|$", result.stdout)
    assert [(k, quick, full) for k, _, quick, _, full in rows] == [
        ("1", "quick", "full"), ("3", "quick", "full")], result.stdout
    assert all(float(a) > 0 and float(b) > 0 for _, a, _, b, _ in rows)
    edited = [p for p in (tmp_path / "site-40" / "public").glob("20*/*/*/*/index.html")
              if "One more sentence" in p.read_text(encoding="utf-8")]
    assert len(edited) >= 3


def test_a_baseline_is_sitegen_as_committed_at_that_revision(tmp_path: Path):
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                      capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    exported = bench.checkout("HEAD", tmp_path)
    committed = subprocess.run(["git", "-C", str(REPO), "show", "HEAD:sitegen/build.py"],
                               capture_output=True, text=True, check=True).stdout
    assert (exported / "sitegen" / "build.py").read_text(encoding="utf-8") == committed


def test_the_disk_probe_writes_pages_as_a_build_stages_them_and_cleans_up(tmp_path: Path):
    import disk
    rels = disk.page_paths(60)
    assert len(set(rels)) == 60 and len({r.rsplit("/", 2)[0] for r in rels}) > 20
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "disk.py"), "--count", "60", "--rounds", "2",
         "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"(?m)^\| (fresh folder|just after deleting 60 pages) .*\| (\d+\.\d+) \|$",
                      result.stdout)
    assert [name for name, _ in rows] == ["fresh folder"] + ["just after deleting 60 pages"] * 2
    assert list(tmp_path.iterdir()) == []          # its scratch trees are gone
