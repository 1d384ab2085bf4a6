"""Incremental builds: after any sequence of edits the output equals a clean full build.

A random sequence of edits, creates, renames, deletes, template, stylesheet and config
changes is applied to a site; after every step the site is rebuilt incrementally, and
every few steps the result is compared, byte for byte, with a build from scratch (fresh
cache, fresh output folder).
"""

from __future__ import annotations

import io
import random
import re
import shutil
import sqlite3

import pytest

from conftest import Site
from sitegen import render
from sitegen.cli import main

CONFIG = "title: Incremental\nbase_url: https://example.org/news/\nsearch: false\n" \
         "pagination:\n  per_page: {per_page}\ncache_dir: {cache}\noutput_dir: {output}\n"
TOPICS = ["world", "economy", "health", "science", "Elections 2024"]
SOURCES = ["Wire One", "Wire Two", "The Daily", None]
TEMPLATE = ("{% extends 'default/article.html' %}{% block after_article %}"
            "<p class=\"marker\">{{ article.title | upper }} v{n}</p>{% endblock %}")


class Editor:
    """Random, valid-or-invalid changes to a site's inputs."""

    def __init__(self, site: Site, rng: random.Random, search: bool = False):
        self.site, self.rng, self.serial, self.search = site, rng, 0, search

    def pages(self):
        return sorted((self.site.root / "content").rglob("*.md"))

    def new_page(self) -> None:
        self.serial += 1
        n, rng = self.serial, self.rng
        topics = rng.sample(TOPICS, rng.randint(0, 2))
        source = rng.choice(SOURCES)
        meta = {"title": f"Story {n} {rng.choice(['rises', 'falls', 'waits'])}",
                "date": f"2024-0{rng.randint(1, 3)}-{rng.randint(1, 5):02d}", "id": f"urn:s:{n}",
                "topics": "[" + ", ".join(topics) + "]"}
        if source:
            meta["source"] = source
        if rng.random() < 0.2:
            meta["slug"] = f"fixed-{n}"
        self.site.page(f"{rng.choice(['a', 'b'])}/p{n}.md", body=f"Body {n}. " * rng.randint(5, 40),
                       **{k: v for k, v in meta.items() if k not in ("title", "date")},
                       title=meta["title"], date=meta["date"])

    def edit(self, replace_from: str, replace_to: str) -> None:
        pages = self.pages()
        if not pages:
            return self.new_page()
        page = self.rng.choice(pages)
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace(replace_from, replace_to, 1), encoding="utf-8")

    def step(self) -> str:
        rng, site = self.rng, self.site
        action = rng.choice(["new", "new", "body", "body", "title", "date", "topics", "delete",
                             "rename", "draft", "broken", "template", "css", "per_page", "seed",
                             "summary", "touch", "left_out"])
        pages = self.pages()
        if action == "new" or not pages:
            self.new_page()
        elif action == "body":
            page = rng.choice(pages)
            page.write_text(page.read_text(encoding="utf-8") + f"\nMore {rng.random()}.\n",
                            encoding="utf-8")
        elif action == "summary":   # the same structure: a quick rebuild
            self.edit("---\n\n", f"summary: Now {rng.randint(0, 99)}\n---\n\n")
        elif action == "touch":
            page = rng.choice(pages)
            page.write_bytes(page.read_bytes())
        elif action == "title":
            self.edit("title: 'Story", f"title: 'Changed {rng.randint(0, 99)}")
        elif action == "date":
            self.edit("date: 2024-0", f"date: 2023-1{rng.randint(0, 2)}-0{rng.randint(1, 9)}\nx: ")
        elif action == "topics":
            self.edit("topics: [", f"topics: [{rng.choice(TOPICS)}, ")
        elif action == "delete":
            rng.choice(pages).unlink()
        elif action == "rename":
            page = rng.choice(pages)
            page.rename(page.with_name(f"renamed-{self.serial}-{page.name}"))
        elif action == "draft":
            self.edit("---\n\n", "draft: true\n---\n\n") if rng.random() < 0.5 else \
                self.edit("draft: true\n", "")
        elif action == "broken":
            self.edit("title:", "title: [unclosed")
        elif action == "template":
            site.write("templates/article.html", TEMPLATE.replace("{n}", str(rng.randint(0, 3))))
        elif action == "css":
            site.write("static/extra.css", f"p {{ margin: {rng.randint(0, 9)}px }}\n")
        elif action == "per_page":
            self.configure(rng.choice([2, 3, 5]))
        elif action == "seed":
            self.serial += 1
            site.write(f"seeds/s{self.serial}.txt",
                       f"# *Seeded story {self.serial}*\n---\nMADRID, March 4, 2024 (AP) - Text "
                       f"{self.serial}.\n---\n<https://example.org/s{self.serial}>\n**Wire One**\n")
        elif action == "left_out":   # a seed the import leaves out: a duplicate, or empty
            self.serial += 1
            earlier = rng.randint(1, self.serial)
            site.write(f"seeds/d{self.serial}.txt", "" if rng.random() < 0.3 else
                       f"# *Told again {self.serial}*\n---\nMADRID, March 4, 2024 (AP) - Text "
                       f"{earlier}.\n---\n<https://example.org/s{earlier}>\n**Wire Two**\n")
        return action

    def configure(self, per_page: int) -> None:
        self.per_page = per_page
        self.site.write("site.yaml", _searched(CONFIG.format(
            per_page=per_page, cache=".cache-inc", output="public"), self.search))


def _searched(config: str, search: bool) -> str:
    return config.replace("search: false", "search: true") if search else config


def clean_build(site: Site, per_page: int, search: bool = False) -> dict[str, bytes]:
    """The same inputs built from scratch: fresh cache, fresh output folder."""
    for name in (".cache-clean", "clean"):
        shutil.rmtree(site.root / name, ignore_errors=True)
    site.write("clean.yaml", _searched(CONFIG.format(per_page=per_page, cache=".cache-clean",
                                                     output="clean"), search))
    code = main(["build", "-q", "--config", str(site.root / "clean.yaml")], out=io.StringIO(),
                err=io.StringIO())
    assert code in (0, 1)
    return site.files(site.root / "clean")


@pytest.mark.parametrize("staging", ["default", "spare"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_always_match_a_clean_build(site: Site, seed: int, staging: str,
                                                 monkeypatch):
    """``default``: most of these small rebuilds move their files in under a journal;
    ``spare``: every rebuild stages in the spare folder (the site replaced before, its
    files checked against the published ones) and swaps it in."""
    if staging == "spare":
        monkeypatch.setattr(render, "SMALL_CHANGE", 0)
    _random_edits(site, seed, staging)


def test_random_edits_with_search_always_match_a_clean_build(site: Site):
    """With search on, every rebuild that changes an article page makes the Pagefind
    bundle again, in the spare: over the new site's article pages only."""
    from sitegen.search import pagefind_executable
    if not pagefind_executable():
        pytest.skip("pagefind-bin is not installed")
    _random_edits(site, 4, "spare", search=True)


def _random_edits(site: Site, seed: int, staging: str, search: bool = False) -> None:
    rng = random.Random(seed)
    editor = Editor(site, rng, search)
    editor.configure(3)
    for _ in range(8):
        editor.new_page()
    assert site.run("build", "-q").code in (0, 1)
    history = []
    for step in range(36):
        history.append(editor.step())
        result = site.run("build", "-q")
        assert result.code in (0, 1), (history, result.err)
        assert "internal error" not in result.err, (history, result.err)
        if step % 4 == 3:
            assert site.files() == clean_build(site, editor.per_page, search), history
    if staging == "spare":
        assert (site.root / ".public.sitegen-spare").is_dir()
    assert site.files() == clean_build(site, editor.per_page, search), history
    if staging == "spare":
        assert (site.root / ".public.sitegen-spare").is_dir()


def test_random_edits_seen_by_the_watcher_rebuild_to_match_a_clean_build(site: Site,
                                                                        monkeypatch):
    """The dev server's way: a real watcher's change sets, each rebuild looking only at
    the paths the events named (the content folder is not walked again but after a
    change of site.yaml), match a clean build after every few edits."""
    import time
    from sitegen import snapshot
    from sitegen.config import load_config
    from sitegen.watcher import ConfigSource, Rebuilder, SiteWatcher
    rng = random.Random(4)
    editor = Editor(site, rng)
    editor.configure(3)
    for _ in range(8):
        editor.new_page()
    config = load_config(site.root / "site.yaml")
    walks, real_walk = [], snapshot._walk
    monkeypatch.setattr(snapshot, "_walk", lambda folder, files: walks.append(folder)
                        or real_walk(folder, files))
    rebuilder = Rebuilder(ConfigSource(site.root / "site.yaml"), config)
    history, walked_content = [], []

    def settle(wait: float) -> None:   # the build's own writes (imports) come as events too
        while (changes := watcher.next_changes(timeout=wait)) is not None:
            walks.clear()
            outcome = rebuilder.rebuild(changes)
            assert outcome.result is not None, (history, outcome.problems)
            if str(config.content_dir) in walks:
                walked_content.append(outcome.config_changed)
            wait = 0.5

    with SiteWatcher.for_site(config, quiet=0.3) as watcher:
        time.sleep(0.2)
        assert rebuilder.rebuild().result is not None
        for step in range(16):
            history.append(editor.step())
            settle(10.0)
            if step % 4 == 3:
                assert site.files() == clean_build(site, editor.per_page), history
    assert all(walked_content), history


def test_edits_that_keep_the_structure_rebuild_quickly_and_match_a_clean_build(site: Site):
    """Body, summary and title edits (of pages with a fixed slug), and files saved again
    unchanged, keep the site's structure: the rebuild patches the last index and renders
    only the pages showing the edited articles (the "quick" stages). Any other change,
    or an edit of a page with a problem, takes the full build; a template edit keeps the
    last index. All match a clean build."""
    rng = random.Random(7)
    editor = Editor(site, rng)
    editor.configure(3)
    for _ in range(14):
        editor.new_page()
    site.page("a/warned.md", title="Warned", date="2024-02-02", id="urn:w",
              source_url="ftp://example.org/w")
    assert site.run("build", "-q").code == 0

    def build(expect_quick: bool) -> None:
        result = site.run("build", "--timings")
        assert result.code == 0 and result.err.count("not an http(s) URL") == 1, result.err
        assert ("quick: check" in result.out) is expect_quick, result.out
        assert site.files() == clean_build(site, editor.per_page)

    pages = [p for p in editor.pages() if "warned" not in p.name]
    for step in range(10):
        chosen = rng.sample(pages, rng.choice([1, 1, 2]))
        for page in chosen:
            text = page.read_text(encoding="utf-8")
            kind = rng.choice(["body", "summary", "title", "touch"])
            if kind == "body":
                text += f"\nMore *{step}*.\n"
            elif kind == "summary":
                text = text.replace("---\n\n", f"summary: Step {step}\n---\n\n", 1)
            elif kind == "title" and "slug: fixed" in text:
                text = text.replace("title: 'Story", f"title: 'Step {step} story", 1)
            page.write_text(text, encoding="utf-8")
        build(expect_quick=True)
    assert "Step" in "".join(site.read(p) for p in site.files() if p.endswith(".html"))
    page = rng.choice(pages)
    page.write_text(page.read_text(encoding="utf-8").replace("topics: [", "topics: [health, ", 1),
                    encoding="utf-8")
    build(expect_quick=False)     # another structure
    warned = site.root / "content/a/warned.md"
    warned.write_text(warned.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(expect_quick=False)     # its warning is reported again by a full build
    site.page("b/new.md", title="New", date="2024-03-03", id="urn:new")
    build(expect_quick=False)     # a new page
    page.write_text(page.read_text(encoding="utf-8") + "\nAgain.\n", encoding="utf-8")
    build(expect_quick=True)      # after a full build, quick again
    site.write("templates/article.html", TEMPLATE.replace("{n}", "9"))
    result = site.run("build", "--timings")   # no page changed: the last index is kept
    assert result.code == 0 and "index (kept)" in result.out and "read and import" not in \
        result.out, result.out
    assert site.files() == clean_build(site, editor.per_page)
    assert "v9</p>" in site.read(next(p for p in site.files() if p.count("/") == 4))


def test_edits_that_reshape_the_site_regroup_the_last_index(site: Site):
    """A date or topics edit moves articles in the lists: the build regroups the last
    index with the edited pages instead of reading every page ("index (regrouped)"). A
    title edit whose slug follows the title moves the article to another URL only: a
    quick rebuild. An edit that makes two slugs meet, a new page, a topic not in
    site.yaml, or an edit on a day whose clash of slugs the last build settled, takes
    the full way (an edit on another day regroups). Every build matches a clean one."""
    rng = random.Random(11)
    editor = Editor(site, rng)
    editor.configure(2)
    site.write("site.yaml", CONFIG.format(per_page=2, cache=".cache-inc", output="public")
               + "topics:\n" + "".join(f"  - name: {t}\n" for t in TOPICS))
    for _ in range(12):
        editor.new_page()
    assert site.run("build", "-q").code == 0

    def build(stage: str) -> None:
        result = site.run("build", "--timings")
        assert result.code == 0, result.err
        assert stage in result.out, result.out
        assert site.files() == clean_build(site, editor.per_page)

    pages = editor.pages()
    derived = [p for p in pages if "slug:" not in p.read_text(encoding="utf-8")]
    for step in range(8):
        kind = step % 3
        page = rng.choice(derived if kind == 2 else pages)
        text = page.read_text(encoding="utf-8")
        if kind == 0:
            now = re.search(r"(?m)^topics: \[(.*)\]$", text).group(1)
            new = next(t for t in TOPICS[:4] if t not in now)
            text = re.sub(r"(?m)^topics: .*$", f"topics: [{new}]", text)
        elif kind == 1:
            text = re.sub(r"(?m)^date: .*$", f"date: 2024-04-{step + 10}", text)
        else:
            text = re.sub(r"(?m)^title: '", f"title: 'Moved {step} ", text)
        page.write_text(text, encoding="utf-8")
        build("quick: check" if kind == 2 else "index (regrouped)")
    clean_build(site, editor.per_page)   # its files are not inputs: it does not count
    page = rng.choice(pages)
    page.write_text(page.read_text(encoding="utf-8").replace("topics: [", "topics: [Sailing, ", 1),
                    encoding="utf-8")
    build("read and import")     # a topic not in site.yaml
    derived = [p for p in pages if "slug:" not in p.read_text(encoding="utf-8")
               and "Sailing" not in p.read_text(encoding="utf-8")]
    twin_page, other = derived[:2]
    twin = twin_page.read_text(encoding="utf-8")
    date = re.search(r"(?m)^date: (.*)$", twin).group(1)
    third = next(p for p in derived[2:] if re.search(
        r"(?m)^date: (.*)$", p.read_text(encoding="utf-8")).group(1)[:10] != date[:10])
    title = re.search(r"(?m)^title: (.*)$", twin).group(1)
    text = other.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^date: .*$", f"date: {date}", text)
    other.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}", text), encoding="utf-8")
    result = site.run("build", "--timings")
    assert "read and import" in result.out, result.out   # two slugs met: settled in full
    assert site.files() == clean_build(site, editor.per_page)
    third.write_text(third.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build("quick: check")          # a text edit is still quick
    text = third.read_text(encoding="utf-8")   # another day than the clash's: regrouped
    now = re.search(r"(?m)^topics: \[(.*)\]$", text).group(1)
    new = next(t for t in TOPICS[:4] if t not in now)
    third.write_text(re.sub(r"(?m)^topics: .*$", f"topics: [{new}]", text), encoding="utf-8")
    build("index (regrouped)")
    owner = min(twin_page, other, key=lambda p: p.relative_to(site.root).as_posix())
    text = owner.read_text(encoding="utf-8")    # the page that kept the slug leaves the
    owner.write_text(re.sub(r"(?m)^date: .*$", "date: 2024-04-28", text),   # clash's day:
                     encoding="utf-8")          # the other has its slug back, the full way
    build("read and import")


def test_other_files_in_content_leave_the_quick_way_open_but_an_import_leftover_not(
        site: Site):
    """Files that are not pages (a ``.DS_Store``, notes) change nothing a build makes: a
    text edit beside them is still quick. A temporary file a killed import left needs the
    importer's clean-up: the full way, which removes it."""
    site.write("site.yaml", CONFIG.format(per_page=3, cache=".cache-inc", output="public"))
    for n in range(4):
        site.page(f"a/p{n}.md", title=f"Story {n}", id=f"urn:{n}", date=f"2024-03-0{n + 1}")
    assert site.run("build", "-q").code == 0
    site.write("content/a/.DS_Store", "x")
    site.write("content/a/notes.txt", "to do")
    page = site.root / "content/a/p1.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    result = site.run("build", "--timings")
    assert result.code == 0 and "quick: check" in result.out, result.out
    leftover = site.write("content/a/.p2.md.0123abcd.tmp", "half a page")
    page.write_text(page.read_text(encoding="utf-8") + "\nAgain.\n", encoding="utf-8")
    result = site.run("build", "--timings")
    assert result.code == 0 and "read and import" in result.out, result.out
    assert not leftover.exists()
    assert site.files() == clean_build(site, 3)


def test_an_index_the_helper_could_not_keep_is_never_taken(site: Site, monkeypatch):
    """If the helper that writes the kept index fails, the build still publishes, but
    records that it kept none: the next edit reads every page (and keeps an index
    again), and only the one after is quick. Each matches a clean build."""
    from sitegen import contentstate
    site.write("site.yaml", CONFIG.format(per_page=3, cache=".cache-inc", output="public"))
    for n in range(5):
        site.page(f"a/p{n}.md", title=f"Story {n}", id=f"urn:{n}", date=f"2024-03-0{n + 1}")
    real = contentstate.write_values

    def broken(path, values):
        raise OSError("disk full")

    monkeypatch.setattr(contentstate, "write_values", broken)
    assert site.run("build", "-q").code == 0
    monkeypatch.setattr(contentstate, "write_values", real)
    page = site.root / "content/a/p2.md"
    for expected in ("read and import", "quick: check"):
        page.write_text(page.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        result = site.run("build", "--timings")
        assert result.code == 0 and expected in result.out, result.out
        assert site.files() == clean_build(site, 3)


def test_title_edits_move_articles_to_their_new_url_the_quick_way(site: Site):
    """A title edit whose slug follows the title, or an edit of ``slug:``, moves the
    article to another URL and nothing else: the quick way renders the pages showing it
    and the sitemap (from the kept entries), removes the old page and its folder, and
    matches a clean build. Two articles of a day may swap their slugs in one build. A
    slug that meets another of the same day, an edit on a day whose clash of slugs the
    last build settled (not on another day), or a cache without the sitemap's entries,
    takes a longer way."""
    site.write("site.yaml", CONFIG.format(per_page=2, cache=".cache-inc", output="public")
               + "topics:\n  - name: world\n")
    for n in range(6):
        site.page(f"a/p{n}.md", title=f"Story {n}", date=f"2024-03-0{1 + n % 2}",
                  id=f"urn:p{n}", topics="[world]", body=f"Body {n}.")
    site.page("a/fixed.md", title="Fixed", date="2024-03-01", id="urn:fixed", slug="fixed")
    assert site.run("build", "-q").code == 0

    def build(stage: str) -> dict[str, bytes]:
        result = site.run("build", "--timings")
        assert result.code == 0, result.err
        assert stage in result.out, result.out
        files = site.files()
        assert files == clean_build(site, 2)
        return files

    def retitle(n: int, title: str) -> None:
        page = site.root / f"content/a/p{n}.md"
        page.write_text(re.sub(r"(?m)^title: .*$", f"title: {title!r}",
                               page.read_text(encoding="utf-8")), encoding="utf-8")

    retitle(0, "A new headline")
    files = build("quick: check")
    assert "2024/03/01/a-new-headline/index.html" in files
    assert not (site.public / "2024/03/01/story-0").exists()   # nor its folder
    sitemap = files["sitemap.xml"].decode()
    assert "2024/03/01/a-new-headline/" in sitemap and "/story-0/" not in sitemap
    assert "a-new-headline" in files["feed.xml"].decode()
    retitle(2, "Story 4")   # p2 and p4 (of the same day) swap their slugs
    retitle(4, "Story 2")
    build("quick: check")
    fixed = site.root / "content/a/fixed.md"
    fixed.write_text(fixed.read_text(encoding="utf-8").replace("slug: fixed", "slug: kept"),
                     encoding="utf-8")
    assert "2024/03/01/kept/index.html" in build("quick: check")
    retitle(2, "A new headline")   # meets p0's slug on the same day
    files = build("read and import")
    assert "2024/03/01/a-new-headline-2/index.html" in files
    retitle(3, "Story 3 meanwhile")   # another day than the settled clash's: quick
    files = build("quick: check")
    assert "2024/03/01/a-new-headline-2/index.html" in files
    retitle(0, "Story 0 again")    # on the clash's day: p2 now has its own slug
    files = build("read and import")
    assert "2024/03/01/a-new-headline/index.html" in files
    assert "2024/03/01/a-new-headline-2/index.html" not in files
    retitle(0, "A new headline")   # meets p2's slug: settled again
    build("read and import")
    retitle(4, "Story 4 again")    # the clash's day: the full way
    build("read and import")
    retitle(2, "Story 2 again")    # the page that settled it: the clash is gone
    build("read and import")
    retitle(3, "Story 3 again")
    build("quick: check")
    with sqlite3.connect(next((site.root / ".cache-inc").glob("*.sqlite"))) as db:
        db.execute("DELETE FROM kv WHERE name LIKE 'sitemap:%'")   # as an older version's
    retitle(3, "Story 3 once more")
    build("index (regrouped)")      # no sitemap entries kept: the index is regrouped
    retitle(3, "Story 3 at last")
    build("quick: check")           # and that build kept them


def _warnings(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if ": warning: " in line)


def test_seeds_left_out_leave_the_quick_ways_open_while_nothing_decides_them_anew(site: Site):
    """Seeds the import leaves out (the same story as a page, an empty seed) are looked at
    again by every import, and reported again. They do not send every later build the
    full way: an edit elsewhere, a template edit and a reshaping edit take their quick
    ways and report them as a clean build does. An edit of the page a seed duplicates
    decides that seed anew: the full way, which now imports it."""
    editor = Editor(site, random.Random(5))
    editor.configure(3)
    for _ in range(6):
        editor.new_page()
    site.page("a/plain.md", title="Plain story", date="2024-02-02", id="urn:plain")
    body = "MADRID, March 4, 2024 (AP) - The council met on Tuesday to discuss the new bridge."
    site.write("seeds/a.txt", f"# *Seeded story A*\n---\n{body}\n---\n<https://example.org/a>\n"
                              "**Wire One**\n")
    assert site.run("build", "-q").code == 0
    site.write("seeds/b.txt", f"# *Another headline*\n---\n{body}\n---\n"
                              "<https://example.org/b>\n**Wire Two**\n")    # the same text
    site.write("seeds/c.txt", "\n")
    assert site.run("build", "-q").code == 0
    seeded = next(p for p in editor.pages() if "seeded-story-a" in p.name)

    def build(way: str | None) -> None:
        result = site.run("build", "--timings")
        assert result.code == 0, result.err
        assert (way is None or way in result.out) and (
            way is not None or "read and import" in result.out), result.out
        copy = site.root.parent / "clean-copy"    # a clean build's import may touch
        shutil.rmtree(copy, ignore_errors=True)   # content/'s folders: built apart
        copy.mkdir()
        for name in ("content", "seeds", "templates", "site.yaml"):
            if (site.root / name).is_dir():
                shutil.copytree(site.root / name, copy / name)
            elif (site.root / name).exists():
                shutil.copy(site.root / name, copy / name)
        err = io.StringIO()
        assert main(["build", "-q", "--config", str(copy / "site.yaml")], out=io.StringIO(),
                    err=err) == 0
        assert site.files() == site.files(copy / "public")
        assert _warnings(result.err) == _warnings(err.getvalue())
        assert len(_warnings(result.err)) == (2 if way else 1), result.err

    others = [p for p in editor.pages() if p != seeded]
    others[0].write_text(others[0].read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build("quick: check")
    site.write("templates/article.html", TEMPLATE.replace("{n}", "4"))
    build("index (kept)")
    plain = site.root / "content/a/plain.md"
    plain.write_text(plain.read_text(encoding="utf-8").replace("Plain story", "Retitled story"),
                     encoding="utf-8")    # its slug follows: the page moves, the lists stay
    build("quick: check")
    plain.write_text(plain.read_text(encoding="utf-8").replace("2024-02-02", "2024-02-05"),
                     encoding="utf-8")    # another date: the lists move
    build("index (regrouped)")
    seeded.write_text(seeded.read_text(encoding="utf-8") + "\nA correction.\n", encoding="utf-8")
    build(None)        # the seed of the same text is no longer a duplicate: imported
    assert any("another-headline" in p.name for p in editor.pages())


def test_more_edits_than_the_quick_limit_take_the_full_way(site: Site, monkeypatch):
    """Up to ``QUICK_LIMIT`` edited pages rebuild the quick way; more, the full way; both
    as a clean build."""
    from sitegen import fsutil, quick
    monkeypatch.setattr(quick, "QUICK_LIMIT", 2)
    monkeypatch.setattr(fsutil, "RACY_NS", 0)   # pages just written count as edited only once
    monkeypatch.setattr(fsutil, "RACY_FINE_NS", 0)
    editor = Editor(site, random.Random(3))
    editor.configure(3)
    for _ in range(6):
        editor.new_page()
    assert site.run("build", "-q").code == 0
    for count, way in ((2, "quick: check"), (3, "read and import")):
        for page in editor.pages()[:count]:
            page.write_text(page.read_text(encoding="utf-8") + f"\nMore {count}.\n",
                            encoding="utf-8")
        result = site.run("build", "--timings")
        assert result.code == 0 and way in result.out, result.out
        assert site.files() == clean_build(site, editor.per_page)


def _sitemap(data: bytes) -> tuple[str, list[tuple[str, str | None]]]:
    """A sitemap's root element (``urlset`` or ``sitemapindex``) and its ``(loc,
    lastmod)`` entries, as XML."""
    import xml.etree.ElementTree as ElementTree
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    root = ElementTree.fromstring(data)
    return root.tag.removeprefix(ns), [(entry.findtext(f"{ns}loc"), entry.findtext(f"{ns}lastmod"))
                                       for entry in root]


def test_a_sitemap_of_more_urls_than_a_file_may_list_becomes_an_index(site: Site, monkeypatch):
    """Beyond the sitemaps protocol's 50,000 URLs a file (here 7), sitemap.xml is a
    sitemap index of sitemap-1.xml, sitemap-2.xml ...: together they list every page of
    the single sitemap once, in its order, each within the limit, and the index gives
    each part the latest lastmod of its pages. robots.txt still names sitemap.xml. A
    title edit takes the quick way, and the parts follow it as a clean build's do."""
    from sitegen import routes
    site.write("site.yaml", CONFIG.format(per_page=2, cache=".cache-inc", output="public"))
    for n in range(6):
        site.page(f"a/p{n}.md", title=f"Story {n}", date=f"2024-03-0{1 + n}", id=f"urn:p{n}",
                  **({"updated": f"2024-04-0{1 + n}"} if n % 2 else {}))
    single = _sitemap(clean_build(site, 2)["sitemap.xml"])   # the limit is far
    assert single[0] == "urlset" and len(single[1]) > 14
    count = -(-len(single[1]) // 7)     # parts of 7
    monkeypatch.setattr(routes, "SITEMAP_LIMIT", 7)
    assert site.run("build", "-q").code == 0
    files = site.files()
    kind, parts = _sitemap(files["sitemap.xml"])
    assert kind == "sitemapindex"
    base = "https://example.org/news/"
    assert [loc for loc, _ in parts] == [f"{base}sitemap-{n}.xml" for n in range(1, count + 1)]
    listed = []
    for loc, lastmod in parts:
        kind, entries = _sitemap(files[loc.removeprefix(base)])
        assert kind == "urlset" and 0 < len(entries) <= 7
        assert lastmod == max((m for _, m in entries if m), default=None)
        listed += entries
    assert listed == single[1]
    assert "Sitemap: https://example.org/news/sitemap.xml" in files["robots.txt"].decode()
    page = site.root / "content/a/p2.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Story 2", "A new headline"),
                    encoding="utf-8")
    result = site.run("build", "--timings")
    assert result.code == 0 and "quick: check" in result.out, result.out
    files = site.files()
    assert files == clean_build(site, 2)
    assert "/2024/03/03/a-new-headline/" in b"".join(
        data for name, data in files.items() if name.startswith("sitemap-")).decode()
    assert [len(routes.sitemap_jobs([("x", None)] * n)) for n in (7, 8, 15)] == [1, 3, 4]
