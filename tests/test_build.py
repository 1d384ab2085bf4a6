"""End to end: the seed site built through the CLI, as a reader and a deployer see it."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest

from conftest import Site, parse_html

ARTICLE_TITLE = "U.S. Secretary of State Antony Blinken set to travel to Israel again"


def article_dirs(site: Site) -> list[Path]:
    """Output folders of article pages (/YYYY/MM/DD/slug/)."""
    return sorted(p.parent for p in site.public.glob("[0-9]*/[0-9]*/[0-9]*/*/index.html"))


def broken_internal_links(site: Site, base_path: str = "/") -> list[str]:
    """Every internal link of every HTML page that does not resolve to a file of the output."""
    broken = []
    for page in sorted(site.public.rglob("*.html")):
        rel_dir = posixpath.dirname(page.relative_to(site.public).as_posix())
        for tag, link in parse_html(page.read_text(encoding="utf-8")).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("#", "//")):
                continue
            path = unquote(parts.path)
            if path.startswith("/"):
                assert path.startswith(base_path), f"{page}: {link} leaves the base path"
                target = path[len(base_path):]
            else:
                target = posixpath.normpath(posixpath.join(rel_dir, path))
                if path.endswith("/") or path == "":
                    target += "/"
            if target in ("", ".", "./"):
                target = "index.html"
            elif target.endswith("/"):
                target += "index.html"
            if target.startswith("../") or not (site.public / target).is_file():
                broken.append(f"{page.relative_to(site.public)} -> {link}")
    return broken


@pytest.fixture
def built(seed_site: Site) -> Site:
    result = seed_site.run("build")
    assert result.code == 0, result.err
    return seed_site


def test_seed_site_has_every_page_of_the_url_layout(built: Site):
    [article] = article_dirs(built)
    slug = article.name
    date_parts = article.relative_to(built.public).parts[:3]
    year, month, day = date_parts
    expected = [
        "index.html", f"{year}/{month}/{day}/{slug}/index.html", f"{year}/index.html",
        f"{year}/{month}/index.html", f"{year}/{month}/{day}/index.html", "archive/index.html",
        "topics/index.html", "sources/index.html", "sources/radio-habana-cuba/index.html",
        "sources/radio-habana-cuba/feed.xml", "sources/radio-habana-cuba/atom.xml",
        "feed.xml", "atom.xml", "sitemap.xml", "robots.txt", "404.html", "static/style.css",
    ]
    missing = [rel for rel in expected if not (built.public / rel).is_file()]
    assert missing == []
    topic_pages = list(built.public.glob("topics/*/index.html"))
    assert topic_pages, "the seed got no topic"
    for topic_page in topic_pages:
        assert (topic_page.parent / "feed.xml").is_file()
        assert ARTICLE_TITLE in topic_page.read_text(encoding="utf-8")


def test_article_page_shows_what_a_reader_expects(built: Site):
    [article] = article_dirs(built)
    html = (article / "index.html").read_text(encoding="utf-8")
    parsed = parse_html(html)
    assert ARTICLE_TITLE in html
    assert "Radio Habana Cuba" in html
    assert "Washington" in html
    assert "cuddles up to his buddy" in html          # the subtitle
    assert "Jordan recalled its ambassador" in html   # the body
    canonical = [a for t, a in parsed.tags if t == "link" and a.get("rel") == "canonical"]
    assert canonical and canonical[0]["href"].startswith("https://www.radiohc.cu/en/noticias/")
    hrefs = [link for _, link in parsed.links]
    assert any(h.startswith("https://www.radiohc.cu/") for h in hrefs)
    assert "<script>" not in html.replace('<script type="application/ld+json">', "")


def test_no_internal_link_is_broken(built: Site):
    assert broken_internal_links(built) == []


def test_sub_path_base_url_keeps_every_link_working(seed_site: Site):
    result = seed_site.run("build", "--base-url", "https://example.org/news/")
    assert result.code == 0, result.err
    assert broken_internal_links(seed_site, "/news/") == []
    for rel in ("feed.xml", "atom.xml", "sitemap.xml", "robots.txt"):
        text = seed_site.read(rel)
        assert "https://example.org/news/" in text
        assert "https://example.org/20" not in text   # no URL lost its sub-path
    not_found = parse_html(seed_site.read("404.html"))
    assert any(link.startswith("/news/static/") for _, link in not_found.links)


def test_feeds_read_back_cleanly_with_stable_ids(built: Site):
    page = next(built.root.glob("content/**/*.md")).read_text(encoding="utf-8")
    page_id = next(line.split(": ", 1)[1] for line in page.splitlines() if line.startswith("id: "))
    for rel in ["feed.xml", "atom.xml", *[p.relative_to(built.public).as_posix()
                                          for p in built.public.glob("*/*/*.xml")]]:
        feed = feedparser.parse(built.read(rel))
        assert not feed.bozo, (rel, feed.get("bozo_exception"))
        [entry] = feed.entries
        assert entry.id == page_id
        assert entry.link.startswith("http://localhost:8000/")
        assert entry.title == ARTICLE_TITLE
        assert entry.published_parsed is not None


def test_two_builds_are_byte_identical(built: Site, tmp_path: Path):
    first = built.files()
    result = built.run("build", "--output", str(built.root / "again"))
    assert result.code == 0, result.err
    assert built.files(built.root / "again") == first


def test_rebuild_changes_no_content_file(built: Site):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.root.glob("content/**/*.md")}
    assert built.run("build").code == 0
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in built.root.glob("content/**/*.md")}
    assert after == before


def test_curator_edits_show_and_survive_rebuilds(built: Site):
    [page] = built.root.glob("content/**/*.md")
    text = page.read_text(encoding="utf-8")
    edited = text.replace(f"title: {ARTICLE_TITLE}", "title: Blinken heads back to Israel")
    edited = edited.replace("topics:\n", "topics:\n  - my-own-topic\n", 1)
    assert edited != text
    page.write_text(edited, encoding="utf-8")
    assert built.run("build").code == 0
    assert page.read_text(encoding="utf-8") == edited
    [article] = article_dirs(built)
    assert article.name == "blinken-heads-back-to-israel"
    assert "Blinken heads back to Israel" in (article / "index.html").read_text(encoding="utf-8")
    assert (built.public / "topics" / "my-own-topic" / "index.html").is_file()
    assert not list(built.public.glob("20*/*/*/us-secretary-*"))  # old URL gone


def test_summary_line_counts_pages(built: Site):
    result = built.run("build")
    assert "Articles" in result.out and "|      1" in result.out
    assert result.err == ""
