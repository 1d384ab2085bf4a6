"""Bad content pages: each reported once with file and line; the rest of the site builds."""

from __future__ import annotations

from conftest import Site


def test_malformed_yaml_reports_file_line_column_and_builds_the_rest(site: Site):
    site.page("2024/03/good.md", title="Good story")
    site.write("content/2024/03/bad.md", "---\ntitle: Bad\ndate: 2024-03-05\ntopics: [a, b\n---\nx\n")
    result = site.run("build")
    assert result.code == 1
    assert "content/2024/03/bad.md:5:1: error: malformed YAML" in result.err
    assert result.err.count("bad.md") == 1
    assert (site.public / "2024/03/05/good-story/index.html").is_file()
    assert not list(site.public.glob("2024/03/05/bad/index.html"))


def test_missing_and_invalid_title_and_date(site: Site):
    site.page("a.md", title=None)
    site.page("b.md", date="")
    site.page("c.md", title="C", date="next tuesday")
    site.page("d.md", title="Fine")
    result = site.run("build")
    assert result.code == 1
    assert "content/a.md: error: missing or empty required key 'title'" in result.err
    assert "content/b.md" in result.err and "'date'" in result.err
    assert "content/c.md:3: error: 'date' is not a valid ISO 8601 date" in result.err
    assert (site.public / "2024/03/05/fine/index.html").is_file()


def test_unsafe_slug_is_rejected(site: Site):
    for n, slug in enumerate(["../../etc", "a/b", "/abs/path"]):
        site.page(f"p{n}.md", title=f"P{n}", slug=repr(slug))
    site.page("ok.md", title="OK")
    result = site.run("build")
    assert result.code == 1
    assert result.err.count("unsafe slug") == 3
    assert not (site.root / "etc").exists()
    assert sorted(p.parent.name for p in site.public.glob("2024/03/05/*/index.html")) == ["ok"]


def test_two_titles_with_the_same_slug_get_distinct_urls_with_a_warning(site: Site):
    site.page("a.md", title="Same title")
    site.page("b.md", title="Same title!")
    result = site.run("build")
    assert result.code == 0
    assert "content/b.md" in result.err and "same-title-2" in result.err
    assert (site.public / "2024/03/05/same-title/index.html").is_file()
    assert (site.public / "2024/03/05/same-title-2/index.html").is_file()


def test_two_explicit_slugs_on_one_url_name_both_files(site: Site):
    site.page("a.md", title="A", slug="story")
    site.page("b.md", title="B", slug="story")
    result = site.run("build")
    assert result.code == 1
    assert "content/b.md" in result.err and "content/a.md" in result.err


def test_page_without_id_gets_a_derived_one_and_a_hint(site: Site):
    site.page("a.md", title="A", source_url="https://example.org/a")
    result = site.run("build")
    assert result.code == 0
    assert "content/a.md" in result.err and "add 'id: urn:uuid:" in result.err
    first = site.read("feed.xml")
    site.run("build")
    assert site.read("feed.xml") == first


def test_drafts_are_left_out_unless_asked(site: Site):
    site.page("a.md", title="Draft story", draft="true")
    site.run("build")
    assert not (site.public / "2024/03/05/draft-story/index.html").exists()
    site.run("build", "--drafts")
    assert (site.public / "2024/03/05/draft-story/index.html").is_file()


def test_curator_keys_and_topics_reach_the_site(site: Site):
    site.page("a.md", title="A", topics="[Elections 2024, economy]", byline="Jane Doe")
    site.run("build")
    assert (site.public / "topics/elections-2024/index.html").is_file()
    assert "Elections 2024" in site.read("topics/elections-2024/index.html")
