"""The import rules of product.md: new seeds become pages; nothing a curator wrote is lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Site

SEED = """\
# *Quake shakes the capital*
---
**Rescue teams search the rubble**
MADRID, March 5 (Reuters) - A strong earthquake shook the capital on Tuesday, officials said.

Buildings swayed for several seconds.
---
<https://news.example/2024/03/05/quake>
**Example News**
"""


def seed(site: Site, name: str = "quake.txt", text: str = SEED, mtime: float = 1_710_000_000) -> Path:
    return site.write(f"seeds/{name}", text, mtime=mtime)


def pages(site: Site) -> list[Path]:
    return sorted((site.root / "content").rglob("*.md"))


def test_new_seed_becomes_a_content_page(site: Site):
    seed(site)
    result = site.run("import")
    assert result.code == 0, result.err
    [page] = pages(site)
    assert page.relative_to(site.root).as_posix() == "content/2024/03/quake-shakes-the-capital.md"
    text = page.read_text(encoding="utf-8")
    for line in ("title: Quake shakes the capital", "date: 2024-03-05", "dateline: Madrid",
                 "source: Example News", "source_url: https://news.example/2024/03/05/quake",
                 "subtitle: Rescue teams search the rubble", "seed: quake.txt", "id: urn:uuid:"):
        assert line in text or line.replace("Madrid", "MADRID") in text, line
    assert "A strong earthquake shook the capital" in text
    assert "(Reuters) -" not in text.split("---", 2)[2]   # dateline moved out of the body
    umask = os.umask(0)
    os.umask(umask)
    assert page.stat().st_mode & 0o777 == 0o666 & ~umask   # as any new file, not private


def test_nothing_new_changes_no_file(site: Site):
    seed(site)
    site.run("import")
    [page] = pages(site)
    before = (page.read_bytes(), page.stat().st_mtime_ns)
    result = site.run("build")
    assert result.code == 0
    assert (page.read_bytes(), page.stat().st_mtime_ns) == before
    assert "Imported" not in result.err


def test_edited_page_is_never_overwritten_and_a_changed_seed_is_reported(site: Site):
    seed_path = seed(site)
    site.run("import")
    [page] = pages(site)
    edited = page.read_text(encoding="utf-8").replace("Quake shakes the capital", "Curator's title")
    page.write_text(edited, encoding="utf-8")
    seed_path.write_text(SEED.replace("Buildings swayed", "Windows broke"), encoding="utf-8")
    result = site.run("build")
    assert page.read_text(encoding="utf-8") == edited
    assert pages(site) == [page]
    assert result.err.count("seeds/quake.txt") == 1
    assert "edited" in result.err and "both left as they are" in result.err
    assert result.code == 0                      # a warning, not a rejection
    assert site.run("build", "--strict").code == 1


def test_unedited_page_follows_its_changed_seed_and_keeps_its_id(site: Site):
    seed_path = seed(site)
    site.run("import")
    [page] = pages(site)
    page.chmod(0o664)                              # shared with the newsroom's group
    old_id = next(l for l in page.read_text().splitlines() if l.startswith("id:"))
    seed_path.write_text(SEED.replace("Buildings swayed", "Windows broke"), encoding="utf-8")
    assert site.run("import").code == 0
    text = page.read_text(encoding="utf-8")
    assert "Windows broke" in text and old_id in text
    assert page.stat().st_mode & 0o777 == 0o664    # replaced, not made private


def test_removed_seed_never_deletes_its_page(site: Site):
    seed_path = seed(site)
    site.run("import")
    seed_path.unlink()
    result = site.run("build")
    assert result.code == 0
    assert len(pages(site)) == 1
    assert list(site.public.glob("2024/03/05/quake-shakes-the-capital/index.html"))


def test_same_story_twice_is_imported_once_and_reported(site: Site):
    seed(site, "a.txt")
    seed(site, "b.txt", SEED.replace("Quake shakes", "Earthquake shakes"))   # same URL
    seed(site, "c.txt", SEED.replace("<https://news.example/2024/03/05/quake>",
                                     "<https://mirror.example/quake>"))      # same text
    seed(site, "d.txt")                                                      # same bytes
    result = site.run("import")
    assert len(pages(site)) == 1
    # the duplicates' pages, rendered before they were found out, leave no file behind
    assert [p for p in (site.root / "content").rglob("*") if p.is_file()] == pages(site)
    assert all(f"seeds/{n}.txt" in result.err for n in "bcd")
    assert "seeds/a.txt" not in result.err
    assert result.err.count("same story") == 3


def test_a_duplicate_from_another_month_leaves_no_empty_folder(site: Site):
    seed(site, "a.txt")
    seed(site, "b.txt", SEED.replace("MADRID, March 5", "MADRID, June 9, 2023"))   # same URL
    result = site.run("import")
    assert "seeds/b.txt" in result.err and "same story" in result.err
    assert sorted(p.relative_to(site.root).as_posix() for p in (site.root / "content").rglob("*")) \
        == ["content/2024", "content/2024/03", "content/2024/03/quake-shakes-the-capital.md"]


def test_same_title_twice_gets_distinct_files(site: Site):
    seed(site, "a.txt")
    seed(site, "b.txt", SEED.replace("news.example/2024/03/05/quake", "other.example/x")
         .replace("Buildings swayed", "Other words entirely"))
    site.run("import")
    names = [p.name for p in pages(site)]
    assert names == ["quake-shakes-the-capital-2.md", "quake-shakes-the-capital.md"]


def test_bad_seeds_are_skipped_with_a_warning_and_the_rest_imports(site: Site):
    seed(site)
    site.write("seeds/empty.txt", "")
    (site.root / "seeds" / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (site.root / "seeds" / "legacy.txt").write_bytes(
        SEED.replace("Quake shakes", "Caf\u00e9 opens").replace("2024/03/05/quake", "cafe")
        .replace("Buildings swayed", "Nobody").encode("cp1252"))
    result = site.run("build")
    assert result.code == 0
    for name in ("empty.txt", "binary.txt", "legacy.txt"):
        assert f"seeds/{name}" in result.err
    titles = sorted(p.name for p in pages(site))
    assert titles == ["cafe-opens-the-capital.md", "quake-shakes-the-capital.md"]


def test_oversized_seed_is_skipped(site: Site):
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nimport:\n  max_seed_bytes: 100\n")
    seed(site)
    result = site.run("import")
    assert pages(site) == [] and "seeds/quake.txt" in result.err


def test_seed_without_a_year_takes_assume_year(site: Site):
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nimport:\n  assume_year: 2019\n")
    seed(site, text=SEED.replace("news.example/2024/03/05/quake", "news.example/quake"))
    site.run("import")
    [page] = pages(site)
    assert "date: 2019-03-05" in page.read_text(encoding="utf-8")


def test_seed_without_any_date_uses_mtime_with_a_warning(site: Site):
    seed(site, text=SEED.replace("MADRID, March 5 (Reuters) - ", "")
         .replace("news.example/2024/03/05/quake", "news.example/quake"), mtime=1_600_000_000)
    result = site.run("import")
    [page] = pages(site)
    assert "date: 2020-09-13T12:26:40+00:00" in page.read_text(encoding="utf-8")
    assert "seeds/quake.txt" in result.err and "date" in result.err


@pytest.mark.parametrize("command", ["import", "build"])   # build: found by its inputs walk
def test_temporary_files_of_a_killed_import_are_cleaned(site: Site, command: str):
    seed(site)
    leftover = site.write("content/2024/03/.quake-shakes-the-capital.md.abc123.tmp", "half")
    assert site.run(command).code == 0
    assert not leftover.exists()
    assert len(pages(site)) == 1


def test_the_seeds_left_out_are_decided_alike_unless_an_edit_touches_what_decides_them():
    """``pending_unmoved``: an edit of the page a left-out seed names, or one that gives a
    page the seed's source URL or text, may change what the import does with it."""
    from sitegen.importer import PendingSeed, pending_unmoved
    from sitegen.model import PageInfo

    pending = [PendingSeed((), "content/a.md", "https://example.org/s1", "fp-s1"),
               PendingSeed(())]     # an empty seed: nothing in content/ decides it
    elsewhere = PageInfo("content/b.md", source_url="https://example.org/b", fingerprint="fp-b")
    assert pending_unmoved(pending, [elsewhere])
    assert pending_unmoved(pending, [])
    assert not pending_unmoved(pending, [PageInfo("content/a.md", fingerprint="fp-a2")])
    assert not pending_unmoved(pending, [PageInfo("content/b.md",
                                                  source_url="https://example.org/s1")])
    assert not pending_unmoved(pending, [PageInfo("content/b.md", fingerprint="fp-s1")])
    assert pending_unmoved(pending[1:], [PageInfo("content/a.md", fingerprint="fp-s1")])
