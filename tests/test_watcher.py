"""The watcher: real files, a real watchdog observer, debounced change sets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.watcher import (ChangeSet, ConfigSource, PathFilter, Rebuilder, SiteWatcher,
                             site_targets)

WAIT = 10.0  # longest wait for an expected change set; CI machines are noisy


@pytest.fixture
def project(site):
    """A site with content/, seeds/ and a page, and its configuration."""
    site.page("2024/03/a.md", title="First")
    (site.root / "seeds").mkdir()
    return site, load_config(site.root / "site.yaml")


@pytest.fixture(params=["inotify", "poll"])
def watcher(request, project):
    site, config = project
    w = SiteWatcher.for_site(config, poll=request.param == "poll", poll_interval=0.1,
                             quiet=0.3).start()
    time.sleep(0.2)  # let the polling observer take its first snapshot
    yield w
    w.stop()


def drain(w: SiteWatcher, seconds: float = 0.6) -> list[ChangeSet]:
    """Every change set that arrives within ``seconds``."""
    sets, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        changes = w.next_changes(timeout=left)
        if changes:
            sets.append(changes)
    return sets


def next_set(w: SiteWatcher) -> ChangeSet:
    changes = w.next_changes(timeout=WAIT)
    assert changes is not None, "no change set arrived"
    return changes


def test_atomic_save_gives_one_change_set(project, watcher):
    site, _ = project
    page = site.root / "content/2024/03/a.md"
    for _ in range(3):  # an editor saving three times in quick succession
        temp = page.with_name(".a.md.swp")
        temp.write_text("---\ntitle: Saved\ndate: 2024-03-05\n---\n", encoding="utf-8")
        os.replace(temp, page)
    changes = next_set(watcher)
    assert changes.changed == {page}
    assert not changes.deleted
    assert drain(watcher) == []


def test_a_checkout_of_200_files_gives_one_change_set(project, watcher):
    site, _ = project
    folder = site.root / "content/2024/04"
    folder.mkdir(parents=True)
    for i in range(200):
        (folder / f"p{i:03}.md").write_text(f"---\ntitle: P{i}\ndate: 2024-04-01\n---\n")
    changes = next_set(watcher)
    assert {folder / f"p{i:03}.md" for i in range(200)} <= changes.changed
    assert drain(watcher) == []


def test_deletes_and_renames_are_reported(project, watcher):
    site, _ = project
    old, new = site.root / "content/2024/03/a.md", site.root / "content/2024/03/b.md"
    gone = site.page("2024/03/c.md")
    drain(watcher)
    os.rename(old, new)
    gone.unlink()
    changes = next_set(watcher)
    assert {old, gone} <= changes.deleted
    assert new in changes.changed
    if not watcher.poll:  # a polling snapshot may see a rename as delete + create
        assert (old, new) in changes.moved


def test_ignored_paths_are_ignored(project, watcher):
    site, config = project
    root = site.root
    for rel in ["public/index.html", ".sitegen-cache/x.json", ".public.sitegen-new-1/a.html",
                "content/.git/index", "content/2024/03/.a.md.swp", "content/2024/03/a.md~",
                "content/2024/03/.#a.md", "content/2024/03/4913", "content/x.tmp",
                "notes.txt"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert drain(watcher, 0.8) == []
    (root / "seeds" / "new.txt").write_text("# A seed\n---\nText.\n")
    assert next_set(watcher).changed == {root / "seeds" / "new.txt"}


def test_site_yaml_and_new_input_folders_are_watched(site):
    config = load_config(site.root / "site.yaml")   # no content/ or seeds/ yet
    with SiteWatcher.for_site(config, quiet=0.3) as w:
        (site.root / "site.yaml").write_text("title: Changed\n")
        assert next_set(w).changed == {site.root / "site.yaml"}
        (site.root / "content").mkdir()
        time.sleep(0.3)
        page = site.page("2024/01/x.md")
        deadline, seen = time.monotonic() + WAIT, set()
        while page not in seen and time.monotonic() < deadline:
            seen |= (w.next_changes(timeout=1.0) or ChangeSet()).changed
        assert page in seen


def test_path_filter(project):
    _, config = project
    keep = PathFilter.for_site(config)
    root = config.root
    assert not keep.ignored(root / "content/2024/03/a.md")
    assert keep.ignored(root / "public/a/index.html")
    assert keep.ignored(root / ".public.sitegen-old-42/index.html")
    assert keep.ignored(root / ".public.sitegen-new-42")
    assert keep.ignored(root / ".sitegen-cache/db")
    assert keep.ignored(root / "themes/.git/HEAD")
    for name in [".a.md.swp", "a.md~", "#a.md#", ".a.md.x1y2.tmp", "4913", ".#a.md"]:
        assert keep.ignored(root / "content" / name), name
    folders = {t.folder for t in site_targets(config)}
    assert {root, root / "content", root / "seeds"} <= folders
    assert root / "public" not in folders


def test_stop_joins_the_observer_threads(project):
    _, config = project
    import threading
    before = set(threading.enumerate())
    w = SiteWatcher.for_site(config).start()
    assert w.next_changes(timeout=0.1) is None
    w.stop()
    assert set(threading.enumerate()) <= before
    assert w.next_changes(timeout=5) is None  # a stopped watcher never blocks


def test_rebuilder_reloads_site_yaml_and_reports_config_errors(project):
    site, config = project
    rebuilder = Rebuilder(ConfigSource(site.root / "site.yaml"), config)
    assert rebuilder.rebuild().ok
    yaml_file = site.root / "site.yaml"
    yaml_file.write_text("title: Test News\ntitel: typo\n")
    outcome = rebuilder.rebuild(ChangeSet(changed=frozenset({yaml_file})))
    assert outcome.result is None and not outcome.ok
    assert "titel" in outcome.problems[0].message
    yaml_file.write_text("title: Renamed News\n")
    outcome = rebuilder.rebuild(ChangeSet())   # a broken config is retried on any change
    assert outcome.ok and rebuilder.config.title == "Renamed News"
    assert "Renamed News" in (site.public / "index.html").read_text(encoding="utf-8")


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:  # between the two renames of a publish
        return ""


def test_watch_command_rebuilds_and_stops_on_sigterm(project, tmp_path):
    site, _ = project
    log_path = tmp_path / "watch.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sitegen", "watch", "--config",
                                 str(site.root / "site.yaml")], stdout=log,
                                stderr=subprocess.STDOUT)
    index = site.public / "index.html"

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 15
        while text not in read(index):
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"no {text!r}:\n{log_path.read_text()}"
            time.sleep(0.1)

    try:
        wait_for("First")
        site.page("2024/03/a.md", title="Edited title")
        wait_for("Edited title")
        proc.send_signal(15)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "Stopped watching" in output


def test_a_change_no_event_told_of_is_built_once_things_are_quiet(project, tmp_path,
                                                                   monkeypatch):
    """A rebuild looks only at the paths the events named. A page that is a link to a
    file elsewhere changes with no event in content/: once things are quiet, the loop
    looks at every input again, builds what it finds and reports it (the browser
    reloads); a look that finds nothing new reports nothing."""
    import threading
    from sitegen import fsutil, watcher as watcher_module
    from sitegen.watcher import watch_and_build
    site, config = project
    monkeypatch.setattr(watcher_module, "VERIFY_AFTER", 0.5)
    monkeypatch.setattr(fsutil, "RACY_NS", 0)     # files just written are trusted unread
    monkeypatch.setattr(fsutil, "RACY_FINE_NS", 0)
    target = tmp_path / "elsewhere.md"
    target.write_text("---\ntitle: Linked\ndate: 2024-03-04\n---\n\nText.\n", encoding="utf-8")
    (site.root / "content" / "2024" / "03" / "linked.md").symlink_to(target)
    rebuilder = Rebuilder(ConfigSource(site.root / "site.yaml"), config)
    assert rebuilder.rebuild().ok
    index = site.public / "index.html"
    assert "Linked" in read(index)
    outcomes, stop = [], threading.Event()
    w = SiteWatcher.for_site(config, quiet=0.2).start()
    loop = threading.Thread(target=watch_and_build, args=(rebuilder, w, outcomes.append, stop))
    loop.start()
    try:
        target.write_text(target.read_text(encoding="utf-8").replace("Linked", "Relinked"),
                          encoding="utf-8")
        site.page("2024/03/a.md", title="First, edited")      # an event
        deadline = time.monotonic() + WAIT
        while "Relinked" not in read(index) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Relinked" in read(index) and "First, edited" in read(index)
        site.page("2024/03/a.md", title="First, again")      # seen, then nothing missed
        while "First, again" not in read(index) and time.monotonic() < deadline + WAIT:
            time.sleep(0.05)
        time.sleep(1.5)    # the quiet spell: every input looked at, nothing to report
    finally:
        stop.set()
        loop.join(10)
    assert [o.changes is not None for o in outcomes] == [True, False, True]
    assert "index.html" in outcomes[1].changed_outputs


def test_a_rebuild_that_stops_before_it_looks_leaves_the_next_one_to_walk(project):
    """The paths of a change set whose build stopped early (an output folder sitegen
    must not touch) are not lost: the next rebuild, told of nothing, walks the inputs
    and builds the edit."""
    site, config = project
    rebuilder = Rebuilder(ConfigSource(site.root / "site.yaml"), config)
    assert rebuilder.rebuild().ok
    edited = site.page("2024/03/a.md", title="Edited while refused")
    marker = site.public / ".sitegen-output"
    kept = marker.read_bytes()
    marker.unlink()                          # refused: a folder sitegen did not make
    outcome = rebuilder.rebuild(ChangeSet(changed=frozenset({edited})))
    assert outcome.result is None and "did not make" in outcome.problems[0].message
    marker.write_bytes(kept)
    assert rebuilder.rebuild(ChangeSet()).ok          # no event names the page now
    assert "Edited while refused" in (site.public / "index.html").read_text(encoding="utf-8")
