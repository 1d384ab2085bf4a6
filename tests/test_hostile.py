"""Every row of product.md "Bad input", through the real command line.

Each test feeds the input, then checks what the user sees (file, line, key, what to do),
the exit status, what was built, and what was left untouched. Rows tested elsewhere are
extended here, not repeated: test_reader.py (basic malformed YAML, missing title/date, unsafe
slugs, slug clashes), test_cli.py (--output safety, bad site.yaml), test_xss.py (markup).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest

from conftest import Site


def articles(site: Site) -> list[str]:
    """Slugs of the article pages in the output."""
    return sorted(p.parent.name for p in site.public.glob("[0-9]*/[0-9]*/[0-9]*/*/index.html"))


def diagnostics(err: str) -> list[str]:
    """The `file...: level: message` lines of a run (hints are on their own lines)."""
    return [line for line in err.splitlines() if re.match(r"^\S.*: (error|warning): ", line)]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ malformed YAML front matter

def test_malformed_yaml_line_is_counted_in_the_file_with_blank_lines_before_the_fence(site: Site):
    site.page("good.md", title="Good")
    site.write("content/bad.md", "\n\n---\ntitle: Bad\ndate: 2024-03-05\nsummary: \"unclosed\n---\nx\n")
    site.write("content/tab.md", "---\ntitle: Tab\n\tdate: 2024-03-05\n---\nx\n")
    result = site.run("build")
    assert result.code == 1
    [bad] = [d for d in diagnostics(result.err) if "content/bad.md" in d]
    assert re.match(r"content/bad\.md:(6|7):\d+: error: malformed YAML", bad), bad
    [tab] = [d for d in diagnostics(result.err) if "content/tab.md" in d]
    assert tab.startswith("content/tab.md:3:") and "malformed YAML" in tab
    assert "hint: fix the YAML syntax" in result.err
    assert articles(site) == ["good"]


def test_front_matter_that_is_not_a_mapping_or_missing_or_not_utf8(site: Site):
    site.page("good.md", title="Good")
    site.write("content/list.md", "---\n- a\n- b\n---\nx\n")
    site.write("content/none.md", "Just a body, no front matter.\n")
    site.write("content/empty.md", "")
    (site.root / "content/latin1.md").write_bytes(b"---\ntitle: Caf\xe9\ndate: 2024-03-05\n---\n")
    (site.root / "content/folder.md").mkdir()
    result = site.run("build")
    assert result.code == 1
    for name in ("list", "none", "empty", "latin1"):
        assert len([d for d in diagnostics(result.err) if f"content/{name}.md" in d]) == 1, name
    assert "not a mapping" in result.err and "no YAML front matter" in result.err
    assert "not valid UTF-8" in result.err and "Traceback" not in result.err
    assert articles(site) == ["good"]


def test_yaml_alias_bomb_is_read_quickly_and_harmlessly(site: Site):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    site.write("content/bomb.md", "---\ntitle: Bomb\ndate: 2024-03-05\n" + "\n".join(lines)
               + "\ntopics: *i\nsubtitle: *i\n---\nx\n")
    result = site.run("build")
    assert result.code == 0 and articles(site) == ["bomb"]


# ------------------------------------------------------------------ missing or invalid title / date

@pytest.mark.parametrize("front, key", [
    ("title: [a, list]\ndate: 2024-03-05", "title"),
    ("title: {a: mapping}\ndate: 2024-03-05", "title"),
    ("title: '   '\ndate: 2024-03-05", "title"),
    ("title: T\ndate:", "date"),
    ("title: T\ndate: 20240305", "date"),
    ("title: T\ndate: 2024-02-30", "date"),
    ("title: T\ndate: [2024, 3, 5]", "date"),
    ("title: T\ndate: 9999-12-31T23:00:00-05:00", "date"),     # past year 9999 in UTC
    ("title: T\ndate: 0001-01-01T00:00:00+05:00", "date"),     # before year 1 in UTC
])
def test_invalid_title_or_date_names_the_file_and_key_and_leaves_the_page_out(site: Site, front, key):
    site.page("good.md", title="Good")
    site.write("content/bad.md", f"---\n{front}\n---\nbody\n")
    result = site.run("build")
    assert result.code == 1, result.err
    errors = [d for d in diagnostics(result.err) if ": error: " in d]
    assert len(errors) == 1 and errors[0].startswith("content/bad.md") and f"'{key}'" in errors[0]
    assert "hint: " in result.err and "internal error" not in result.err
    assert articles(site) == ["good"]


def test_control_characters_never_make_a_feed_ill_formed(site: Site):
    site.write("content/ctl.md", '---\ntitle: "Bell \\a and \\x01 escape"\ndate: 2024-03-05\n'
                                 'id: urn:x:1\nsummary: "form\\ffeed"\n---\n\nBody \x02 with \x1b[31m ansi\n')
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nfeeds:\n  full_content: true\n")
    result = site.run("build")
    assert result.code == 0, result.err
    for feed in ("feed.xml", "atom.xml"):
        ElementTree.parse(site.public / feed)
        parsed = feedparser.parse(site.public / feed)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.entries[0].title == "Bell  and  escape"


# ------------------------------------------------------------------ same URL, same slug

def test_an_explicit_slug_and_a_title_on_the_same_url_name_both_files(site: Site):
    site.page("a.md", title="Story", id="urn:a")
    site.page("b.md", title="Other", slug="story", id="urn:b")
    result = site.run("build")
    lines = [d for d in diagnostics(result.err) if "content/a.md" in d and "content/b.md" in d]
    assert len(lines) == 1, result.err
    assert len(articles(site)) == 2 or result.code == 1


def test_same_slug_resolution_does_not_depend_on_file_timestamps(site: Site):
    site.page("z.md", title="Same", id="urn:z")
    site.page("a.md", title="Same", id="urn:a")
    assert site.run("build").code == 0
    first = snapshot(site.public)
    os.utime(site.root / "content/a.md", (2_000_000_000, 2_000_000_000))
    assert site.run("build").code == 0
    assert snapshot(site.public) == first
    assert articles(site) == ["same", "same-2"]


# ------------------------------------------------------------------ unsafe slugs

@pytest.mark.parametrize("slug", ["..", ".", "../x", "/etc/passwd", "C:\\evil", "\\\\server\\share",
                                  "~root", "a/../../b", "%2e%2e%2fx", "///", "page"])
def test_unsafe_slug_is_an_error_naming_the_file(site: Site, slug: str):
    site.page("ok.md", title="OK", id="urn:ok")
    site.write("content/evil.md", f"---\ntitle: Evil\ndate: 2024-03-05\nid: urn:e\nslug: {slug!r}\n---\nx\n")
    before = sorted(p.name for p in site.root.parent.iterdir())
    result = site.run("build")
    evil = [d for d in diagnostics(result.err) if d.startswith("content/evil.md")]
    assert evil, result.err
    if any(": error: " in d for d in evil):
        assert result.code == 1 and articles(site) == ["ok"]
    else:   # a harmless slug made safe by slugify, with a warning naming the one used
        assert result.code == 0 and len(articles(site)) == 2
    built = [p.relative_to(site.public).as_posix() for p in site.public.rglob("*")]
    assert all(".." not in part and "\\" not in part for part in built)
    assert sorted(p.name for p in site.root.parent.iterdir()) == before


# ------------------------------------------------------------------ seeds: empty, binary, too big, legacy

def test_empty_binary_and_oversized_seeds_are_skipped_with_a_warning_naming_them(site: Site):
    site.write("site.yaml", "title: T\nbase_url: https://example.org/\nimport:\n  max_seed_bytes: 2000\n")
    site.write("seeds/good.txt", "# *Good seed*\n---\nMADRID, March 5, 2024 (AP) - Text.\n---\n"
                                 "<https://example.org/good>\n")
    site.write("seeds/empty.txt", "")
    site.write("seeds/blank.txt", "  \n\n\t\n")
    (site.root / "seeds/binary.txt").write_bytes(bytes(range(256)) * 4)
    (site.root / "seeds/png.md").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02\xff" * 100)
    site.write("seeds/huge.txt", "# *Huge*\n---\n" + "word " * 1000 + "\n")
    result = site.run("build")
    assert result.code == 0, result.err
    for name in ("empty", "blank", "binary", "huge"):
        [line] = [d for d in diagnostics(result.err) if f"seeds/{name}.txt" in d]
        assert ": warning: " in line and "skipped" in line
    assert "seeds/png.md" in result.err
    assert "max_seed_bytes" in result.err          # what to do about the big one
    assert [p.name for p in (site.root / "content").rglob("*.md")] == ["good-seed.md"]
    assert articles(site) == ["good-seed"]
    assert site.run("build", "--strict").code == 1


def test_legacy_encoded_seed_is_decoded_with_a_warning(site: Site):
    text = "# *Caf\u00e9 \u201cnews\u201d in Espa\u00f1a*\n---\nMADRID, March 5, 2024 (EFE) - Ni\u00f1os.\n---\n"
    (site.root / "seeds").mkdir()
    (site.root / "seeds/legacy.txt").write_bytes(text.encode("cp1252"))
    result = site.run("build")
    assert result.code == 0
    [line] = [d for d in diagnostics(result.err) if "seeds/legacy.txt" in d]
    assert "warning" in line and "cp1252" in line and "UTF-8" in result.err
    [page] = (site.root / "content").rglob("*.md")
    assert "Caf\u00e9 \u201cnews\u201d in Espa\u00f1a" in page.read_text(encoding="utf-8")


# ------------------------------------------------------------------ the output folder

@pytest.mark.parametrize("output_dir", [".", "..", "/", "content", "mine", "link", "afile"])
def test_unsafe_output_dir_in_site_yaml_is_refused_before_anything_is_touched(site: Site, output_dir):
    site.write("site.yaml", f"title: T\nbase_url: https://example.org/\noutput_dir: {output_dir!r}\n")
    site.page("a.md", title="A")
    site.write("mine/notes.txt", "my own files")
    (site.root / "link").symlink_to(site.root / "mine")
    site.write("afile", "a file, not a folder")
    site.write("seeds/new.txt", "# *New*\n---\nText.\n---\n<https://example.org/new>\n")
    before = snapshot(site.root)
    result = site.run("build")
    assert result.code == 2, result.err
    assert "refusing" in result.err and "output" in result.err and "hint:" in result.err
    assert snapshot(site.root) == before          # nothing imported, nothing deleted


def test_an_empty_folder_or_sitegens_own_is_fine(site: Site):
    site.page("a.md", title="A")
    site.public.mkdir()
    assert site.run("build").code == 0
    assert (site.public / ".sitegen-output").is_file()
    (site.public / "stale.html").write_text("old")
    assert site.run("build").code == 0
    assert not (site.public / "stale.html").exists()


# ------------------------------------------------------------------ reported together, once each

def test_every_problem_is_reported_once_in_one_run(site: Site):
    site.page("good.md", title="Good", id="urn:g")
    site.write("content/yaml.md", "---\ntitle: [x\n---\n")
    site.write("content/notitle.md", "---\ndate: 2024-03-05\n---\n")
    site.write("content/nodate.md", "---\ntitle: T\n---\n")
    site.write("content/slug.md", "---\ntitle: S\ndate: 2024-03-05\nslug: ../x\n---\n")
    site.page("noid.md", title="No id")
    site.write("seeds/empty.txt", "")
    result = site.run("build")
    assert result.code == 1
    lines = diagnostics(result.err)
    assert len(lines) == len(set(lines)) == 6, lines
    for name in ("content/yaml.md", "content/notitle.md", "content/nodate.md", "content/slug.md",
                 "content/noid.md", "seeds/empty.txt"):
        assert sum(line.startswith(name) for line in lines) == 1, name
    assert "Errors         |      4" in result.out and "Warnings       |      2" in result.out
    assert articles(site) == ["good", "no-id"]


def test_strict_turns_each_kind_of_warning_into_a_failure_but_still_builds(site: Site):
    site.page("a.md", title="A", id="urn:a")
    site.write("seeds/empty.txt", "")
    assert site.run("build").code == 0
    result = site.run("build", "--strict")
    assert result.code == 1 and "seeds/empty.txt" in result.err
    assert articles(site) == ["a"]
