"""The default theme as a reader, a search engine and a theme author see it; the search step."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO, Site, parse_html

BROADSHEET = REPO / "tests" / "fixtures" / "themes" / "broadsheet"
ARTICLE = "2024/03/05/second-story/index.html"


def _news_site(site: Site, extra_config: str = "") -> Site:
    site.write("site.yaml", "title: Test News\nbase_url: https://example.org/news/\n"
                            "description: Tests of the theme.\ncanonical: self\n" + extra_config +
               "topics:\n  - name: Economy\n    slug: economy\n    description: Money matters.\n"
               "  - name: Climate\n    slug: climate\n")
    site.page("2024/03/first.md", title="First story", date="2024-03-04T09:00:00+00:00",
              id="urn:t:1", source="Reuters", source_url="https://www.reuters.com/a/1",
              topics="[economy]", body="First body.")
    site.page("2024/03/second.md", title="Second story", date="2024-03-05T09:00:00+00:00",
              id="urn:t:2", source="Reuters", source_url="https://www.reuters.com/a/2",
              subtitle="'A standfirst that explains'", dateline="Madrid", agency="AP",
              updated="2024-03-06T10:00:00+00:00", topics="[economy, climate]",
              body=" ".join(["word"] * 450) + "\n\n## Inside heading\n\nMore.")
    site.page("2024/03/third.md", title="Third story", date="2024-03-06T09:00:00+00:00",
              id="urn:t:3", source="El País", topics="[climate]", body="Third body.")
    return site


@pytest.fixture
def news(site: Site) -> Site:
    _news_site(site)
    result = site.run("build")
    assert result.code == 0, result.err
    return site


def _json_ld(html: str) -> list[dict]:
    out, rest = [], html
    marker = '<script type="application/ld+json">'
    while marker in rest:
        rest = rest.split(marker, 1)[1]
        text, rest = rest.split("</script>", 1)
        out.append(json.loads(text))
    return out


def _attrs(page, tag: str, **match) -> list[dict]:
    return [a for t, a in page.tags if t == tag and all(a.get(k) == v for k, v in match.items())]


# --- what a reader sees ----------------------------------------------------------------------

def test_article_page_has_what_a_news_reader_expects(news: Site):
    html = news.read(ARTICLE)
    page = parse_html(html)
    assert html.count("<h1") == 1 and "Second story</h1>" in html
    assert "A standfirst that explains" in html
    assert "Madrid (AP)" in html
    assert '<time datetime="2024-03-05T09:00:00+00:00"' in html
    assert "Updated" in html and "2 min read" in html
    badge = _attrs(page, "a", **{"class": "source-badge"})
    assert badge and badge[0]["href"] == "https://www.reuters.com/a/2"
    topic_links = {a["href"] for a in _attrs(page, "a", **{"class": "tag"})}
    assert topic_links == {"../../../../topics/economy/", "../../../../topics/climate/"}
    assert "First story" in html and "Third story" in html        # older / newer
    assert 'id="related-title"' in html                           # related articles


def test_page_shell_has_landmarks_skip_link_and_no_foreign_resource(news: Site):
    for rel in ("index.html", ARTICLE, "topics/index.html", "archive/index.html", "404.html"):
        html = news.read(rel)
        page = parse_html(html)
        assert '<a class="skip-link" href="#main">' in html
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (rel, landmark)
        for tag, attrs in page.tags:
            resource = attrs.get("src") or (attrs.get("href") if tag == "link" and
                                            attrs.get("rel") in ("stylesheet", "icon") else None)
            if resource:
                assert not resource.startswith(("http:", "https:", "//")), (rel, resource)
        scripts = [a for t, a in page.tags if t == "script"]
        assert all(a.get("type") == "application/ld+json" for a in scripts), rel   # no JS here


def test_metadata_json_ld_open_graph_feeds_canonical(news: Site):
    html = news.read(ARTICLE)
    page = parse_html(html)
    article, crumbs = _json_ld(html)
    assert article["@type"] == "NewsArticle" and article["headline"] == "Second story"
    assert article["datePublished"] == "2024-03-05T09:00:00+00:00"
    assert article["dateModified"] == "2024-03-06T10:00:00+00:00"
    assert article["publisher"]["name"] == "Reuters"
    assert article["isBasedOn"] == "https://www.reuters.com/a/2"
    assert crumbs["@type"] == "BreadcrumbList"
    assert crumbs["itemListElement"][0]["item"] == "https://example.org/news/"
    url = "https://example.org/news/2024/03/05/second-story/"
    assert _attrs(page, "link", rel="canonical")[0]["href"] == url
    assert _attrs(page, "meta", property="og:url")[0]["content"] == url
    assert _attrs(page, "meta", property="og:type")[0]["content"] == "article"
    assert _attrs(page, "meta", name="twitter:card")
    assert _attrs(page, "meta", name="description")[0]["content"]
    feeds = {a["href"] for a in _attrs(page, "link", rel="alternate")}
    assert {"https://example.org/news/feed.xml", "https://example.org/news/atom.xml"} <= feeds
    topic = parse_html(news.read("topics/economy/index.html"))
    assert "https://example.org/news/topics/economy/feed.xml" in {
        a["href"] for a in _attrs(topic, "link", rel="alternate")}


def test_home_archive_and_directories_show_counts(news: Site):
    home = news.read("index.html")
    assert "Topics of the day" in home and "Climate" in home
    archive = news.read("archive/index.html")
    assert 'href="../2024/03/"' in archive and "March" in archive
    assert archive.count("month--empty") == 11                      # the other months of 2024
    topics = news.read("topics/index.html")
    assert "Economy" in topics and "2 articles" in topics and "Money matters." in topics
    sources = news.read("sources/index.html")
    assert "Reuters" in sources and "2 articles" in sources and "El País" in sources


# --- theme authoring -------------------------------------------------------------------------

def test_child_theme_overrides_a_block_and_inherits_the_rest(site: Site):
    _news_site(site, "theme: broadsheet\n")
    shutil.copytree(BROADSHEET, site.root / "themes" / "broadsheet")
    result = site.run("build")
    assert result.code == 0, result.err
    for rel in ("index.html", ARTICLE):
        html = site.read(rel)
        assert "Broadsheet edition" in html                          # the override
        assert "static/broadsheet.css" in html and "static/style.css" in html   # super()
        assert '<a class="skip-link" href="#main">' in html          # inherited shell
    assert "Topics of the day" in site.read("index.html")           # inherited page
    assert "source-badge" in site.read(ARTICLE)
    assert (site.public / "static" / "broadsheet.css").is_file()
    assert (site.public / "static" / "style.css").is_file()


def test_site_templates_override_one_block_of_one_template(site: Site):
    _news_site(site)
    site.write("templates/article.html", """\
        {% extends "default/article.html" %}
        {% block after_article %}<p class="corrections">Spotted a mistake? Tell the desk.</p>{% endblock %}
        """)
    site.write("templates/_parent_link.html",
               '<p class="page-parent custom-up"><a href="{{ url(parent_link[1]) }}">Back to '
               '{{ parent_link[0] }}</a></p>\n')
    result = site.run("build")
    assert result.code == 0, result.err
    article = site.read(ARTICLE)
    assert "Spotted a mistake? Tell the desk." in article
    assert "source-badge" in article and "Second story</h1>" in article
    assert "Spotted a mistake" not in site.read("index.html")
    assert "Back to Topics" in site.read("topics/economy/index.html")


# --- search ----------------------------------------------------------------------------------

def test_search_page_and_header_box_by_default(news: Site):
    home = parse_html(news.read("index.html"))
    [form] = _attrs(home, "form", role="search")
    assert form["action"] == "search/" and form["method"] == "get"
    search = news.read("search/index.html")
    assert 'src="../pagefind/pagefind-ui.js"' in search
    assert 'src="../static/search.js"' in search
    assert "search/" not in news.read("sitemap.xml")
    article = news.read(ARTICLE)
    assert "data-pagefind-body" in article
    assert "data-pagefind-body" not in news.read("index.html")


def test_search_index_is_built_when_pagefind_is_installed(news: Site):
    from sitegen.search import pagefind_executable
    if not pagefind_executable():
        pytest.skip("pagefind-bin is not installed")
    bundle = news.public / "pagefind"
    assert (bundle / "pagefind-ui.js").is_file() and (bundle / "pagefind-entry.json").is_file()
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 3   # articles only


def test_search_false_turns_it_all_off(site: Site):
    _news_site(site, "search: false\n")
    result = site.run("build")
    assert result.code == 0, result.err
    assert not (site.public / "search").exists()
    assert not (site.public / "pagefind").exists()
    assert 'role="search"' not in site.read("index.html")


def test_missing_pagefind_warns_and_builds(site: Site, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SITEGEN_PAGEFIND", "")
    _news_site(site)
    result = site.run("build")
    assert result.code == 0, result.err
    assert "warning: site search skipped: the pagefind binary was not found" in result.err
    assert (site.public / ARTICLE).is_file()
    assert not (site.public / "pagefind").exists()
    assert site.run("build", "--strict").code == 1


def test_failing_pagefind_warns_and_builds(site: Site, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path):
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: something broke' >&2\nmkdir -p \"$2/pagefind\"\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SITEGEN_PAGEFIND", str(fake))
    _news_site(site)
    result = site.run("build")
    assert result.code == 0, result.err
    assert "site search skipped: pagefind failed: Error: something broke" in result.err
    assert not (site.public / "pagefind").exists()
