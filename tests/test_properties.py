"""Property-based tests: arbitrary text never crashes the parsers, slugs are always safe
path segments, and distinct articles never share a URL or an output file."""

from __future__ import annotations

import shutil
import string
from dataclasses import replace
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen import urls
from sitegen.config import load_config
from sitegen.indexes import build_index
from sitegen.markup import Markup
from sitegen.reader import read_content, read_file
from sitegen.routes import site_jobs
from sitegen.seeds import decode_seed, parse_seed

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
MTIME = datetime(2024, 3, 5, 12, tzinfo=timezone.utc)

# Text that looks like what the parsers expect, mixed with anything at all.
_PIECES = st.sampled_from([
    "# *", "*", "**", "---", "\n", "\r\n", "\r", " ", "\t", "<", ">", "https://", "http://x.org/",
    "javascript:", "(Reuters) -", "(AP) —", "MADRID, March 5 -- ", "La Habana, 1 nov (RHC)--",
    "2024-13-45", "29 February", ":", "- ", "[", "]", "{", "}", "'", '"', "&amp;", "\\", "\x00",
    "\ufeff", "\u202e", "\ud7ff", "日本語", "العربية", "title: ", "date: ", "slug: ", "topics: ",
    "&", "%", "|", "#", "!", "..", "/", "~", "9999-12-31T23:59:59-12:00", "0001-01-01",
])
hostile_text = st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40).map("".join)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    root = tmp_path_factory.mktemp("props")
    (root / "site.yaml").write_text("title: P\nbase_url: https://example.org/news/\n")
    return load_config(root / "site.yaml")


def _no_parser_bug(diagnostics) -> None:
    for d in diagnostics:
        assert "could not parse" not in d.message, d.format()   # parse_seed's own safety net
        assert d.file and d.level in ("error", "warning")


@SETTINGS
@given(data=st.binary(max_size=400))
def test_decode_seed_takes_any_bytes(data):
    text, problems = decode_seed(data, "s.txt", 300)
    assert text is None or isinstance(text, str)
    assert text is not None or problems      # skipped only with a warning naming it
    assert all(d.file == "seeds/s.txt" for d in problems)


@SETTINGS
@given(text=hostile_text, assume_year=st.one_of(st.none(), st.integers(1, 9999)))
def test_seed_parser_never_raises(text, assume_year):
    article, problems = parse_seed(text, "s.txt", mtime=MTIME, assume_year=assume_year,
                                   tz=timezone.utc)
    _no_parser_bug(problems)
    if article is None:
        assert any(d.level == "error" for d in problems)
    else:
        assert article.title.strip() and article.date is not None
        assert article.source_url is None or article.source_url.lower().startswith(("http://", "https://"))


_VALUES = st.one_of(hostile_text, st.integers(), st.booleans(), st.none(),
                    st.lists(hostile_text, max_size=3), st.dictionaries(hostile_text, hostile_text, max_size=2))
_KEYS = st.sampled_from(["title", "date", "slug", "topics", "summary", "source", "source_url",
                         "id", "draft", "updated", "subtitle", "custom"])


@SETTINGS
@given(meta=st.dictionaries(_KEYS, _VALUES, max_size=8), raw=hostile_text, body=hostile_text)
def test_front_matter_reader_never_raises(config, meta, raw, body):
    markup = Markup()
    for text in (raw, "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body,
                 "---\n" + raw + "\n---\n" + body):
        record = read_file("content/p.md", text.encode("utf-8", "surrogatepass"), config)
        article, problems = record.article, record.problems
        assert all(d.file == "content/p.md" for d in problems)
        if article is not None:
            markup.render(article.body)
        if article is None:
            assert any(d.level == "error" for d in problems)
        else:
            assert urls.is_safe_slug(article.slug), article.slug
            assert article.title.strip()


@SETTINGS
@given(text=st.text(max_size=200))
def test_slugs_are_always_safe_path_segments(text):
    slug = urls.slugify(text)
    assert slug == "" or (set(slug) <= set(string.ascii_lowercase + string.digits + "-")
                          and not slug.startswith("-") and len(slug) <= urls.MAX_SLUG_LENGTH)
    made = urls.article_slug(text, "fallback1")
    assert urls.is_safe_slug(made) and "/" not in made and ".." not in made


_ARTICLE = st.fixed_dictionaries({
    "title": st.one_of(st.sampled_from(["Same", "same!", "SAME", "Página", "日本", "...", "page",
                                        "static", "feed", "Same 2", "same-2"]), st.text(max_size=12)),
    "day": st.integers(1, 3),
    "slug": st.one_of(st.none(), st.sampled_from(["same", "same-2", "x", "page", "Same"])),
    "source": st.sampled_from(["A", "a", "A!", "B", ""]),
    "topics": st.lists(st.sampled_from(["World", "world", "W!", "page", "x"]), max_size=2),
})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pages=st.lists(_ARTICLE, min_size=1, max_size=12))
def test_distinct_articles_never_share_a_url_or_an_output_file(config, pages):
    content = Path(tempfile.mkdtemp(dir=config.root))
    try:
        for n, page in enumerate(pages):
            meta = {"title": page["title"] or f"t{n}", "date": f"2024-03-0{page['day']}",
                    "id": f"urn:n:{n}", "topics": page["topics"]}
            if page["slug"]:
                meta["slug"] = page["slug"]
            if page["source"]:
                meta["source"] = page["source"]
            (content / f"p{n}.md").write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True)
                                              + "---\nbody\n", encoding="utf-8")
        result = read_content(replace(config, content_dir=content))
        article_urls = [urls.article(a.date, a.slug) for a in result.articles]
        assert len(article_urls) == len(set(article_urls))
        kept = {a.path for a in result.articles}
        for a in range(len(pages)):
            path = f"{content.name}/p{a}.md"
            assert path in kept or any(path in d.file for d in result.diagnostics if d.level == "error")
        jobs = site_jobs(build_index(result.articles, result.topics), config)
        outputs = [job.output for job in jobs]
        assert len(outputs) == len(set(outputs)), sorted(o for o in outputs if outputs.count(o) > 1)
        assert all(".." not in o.split("/") and not o.startswith("/") for o in outputs)
    finally:
        shutil.rmtree(content)
