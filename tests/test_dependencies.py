"""What a rebuild looks at: unchanged files are not read again, and a template edit
re-renders only the pages whose templates include the edited file."""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import replace

import jinja2
import pytest

from conftest import Site
from sitegen import cache as cache_module, fsutil
from sitegen.build import build_site
from sitegen.cache import BuildCache, CacheMemory
from sitegen.config import load_config
from sitegen.importer import _seed_files, import_seeds
from sitegen.snapshot import take_snapshot
from sitegen.markup import Markup
from sitegen.reader import read_content, read_file
from sitegen.templatedeps import TemplateDeps


def test_an_unchanged_file_is_not_read_again_but_a_just_saved_one_is(site: Site, monkeypatch):
    site.page("a.md", title="Original title", id="urn:a")
    config = load_config(site.root / "site.yaml")
    monkeypatch.setattr(fsutil, "RACY_NS", 0)     # as if the file was saved long ago
    monkeypatch.setattr(fsutil, "RACY_FINE_NS", 0)
    records: dict = {}
    first = read_content(config, records, seen={})
    (key,) = first.record_keys
    # the cache claims another title for the same key: a build that trusts the file's
    # signature never opens the file and so shows the cached title
    records[key] = replace(records[key], article=replace(records[key].article, title="From cache"))
    again = read_content(config, records, seen=first.seen)
    assert [a.title for a in again.articles] == ["From cache"]
    monkeypatch.undo()
    # a file saved in the last moments may be saved again within the same clock tick,
    # with the same size and times: its signature is not kept, so it is read next time
    page = site.root / "content" / "a.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Original", "Changed!"),
                    encoding="utf-8")
    fresh = read_content(config, records, seen=first.seen)
    assert [a.title for a in fresh.articles] == ["Changed! title"]
    assert fresh.seen["content/a.md"][0] is None


def test_what_the_inputs_walk_saw_gives_the_same_pages_and_seeds_as_a_walk_of_their_own(
        site: Site):
    site.page("a.md", title="Plain page", id="urn:a")
    site.page("2024/b.md", title="Nested page", id="urn:b")
    site.page("2024/.hidden.md", title="Hidden page", id="urn:h")
    (site.root / "content" / "notes.txt").write_text("not a page", encoding="utf-8")
    elsewhere = site.root / "elsewhere"
    elsewhere.mkdir()
    site.page("a.md", title="Linked page", id="urn:l")
    (site.root / "content" / "a.md").rename(elsewhere / "linked.md")
    site.page("a.md", title="Plain page", id="urn:a")
    (site.root / "content" / "link.md").symlink_to(elsewhere / "linked.md")
    (site.root / "content" / "folder.md").symlink_to(elsewhere)     # a link to a folder
    (site.root / "content" / "broken.md").symlink_to(elsewhere / "gone.md")
    seeds = site.root / "seeds"
    seeds.mkdir(exist_ok=True)
    seed = "Seed headline\n\nMarch 5, 2024\n\nLONDON (Reuters) - A body of text.\n"
    (seeds / "001.txt").write_text(seed, encoding="utf-8")
    (seeds / ".002.txt").write_text(seed, encoding="utf-8")
    (seeds / "003.txt").mkdir()
    (seeds / "004.txt").symlink_to(seeds / "001.txt")
    config = load_config(site.root / "site.yaml")
    snapshot = take_snapshot("", [config.content_dir, config.seeds_dir], [])
    walked, own = read_content(config, {}, snapshot=snapshot), read_content(config, {})
    assert [a.title for a in walked.articles] == [a.title for a in own.articles]
    assert {"Plain page", "Nested page", "Hidden page", "Linked page"} == \
        {a.title for a in own.articles}
    assert [(d.file, d.message) for d in walked.diagnostics] == \
        [(d.file, d.message) for d in own.diagnostics] != []      # the broken link
    assert _seed_files(config.seeds_dir, snapshot) == _seed_files(config.seeds_dir, None)
    assert [name for name, _ in _seed_files(config.seeds_dir, snapshot)] == ["001.txt", "004.txt"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_page_gone_between_the_walk_and_its_reading_is_reported(site: Site, jobs: int):
    for n in range(300):     # enough for the workers to read them
        site.page(f"p{n:03}.md", title=f"Page {n}", id=f"urn:{n}")
    config = load_config(site.root / "site.yaml")
    snapshot = take_snapshot("", [config.content_dir], [])
    (site.root / "content/p007.md").unlink()          # deleted by the curator meanwhile
    result = read_content(config, {}, jobs=jobs, snapshot=snapshot)
    assert [(d.file, d.message) for d in result.diagnostics] == \
        [("content/p007.md", "cannot read the page: No such file or directory")]
    assert len(result.articles) == 299 and "content/p007.md" not in result.seen
    assert [a.path for a in result.articles] == sorted(a.path for a in result.articles)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_seed_gone_between_the_walk_and_its_reading_is_reported(site: Site, jobs: int):
    seeds = site.root / "seeds"
    seeds.mkdir(exist_ok=True)
    for n in range(300):     # enough for the workers to read them
        (seeds / f"{n:03}.txt").write_text(
            f"# *Story {n}*\n---\nMADRID, March 5, 2024 (AP) - " + f"Text {n}. " * 30
            + f"\n---\n<https://example.org/{n}>\n", encoding="utf-8")
    config = load_config(site.root / "site.yaml")
    snapshot = take_snapshot("", [config.seeds_dir], [])
    (seeds / "007.txt").unlink()                        # deleted by the curator meanwhile
    result = import_seeds(config, [], jobs=jobs, snapshot=snapshot)
    assert [(d.file, d.message) for d in result.diagnostics] == \
        [("seeds/007.txt", "cannot read the seed: No such file or directory")]
    assert len(result.created) == 299 and "007.txt" not in result.seen
    files = [p for p in (site.root / "content").rglob("*") if p.is_file()]
    assert sorted(p.relative_to(site.root).as_posix() for p in files) == sorted(result.created)


def test_bodies_are_converted_by_the_workers_that_read_them_once_each(site: Site):
    site.page("a.md", title="First", id="urn:a", body="Some *emphasis*.")
    site.page("b.md", title="Second", id="urn:b", body="A [link](https://example.org/).")
    site.page("c.md", title="Draft", id="urn:c", body="Not shown.", draft="true")
    site.page("d.md", title="Known", id="urn:d", body="Converted before.")
    config = load_config(site.root / "site.yaml")
    known = {read_file("content/d.md", (site.root / "content/d.md").read_bytes(),
                       config).article.body_key}
    result = read_content(config, {}, jobs=2, converted=known)
    plain = read_content(config, {})
    assert result.html == {a.body_key: Markup().render(a.body) for a in plain.articles
                           if a.title in ("First", "Second")}
    bodies = {a.title: a.body.strip() for a in result.articles}
    assert bodies == {"First": "", "Second": "", "Known": "Converted before."}   # kept light
    # a build puts them in the cache, and converts nothing else
    assert site.run("build").code == 0
    cache = BuildCache(config.cache_dir)
    assert len(cache.html_keys()) == 3
    assert "<em>emphasis</em>" in site.read("2024/03/05/first/index.html")


def test_an_edit_to_the_target_of_a_linked_page_is_seen(site: Site):
    """A page that is a symbolic link counts by its target: editing the target file,
    outside content/, is a change the next build sees."""
    site.page("a.md", title="Linked before", id="urn:a")
    outside = site.root / "drafts-elsewhere"
    outside.mkdir()
    (site.root / "content" / "a.md").rename(outside / "a.md")
    (site.root / "content" / "a.md").symlink_to(outside / "a.md")
    assert site.run("build").code == 0
    assert "Linked before" in site.read("2024/03/05/linked-before/index.html")
    target = outside / "a.md"
    target.write_text(target.read_text(encoding="utf-8").replace("before", "after, longer"),
                      encoding="utf-8")
    assert site.run("build").code == 0
    assert "Linked after, longer" in site.read("2024/03/05/linked-after-longer/index.html")


def test_a_page_edit_is_seen_after_the_signature_check(site: Site):
    site.page("a.md", title="Before", id="urn:a")
    assert site.run("build").code == 0
    site.page("a.md", title="After!", id="urn:a")   # same folder, new bytes, new times
    assert site.run("build").code == 0
    assert "After!" in site.read("2024/03/05/after/index.html")
    assert not (site.public / "2024/03/05/before").exists()


def _mtimes(site: Site) -> dict[str, int]:
    return {p.relative_to(site.public).as_posix(): p.stat().st_mtime_ns
            for p in site.public.rglob("*") if p.is_file()}


def test_editing_the_article_template_rewrites_article_pages_only(site: Site):
    for n in range(4):
        site.page(f"p{n}.md", title=f"Story {n}", id=f"urn:{n}", topics="[world]",
                  source="Wire", date=f"2024-03-0{n + 1}")
    site.write("templates/article.html", "{% extends 'default/article.html' %}")
    assert site.run("build").code == 0
    site.write("templates/article.html",
               "{% extends 'default/article.html' %}{% block after_article %}"
               "<p class=\"edited\">edited</p>{% endblock %}")
    assert site.run("build").code == 0
    articles = {f"2024/03/0{n + 1}/story-{n}/index.html" for n in range(4)}
    for page in articles:
        assert 'class="edited"' in site.read(page)
    assert "edited" not in site.read("index.html")
    assert "edited" not in site.read("topics/world/index.html")


def test_a_list_page_is_not_rendered_again_when_only_the_article_template_changes(site: Site):
    for n in range(3):
        site.page(f"p{n}.md", title=f"Story {n}", id=f"urn:{n}", date=f"2024-03-0{n + 1}")
    site.write("templates/article.html", "{% extends 'default/article.html' %}")
    assert site.run("build").code == 0
    before = _mtimes(site)
    time.sleep(0.05)
    site.write("templates/article.html", "{% extends 'default/article.html' %}{# v2 #}"
               "{% block after_article %}<p>v2</p>{% endblock %}")
    result = site.run("build")
    assert result.code == 0
    assert re.search(r"Rendered\s*\|\s*3$", result.out, re.M), result.out
    after = _mtimes(site)
    rewritten = {path for path in after if after[path] != before.get(path)
                 and not path.startswith("pagefind/")}   # the search index follows articles
    assert rewritten - {".sitegen-output"} == {f"2024/03/0{n + 1}/story-{n}/index.html"
                                                 for n in range(3)}


def _deps(templates: dict[str, str]) -> TemplateDeps:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates))
    return TemplateDeps(env, [])


def test_a_closure_follows_extends_include_and_import():
    base = {"base.html": "{% block b %}{% endblock %}", "_part.html": "part",
            "macros.html": "{% macro m() %}{% endmacro %}",
            "page.html": "{% extends 'base.html' %}{% block b %}{% include '_part.html' %}"
                         "{% from 'macros.html' import m %}{% endblock %}",
            "other.html": "{% extends 'base.html' %}"}
    before = _deps(base)
    for name, text in (("_part.html", "part 2"), ("macros.html", "{% macro m() %}x{% endmacro %}")):
        after = _deps({**base, name: text})
        assert after.digest("page.html") != before.digest("page.html")
        assert after.digest("other.html") == before.digest("other.html")
    after = _deps({**base, "base.html": "<b>{% block b %}{% endblock %}</b>"})
    assert after.digest("other.html") != before.digest("other.html")


def test_a_template_naming_another_by_a_variable_depends_on_every_template(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "page.html").write_text("{% include name %}")
    (folder / "a.html").write_text("a")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
    files = sorted(folder.iterdir())
    before = TemplateDeps(env, files).digest("page.html")
    (folder / "a.html").write_text("changed")
    assert TemplateDeps(env, files).digest("page.html") != before


def test_a_cache_memory_is_dropped_when_another_process_wrote_the_cache(tmp_path):
    first = BuildCache(tmp_path, memory := CacheMemory())
    first.store("value", "from the server")
    first.close()
    assert BuildCache(tmp_path, memory).load("value") == "from the server"
    other = BuildCache(tmp_path)        # a command-line build, say
    other.store("value", "from the command line")
    other.close()
    assert BuildCache(tmp_path, memory).load("value") == "from the command line"


def test_a_forked_worker_reads_bodies_through_a_connection_of_its_own(tmp_path):
    """Render workers read the bodies they show from the cache themselves; the parent's
    SQLite connection is never used on both sides of a fork."""
    import multiprocessing
    from sitegen.parallel import parallel_map
    cache = BuildCache(tmp_path)
    bodies = {f"k{n}": f"<p>Body {n}</p>" for n in range(300)}
    cache.put_html(bodies)
    parent = cache.db

    def read(batch):
        found = cache.html(batch)
        own = cache.db is parent and cache._forked_db is not None
        return [(found.get(key), own) for key in batch]

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    results = parallel_map(read, sorted(bodies), 2, min_batch=32)
    assert [body for body, _ in results] == [bodies[k] for k in sorted(bodies)]
    assert all(own for _, own in results)
    assert cache.html(["k1", "missing"]) == {"k1": "<p>Body 1</p>"} and cache._forked_db is None
    cache.close()


def test_rebuilds_with_a_memory_match_clean_builds_among_command_line_builds(site: Site):
    """The dev server keeps the cache's contents between builds; command-line builds in
    between must not leave it with a stale view."""
    from test_incremental import Editor, clean_build
    rng = random.Random(7)
    editor = Editor(site, rng)
    editor.configure(3)
    for _ in range(6):
        editor.new_page()
    memory = CacheMemory()

    def build_with_memory():
        config = load_config(site.root / "site.yaml")
        return build_site(config, memory=memory)

    assert build_with_memory().built
    history = []
    for step in range(16):
        history.append(editor.step())
        if step % 3 == 1:
            assert site.run("build", "-q").code in (0, 1)
        else:
            build_with_memory()
        if step % 4 == 3:
            assert site.files() == clean_build(site, editor.per_page), history


def test_the_cache_forgets_bodies_no_page_has_any_more(site: Site, monkeypatch):
    """Each edit of a body adds its new HTML to the cache; when the records are compacted,
    the HTML of old versions goes, so an often-edited site's cache does not grow with every
    version it ever had. The bodies the site has stay converted."""
    monkeypatch.setattr(cache_module, "COMPACT_AFTER", 4)
    site.page("a.md", title="Kept", id="urn:a", body="A body nobody edits.")
    config = load_config(site.root / "site.yaml")

    def cached_bodies() -> set[str]:
        cache = BuildCache(config.cache_dir)
        try:
            return cache.html_keys()
        finally:
            cache.close()

    for n in range(12):
        site.page("b.md", title="Edited", id="urn:b", body=f"Version {n} of the body.")
        assert site.run("build").code == 0
        assert f"Version {n} of the body." in site.read("2024/03/05/edited/index.html")
        live = {a.body_key for a in read_content(config, {}).articles}
        assert live <= cached_bodies()
        assert len(cached_bodies()) <= len(live) + 3    # 12 versions were made
    assert "A body nobody edits." in site.read("2024/03/05/kept/index.html")


def _pid_and(value):
    import os
    return os.getpid(), value


def test_work_in_the_background_runs_in_a_helper_process_and_gives_its_result():
    """The output folder is listed by a helper process while the build reads and indexes;
    with one job (or no fork) it is listed in the build's own process, when needed."""
    import multiprocessing
    import os
    from sitegen.parallel import Background
    if "fork" in multiprocessing.get_all_start_methods():
        pid, value = Background(_pid_and, {"a": 1}).result()
        assert pid != os.getpid() and value == {"a": 1}
    pid, value = Background(_pid_and, [2], enabled=False).result()
    assert pid == os.getpid() and value == [2]
    unused = Background(_pid_and, 3)
    unused.close()                      # never asked for: ends without waiting on anyone


def test_the_early_listing_of_the_output_is_the_one_the_build_uses(site: Site, monkeypatch):
    """A rebuild takes its view of public/ (and of the spare) from the listing made at the
    start: a page deleted from public/ before the build is made again, and a stray file
    is removed, exactly as when the build lists the folder itself."""
    from sitegen import writer
    site.page("a.md", title="A", id="urn:a")
    site.page("b.md", title="B", id="urn:b", date="2024-03-06")
    assert site.run("build").code == 0
    made = site.files()
    calls = []
    import sitegen.build
    monkeypatch.setattr(sitegen.build, "listing",
                        lambda folder: calls.append(folder) or writer.listing(folder))
    (site.public / "2024/03/05/a/index.html").unlink()
    (site.public / "stray.html").write_text("not ours")
    site.page("b.md", title="B", id="urn:b", date="2024-03-06", body="Changed.")
    assert site.run("build", "--jobs", "1").code == 0
    assert calls, "the build did not list the output early"
    assert (site.public / "2024/03/05/a/index.html").read_bytes() == made["2024/03/05/a/index.html"]
    assert not (site.public / "stray.html").exists()


def test_a_table_changed_in_a_few_entries_is_kept_as_rows_and_reads_back_whole(tmp_path,
                                                                                monkeypatch):
    """A big table the build stores again with a few entries changed (the manifest, the
    families' state, the files' signatures) is written as those rows; read back by another
    connection (a later build), it is the table stored, after any sequence of changes,
    removals and the rewrite that comes when the rows add up."""
    monkeypatch.setattr(cache_module, "ROWS_AFTER", 40)
    rng = random.Random(5)
    table = {f"page/{n}": (f"fp{n}", f"h{n}") for n in range(300)}
    writer = BuildCache(tmp_path)
    writer.store("manifest", table)
    whole_writes = []
    real = writer.db.execute

    for step in range(30):
        table = dict(table)
        for _ in range(rng.randint(0, 6)):
            key = f"page/{rng.randint(0, 320)}"
            if rng.random() < 0.3:
                table.pop(key, None)
            else:
                table[key] = (f"fp{rng.random()}", "h")
        rows_before = real("SELECT COUNT(*) FROM kvrows").fetchone()[0]
        writer.store("manifest", table)
        rows_after = real("SELECT COUNT(*) FROM kvrows").fetchone()[0]
        whole_writes.append(rows_after < rows_before or (rows_after == 0 and rows_before == 0))
        reader = BuildCache(tmp_path)
        try:
            assert reader.load("manifest") == table
        finally:
            reader.close()
    assert any(whole_writes) and not all(whole_writes)
    writer.store("manifest", None)
    assert real("SELECT COUNT(*) FROM kvrows").fetchone()[0] == 0
    writer.close()
    reader = BuildCache(tmp_path)
    assert reader.load("manifest") is None
    reader.close()


def test_an_article_comes_back_from_the_cache_as_stored_unless_its_class_changed(tmp_path,
                                                                                monkeypatch):
    """Articles are pickled compactly (their values in field order): each field comes
    back as stored, through another connection (a later build); a pickle made when the
    class had other fields is not read as if it fitted (the value counts as never
    stored, so the build reads the pages again)."""
    from dataclasses import fields
    from datetime import datetime, timezone
    from sitegen import model
    article = model.Article(
        path="content/2024/03/a.md", id="urn:a", title="A", date=datetime(2024, 3, 5,
        tzinfo=timezone.utc), slug="a", body="Body *b*.", html="<p>Body</p>",
        summary="Body b.", subtitle="Sub", dateline="Lima", agency="AP", source="El Sol",
        source_slug="el-sol", source_url="https://sol.example/a", topics=("economy",),
        updated=datetime(2024, 3, 6, tzinfo=timezone.utc), draft=True, seed="a.txt",
        extra={"editor": "M"}, reading_minutes=4, digest="d1", body_key="k1")
    assert all(getattr(article, f.name) != f.default for f in fields(article)
               if f.name != "draft")          # every field set, so a swap would show
    BuildCache(tmp_path).store("index", (article, [article]))
    back = BuildCache(tmp_path).load("index")
    assert back == (article, [article]) and back[1][0] is back[0]
    assert [getattr(back[0], f.name) for f in fields(article)] == \
        [getattr(article, f.name) for f in fields(article)]
    layout, names = model.Article.pickle_layout
    monkeypatch.setattr(model.Article, "pickle_layout", ("0" * len(layout), names))
    assert BuildCache(tmp_path).load("index") is None


def test_a_copy_with_changes_is_what_the_class_would_make(tmp_path):
    """``model.evolve`` (a build's cheap ``dataclasses.replace``) of every class it copies
    gives the object ``replace`` gives, leaves the original alone, pickles like it, and
    refuses a field the class does not have."""
    import dataclasses
    import pickle
    from datetime import datetime, timezone
    from sitegen import model, reader
    from sitegen.feeds import Feed
    article = model.Article(path="content/a.md", id="urn:a", title="A", slug="a",
                            date=datetime(2024, 3, 5, tzinfo=timezone.utc), body="B",
                            html="", summary="S", topics=("x",), digest="d", body_key="k")
    job = model.RenderJob("article.html", "2024/03/05/a/", "2024/03/05/a/index.html",
                          {"article": article}, "article")
    record = reader.PageRecord(article, False, (), (), model.PageInfo("content/a.md"))
    feed_fields = {f.name: f"v{i}" for i, f in enumerate(dataclasses.fields(Feed))}
    feed = Feed(**{**feed_fields, "items": (article,)})
    for obj, changes in ((article, {"html": "<p>B</p>"}), (article, {"body": "", "digest": "e"}),
                         (job, {"context": {}}), (record, {"article": None}),
                         (feed, {"items": ()})):
        copy = model.evolve(obj, **changes)
        assert copy == dataclasses.replace(obj, **changes) and copy is not obj
        assert type(copy) is type(obj) and copy != obj
        assert pickle.loads(pickle.dumps(copy)) == copy
    assert article.html == "" and job.context == {"article": article}
    with pytest.raises(TypeError):
        model.evolve(article, htlm="x")


def _metadata(snapshot, folder):
    return [(path, None if info is None else (info.st_mode, info.st_size, info.st_mtime_ns,
                                              info.st_ctime_ns, info.st_ino))
            for path, info in snapshot.under(folder).items()]


@pytest.mark.parametrize("limit", [256, 1])
def test_a_snapshot_patched_with_the_paths_events_named_is_what_a_walk_gives(
        tmp_path, monkeypatch, limit: int):
    """The dev server passes the paths file-system events named since its last build;
    the snapshot patched from them alone holds what walking every folder gives: the same
    files, in the same order, with the same metadata and digests, across random edits,
    new and deleted folders, renames, a file turned into a folder, links (to a file, to
    nothing, to a folder: not followed). A change no event named is not seen. (With a
    limit of 1, a folder with two touched paths is walked again instead.)"""
    import shutil
    from sitegen import snapshot as snapshot_module
    monkeypatch.setattr(snapshot_module, "PATCH_LIMIT", limit)
    rng = random.Random(7)
    root = tmp_path / "site"
    folders = [root / "content", root / "seeds"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "target.md").write_text("linked\n")
    (elsewhere / "sub").mkdir()
    (elsewhere / "sub" / "in-linked-folder.md").write_text("not walked\n")
    for folder in folders:
        (folder / "2024" / "03").mkdir(parents=True)
        for n in range(6):
            (folder / "2024" / "03" / f"p{n}.md").write_text(f"page {n}\n")

    def files():
        return [p for f in folders for p in f.rglob("*") if p.is_file() or p.is_symlink()]

    def dirs():
        return [p for f in folders for p in f.rglob("*") if p.is_dir() and not p.is_symlink()]

    def new_path():
        parent = rng.choice(dirs() + folders)
        return parent / rng.choice(["a", "b-c", "b", "a.md", "z z.md", "é.md", "a.md.bak"])

    def edit() -> set:
        kind = rng.choice(["add", "add deep", "change", "delete", "rename", "delete folder",
                           "rename folder", "link", "broken link", "folder link", "to folder"])
        present = files()
        if kind in ("change", "delete", "rename", "to folder") and not present:
            kind = "add"
        if kind.startswith("add") or kind.endswith("link"):
            path = new_path()
            if kind == "add deep":
                path = path.with_suffix("") / "x" / "y.md"
            if path.exists() or path.is_symlink() or any(
                    p.is_symlink() or p.exists() and not p.is_dir() for p in path.parents):
                return set()
            made = [p for p in [*reversed(path.parents)] if not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "link":
                path.symlink_to(elsewhere / "target.md")
            elif kind == "broken link":
                path.symlink_to(elsewhere / "gone.md")
            elif kind == "folder link":
                path.symlink_to(elsewhere / "sub")
            else:
                path.write_text(f"new {rng.random()}\n")
            if kind == "folder link":     # an event naming a file inside it changes nothing
                return {path, *made, path / "in-linked-folder.md"}
            return {path, *made}
        if kind == "change":
            path = rng.choice(present)
            if not path.is_symlink():
                path.write_text(path.read_text() + "more\n")
            return {path}
        if kind == "delete":
            path = rng.choice(present)
            path.unlink()
            return {path}
        if kind == "to folder":      # a file deleted and a folder of that name made
            path = rng.choice(present)
            path.unlink()
            path.mkdir()
            (path / "inner.md").write_text("inner\n")
            return {path, path / "inner.md"}
        if kind == "rename":
            path, target = rng.choice(present), new_path()
            if target.exists() or target.is_symlink() or not target.parent.is_dir():
                return set()
            path.rename(target)
            return {path, target}
        candidates = dirs()
        if not candidates:
            return set()
        folder = rng.choice(candidates)
        if kind == "delete folder":
            shutil.rmtree(folder)
            return {folder}
        target = new_path()
        if target.exists() or target.is_symlink() or folder in target.parents:
            return set()
        folder.rename(target)
        return {folder, target}

    snapshot = take_snapshot("settings", folders, [])
    for _ in range(80):
        touched = set()
        for _ in range(rng.randint(1, 3)):
            touched |= edit()
        patched = take_snapshot("settings", folders, [], since=snapshot, touched=touched)
        walked = take_snapshot("settings", folders, [])
        for folder in folders:
            assert _metadata(patched, folder) == _metadata(walked, folder), touched
        assert patched.parts == walked.parts and patched.digest == walked.digest
        assert patched.rows == walked.rows
        snapshot = patched
    linked = [str(p) for f in folders for p in f.rglob("*") if p.is_symlink() and p.is_dir()]
    assert linked and not any(path.startswith(f"{link}/") for link in linked
                              for f in folders for path in snapshot.under(f))
    page = folders[0] / "unnamed.md"
    page.write_text("an edit no event named\n")
    patched = take_snapshot("settings", folders, [], since=snapshot, touched=set())
    assert patched.digest == snapshot.digest != take_snapshot("settings", folders, []).digest


@pytest.mark.parametrize("staging", ["fresh", "spare"])
def test_a_quick_rebuild_awaits_the_listing_of_public_only_before_it_stages_or_publishes(
        site: Site, monkeypatch, staging: str):
    """A quick rebuild renders its pages while the helper still lists public/ (the dev
    server is ready for the listing before it is made): the listing is awaited after
    the pages are rendered into a fresh folder, or before the spare is touched. A
    public/ changed behind sitegen's back is then noticed: nothing of the quick way is
    published, and the full build puts the folder right."""
    import sitegen.build
    from sitegen import render, writer
    from sitegen.theme import Theme
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nsearch: false\n")
    if staging == "spare":
        monkeypatch.setattr(render, "SMALL_CHANGE", 0)
    for n in range(6):
        site.page(f"p{n}.md", title=f"Page {n}", id=f"urn:{n}", date=f"2024-03-0{n + 1}")
    assert site.run("build").code == 0
    made = site.files()
    events = []
    monkeypatch.setattr(sitegen.build, "listing",
                        lambda folder: events.append(f"list {folder.name}")
                        or writer.listing(folder))
    real_render, real_spare = Theme.render, writer.OutputFolder.use_spare
    monkeypatch.setattr(Theme, "render", lambda self, job: events.append("render")
                        or real_render(self, job))
    monkeypatch.setattr(writer.OutputFolder, "use_spare", lambda self, *a: events.append(
        "use spare") or real_spare(self, *a))
    site.page("p2.md", title="Page 2", id="urn:2", date="2024-03-03", body="Changed.")
    (site.public / "2024/03/05/page-4/index.html").unlink()
    (site.public / "stray.html").write_text("not ours")
    config = load_config(site.root / "site.yaml")
    result = build_site(config, jobs=1)
    stages = [name for name, _ in result.stages]
    assert stages[:2] == ["check inputs", "quick: check"] and "render and publish" in stages
    first_listing = events.index("list public")
    if staging == "fresh":
        assert "render" in events[:first_listing] and "use spare" not in events
    else:
        assert "render" not in events[:first_listing]
        assert first_listing < events.index("use spare")
    assert (site.public / "2024/03/05/page-4/index.html").read_bytes() == \
        made["2024/03/05/page-4/index.html"]
    assert not (site.public / "stray.html").exists()
    assert "Changed." in site.read("2024/03/03/page-2/index.html")


def test_the_dev_servers_rebuilds_list_public_from_the_last_listing_and_see_any_change(
        site: Site, monkeypatch):
    """A process that builds again and again (the dev server) lists public/ reading only
    the folders changed since its last listing: its first build lists plainly while a
    helper learns the folders; then a quick rebuild after a body edit reads just the
    folders the last one published into, and still notices a page deleted, a stray
    file added and a page replaced behind its back (the full build puts them right, as
    a clean build would)."""
    from sitegen import listings, writer
    monkeypatch.setattr(fsutil, "RACY_NS", 0)    # every folder trusted after its tick
    monkeypatch.setattr(fsutil, "RACY_FINE_NS", 0)
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nsearch: false\n")
    for n in range(6):
        site.page(f"p{n}.md", title=f"Page {n}", id=f"urn:{n}", date=f"2024-03-0{n + 1}",
                  summary="The same summary.")
    config = load_config(site.root / "site.yaml")
    assert build_site(config, jobs=1).built       # as `build` left it
    time.sleep(0.03)
    memory = CacheMemory()
    plain, real_scan = [], listings.scan_folder
    monkeypatch.setattr(writer, "scan_folder", lambda folder: plain.append(folder)
                        or real_scan(folder))
    assert build_site(config, memory=memory, jobs=1).written == 0
    learning = memory.output[1]
    assert plain == [site.public] and not isinstance(learning, dict)
    learning.result()    # a thread, done while the server waits for an edit
    made = site.files()
    read_again = []
    real_read = listings._read
    monkeypatch.setattr(listings, "_read", lambda path, ident: read_again.append(
        os.path.relpath(path, site.public)) or real_read(path, ident))

    def edit(n: int, body: str):
        time.sleep(0.03)
        read_again.clear()
        page = site.page(f"p{n}.md", title=f"Page {n}", id=f"urn:{n}",
                         date=f"2024-03-0{n + 1}", summary="The same summary.", body=body)
        return build_site(config, memory=memory, jobs=1, touched=[page])

    result = edit(2, "Changed.")
    assert [name for name, _ in result.stages][1] == "quick: check"
    assert result.changed == ("2024/03/03/page-2/index.html",)
    assert read_again == [] and plain == [site.public]   # public/ as the helper found it
    result = edit(2, "Changed again.")
    assert "Changed again." in site.read("2024/03/03/page-2/index.html")
    # where the last one published: the page's folder, and the top one (its marker)
    assert sorted(read_again) == [".", "2024/03/03/page-2"]
    (site.public / "2024/03/05/page-4/index.html").unlink()
    (site.public / "stray.html").write_text("not ours")
    replaced = site.public / "2024/03/06/page-5/index.html"
    replaced.unlink()
    replaced.write_bytes(made["2024/03/06/page-5/index.html"])   # another inode
    result = edit(3, "Changed too.")
    assert result.built and "render and publish" in [name for name, _ in result.stages]
    assert sorted(read_again) == [".", "2024/03/03/page-2", "2024/03/05/page-4",
                                  "2024/03/06/page-5"]
    assert not (site.public / "stray.html").exists()
    site.write("clean.yaml", "title: T\nbase_url: https://example.org/\nsearch: false\n"
               "output_dir: clean\ncache_dir: .clean-cache\n")
    assert build_site(load_config(site.root / "clean.yaml"), jobs=1).built
    assert site.files() == site.files(site.root / "clean")
    assert "Changed too." in site.read("2024/03/04/page-3/index.html")


def test_the_cache_says_which_bodies_it_has_rendered_few_or_many(tmp_path):
    """A quick rebuild asks about one or two bodies (looked up one by one, without
    loading the keys of all 10,000), a full build about all of them: the same answer."""
    BuildCache(tmp_path).put_html({f"k{n}": f"<p>{n}</p>" for n in range(0, 300, 3)})
    asked = [f"k{n}" for n in range(200)]
    expected = {f"k{n}" for n in range(0, 200, 3)}
    fresh = BuildCache(tmp_path)
    assert fresh.has_html(["k3", "k4"]) == {"k3"} and "html*" not in fresh.memory.values
    assert fresh.has_html(asked) == expected and "html*" in fresh.memory.values
    assert fresh.has_html(["k3", "k4"]) == {"k3"}
    assert BuildCache(tmp_path).has_html(asked[:40]) == {k for k in expected if k in asked[:40]}
