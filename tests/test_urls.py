"""URL and slug rules: one place, safe segments, links that work under any sub-path."""

from datetime import datetime, timezone

from hypothesis import given, strategies as st

from sitegen import urls


def test_slugs_are_lowercase_ascii_words():
    assert urls.slugify("U.S. Secretary of State Antony Blinken set to travel") == \
        "us-secretary-of-state-antony-blinken-set-to-travel"
    assert urls.slugify("Привет мир") == "privet-mir"
    assert urls.slugify("Café — «déjà vu»") == "cafe-deja-vu"
    assert urls.slugify("!!!") == ""


def test_slugs_do_not_depend_on_which_transliteration_package_is_installed(monkeypatch):
    """python-slugify prefers Unidecode when installed; sitegen's URLs must be the same
    on every machine, so a Unidecode that spells things otherwise changes nothing."""
    import sys
    import types
    before = [urls.slugify(t) for t in ("Café — «déjà vu»", "Привет мир", "Ελλάδα", "北京")]
    fake = types.ModuleType("unidecode")
    fake.unidecode = lambda text: "other"
    monkeypatch.setitem(sys.modules, "unidecode", fake)
    assert [urls.slugify(t) for t in ("Café — «déjà vu»", "Привет мир", "Ελλάδα", "北京")] \
        == before == ["cafe-deja-vu", "privet-mir", "ellada", "bei-jing"]


def test_article_slug_falls_back_when_title_has_no_letters():
    assert urls.article_slug("???", "abc123") == "abc123"
    assert urls.article_slug("Page", "x1") == "page-x1"   # reserved word


@given(st.text())
def test_any_text_gives_a_safe_path_segment(text):
    slug = urls.article_slug(text, "fallback")
    assert urls.is_safe_slug(slug)
    assert "/" not in slug and ".." not in slug and len(slug) <= urls.MAX_SLUG_LENGTH + 9


def test_unsafe_slugs_are_recognised():
    for slug in ("../etc", "a/b", "/abs", "", "UPPER", "page", "a b"):
        assert not urls.is_safe_slug(slug)


def test_url_layout():
    day = datetime(2023, 11, 1, tzinfo=timezone.utc)
    assert urls.home() == "" and urls.home(2) == "page/2/"
    assert urls.article(day, "x") == "2023/11/01/x/"
    assert urls.topic("world", 3) == "topics/world/page/3/"
    assert urls.source("bbc") == "sources/bbc/"
    assert urls.feed() == "feed.xml" and urls.feed("topics/world/", "atom") == "topics/world/atom.xml"
    assert urls.output_path("") == "index.html"
    assert urls.output_path("2023/11/01/x/") == "2023/11/01/x/index.html"
    assert urls.output_path("feed.xml") == "feed.xml"


def test_absolute_urls_keep_the_base_path():
    assert urls.absolute("https://example.org/news/", "2023/") == "https://example.org/news/2023/"
    assert urls.base_path("https://example.org/news/") == "/news/"
    assert urls.base_path("https://example.org") == "/"


def test_relative_links_between_pages():
    assert urls.relative("", "2023/11/01/x/") == "2023/11/01/x/"
    assert urls.relative("2023/11/01/x/", "") == "../../../../"
    assert urls.relative("2023/11/01/x/", "2023/11/01/x/") == "./"
    assert urls.relative("topics/a/page/2/", "static/style.css") == "../../../../static/style.css"
    assert urls.relative("feed.xml", "topics/a/") == "topics/a/"
