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


def test_breadcrumbs_name_each_articles_own_year_month_and_day(site: Site):
    """Articles of the same day share their year, month and day crumbs; an article of
    another day has its own. Both the visible trail and the JSON-LD list say so."""
    _news_site(site)
    site.page("2024/03/fourth.md", title="Fourth story", date="2024-03-05T18:00:00+00:00",
              id="urn:t:4", body="Same day as the second.")
    site.page("2023/12/fifth.md", title="Fifth story", date="2023-12-31T23:00:00+00:00",
              id="urn:t:5", body="Another year.")
    assert site.run("build").code == 0
    base = "https://example.org/news/"
    expected = {
        ARTICLE: ["Test News", "2024", "March", "5", "Second story"],
        "2024/03/05/fourth-story/index.html": ["Test News", "2024", "March", "5", "Fourth story"],
        "2023/12/31/fifth-story/index.html": ["Test News", "2023", "December", "31", "Fifth story"],
    }
    for rel, names in expected.items():
        html = site.read(rel)
        _, crumbs = _json_ld(html)
        items = crumbs["itemListElement"]
        assert [item["name"] for item in items] == names, rel
        day = rel.rsplit("/", 2)[0]
        assert [item["item"] for item in items] == [
            base, f"{base}{day[:4]}/", f"{base}{day[:7]}/", f"{base}{day}/",
            f"{base}{rel.removesuffix('index.html')}"], rel
        trail = html.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
        assert [part.split("<", 1)[0] for part in trail.split('">')[2:]] == names, rel


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


def test_site_templates_override_the_teaser_partial(site: Site):
    _news_site(site)
    site.write("templates/_teaser.html",
               '<article class="my-teaser"><a href="{{ article | article_href }}">'
               '{{ article.title }}</a> h{{ heading_level }}</article>\n')
    result = site.run("build")
    assert result.code == 0, result.err
    home = site.read("index.html")
    assert ('<article class="my-teaser"><a href="2024/03/05/second-story/">Second story</a> h2'
            in home)
    article = site.read(ARTICLE)
    assert ('<article class="my-teaser"><a href="../../../../2024/03/04/first-story/">'
            'First story</a> h3') in article                        # related, nested heading
    assert "teaser__title" not in home + article


def test_teasers_are_kept_between_builds_while_their_templates_and_settings_stay(
        site: Site, monkeypatch):
    """A build keeps the teaser fragments it made in the cache; the next one takes them
    instead of rendering them again (an article page's template edit renders no teaser),
    until ``_teaser.html`` (or a setting) changes. Every build equals a clean one."""
    import shutil

    from sitegen import theme as theme_module
    _news_site(site)
    made: list[str] = []
    fragment = theme_module.Theme._teaser_fragment

    def counted(self, article, level):
        made.append(article.id)
        return fragment(self, article, level)

    monkeypatch.setattr(theme_module.Theme, "_teaser_fragment", counted)

    def build() -> list[str]:
        made.clear()
        result = site.run("build", "--jobs", "1")
        assert result.code == 0, result.err
        teasers = list(made)
        clean = site.root.parent / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(site.root, clean, ignore=shutil.ignore_patterns("public", ".sitegen*"))
        assert Site(clean).run("build", "--jobs", "1").code == 0
        assert site.files() == Site(clean).files()
        return teasers

    assert build()                                   # the first build makes them
    site.write("templates/article.html", "{% extends 'default/article.html' %}"
               "{% block after_article %}<p>Edition 2</p>{% endblock %}")
    assert build() == []                             # article pages again: teasers kept
    site.write("templates/_teaser.html", '<p class="t">{{ article.title }}</p>\n')
    assert build()                                   # another teaser: made again
    assert '<p class="t">Second story</p>' in site.read("index.html")
    assert build() == []


# --- the teaser() global, filters and links --------------------------------------------------

def _theme_and_articles(site: Site):
    from sitegen.config import load_config
    from sitegen.indexes import build_index
    from sitegen.reader import read_content
    from sitegen.theme import Theme

    config = load_config(site.root / "site.yaml")
    content = read_content(config)
    index = build_index(content.articles, content.topics)
    return (lambda: Theme(config, index.topics, index.sources)), index.articles


PAGES = ("", "page/2/", "topics/economy/", "topics/economy/page/2/", "topics/climate/",
         "sources/reuters/", "2024/", "2024/03/05/", "2024/03/05/second-story/",
         "2024/03/04/first-story/", "search/")


def _teaser_via_global(theme, article, level: int, page: str) -> str:
    from functools import partial

    from sitegen import urls
    return theme.env.from_string("{{ teaser(a, n) }}").render(
        a=article, n=level, page_url=page, url=partial(urls.relative, page))


def _teaser_rendered_directly(theme, article, level: int, page: str) -> str:
    from functools import partial

    from sitegen import urls
    return theme.env.get_template("_teaser.html").render(
        article=article, heading_level=level, url=partial(urls.relative, page),
        abs_url=theme.abs_url)


def test_teaser_is_the_partial_rendered_for_each_page_whatever_the_order(site: Site):
    _news_site(site)
    make_theme, articles = _theme_and_articles(site)
    assert all(a.digest for a in articles)
    cases = [(a, level, page) for a in articles for level in (2, 3) for page in PAGES]
    theme = make_theme()
    expected = [_teaser_rendered_directly(theme, *case) for case in cases]
    first = [_teaser_via_global(theme, *case) for case in cases]
    again = [_teaser_via_global(theme, *case) for case in cases]              # from the cache
    backwards = make_theme()
    reverse = [_teaser_via_global(backwards, *case) for case in reversed(cases)][::-1]
    small = make_theme()
    small.teaser_cache_size = 2                                   # forgets as it goes
    forgetful = [_teaser_via_global(small, *case) for case in cases + cases[::-1]]
    assert first == expected and again == expected and reverse == expected
    assert forgetful == expected + expected[::-1] and len(small._teasers) == 2
    economy = next(a for a in articles if a.slug == "first-story")
    on_topic_page = _teaser_via_global(theme, economy, 2, "topics/economy/")
    assert 'href="./">Economy</a>' in on_topic_page                  # a link to the page itself
    assert '<h3 class="teaser__title"' in _teaser_via_global(theme, economy, 3, "")
    assert 'href="../../../../2024/03/04/first-story/"' in _teaser_via_global(
        theme, economy, 2, "2024/03/05/second-story/")


def test_teaser_of_an_edited_article_is_rendered_again(site: Site):
    from dataclasses import replace

    _news_site(site)
    make_theme, articles = _theme_and_articles(site)
    theme = make_theme()
    article = articles[0]
    before = _teaser_via_global(theme, article, 2, "")
    edited = replace(article, title="A new headline", digest=article.digest + "x")
    after = _teaser_via_global(theme, edited, 2, "")
    assert "A new headline" in after and article.title in before and before != after
    no_digest = replace(article, title="Not cached", digest="")     # never cached
    assert "Not cached" in _teaser_via_global(theme, no_digest, 2, "")
    assert _teaser_via_global(theme, replace(no_digest, title="Still not"), 2, "") != \
        _teaser_via_global(theme, no_digest, 2, "")


@pytest.mark.parametrize("partial_text", [
    # links to the home page and to the page itself, and one the partial changes
    '<a href="{{ url(urls.home()) }}">home</a> <a href="{{ url(urls.topics()) }}">topics</a>'
    '<a href="{{ article | article_href }}#top">{{ article.title }}</a>\n',
    '<a href="{{ (article | article_href) | upper }}">{{ article.title }}</a>\n',
    '<a href="{{ url("odd & name/") }}">{{ article.title }}</a>{{ url("é/") }}\n',
    '<a href="{{ url(urls.topics()) | replace("topics", "subjects") }}">{{ article.title }}</a>\n',
])
def test_teaser_partials_of_other_themes_get_the_same_links(site: Site, partial_text: str):
    _news_site(site)
    site.write("templates/_teaser.html", partial_text)
    make_theme, articles = _theme_and_articles(site)
    theme = make_theme()
    for page in PAGES + ("topics/",):
        for article in articles:
            assert _teaser_via_global(theme, article, 2, page) == \
                _teaser_rendered_directly(theme, article, 2, page)
    assert "_teaser.html" in theme.implicit_templates


def test_link_filters_and_links_global_match_url_and_urls(site: Site):
    from functools import partial

    from sitegen import urls

    _news_site(site)
    make_theme, articles = _theme_and_articles(site)
    theme = make_theme()
    article = articles[0]
    source = "{{ a | article_href }}|{{ 'economy' | topic_href }}|{{ 'reuters' | source_href }}|" \
             "{{ links.home | url }}|{{ links.topics | url }}|{{ links.sources | url }}|" \
             "{{ links.archive | url }}|{{ links.rss | url }}|{{ links.atom | url }}|" \
             "{{ links.style | url }}|{{ links.favicon | url }}|{{ links.search | url }}|" \
             "{{ links.rss | abs_url }}|{{ 'a b/' | abs_url }}|" \
             "{{ a.topics | known_topics | map(attribute='name') | join(',') }}"
    for page in PAGES:
        link = partial(urls.relative, page)
        got = theme.env.from_string(source).render(a=article, page_url=page, url=link)
        want = "|".join([
            link(urls.article(article.date, article.slug)), link(urls.topic("economy")),
            link(urls.source("reuters")), link(urls.home()), link(urls.topics()),
            link(urls.sources()), link(urls.archive()), link(urls.feed("", "rss")),
            link(urls.feed("", "atom")), link(urls.static("style.css")),
            link(urls.static("favicon.svg")), link(urls.search()),
            urls.absolute("https://example.org/news/", urls.feed("", "rss")),
            urls.absolute("https://example.org/news/", "a b/"),
            ",".join(theme.env.globals["topics"][t].name for t in article.topics)])
        assert got == want, page


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


def test_pagefind_reads_exactly_the_pages_it_indexes(news: Site):
    """Pagefind is given the article pages only (``--glob``): the pages that carry
    ``data-pagefind-body`` are those the glob names, whatever their date or slug."""
    from pathlib import PurePosixPath

    from sitegen.urls import ARTICLE_PAGES_GLOB

    def named(path: str) -> bool:
        parts = PurePosixPath(path)
        return parts.match(ARTICLE_PAGES_GLOB) and len(parts.parts) == 5

    pages = [p for p in news.files() if p.endswith(".html")]
    marked = {p for p in pages if "data-pagefind-body" in news.read(p)}
    assert marked and {p for p in pages if named(p)} == marked
    assert named("999/01/02/a/index.html") and not named("2024/03/page/2/index.html")
    assert not named("topics/economy/page/2/index.html")


@pytest.mark.parametrize("staging", ["journal", "spare"])
def test_search_index_follows_each_rebuild(site: Site, staging: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch):
    """After an article edit the bundle is rebuilt over the whole new site, whichever way
    the rebuild is published (a few files moved in, or the spare folder swapped in): the
    same bundle a build from scratch makes. The bundle a home-page edit kept is shared
    (hard-linked) by the site and the spare: rebuilding it in the spare leaves the site
    it replaces untouched."""
    from sitegen import render
    from sitegen.search import pagefind_executable
    if not pagefind_executable():
        pytest.skip("pagefind-bin is not installed")
    monkeypatch.setattr(render.SiteRenderer, "_in_spare", lambda self, todo: staging == "spare")
    _news_site(site)
    assert site.run("build").code == 0
    site.write("templates/index.html", "{% extends 'default/index.html' %}{% block content %}"
                                       "{{ super() }}<p>Edition 2</p>{% endblock %}")
    assert site.run("build").code == 0      # the home page only: the bundle is kept
    before = site.files()
    assert "Edition 2" in site.read("index.html") and "pagefind/pagefind-entry.json" in before
    site.page("2024/03/first.md", title="First story", date="2024-03-04T09:00:00+00:00",
              id="urn:t:1", source="Reuters", source_url="https://www.reuters.com/a/1",
              topics="[economy]", body="First body, with a zeppelin.")
    assert site.run("build").code == 0
    after = site.files()
    bundle = {k: v for k, v in after.items() if k.startswith("pagefind/")}
    assert bundle != {k: v for k, v in before.items() if k.startswith("pagefind/")}
    assert b"zeppelin" in after["2024/03/04/first-story/index.html"]
    fresh = tmp_path / "fresh"
    assert site.run("build", "--output", str(fresh)).code == 0
    assert after == site.files(fresh)
    spare = site.root / ".public.sitegen-spare"
    if staging == "spare":
        assert site.files(spare) == before


def test_the_search_index_never_holds_a_page_the_site_no_longer_has(site: Site,
                                                                   tmp_path: Path):
    """A rebuild that deletes an article, or moves one (a new title, a new URL), staged in
    the spare: the spare still holds the site before the last swap, whose pages the
    deleted and the moved article were. Pagefind must not read them: the bundle is the
    one a build from scratch makes, with one result per article page."""
    from sitegen.search import pagefind_executable
    if not pagefind_executable():
        pytest.skip("pagefind-bin is not installed")
    _news_site(site)
    assert site.run("build").code == 0
    first = site.root / "content/2024/03/first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("First body.", "Edited."),
                     encoding="utf-8")
    assert site.run("build").code == 0      # staged in the spare: the spare is the old site
    assert (site.root / ".public.sitegen-spare/2024/03/06/third-story/index.html").is_file()
    (site.root / "content/2024/03/third.md").unlink()
    first.write_text(first.read_text(encoding="utf-8").replace("First story", "Renamed"),
                     encoding="utf-8")
    assert site.run("build").code == 0
    after = site.files()
    assert "2024/03/06/third-story/index.html" not in after
    assert "2024/03/04/first-story/index.html" not in after
    entry = json.loads(after["pagefind/pagefind-entry.json"])
    assert [lang["page_count"] for lang in entry["languages"].values()] == [2]
    fresh = tmp_path / "fresh"
    assert site.run("build", "--output", str(fresh)).code == 0
    assert after == site.files(fresh)


def test_the_dev_server_leaves_the_search_index_for_the_next_build(site: Site,
                                                                    tmp_path: Path):
    """The dev server's first build makes the search index; its later rebuilds keep the
    published one when article pages change (Pagefind reads them all, which takes long
    at scale), and the next plain build makes it again, even when no input changed since:
    then the site is the one a build from scratch makes."""
    from sitegen.search import pagefind_executable
    from sitegen.watcher import ConfigSource, Rebuilder
    from sitegen.config import load_config
    if not pagefind_executable():
        pytest.skip("pagefind-bin is not installed")
    _news_site(site)
    config = load_config(site.root / "site.yaml")
    rebuilder = Rebuilder(ConfigSource(site.root / "site.yaml"), config)

    def bundle() -> dict[str, bytes]:
        return {k: v for k, v in site.files().items() if k.startswith("pagefind/")}

    assert rebuilder.rebuild().ok and bundle()              # made by the first build
    first = bundle()
    page = site.root / "content/2024/03/first.md"
    page.write_text(page.read_text(encoding="utf-8").replace("First body.", "A zeppelin."),
                    encoding="utf-8")
    assert rebuilder.rebuild().ok                           # a later one keeps it
    assert b"zeppelin" in site.files()["2024/03/04/first-story/index.html"]
    assert bundle() == first
    assert rebuilder.rebuild().ok and bundle() == first     # nothing changed: still kept
    assert site.run("build").code == 0                      # a plain build makes it again
    fresh = tmp_path / "fresh"
    assert site.run("build", "--output", str(fresh)).code == 0
    assert bundle() != first and site.files() == site.files(fresh)
    assert site.run("build").code == 0 and site.files() == site.files(fresh)


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
