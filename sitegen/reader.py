"""content/ -> Articles: read every page and check its front matter.

Each problem becomes a diagnostic naming the file (and the key's line where it can be
found); a page with an error is left out and the rest of the site still builds. What a
file gives is a :class:`PageRecord`, a pure function of the file's bytes, its path and
the reader's settings, so the build cache can keep it under that digest. Bodies are
converted to HTML later, once per body version (see ``build``).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Container, MutableMapping

from . import dates, frontmatter, urls
from .config import SiteConfig
from .errors import Diagnostic, error, warning
from .digests import page_hash, text_fingerprint
from .fsutil import FileSig, file_sig
from .markup import Markup
from .model import Article, PageInfo, Topic, evolve
from .snapshot import Snapshot, Stats
from .parallel import parallel_map
from .text import reading_minutes, summarize, xml_safe

KNOWN_KEYS = frozenset({
    "id", "title", "date", "subtitle", "dateline", "agency", "source", "source_url", "topics",
    "summary", "seed", "slug", "draft", "updated", "seed_hash", "import_hash",
})
_TEXT_KEYS = ("subtitle", "dateline", "agency", "source", "source_url", "summary", "seed")


READER_VERSION = "2"   # bump when reading a page gives something else for the same bytes
# (2: slugs transliterated by text-unidecode, whichever packages are installed)
_SEED_LINE = re.compile(r"^seed:[ \t]*['\"]?([^'\"\s]+)", re.M)


Seen = dict[str, tuple[FileSig | None, str]]  # content file -> (signature, record key)


@dataclass(frozen=True)
class PageRecord:
    """Everything reading one content file gave; cached under :func:`record_key`."""

    article: Article | None           # None when the page has an error
    explicit_slug: bool
    topics: tuple[Topic, ...]         # topics the page names that are not in site.yaml
    problems: tuple[Diagnostic, ...]
    info: PageInfo

    def light(self) -> "PageRecord":
        """The record as the cache keeps it: without the article's Markdown body, which
        is needed only to convert it once (see :func:`body_of`)."""
        if self.article is None or not self.article.body:
            return self
        return evolve(self, article=evolve(self.article, body=""))

    def body_key(self) -> str | None:
        """The key of the page's rendered body in the cache (None: no article)."""
        return self.article.body_key if self.article is not None else None


@dataclass(frozen=True)
class ReadResult:
    articles: tuple[Article, ...]
    topics: dict[str, Topic]          # every topic the pages use, configured or not
    diagnostics: tuple[Diagnostic, ...]
    pages: tuple[PageInfo, ...] = ()  # every content file, for the importer
    record_keys: frozenset[str] = frozenset()   # the cache entries this read used
    seen: Seen = field(default_factory=dict)    # each file's signature and record key
    html: dict[str, str] = field(default_factory=dict)   # bodies converted while reading


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


def read_page(file: str, text: str, config: SiteConfig, found_topics: dict[str, Topic]
              ) -> tuple[Article | None, bool, list[Diagnostic], frontmatter.Page | None]:
    """One content page's text to ``(Article or None on error, slug given?, problems,
    parsed page or None when its front matter is broken)``. ``html`` is left empty."""
    text = xml_safe(text)
    parsed, problems = frontmatter.parse(text, file)
    if parsed is None:
        return None, False, problems, None
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
        return None, explicit, page.problems, parsed
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
        body=body, html="", reading_minutes=reading_minutes(body), body_key=body_key(body),
        summary=values["summary"] or summarize(body, config.import_.summary_chars),
        subtitle=values["subtitle"], dateline=values["dateline"], agency=values["agency"],
        source=source, source_slug=(urls.slugify(source) or None) if source else None,
        source_url=source_url, topics=topics, updated=updated, draft=draft,
        seed=values["seed"], extra=extra,
    )
    return article, explicit, page.problems, parsed


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


def settles_clash(diagnostic: Diagnostic) -> bool:
    """Whether ``diagnostic`` is one :func:`_dedupe_urls` gives (a page moved to another
    slug, or left out, because another page of the same day has its URL)."""
    return diagnostic.message.startswith(_CLASH_MESSAGES)


_CLASH_MESSAGES = ("writes the same URL /", "the slug ")


def body_of(article: Article, config: SiteConfig) -> str:
    """An article's Markdown body, read again from its file when its record came from the
    cache without it; "" if the file no longer gives that body."""
    if article.body or article.body_key == body_key(""):
        return article.body
    try:
        data = (config.content_dir.parent / article.path).read_bytes()
    except OSError:
        return ""
    record = read_file(article.path, data, config)
    body = record.article.body if record.article is not None else ""
    return body if body_key(body) == article.body_key else ""


def body_key(body: str) -> str:
    """Key of a body's rendered HTML in the cache."""
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def reader_settings(config: SiteConfig) -> bytes:
    """What, besides a file's bytes and path, decides what reading it gives."""
    return repr((READER_VERSION, config.timezone, config.topics,
                 config.import_.summary_chars)).encode()


def record_key(settings: bytes, file: str, data: bytes) -> str:
    """The cache key of what reading ``data`` at ``file`` gives with these settings."""
    digest = hashlib.blake2b(settings, digest_size=16)
    digest.update(file.encode() + b"\0" + data)
    return digest.hexdigest()


def _page_info(file: str, text: str, meta: dict[str, Any] | None, body: str) -> PageInfo:
    """The importer's view of a page, from its front matter or, when that is broken, from
    a plain search for its ``seed:`` line (so a broken page still claims its seed)."""
    if meta is None:
        match = _SEED_LINE.search(text)
        return PageInfo(file, seed=match.group(1) if match else None)
    seed, url = meta.get("seed"), meta.get("source_url")
    recorded = meta.get("import_hash")
    return PageInfo(
        file, id=str(meta["id"]) if meta.get("id") else None, seed=str(seed) if seed else None,
        seed_hash=str(meta["seed_hash"]) if meta.get("seed_hash") else None,
        edited=recorded is None or page_hash(text) != str(recorded),
        source_url=urls.normalise_url(url) if isinstance(url, str) and url.strip() else None,
        fingerprint=text_fingerprint(body))


def read_file(file: str, data: bytes, config: SiteConfig, key: str = "") -> PageRecord:
    """Read one content file's bytes."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return PageRecord(None, False, (), (error(file, "the page is not valid UTF-8",
                                                  hint="re-save the file as UTF-8"),),
                          PageInfo(file))
    found: dict[str, Topic] = {}
    article, explicit, problems, page = read_page(file, text, config, found)
    if article is not None:
        article = evolve(article, digest=key)
    new_topics = tuple(t for t in found.values() if t not in config.topics)
    info = _page_info(file, text, page.meta if page else None, page.body if page else "")
    return PageRecord(article, explicit, new_topics, tuple(problems), info)


def content_files(folder: Path) -> list[str]:
    """The ``.md`` files below ``folder`` (symbolic links to folders are not followed), as
    paths relative to its parent, in the order of their path components."""
    found = []
    for current, _, names in os.walk(folder):
        prefix = os.path.relpath(current, folder.parent).replace(os.sep, "/")
        found += [f"{prefix}/{name}" for name in names if name.endswith(".md")]
    return sorted(found, key=lambda file: file.split("/"))


def _listing(config: SiteConfig, snapshot: Snapshot | None) -> tuple[list[str], Stats]:
    """The content files (as :func:`content_files`) and the stats the snapshot has of
    them; without a snapshot of content/, a walk of its own."""
    found = snapshot.under(config.content_dir) if snapshot is not None else None
    if found is None:
        return content_files(config.content_dir), {}
    cut = len(str(config.content_dir)) - len(config.content_dir.name)
    files = [path[cut:].replace(os.sep, "/") for path in found if path.endswith(".md")]
    return sorted(files, key=lambda file: file.split("/")), found


def read_content(config: SiteConfig, cache: MutableMapping[str, PageRecord] | None = None,
                 jobs: int = 1, seen: Seen | None = None, snapshot: Snapshot | None = None,
                 converted: Container[str] | None = None) -> ReadResult:
    """Every page under content/ that is not a draft (unless drafts are on). ``cache`` maps
    :func:`record_key` to records of earlier runs; new records are added to it. ``seen``
    holds the signature and record key of each file when it was last read: a file whose
    signature is unchanged is not even opened. Pages not in the cache are read on ``jobs``
    cores. A ``snapshot`` of the inputs, taken just before, spares the walk of content/.
    With ``converted`` (the body keys whose HTML is known), the worker that reads a page
    also converts its body unless it is known (or a hidden draft): ``html`` holds those,
    and the record comes back without its body."""
    cache = {} if cache is None else cache
    seen = {} if seen is None else seen
    problems: list[Diagnostic] = []
    root = config.content_dir.parent
    settings = reader_settings(config)
    files: list[tuple[str, str | None]] = []      # (file, record key or None if unreadable)
    unread: list[tuple[int, str, FileSig | None]] = []   # (index in files, file, signature)
    now: Seen = {}
    started = snapshot.taken_ns if snapshot is not None else time.time_ns()
    listing, stats = _listing(config, snapshot)
    base = str(root) + os.sep
    for file in listing:
        path = base + file
        try:
            sig = file_sig(stats.get(path) or os.stat(path), started)
        except OSError as exc:
            problems.append(error(file, f"cannot read the page: {exc.strerror}"))
            files.append((file, None))
            continue
        known = seen.get(file)
        if sig is not None and known is not None and known[0] == sig and known[1] in cache:
            files.append((file, known[1]))
            now[file] = (sig, known[1])
        else:    # read by a worker: its key may still be in the cache (a file touched)
            unread.append((len(files), file, sig))
            files.append((file, None))

    def read_batch(batch):
        markup = Markup() if converted is not None else None
        results = []
        for _, file, _ in batch:
            try:
                with open(base + file, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                results.append((None, exc.strerror, None))
                continue
            key = record_key(settings, file, data)
            if key in cache:
                results.append((key, None, None))
                continue
            record = read_file(file, data, config, key)
            article, html = record.article, None
            if (markup is not None and article is not None and article.body_key not in converted
                    and (config.drafts or not article.draft)):
                html, record = markup.render(article.body), record.light()
            results.append((key, record, html))
        return results

    html: dict[str, str] = {}
    # each result: (record key, the record if it is new, its body's HTML), or, for a file
    # that could not be read, (None, why, None)
    for (index, file, sig), (key, record, body_html) in zip(
            unread, parallel_map(read_batch, unread, jobs, min_batch=100)):
        if key is None:
            problems.append(error(file, f"cannot read the page: {record}"))
            continue
        files[index] = (file, key)
        now[file] = (sig, key)
        if record is not None:
            cache[key] = record
        if body_html is not None:
            html[record.article.body_key] = body_html
    return replace(_collect(config, files, cache, problems), seen=now, html=html)


def _collect(config: SiteConfig, files: list[tuple[str, str | None]],
             cache: MutableMapping[str, PageRecord], problems: list[Diagnostic]) -> ReadResult:
    """Assemble the records of every file, in path order, into the site's articles."""
    articles: list[Article] = []
    pages: list[PageInfo] = []
    explicit: set[str] = set()
    found_topics: dict[str, Topic] = {t.slug: t for t in config.topics}
    for file, key in files:
        if key is None:
            pages.append(PageInfo(file))
            continue
        record = cache[key]
        problems.extend(record.problems)
        pages.append(record.info)
        for topic in record.topics:
            found_topics.setdefault(topic.slug, topic)
        article = record.article
        if article is None or (article.draft and not config.drafts):
            continue
        if record.explicit_slug:
            explicit.add(article.path)
        articles.append(article)
    articles, clashes = _dedupe_urls(articles, explicit)
    used = {slug for a in articles for slug in a.topics}
    topics = {slug: topic for slug, topic in found_topics.items() if slug in used}
    keys = frozenset(key for _, key in files if key is not None)
    return ReadResult(tuple(articles), topics, tuple(problems + clashes), tuple(pages), keys)
