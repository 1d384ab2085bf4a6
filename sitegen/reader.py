"""content/ -> Articles: read every page, check its front matter, render its body.

Each problem becomes a diagnostic naming the file (and the key's line where it can be
found); a page with an error is left out and the rest of the site still builds.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import dates, frontmatter, urls
from .config import SiteConfig
from .errors import Diagnostic, error, warning
from .fsutil import relative_posix
from .markup import Markup
from .model import Article, Topic
from .text import summarize, xml_safe

KNOWN_KEYS = frozenset({
    "id", "title", "date", "subtitle", "dateline", "agency", "source", "source_url", "topics",
    "summary", "seed", "slug", "draft", "updated", "seed_hash", "import_hash",
})
_TEXT_KEYS = ("subtitle", "dateline", "agency", "source", "source_url", "summary", "seed")


@dataclass(frozen=True)
class ReadResult:
    articles: tuple[Article, ...]
    topics: dict[str, Topic]          # every topic the pages use, configured or not
    diagnostics: tuple[Diagnostic, ...]


def key_line(text: str, key: str) -> int | None:
    """Line of the file where a top-level front-matter ``key`` is written."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


class _Page:
    """Checks one page's front matter, collecting diagnostics with file and line."""

    def __init__(self, file: str, text: str, meta: dict[str, Any]):
        self.file, self.text, self.meta = file, text, meta
        self.problems: list[Diagnostic] = []

    def fail(self, key: str, message: str, hint: str) -> None:
        self.problems.append(error(self.file, message, line=key_line(self.text, key), hint=hint))

    def warn(self, key: str, message: str, hint: str) -> None:
        self.problems.append(warning(self.file, message, line=key_line(self.text, key), hint=hint))

    def text_value(self, key: str) -> str | None:
        value = self.meta.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip() or None
        self.warn(key, f"'{key}' should be text, not {type(value).__name__}; ignored",
                  f"write '{key}: some text'")
        return None


def _title(page: _Page) -> str | None:
    title = page.text_value("title")
    if title is None:
        page.fail("title", "missing or empty required key 'title'",
                  "add a line 'title: The headline' to the front matter")
    return title


def _date(page: _Page, key: str, config: SiteConfig, required: bool):
    value = page.meta.get(key)
    if value is None:
        if required:
            page.fail(key, f"missing required key '{key}'",
                      f"add a line '{key}: 2024-01-31' (ISO 8601) to the front matter")
        return None
    try:
        parsed, message = dates.parse_date(value, config.tz), None
    except (OverflowError, ValueError):   # e.g. 9999-12-31T23:00:00-05:00 is past year 9999 in UTC
        parsed, message = None, f"'{key}' is out of the range of dates sitegen can show: {value!r}"
    if parsed is None:
        message = message or f"'{key}' is not a valid ISO 8601 date: {value!r}"
        hint = f"write it as {key}: 2024-01-31 or {key}: 2024-01-31T14:05:00+01:00"
        (page.fail if required else page.warn)(key, message, hint)
    return parsed


def _slug(page: _Page, title: str, path: str) -> tuple[str | None, bool]:
    """``(slug, explicit)``; None when the page's ``slug`` is unsafe."""
    given = page.text_value("slug")
    if given is None:
        return urls.article_slug(title, uuid.uuid5(uuid.NAMESPACE_URL, path).hex[:8]), False
    if "/" in given or "\\" in given or ".." in given or given.startswith("~"):
        page.fail("slug", f"unsafe slug {given!r}: a slug is one URL segment, without '/', "
                  "'\\' or '..'", "use letters, digits and hyphens only, e.g. slug: my-story")
        return None, True
    slug = urls.slugify(given)
    if not urls.is_safe_slug(slug):
        page.fail("slug", f"slug {given!r} has no usable characters or is reserved",
                  "use letters, digits and hyphens only, e.g. slug: my-story")
        return None, True
    if slug != given:
        page.warn("slug", f"slug {given!r} is used as {slug!r}", f"write slug: {slug}")
    return slug, True


def _topics(page: _Page, config: SiteConfig, found: dict[str, Topic]) -> tuple[str, ...]:
    value = page.meta.get("topics")
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list):
        page.warn("topics", "'topics' should be a list of topic names or slugs; ignored",
                  "write topics: [world, economy]")
        return ()
    by_name = {t.name.casefold(): t for t in config.topics}
    by_slug = {t.slug: t for t in config.topics}
    slugs: list[str] = []
    for item in value:
        if not isinstance(item, (str, int)) or not str(item).strip():
            continue
        name = str(item).strip()
        topic = by_slug.get(name) or by_name.get(name.casefold()) or by_slug.get(urls.slugify(name))
        if topic is None:
            slug = urls.slugify(name)
            if not slug:
                continue
            topic = found.get(slug) or Topic(slug=slug, name=name)
        found.setdefault(topic.slug, topic)
        if topic.slug not in slugs:
            slugs.append(topic.slug)
    return tuple(slugs)


def _page_id(page: _Page, source_url: str | None, path: str) -> str:
    value = page.text_value("id")
    if value:
        return value
    basis = source_url or f"sitegen-page:{path}"
    derived = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, basis)}"
    page.warn("title", "the page has no 'id'; feeds need a permanent one",
              f"add 'id: {derived}' to the front matter so it never changes")
    return derived


def _xml_safe(value: Any, done: dict[int, Any] | None = None) -> Any:
    """Front-matter values without characters no feed can carry (YAML escapes such as
    "\\x01" or "\\ud800" produce them), in nested lists and mappings too. Shared YAML
    anchors are cleaned once, so an alias bomb stays as small as it was parsed."""
    if isinstance(value, str):
        return xml_safe(value)
    if not isinstance(value, (list, dict)):
        return value
    done = {} if done is None else done
    if id(value) not in done:
        if isinstance(value, list):
            done[id(value)] = clean = []
            clean.extend(_xml_safe(item, done) for item in value)
        else:
            done[id(value)] = clean = {}
            clean.update({xml_safe(str(k)): _xml_safe(v, done) for k, v in value.items()})
    return done[id(value)]


def read_page(file: str, text: str, config: SiteConfig, markup: Markup,
              found_topics: dict[str, Topic]) -> tuple[Article | None, bool, list[Diagnostic]]:
    """One content page's text to ``(Article or None on error, slug given?, problems)``."""
    text = xml_safe(text)
    parsed, problems = frontmatter.parse(text, file)
    if parsed is None:
        return None, False, problems
    parsed = replace(parsed, meta=_xml_safe(parsed.meta))
    page = _Page(file, text, parsed.meta)
    title = _title(page)
    date = _date(page, "date", config, required=True)
    slug, explicit = _slug(page, title or "", file) if title else (None, False)
    updated = _date(page, "updated", config, required=False)
    values = {key: page.text_value(key) for key in _TEXT_KEYS}
    topics = _topics(page, config, found_topics)
    draft = page.meta.get("draft") is True
    if title is None or date is None or slug is None:
        return None, explicit, page.problems
    source_url = values["source_url"]
    if source_url and not re.match(r"^https?://", source_url, re.I):
        page.warn("source_url", f"source_url {source_url!r} is not an http(s) URL; not linked",
                  "write the full address, starting with https://")
        source_url = None
    source = values["source"]
    body = parsed.body
    extra = {k: v for k, v in parsed.meta.items() if k not in KNOWN_KEYS}
    article = Article(
        path=file, id=_page_id(page, source_url, file), title=title, date=date, slug=slug,
        body=body, html=markup.render(body),
        summary=values["summary"] or summarize(body, config.import_.summary_chars),
        subtitle=values["subtitle"], dateline=values["dateline"], agency=values["agency"],
        source=source, source_slug=(urls.slugify(source) or None) if source else None,
        source_url=source_url, topics=topics, updated=updated, draft=draft,
        seed=values["seed"], extra=extra,
    )
    return article, explicit, page.problems


def _dedupe_urls(articles: list[Article], explicit: set[str]) -> tuple[list[Article], list[Diagnostic]]:
    """Distinct URLs for every article: derived slugs get ``-2``, ``-3``...; two explicit
    slugs on the same day are an error naming both files."""
    taken: dict[str, Article] = {}
    kept: list[Article] = []
    problems: list[Diagnostic] = []
    for article in sorted(articles, key=lambda a: a.path):
        url = urls.article(article.date, article.slug)
        owner = taken.get(url)
        if owner is not None and article.path in explicit:
            problems.append(error(article.path, f"writes the same URL /{url} as {owner.path}",
                                  hint="give one of the two pages another 'slug'"))
            continue
        if owner is not None:
            n = 2
            while urls.article(article.date, f"{article.slug}-{n}") in taken:
                n += 1
            new_slug = f"{article.slug}-{n}"
            problems.append(warning(article.path, f"the slug {article.slug!r} is taken by "
                                    f"{owner.path} on the same day; using {new_slug!r}",
                                    hint=f"set 'slug: {new_slug}' (or another) to keep it stable"))
            article = replace(article, slug=new_slug)
            url = urls.article(article.date, article.slug)
        taken[url] = article
        kept.append(article)
    return kept, problems


def read_content(config: SiteConfig, markup: Markup) -> ReadResult:
    """Every page under content/ that is not a draft (unless drafts are on)."""
    problems: list[Diagnostic] = []
    articles: list[Article] = []
    explicit: set[str] = set()
    found_topics: dict[str, Topic] = {t.slug: t for t in config.topics}
    root = config.content_dir.parent
    paths = sorted(config.content_dir.rglob("*.md")) if config.content_dir.is_dir() else []
    for path in paths:
        file = relative_posix(path, root)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            problems.append(error(file, "the page is not valid UTF-8",
                                  hint="re-save the file as UTF-8"))
            continue
        except OSError as exc:
            problems.append(error(file, f"cannot read the page: {exc.strerror}"))
            continue
        article, explicit_slug, found = read_page(file, text, config, markup, found_topics)
        problems.extend(found)
        if article is None or (article.draft and not config.drafts):
            continue
        if explicit_slug:
            explicit.add(article.path)
        articles.append(article)
    articles, clashes = _dedupe_urls(articles, explicit)
    used = {slug for a in articles for slug in a.topics}
    topics = {slug: topic for slug, topic in found_topics.items() if slug in used}
    return ReadResult(tuple(articles), topics, tuple(problems + clashes))
