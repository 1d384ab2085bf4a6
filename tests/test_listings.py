"""Listing a folder from the folders found last time: always what a fresh listing gives,
reading again only the folders changed since."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest

from sitegen import fsutil
from sitegen.listings import relist, scan_folder

TICK = 0.03   # longer than a tick of the clock that stamps changes (1-10 ms)


def _trust_after_a_tick(monkeypatch) -> None:
    """Every folder trusted once the clock tick of its last change is over."""
    monkeypatch.setattr(fsutil, "RACY_NS", 0)
    monkeypatch.setattr(fsutil, "RACY_FINE_NS", 0)


def _tree(root: Path, rng: random.Random, depth: int = 0) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for n in range(rng.randint(1, 4)):
        (root / f"f{n}.html").write_text(f"{n}")
    if depth < 3:
        for n in range(rng.randint(0, 3)):
            _tree(root / f"d{n}", rng, depth + 1)


def _folders(root: Path) -> list[Path]:
    return [Path(d) for d, _, _ in os.walk(root)]


def _mutate(root: Path, rng: random.Random, serial: int) -> str:
    """One change of the kinds a folder may see behind sitegen's back."""
    folders = _folders(root)
    where = rng.choice(folders)
    files = [p for p in where.iterdir() if p.is_file() and not p.is_symlink()]
    kind = rng.choice(["add", "delete", "replace", "link", "fifo", "folder", "rmtree",
                       "rename", "file-for-folder", "folder-for-file", "rewrite", "swap"])
    if kind == "add" or (not files and kind in ("delete", "replace", "rewrite",
                                                 "folder-for-file")):
        (where / f"new{serial}.html").write_text("new")
    elif kind == "delete":
        rng.choice(files).unlink()
    elif kind == "replace":    # another file (inode) under the same name
        target = rng.choice(files)
        (where / "tmp").write_text("other")
        os.replace(where / "tmp", target)
    elif kind == "link":
        (where / f"link{serial}").symlink_to(root)
    elif kind == "fifo":
        os.mkfifo(where / f"fifo{serial}")
    elif kind == "folder":
        _tree(where / f"made{serial}", rng, 2)
    elif kind == "rewrite":    # the same file, new bytes: no listing shows it
        rng.choice(files).write_text(f"rewritten {serial}")
    elif kind == "folder-for-file":
        target = rng.choice(files)
        target.unlink()
        target.mkdir()
        (target / "inside.html").write_text("x")
    else:
        subfolders = [d for d in folders if d != root]
        if not subfolders:
            return _mutate(root, rng, serial)
        folder = rng.choice(subfolders)
        if kind == "rmtree":
            shutil.rmtree(folder)
        elif kind == "rename":
            folder.rename(folder.parent / f"moved{serial}")
        elif kind == "file-for-folder":
            shutil.rmtree(folder)
            folder.write_text("now a file")
        else:   # "swap": the folder replaced by another one made elsewhere
            other = root.parent / f"other{serial}"
            _tree(other, rng, 2)
            shutil.rmtree(folder)
            other.rename(folder)
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_listing_from_the_last_one_is_always_a_fresh_listing(tmp_path, monkeypatch, seed):
    """Random changes of every kind (files added, deleted, replaced; links, pipes;
    folders made, removed, renamed, swapped, turned into files and back): after each,
    the listing made from the last one equals a fresh listing."""
    _trust_after_a_tick(monkeypatch)
    rng = random.Random(seed)
    root = tmp_path / "public"
    _tree(root, rng)
    listed, known, gone = relist(root, {})
    assert listed == scan_folder(root) and not gone
    history = []
    for step in range(40):
        time.sleep(TICK)
        history.append(_mutate(root, rng, step))
        listed, read, gone = relist(root, known)
        assert listed == scan_folder(root), history
        known = {k: v for k, v in {**known, **read}.items() if k not in gone}
        assert set(known) == {"" if d == root else f"{d.relative_to(root).as_posix()}/"
                              for d in _folders(root)}, history


def test_only_the_folders_changed_since_are_read_again(tmp_path, monkeypatch):
    _trust_after_a_tick(monkeypatch)
    root = tmp_path / "public"
    for day in ("2024/03/01", "2024/03/02", "2024/04/01"):
        (root / day / "story").mkdir(parents=True)
        (root / day / "story" / "index.html").write_text(day)
    (root / "index.html").write_text("home")
    _, known, _ = relist(root, {})
    assert len(known) == 10
    time.sleep(TICK)
    (root / "2024/03/02/story/index.html").unlink()
    (root / "2024/04/01/stray.html").write_text("not ours")
    listed, read, gone = relist(root, known)
    assert set(read) == {"2024/03/02/story/", "2024/04/01/"} and not gone
    assert listed == scan_folder(root)
    shutil.rmtree(root / "2024/03")
    time.sleep(TICK)
    listed, read, gone = relist(root, {**known, **read})
    assert set(read) == {"2024/"} and sorted(gone) == [
        "2024/03/", "2024/03/01/", "2024/03/01/story/", "2024/03/02/", "2024/03/02/story/"]
    assert listed == scan_folder(root)


def test_a_folder_changed_just_before_a_listing_is_read_again_by_the_next(tmp_path):
    """A change in the clock tick of the last listing leaves a folder's change time as it
    was: a folder changed just before a listing is not trusted next time."""
    root = tmp_path / "public"
    (root / "a").mkdir(parents=True)
    (root / "a" / "index.html").write_text("a")
    _, known, _ = relist(root, {})
    assert all(folder.ident[2] == -1 for folder in known.values())
    (root / "a" / "index.html").unlink()     # at once: maybe within the same tick
    listed, read, _ = relist(root, known)
    assert listed == scan_folder(root) == ({}, []) and set(read) == {"", "a/"}


def test_whole_second_change_times_are_trusted_later_than_finer_ones():
    """A file system that keeps whole seconds (ext3, FAT, ...) stamps every change of a
    second alike: its folders are trusted 2 s after their change, others after 0.2 s."""
    second = 1_000_000_000
    fine = 1_733_000_000 * second + 123_456_789
    assert not fsutil.settled(fine, fine + second // 10)
    assert fsutil.settled(fine, fine + second // 4)
    whole = 1_733_000_000 * second
    assert not fsutil.settled(whole, whole + second // 4)
    assert not fsutil.settled(whole, whole + 3 * second // 2)
    assert fsutil.settled(whole, whole + 2 * second)


def test_a_folder_that_vanishes_while_listed_gives_a_fresh_listing(tmp_path, monkeypatch):
    _trust_after_a_tick(monkeypatch)
    root = tmp_path / "public"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "index.html").write_text("b")
    _, known, _ = relist(root, {})
    # what a listing knows of a/ is stale (a file stood in for b/ meanwhile, a lie
    # its change time could not tell): b/ is then no folder when it is looked at
    shutil.rmtree(root / "a" / "b")
    (root / "a" / "b").write_text("a file now")
    known["a/"] = known["a/"]._replace(ident=tuple(
        getattr(os.lstat(root / "a"), k) for k in ("st_dev", "st_ino", "st_ctime_ns")))
    listed, read, gone = relist(root, known)
    assert listed == scan_folder(root) == ({"a/b": os.lstat(root / "a" / "b").st_ino}, [])
    assert gone == ["a/b/"] and set(read) == {"", "a/"}
