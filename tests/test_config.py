"""site.yaml -> SiteConfig: defaults, overrides, and every problem reported at once."""

from __future__ import annotations

import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitegen import urls
from sitegen.config import (FeedsConfig, ImportConfig, SiteConfig, default_config,
                            load_config)
from sitegen.errors import ConfigError
from sitegen.model import Topic

PROJECT = Path(__file__).resolve().parent.parent


def write(root: Path, text: str, name: str = "site.yaml") -> Path:
    path = root / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(root: Path, text: str, **overrides) -> list:
    write(root, text)
    with pytest.raises(ConfigError) as caught:
        load_config(None, root=root, **overrides)
    return list(caught.value.diagnostics)


# --- defaults and the happy path -------------------------------------------------------------

def test_defaults_without_site_yaml(tmp_path):
    config = load_config(None, root=tmp_path)
    assert config == default_config(tmp_path)
    assert config.root == tmp_path
    assert config.config_file is None
    assert (config.title, config.base_url, config.language, config.timezone) == (
        "News", "http://localhost:8000/", "en", "UTC")
    assert config.theme == "default" and config.canonical == "source"
    assert config.output_dir == tmp_path / "public"
    assert config.content_dir == tmp_path / "content"
    assert config.seeds_dir == tmp_path / "seeds"
    assert config.themes_dir == tmp_path / "themes"
    assert config.templates_dir == tmp_path / "templates"
    assert config.static_dir == tmp_path / "static"
    assert config.cache_dir == tmp_path / ".sitegen-cache"
    assert config.per_page == 20
    assert config.feeds == FeedsConfig(limit=50, full_content=False)
    assert config.import_ == ImportConfig(assume_year=None, max_seed_bytes=10 * 1024 * 1024,
                                          max_topics=3, summary_chars=280)
    assert config.topics == () and dict(config.params) == {} and config.drafts is False
    assert config.tz == ZoneInfo("UTC")


def test_root_defaults_to_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "title: Here\n")
    config = load_config(None)
    assert config.root == tmp_path and config.title == "Here"
    assert config.config_file == tmp_path / "site.yaml"


def test_site_config_built_directly_derives_folders(tmp_path):
    config = SiteConfig(root=tmp_path, output_dir=Path("out"))
    assert config.output_dir == tmp_path / "out"
    assert config.content_dir == tmp_path / "content"
    hash(config)  # usable as a cache key


def test_minimal_site_yaml(tmp_path):
    write(tmp_path, """
        title: My News
        base_url: https://example.org/
    """)
    config = load_config(None, root=tmp_path)
    assert config.title == "My News"
    assert config.base_url == "https://example.org/"
    assert config.per_page == 20 and config.topics == ()
    assert config.config_file == tmp_path / "site.yaml"


@pytest.mark.parametrize("given, expected", [
    ("https://example.org/news", "https://example.org/news/"),
    ("https://example.org/news/", "https://example.org/news/"),
    ("http://example.org", "http://example.org/"),
    ("  https://example.org/a/b  ", "https://example.org/a/b/"),
])
def test_base_url_is_normalised(tmp_path, given, expected):
    write(tmp_path, f"base_url: '{given}'\n")
    config = load_config(None, root=tmp_path)
    assert config.base_url == expected
    assert urls.base_path(config.base_url).endswith("/")


def test_every_key_read(tmp_path):
    write(tmp_path, """
        title: T
        base_url: https://example.org/news/
        description: D
        language: pt-BR
        timezone: America/Havana
        author: A
        theme: my-theme
        output_dir: dist
        content_dir: /abs/content
        seeds_dir: in
        themes_dir: th
        templates_dir: tpl
        static_dir: st
        cache_dir: ~/cache
        pagination: {per_page: 5}
        canonical: self
        date_format: "%d/%m/%Y"
        feeds: {limit: 10, full_content: true}
        import: {assume_year: 2023, max_seed_bytes: 1000, max_topics: 0, summary_chars: 100}
        topics:
          - name: Middle East
            description: The region.
            keywords: [Gaza, "  West   Bank "]
          - {name: Sports, slug: sport}
        params:
          logo: logo.png
          nested: {a: [1, 2]}
    """)
    config = load_config(None, root=tmp_path)
    assert (config.description, config.language, config.author, config.theme) == (
        "D", "pt-BR", "A", "my-theme")
    assert config.tz == ZoneInfo("America/Havana")
    assert config.output_dir == tmp_path / "dist"
    assert config.content_dir == Path("/abs/content")
    assert config.seeds_dir == tmp_path / "in"
    assert config.cache_dir == Path.home() / "cache"
    assert config.per_page == 5 and config.canonical == "self"
    assert config.date_format == "%d/%m/%Y"
    assert config.feeds == FeedsConfig(limit=10, full_content=True)
    assert config.import_ == ImportConfig(2023, 1000, 0, 100)
    assert config.topics == (
        Topic("middle-east", "Middle East", "The region.", ("Gaza", "West Bank")),
        Topic("sport", "Sports", "", ()),
    )
    assert config.params == {"logo": "logo.png", "nested": {"a": [1, 2]}}


def test_empty_values_and_empty_file_keep_defaults(tmp_path):
    write(tmp_path, "title:\nfeeds:\ntopics:\nparams:\n")
    config = load_config(None, root=tmp_path)
    assert config.title == "News" and config.topics == () and config.feeds == FeedsConfig()
    write(tmp_path, "# nothing but a comment\n")
    assert load_config(None, root=tmp_path).title == "News"


def test_merge_keys_are_understood(tmp_path):
    write(tmp_path, """
        params:
          base: &base {limit: 7, full_content: true}
        feeds:
          <<: *base
          limit: 9
    """)
    assert load_config(None, root=tmp_path).feeds == FeedsConfig(limit=9, full_content=True)


# --- command-line overrides ------------------------------------------------------------------

def test_overrides(tmp_path):
    write(tmp_path, "base_url: https://example.org/\noutput_dir: public\n")
    config = load_config(None, root=tmp_path, output="build/site",
                         base_url="https://preview.example.org/pr-1", drafts=True)
    assert config.output_dir == tmp_path / "build" / "site"
    assert config.base_url == "https://preview.example.org/pr-1/"
    assert config.drafts is True


def test_explicit_path_sets_root(tmp_path):
    site = tmp_path / "mysite"
    site.mkdir()
    path = write(site, "title: Elsewhere\n", name="config.yaml")
    config = load_config(path)
    assert config.root == site and config.title == "Elsewhere"
    assert config.output_dir == site / "public"


def test_bad_override_is_reported_with_file_problems(tmp_path):
    found = problems(tmp_path, "titel: x\n", base_url="ftp://example.org")
    assert len(found) == 2
    assert "--base-url" in found[1].message


def test_missing_explicit_path_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", root=tmp_path)
    (problem,) = caught.value.diagnostics
    assert problem.file == "nope.yaml" and "not found" in problem.message


# --- every problem at once, with lines and suggestions ---------------------------------------

def test_three_problems_reported_together(tmp_path):
    found = problems(tmp_path, """
        titel: My News
        base_url: https://example.org/
        feeds:
          limt: 10
        pagination:
          per_page: 0
    """)
    assert [(d.file, d.line, d.level) for d in found] == [
        ("site.yaml", 1, "error"), ("site.yaml", 4, "error"), ("site.yaml", 6, "error")]
    assert found[0].message == "unknown key 'titel'"
    assert found[0].hint == "did you mean 'title'?"
    assert found[1].message == "unknown key 'feeds.limt'"
    assert found[1].hint == "did you mean 'feeds.limit'?"
    assert "per_page" in found[2].message and "positive" in found[2].message
    assert found[0].format().startswith("site.yaml:1:1: error: unknown key 'titel'")


def test_key_at_the_wrong_level_suggests_its_place(tmp_path):
    (problem,) = problems(tmp_path, "per_page: 10\n")
    assert problem.hint == "did you mean 'pagination.per_page'?"


def test_unknown_key_without_near_match_lists_valid_keys(tmp_path):
    (problem,) = problems(tmp_path, "feeds:\n  zzzzzz: 1\n")
    assert problem.line == 2 and "limit" in problem.hint and "full_content" in problem.hint


def test_duplicate_key(tmp_path):
    (problem,) = problems(tmp_path, "title: a\ntitle: b\n")
    assert problem.line == 2 and "duplicate" in problem.message and "line 1" in problem.hint


@pytest.mark.parametrize("text", [
    "title: [unclosed\nbase_url: x\n",
    "title: ok\n  bad indent: here\n",
    "title: 'open\n",
    "a: b\n---\nc: d\n",
])
def test_not_yaml_is_reported_with_a_line(tmp_path, text):
    (problem,) = problems(tmp_path, text)
    assert problem.file == "site.yaml" and problem.line is not None
    assert problem.message.startswith("not valid YAML")


def test_top_level_must_be_a_mapping(tmp_path):
    (problem,) = problems(tmp_path, "- title\n- base_url\n")
    assert problem.line == 1 and "mapping" in problem.message


def test_not_utf8(tmp_path):
    (tmp_path / "site.yaml").write_bytes(b"title: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(None, root=tmp_path)
    assert "UTF-8" in caught.value.diagnostics[0].message


@pytest.mark.parametrize("text, key", [
    ("pagination: {per_page: true}", "pagination.per_page"),   # a bool is not a number
    ("pagination: {per_page: -3}", "pagination.per_page"),
    ("pagination: {per_page: 2.5}", "pagination.per_page"),
    ("pagination: 20", "pagination"),
    ("feeds: {limit: '10'}", "feeds.limit"),
    ("feeds: {limit: 0}", "feeds.limit"),
    ("feeds: {full_content: 'yes'}", "feeds.full_content"),
    ("import: {max_seed_bytes: 0}", "import.max_seed_bytes"),
    ("import: {max_topics: -1}", "import.max_topics"),
    ("import: {assume_year: '2023'}", "import.assume_year"),
    ("title: 12", "title"),
    ("title: '   '", "title"),
    ("language: no", "language"),                              # YAML reads it as false
    ("language: 'english please'", "language"),
    ("timezone: Mars/Olympus", "timezone"),
    ("base_url: /news/", "base_url"),
    ("base_url: ftp://example.org/", "base_url"),
    ("base_url: https://example.org/?q=1", "base_url"),
    ("canonical: both", "canonical"),
    ("theme: ../evil", "theme"),
    ("theme: a/b", "theme"),
    ("date_format: [1]", "date_format"),
    ("topics: {name: x}", "topics"),
    ("topics: [x]", "topics[0]"),
    ("topics: [{name: X, keywords: Gaza}]", "topics[0].keywords"),
    ("topics: [{name: X, keywords: [1, Gaza]}]", "topics[0].keywords"),
    ("topics: [{name: X, slug: '../x'}]", "topics[0].slug"),
    ("topics: [{name: X, slug: page}]", "topics[0].slug"),
    ("params: [a, b]", "params"),
    ("output_dir: ''", "output_dir"),
])
def test_wrong_type_or_value(tmp_path, text, key):
    (problem,) = problems(tmp_path, text + "\n")
    assert problem.line == 1 and problem.column is not None
    assert f"'{key}'" in problem.message or key in problem.message


def test_type_errors_give_quoting_hints(tmp_path):
    language, limit = problems(tmp_path, "language: no\nfeeds: {limit: '5'}\n")
    assert "false" in language.message and "quote" in language.hint
    assert "without quotes" in limit.hint


def test_timezone_suggestion(tmp_path):
    (problem,) = problems(tmp_path, "timezone: Europe/Pariss\n")
    assert problem.hint == "did you mean 'Europe/Paris'?"


def test_topic_problems(tmp_path):
    found = problems(tmp_path, """
        topics:
          - name: Middle East
          - name: Middle-East
          - slug: nameless
          - name: "!!!"
          - name: Sports
            keywrods: [football]
    """)
    messages = {d.line: d for d in found}
    assert "duplicate topic slug 'middle-east'" in messages[3].message
    assert "line 2" in messages[3].hint
    assert "no 'name'" in messages[4].message
    assert "no usable slug" in messages[5].message
    assert messages[7].message == "unknown key 'topics[4].keywrods'"
    assert messages[7].hint == "did you mean 'topics[4].keywords'?"


def test_diagnostic_names_config_relative_to_root(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    path = write(sub, "titel: x\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, root=tmp_path)
    assert caught.value.diagnostics[0].file == "conf/site.yaml"


# --- the shipped default site ----------------------------------------------------------------

def test_shipped_site_yaml_loads_cleanly():
    config = load_config(PROJECT / "site.yaml")
    assert config.root == PROJECT
    assert config.title and config.base_url == "http://localhost:8000/"
    assert config.language == "en" and config.timezone == "UTC"
    assert 16 <= len(config.topics) <= 22
    slugs = [topic.slug for topic in config.topics]
    assert len(set(slugs)) == len(slugs)
    for topic in config.topics:
        assert urls.is_safe_slug(topic.slug)
        assert topic.name and topic.description and len(topic.keywords) >= 8
        assert len(set(topic.keywords)) == len(topic.keywords), topic.slug
