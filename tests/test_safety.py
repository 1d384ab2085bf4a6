"""Nothing lost, nothing half-done: killed builds, leftovers, atomic page writes, symlinks,
and two builds at once."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Site
from sitegen.lock import LockBusy, build_lock
from sitegen.writer import write_into

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")



def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(site: Site, wait: float = 20.0) -> list[str]:
    """sitegen's folders beside public/, but for the spare (the site a publish replaced,
    kept for the next large rebuild). A spare a publish replaced is deleted in the
    background (``writer.discard``): that is waited for, up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        found = sorted(p.name for p in site.root.iterdir()
                       if ".sitegen-" in p.name and p.name not in (".sitegen-cache",
                                                                   ".public.sitegen-spare"))
        if not any("-trash-" in name for name in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def write_articles(site: Site, version: str, count: int = 150) -> None:
    """A few hundred output pages; ``version`` changes every article's text and title."""
    shutil.rmtree(site.root / "content", ignore_errors=True)
    for i in range(count):
        site.write(f"content/p{i:03d}.md",
                   f"---\ntitle: Story {i} {version}\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
                   f"id: urn:p:{i}\nsource: Source {i % 7}\ntopics: [t{i % 5}, t{i % 3}]\n---\n\n"
                   + f"Paragraph {version}. " * 200 + "\n")


def cli(site: Site, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sitegen", *args, "-q",
                             "--config", str(site.root / "site.yaml")], cwd=site.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> tuple[dict, dict, float]:
    """The complete outputs of the old (A) and new (B) versions, and how long a build takes."""
    outputs, took = {}, 0.0
    for version in ("A", "B"):
        site = Site(tmp_path_factory.mktemp(f"ref{version}") / "site")
        site.write("site.yaml", "title: Big\nbase_url: https://example.org/\n")
        write_articles(site, version)
        started = time.perf_counter()
        process = cli(site, "build")
        assert process.wait(120) == 0, process.stderr.read()
        took = max(took, time.perf_counter() - started)
        outputs[version] = snapshot(site.public)
    assert len(outputs["A"]) > 300 and outputs["A"] != outputs["B"]
    return outputs["A"], outputs["B"], took


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_killed_build_leaves_the_old_site_or_the_new_one_never_a_mix(site: Site, references, sig):
    ref_a, ref_b, took = references
    rng = random.Random(f"{sig}-{os.getpid()}-{time.time_ns()}")
    site.write("site.yaml", "title: Big\nbase_url: https://example.org/\n")
    write_articles(site, "A")
    assert site.run("build").code == 0 and snapshot(site.public) == ref_a
    current, refs = "A", {"A": ref_a, "B": ref_b}
    for trial in range(2):
        target = "B" if current == "A" else "A"
        write_articles(site, target)
        process = cli(site, "build")
        delay = rng.uniform(0.05, took * 1.1)
        time.sleep(delay)
        process.send_signal(sig)
        process.wait(60)
        seen = snapshot(site.public) if site.public.exists() else {}
        assert seen in (refs[current], refs[target]), \
            f"trial {trial}: killed after {delay:.2f}s: a mix of old and new"
        result = site.run("build")                  # the next run finishes the job...
        assert result.code == 0, result.err
        got = snapshot(site.public)
        assert got == refs[target], _difference(got, refs[target], trial, delay)
        assert leftovers(site) == []                # ...and cleans what the killed one left
        current = target


def _difference(got: dict[str, bytes], want: dict[str, bytes], trial: int, delay: float) -> str:
    """Which files a rebuild after a kill got wrong, by name (a rare failure is to be
    understood from its message alone)."""
    extra, missing = sorted(got.keys() - want.keys()), sorted(want.keys() - got.keys())
    differ = sorted(k for k in got.keys() & want.keys() if got[k] != want[k])
    return (f"trial {trial}, killed after {delay:.2f}s: {len(extra)} extra {extra[:8]}, "
            f"{len(missing)} missing {missing[:8]}, {len(differ)} differ {differ[:8]}")


def test_leftover_staging_folders_are_cleaned_on_the_next_run(site: Site):
    site.page("a.md", title="A", id="urn:a")
    assert site.run("build").code == 0
    for name in (".public.sitegen-new-99999", ".public.sitegen-old-99998"):
        (site.root / name / "2024").mkdir(parents=True)
        (site.root / name / "2024" / "junk.html").write_text("half a site")
    assert site.run("build").code == 0
    assert leftovers(site) == []
    assert (site.public / "2024/03/05/a/index.html").is_file()


def test_a_trash_folder_is_deleted_in_the_background_and_never_restored(site: Site):
    """A swap publishes the new site at once; the old one becomes the spare (a spare it
    replaces is renamed to a trash folder and deleted by a detached process). A trash
    folder left by a crash is deleted by the next run, and never taken for the site, even
    when public/ is gone."""
    write_articles(site, "one", count=80)
    assert site.run("build").code == 0
    write_articles(site, "two", count=80)         # more than 64 changes: a swap
    assert site.run("build").code == 0
    assert "Story 79 two" in site.read("feed.xml") and " one<" not in site.read("feed.xml")
    assert leftovers(site) == []
    trash = site.root / ".public.sitegen-trash-4242-1"
    shutil.copytree(site.public, trash)
    (trash / "index.html").write_text("an old site")
    shutil.rmtree(site.public)
    assert site.run("build").code == 0
    assert "Story 79 two" in site.read("feed.xml") and "an old site" not in site.read("index.html")
    assert leftovers(site) == []


def test_a_swap_cut_off_half_way_is_restored(site: Site):
    """Killed between moving the old site aside and moving the new one in."""
    site.page("a.md", title="A", id="urn:a")
    assert site.run("build").code == 0
    old = site.root / ".public.sitegen-old-4242"
    site.public.rename(old)
    site.write("content/a.md", "---\ntitle: A\ndate: 2024-03-05\nid: urn:a\n---\n\n{% broken\n")
    site.write("templates/article.html", "{% extends 'base.html' %}{% block content %}{{ x | nosuch }}{% endblock %}")
    result = site.run("build")                      # this build fails: the old site must come back
    assert result.code == 1
    assert (site.public / "2024/03/05/a/index.html").is_file()
    assert leftovers(site) == []


# ------------------------------------------------------------------ the spare

SPARE = ".public.sitegen-spare"


def story_site(site: Site, versions: dict[int, str], count: int = 100) -> None:
    """``count`` articles; the body of article ``i`` is of version ``versions.get(i, "A")``
    (which shows on its own page and in the feeds, not in other pages' teasers)."""
    site.write("site.yaml", "title: Spare\nbase_url: https://example.org/\nsearch: false\n")
    for i in range(count):
        site.page(f"p{i:03d}.md", title=f"Story {i}", summary=f"Summary {i}.",
                  date=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", id=f"urn:p:{i}",
                  body=f"Paragraph {i} {versions.get(i, 'A')}. " * 50)


def article_page(site: Site, i: int, folder: Path | None = None) -> Path:
    [page] = (folder or site.public).glob(f"2024/*/*/story-{i}/index.html")
    return page


def clean_output(site: Site, tmp_path: Path) -> dict[str, bytes]:
    """The site's inputs built into a new folder."""
    fresh = tmp_path / "fresh"
    assert site.run("build", "-q", "--output", str(fresh)).code == 0
    return snapshot(fresh)


def test_a_large_rebuild_rewrites_the_spare_in_place(site: Site):
    """The site a swap replaced is the next large rebuild's staging folder: its pages are
    rewritten in place (same files, no folders made), then swapped in."""
    story_site(site, {})
    assert site.run("build").code == 0 and not (site.root / SPARE).exists()
    story_site(site, {i: "B" for i in range(80)})
    assert site.run("build").code == 0             # 80 pages and their lists: a swap
    assert "Paragraph 0 B" in article_page(site, 0).read_text()
    spare = site.root / SPARE
    old = article_page(site, 0, spare)             # the replaced site is the spare
    assert "Paragraph 0 A" in old.read_text() and old.stat().st_nlink == 1
    inode = old.stat().st_ino
    story_site(site, {i: "C" for i in range(80)})
    assert site.run("build").code == 0
    page = article_page(site, 0)
    assert "Paragraph 0 C" in page.read_text() and page.stat().st_ino == inode
    assert "Paragraph 0 B" in article_page(site, 0, spare).read_text()


def test_a_failed_large_rebuild_never_writes_through_into_the_published_site(site: Site):
    """Pages a rebuild left alone are hard links shared by the site and the spare; the
    next rebuild must replace them in the spare, never write into them. Here it renders
    every page, then fails on one: the published site is exactly as it was."""
    story_site(site, {})
    assert site.run("build").code == 0
    story_site(site, {i: "B" for i in range(80)})
    assert site.run("build").code == 0
    shared = article_page(site, 90)
    assert shared.stat().st_nlink == 2              # in the site and in the spare
    before = snapshot(site.public)
    site.write("templates/article.html",
               "{% extends 'default/article.html' %}{% block after_article %}<p>New</p>"
               "{% if article.title == 'Story 95' %}{{ nosuch.call() }}{% endif %}"
               "{% endblock %}")
    result = site.run("build")
    assert result.code == 1 and "nosuch" in result.err
    assert snapshot(site.public) == before
    site.write("templates/article.html",
               "{% extends 'default/article.html' %}{% block after_article %}<p>New</p>"
               "{% endblock %}")
    assert site.run("build").code == 0
    assert "<p>New</p>" in shared.read_text() or "<p>New</p>" in article_page(site, 90).read_text()


def test_without_an_atomic_exchange_the_spare_is_swapped_in_by_renames(site: Site,
                                                                       tmp_path: Path,
                                                                       monkeypatch):
    """Where the system cannot exchange two folders (not Linux), the spare goes in by two
    renames and the replaced site becomes the spare all the same."""
    from sitegen import writer
    monkeypatch.setattr(writer, "exchange", lambda a, b: False)
    story_site(site, {})
    assert site.run("build").code == 0
    for version in ("B", "C"):
        before = snapshot(site.public)
        story_site(site, {i: version for i in range(80)})
        assert site.run("build").code == 0
        assert snapshot(site.root / SPARE) == before
        assert f"Paragraph 0 {version}" in article_page(site, 0).read_text()
    assert snapshot(site.public) == clean_output(site, tmp_path)
    assert leftovers(site) == []


def test_a_spare_that_cannot_be_used_is_passed_over(site: Site, tmp_path: Path, monkeypatch):
    """When the spare cannot be cleaned (it is someone else's, say), the large rebuild
    stages in a fresh folder and moves its files in under the journal."""
    from sitegen import writer

    def refuse(self, keep, listed=None):
        raise PermissionError(13, "Permission denied", str(self.spare))

    story_site(site, {})
    assert site.run("build").code == 0
    monkeypatch.setattr(writer.OutputFolder, "use_spare", refuse)
    story_site(site, {i: "B" for i in range(80)})
    result = site.run("build")
    assert result.code == 0, result.err
    assert snapshot(site.public) == clean_output(site, tmp_path)
    assert leftovers(site) == []


def test_nothing_in_the_spare_reaches_the_site_unchecked(site: Site, tmp_path: Path):
    """Stale copies, stray files, links out of the project, a file where a folder goes and
    a folder where a file goes: a large rebuild staged in such a spare publishes the same
    site as a build from scratch, and writes nothing outside."""
    story_site(site, {})
    assert site.run("build").code == 0
    story_site(site, {i: "B" for i in range(80)})
    assert site.run("build").code == 0
    spare = site.root / SPARE
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.html").write_text("mine")
    stale = article_page(site, 90, spare)          # unchanged since: a link to the site's
    stale.unlink()
    stale.write_text("stale copy")
    (spare / "junk.html").write_text("not part of the site")
    target = article_page(site, 3, spare)          # a page the next build rewrites
    target.unlink()
    target.symlink_to(outside / "victim.html")
    (spare / "2024" / "evil").symlink_to(outside, target_is_directory=True)
    shutil.rmtree(spare / "topics")
    (spare / "topics").write_text("a file where a folder goes")
    (spare / "feed.xml").unlink()
    (spare / "feed.xml" / "deep").mkdir(parents=True)
    (spare / "feed.xml" / "deep" / "x.html").write_text("a folder where a file goes")
    story_site(site, {i: "C" for i in range(80)})
    assert site.run("build").code == 0
    assert snapshot(outside) == {"victim.html": b"mine"}
    assert snapshot(site.public) == clean_output(site, tmp_path)


def test_importer_never_leaves_a_half_written_page(site: Site, monkeypatch):
    seed = site.write("seeds/s.txt", "# *Quake*\n---\nMADRID, March 5, 2024 (AP) - First.\n---\n"
                                     "<https://example.org/q>\n")
    assert site.run("import").code == 0
    [page] = (site.root / "content").rglob("*.md")
    before = page.read_bytes()
    seed.write_text(seed.read_text().replace("First.", "Second version. " * 5000))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)   # the page write is cut off mid-way
    result = site.run("import")
    assert result.code == 130 and "Interrupted" in result.err
    assert page.read_bytes() == before
    assert [p.name for p in (site.root / "content").rglob("*") if p.is_file()] == [page.name]
    monkeypatch.undo()
    assert site.run("import").code == 0
    assert b"Second version" in page.read_bytes()


def test_importer_killed_mid_run_never_truncates_a_page(site: Site):
    for i in range(300):
        site.write(f"seeds/s{i:03d}.txt", f"# *Story {i}*\n---\nMADRID, March 5, 2024 (AP) - "
                   + f"Text {i}. " * 300 + f"\n---\n<https://example.org/{i}>\n")
    process = cli(site, "import")
    deadline = time.monotonic() + 60   # killed once it has written a page: mid-run,
    while time.monotonic() < deadline and process.poll() is None and not any(
            (site.root / "content").rglob("*.md")):   # however slow the machine is
        time.sleep(0.01)
    process.kill()
    process.wait(60)
    pages = list((site.root / "content").rglob("*.md"))
    assert pages, "the import wrote nothing in 60 s"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.endswith("\n") and "import_hash:" in text, page
    # a write cut off by SIGKILL may leave its hidden temporary file, never read as a page
    others = [p for p in (site.root / "content").rglob("*") if p.is_file() and p.suffix != ".md"]
    assert all(p.name.startswith(".") and p.suffix == ".tmp" for p in others), others


def test_staged_writes_never_recreate_an_abandoned_staging_folder(tmp_path: Path):
    """A worker of a killed build may still be writing: once its staging folder is gone,
    every write fails, in a subfolder it made before as in a new one, and nothing is made."""
    staging = tmp_path / "staging"
    staging.mkdir()
    made: set[str] = set()
    page = "2024/03/05/a-story/index.html"
    write_into(staging, page, b"<p>one</p>", made)
    write_into(staging, "2024/03/05/b-story/index.html", b"two" * 10_000, made)
    write_into(staging, "robots.txt", b"", made)
    assert snapshot(staging) == {page: b"<p>one</p>",
                                 "2024/03/05/b-story/index.html": b"two" * 10_000,
                                 "robots.txt": b""}
    assert {"2024", "2024/03", "2024/03/05", "2024/03/05/a-story"} <= made
    shutil.rmtree(staging)
    for rel in (page, "2024/03/05/c-story/index.html", "feed.xml"):
        with pytest.raises(FileNotFoundError):
            write_into(staging, rel, b"late", made)
        with pytest.raises(FileNotFoundError):
            write_into(staging, rel, b"late")
    assert not staging.exists()
    with pytest.raises(ValueError):
        write_into(tmp_path, "../outside.html", b"x", set())


# ------------------------------------------------------------------ symbolic links

@pytest.mark.parametrize("spare", [False, True])
def test_a_symlink_in_the_output_folder_never_leads_to_writing_outside(
        site: Site, tmp_path: Path, spare: bool, monkeypatch: pytest.MonkeyPatch):
    """Whichever way the rebuild is staged: in a fresh folder whose files are moved in,
    or in the spare, which is swapped in (where a real folder stands at the link's path)."""
    from sitegen import render
    monkeypatch.setattr(render.SiteRenderer, "_in_spare", lambda self, todo: spare)
    outside = tmp_path / "outside"
    (outside / "2024").mkdir(parents=True)
    (outside / "2024" / "keep.txt").write_text("mine")
    site.page("a.md", title="A", id="urn:a")
    assert site.run("build").code == 0
    (site.public / "2024" / "03").rename(site.root / "moved")
    (site.public / "2024" / "03").symlink_to(outside / "2024", target_is_directory=True)
    (site.public / "static").rename(site.root / "moved-static")
    (site.public / "static").symlink_to(outside, target_is_directory=True)
    (site.root / ".public.sitegen-new-31337").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    assert site.run("build").code == 0
    assert snapshot(outside) == before and (outside / "2024" / "keep.txt").read_text() == "mine"
    assert (site.public / "2024/03/05/a/index.html").is_file()
    assert not (site.public / "2024" / "03").is_symlink()


def test_symlinks_in_static_are_not_followed_out_of_the_project(site: Site, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY")
    site.page("a.md", title="A", id="urn:a")
    site.write("static/ok.txt", "fine")
    (site.root / "static" / "key.txt").symlink_to(secret / "id_rsa")
    assert site.run("build").code == 0
    assert (site.public / "static/ok.txt").read_text() == "fine"
    assert b"PRIVATE KEY" not in b"".join(snapshot(site.public).values())


def test_a_symlinked_folder_in_static_is_not_published(site: Site, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY")
    site.page("a.md", title="A", id="urn:a")
    site.write("static/ok.txt", "fine")
    (site.root / "static" / "ssh").symlink_to(secret, target_is_directory=True)
    assert site.run("build").code == 0
    assert b"PRIVATE KEY" not in b"".join(snapshot(site.public).values())


# ------------------------------------------------------------------ the build lock

def test_the_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path):
    cache = tmp_path / "cache"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from sitegen.lock import build_lock\n"
         f"with build_lock(Path({str(cache)!r})):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy) as busy:
            with build_lock(cache):
                pass
        assert busy.value.pid == holder.pid
        assert str(busy.value) == f"another sitegen build is running (pid {holder.pid})"
    finally:
        holder.kill()                                # even SIGKILL releases it
        holder.wait()
    with build_lock(cache) as path:
        assert path.read_text().strip() == str(os.getpid())
    with build_lock(cache):                          # and it can be taken again
        pass


def test_the_workers_of_a_killed_build_do_not_refuse_the_next_one(tmp_path: Path):
    """A killed build's forked workers share its lock until they die too: here the holder
    exits at once and its forked child keeps the lock for 1.5 s."""
    cache = tmp_path / "cache"
    code = ("import os, time\nfrom pathlib import Path\nfrom sitegen.lock import build_lock\n"
            f"with build_lock(Path({str(cache)!r})):\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(1.5)\n"
            "        os._exit(0)\n"
            "    os._exit(0)\n")
    orphan = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=60)   # not the child's end
    assert orphan.returncode == 0
    with pytest.raises(LockBusy):                    # without patience: refused
        with build_lock(cache, patience=0):
            pass
    started = time.monotonic()
    with build_lock(cache) as path:                  # waited for, then taken
        assert path.read_text().strip() == str(os.getpid())
    assert 0.2 < time.monotonic() - started < 5


def test_a_second_build_while_one_runs_exits_2_and_touches_nothing(site: Site):
    site.page("a.md", title="A", id="urn:a")
    assert site.run("build").code == 0
    before = snapshot(site.public)
    site.page("b.md", title="B", id="urn:b")
    site.write("seeds/new.txt", "# *New*\n---\nText.\n---\n<https://example.org/new>\n")
    with build_lock(site.root / ".sitegen-cache"):
        result = site.run("build")
    assert result.code == 2
    assert f"another sitegen build is running (pid {os.getpid()})" in result.err
    assert snapshot(site.public) == before
    assert sorted(p.name for p in (site.root / "content").rglob("*.md")) == ["a.md", "b.md"]


def test_two_builds_started_at_once_never_corrupt_the_output(site: Site, references):
    ref_a, ref_b, _ = references
    site.write("site.yaml", "title: Big\nbase_url: https://example.org/\n")
    write_articles(site, "B")
    for _ in range(3):
        first, second = cli(site, "build"), cli(site, "build")
        codes = sorted([first.wait(120), second.wait(120)])
        errors = first.stderr.read() + second.stderr.read()
        assert "internal error" not in errors and "Traceback" not in errors, errors
        assert codes in ([0, 0], [0, 2]), errors
        if codes == [0, 2]:
            assert "another sitegen build is running (pid " in errors
        assert snapshot(site.public) == ref_b
        assert leftovers(site) == []
