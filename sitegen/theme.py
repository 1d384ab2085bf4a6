"""The Jinja2 environment: theme loader chain, filters, and rendering a RenderJob to bytes.

Templates are looked up in this order: the site's ``templates/`` overrides, the chosen
theme, its parents (``theme.yaml``: ``parent: default``), the default theme, and
sitegen's built-in feed/sitemap/robots templates. ``{% extends "default/base.html" %}``
reaches a named theme's template directly, so a child theme can extend the very template
it overrides.
"""

from __future__ import annotations

import json
import traceback
from collections import OrderedDict
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Mapping, MutableMapping, NamedTuple, Protocol

import jinja2
import yaml
from markupsafe import Markup, escape

from . import dates, urls
from .config import SiteConfig
from .errors import ConfigError, error
from .model import Article, RenderJob, Source, Topic

BUILTIN_THEMES = Path(__file__).resolve().parent.parent / "themes"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def theme_dir(config: SiteConfig, name: str) -> Path | None:
    """A theme's folder: the site's ``themes/<name>``, else the one shipped with sitegen."""
    for base in (config.themes_dir, BUILTIN_THEMES):
        if (base / name / "templates").is_dir():
            return base / name
    return None


def theme_chain(config: SiteConfig) -> list[Path]:
    """The chosen theme and its ancestors, child first, always ending with ``default``."""
    chain: list[Path] = []
    name: str | None = config.theme
    while name:
        folder = theme_dir(config, name)
        if folder is None:
            raise ConfigError([error("site.yaml", f"theme {name!r} not found",
                                     hint=f"create {config.themes_dir.name}/{name}/templates/ "
                                          "or set theme: default")])
        if folder in chain:
            raise ConfigError([error(str(folder / "theme.yaml"), "themes inherit in a circle",
                                     hint="fix 'parent' in theme.yaml")])
        chain.append(folder)
        name = _parent(folder)
        if name is None and folder.name != "default":
            name = "default"
    return chain


def _parent(folder: Path) -> str | None:
    meta_file = folder / "theme.yaml"
    if not meta_file.is_file():
        return None
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([error(str(meta_file), f"theme.yaml is not valid YAML: {exc}")]) from exc
    parent = meta.get("parent") if isinstance(meta, dict) else None
    return str(parent) if parent else None


_JSON = json.JSONEncoder(ensure_ascii=False, indent=None, separators=(",", ":"))
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_for_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script>``: no ``</script>``, ``<!--`` or ``&`` escapes."""
    text = _JSON.encode(data)
    for char, replacement in _SCRIPT_ESCAPES:
        if char in text:
            text = text.replace(char, replacement)
    return Markup(text)


def _bytecode_cache(config: SiteConfig) -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the build cache's folder (Jinja2 checks each against its
    source), so a build does not compile the theme again."""
    if config.cache_dir is None:
        return None
    folder = config.cache_dir / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


class _Environment(jinja2.Environment):
    """A Jinja2 environment whose templates hold their globals in a plain dict.

    Jinja2 gives each template a ``ChainMap`` over the environment's globals, and every
    render copies it into the page's context key by key (about 20 µs a page). A Theme
    sets its globals once, before it loads any template, so a copy is the same.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class Theme:
    """Renders jobs with the site's theme. One per build (and per worker process)."""

    # templates rendered from code on a page's behalf (the teaser() global): every page
    # may depend on them, whatever it includes
    implicit_templates = ("_teaser.html",)
    # teaser fragments kept at most (about 2 kB each; the least recently used go first):
    # two per article up to 12,500 articles, a bounded ~50 MB beyond
    teaser_cache_size = 25_000

    def __init__(self, config: SiteConfig, topics: Mapping[str, Topic],
                 sources: Mapping[str, Source]):
        self.config = config
        self.chain = theme_chain(config)
        named = {folder.name: jinja2.FileSystemLoader(folder / "templates") for folder in self.chain}
        loaders: list[jinja2.BaseLoader] = []
        if config.templates_dir.is_dir():
            loaders.append(jinja2.FileSystemLoader(config.templates_dir))
        loaders += [named[folder.name] for folder in self.chain]
        loaders += [jinja2.FileSystemLoader(BUILTIN_TEMPLATES), jinja2.PrefixLoader(named)]
        # One Theme per build: templates do not change while it renders, so they are not
        # checked on disk again at every get_template/include (auto_reload).
        self.env = _Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True, auto_reload=False,
            bytecode_cache=_bytecode_cache(config))
        self.env.filters.update(
            datefmt=partial(dates.human, fmt=config.date_format),
            isodate=dates.iso, rfc822=dates.rfc822,
            truncate_words=_truncate_words,
            jsonld=self.article_jsonld, jsonld_breadcrumbs=self.breadcrumbs_jsonld,
            url=_url_filter, abs_url=self.abs_url, article_href=_article_href,
            topic_href=_topic_href, source_href=_source_href, known_topics=self.known_topics)
        self.env.globals.update(site=config, urls=urls, topics=dict(topics),
                                sources=dict(sources),
                                search_url=urls.search() if config.search else None,
                                links=_site_links(config), teaser=self.teaser)
        # teaser fragments of this build: (article version, heading level) -> _Fragment
        self._teasers: OrderedDict[tuple, _Fragment | None] = OrderedDict()
        # where fragments are kept between builds (``render``), if anywhere
        self.kept_teasers: KeptTeasers | None = None

    def template_dirs(self) -> list[Path]:
        """Template folders in lookup order (for the cache's fingerprint of the theme)."""
        dirs = [self.config.templates_dir] + [folder / "templates" for folder in self.chain]
        return [d for d in dirs if d.is_dir()]

    def static_dirs(self) -> list[Path]:
        """Static folders in copy order: later ones override earlier files."""
        dirs = [folder / "static" for folder in reversed(self.chain)]
        dirs.append(self.config.static_dir)
        return [d for d in dirs if d.is_dir()]

    def abs_url(self, url: str) -> str:
        return urls.absolute(self.config.base_url, url)

    def render(self, job: RenderJob) -> bytes:
        """The bytes of one output file. Raises Jinja2 errors for the caller to report."""
        if job.kind == "404":   # served at any path: links must not be relative
            link = partial(_prefixed, urls.base_path(self.config.base_url))
        else:
            link = partial(urls.relative, job.url)
        template = self.env.get_template(job.template)
        text = template.render(**job.context, page_url=job.url, url=link, abs_url=self.abs_url)
        return text.encode("utf-8")

    @jinja2.pass_context
    def teaser(self, context: jinja2.runtime.Context, article: Article,
               heading_level: int = 2) -> Markup:
        """``_teaser.html`` for ``article``: rendered once per article version and heading
        level in this build, its links relative to the page that shows it.

        The fragment is rendered with every ``url(target)`` marked, so that a page only
        puts its own ``../`` prefix in front of the targets (a link to the page itself, or
        to the home page, is worked out by ``urls.relative`` as always). The partial sees
        ``article``, ``heading_level``, the globals, ``url`` and ``abs_url``: nothing of
        the page, so the fragment is the same whichever page asks for it first.
        """
        link = context.resolve_or_missing("url")
        page = context.resolve_or_missing("page_url")
        if (not getattr(article, "digest", "") or type(link) is not partial
                or link.func is not urls.relative or link.args != (page,) or link.keywords):
            return self._render_teaser(article, heading_level, link)   # not cached
        key = (article.digest, article.slug, article.id, bool(article.html), heading_level)
        teasers = self._teasers
        try:
            fragment = teasers[key]
            teasers.move_to_end(key)
        except KeyError:
            kept = self.kept_teasers
            found = kept.get(key) if kept is not None else None
            fragment = _Fragment(*found) if found is not None else None
            if fragment is None:
                fragment = self._teaser_fragment(article, heading_level)
                if fragment is not None and kept is not None:
                    kept.put(key, (fragment.parts, fragment.targets))
            teasers[key] = fragment
            if len(teasers) > self.teaser_cache_size:
                teasers.popitem(last=False)
        if fragment is None:     # its links could not be told apart: render it for the page
            return self._render_teaser(article, heading_level, link)
        if page in fragment.targets or "" in fragment.targets:
            return Markup(fragment.relink(page))
        return Markup(urls.up_to_root(page).join(fragment.parts))

    def known_topics(self, slugs: Iterable[str]) -> list[Topic]:
        """``article.topics | known_topics``: the :class:`Topic` of each slug the site
        knows, in the article's order."""
        topics = self.env.globals["topics"]
        return [topics[slug] for slug in slugs if slug in topics]

    def _render_teaser(self, article: Article, heading_level: int, link: Any) -> Markup:
        text = self.env.get_template("_teaser.html").render(
            article=article, heading_level=heading_level, url=link, abs_url=self.abs_url)
        return Markup(text)

    def _teaser_fragment(self, article: Article, heading_level: int) -> _Fragment | None:
        """The teaser rendered with every link marked, or None when a link did not reach
        the output as it was made (the template changed it)."""
        targets: list[str] = []
        links: list[str] = []

        def marked(target: str) -> str:
            targets.append(target)
            links.append(urls.relative("", target))
            return _MARK + links[-1]

        text = self.env.get_template("_teaser.html").render(
            article=article, heading_level=heading_level, url=marked, abs_url=self.abs_url)
        parts = text.split(_MARK)
        if len(parts) != len(targets) + 1:
            return None
        for link, part in zip(links, parts[1:]):
            if not part.startswith(link if urls.is_plain(link) else escape(link)):
                return None
        return _Fragment(tuple(parts), tuple(targets))

    def article_jsonld(self, article: Article) -> Markup:
        """schema.org NewsArticle for an article page."""
        url = self.abs_url(urls.article(article.date, article.slug))
        data: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": article.title[:110], "description": article.summary,
            "datePublished": dates.iso(article.date),
            "dateModified": dates.iso(article.updated or article.date),
            "url": url, "mainEntityOfPage": url,
        }
        if article.dateline:
            data["dateline"] = article.dateline
        if article.source:
            data["publisher"] = {"@type": "Organization", "name": article.source}
        if article.source_url:
            data["isBasedOn"] = article.source_url
        topic_names = [self.env.globals["topics"][t].name for t in article.topics
                       if t in self.env.globals["topics"]]
        if topic_names:
            data["keywords"] = topic_names
        return json_for_script(data)

    def breadcrumbs_jsonld(self, crumbs: Iterable[tuple[str, str]]) -> Markup:
        """schema.org BreadcrumbList from ``(name, site-relative url)`` pairs."""
        items = [{"@type": "ListItem", "position": i, "name": name, "item": self.abs_url(url)}
                 for i, (name, url) in enumerate(crumbs, start=1)]
        return json_for_script({"@context": "https://schema.org", "@type": "BreadcrumbList",
                                "itemListElement": items})


_MARK = "\x00sitegen-link\x00"   # where a cached teaser's page-relative prefix goes


class KeptTeasers(Protocol):
    """Teaser fragments kept between builds, as ``(parts, targets)`` (see
    :class:`_Fragment`), by the key :meth:`Theme.teaser` gives them (the article's version
    and the heading level): whoever keeps them sees to it that a fragment is only found
    again by a theme that renders it alike."""

    def get(self, key: tuple) -> tuple | None: ...

    def put(self, key: tuple, fragment: tuple) -> None: ...


class _Fragment:
    """A teaser rendered once: ``parts`` joined by a page's ``../`` prefix make the page's
    copy; ``targets`` are the site-relative targets of its links, in order."""

    __slots__ = ("parts", "targets")

    def __init__(self, parts: tuple[str, ...], targets: tuple[str, ...]):
        self.parts, self.targets = parts, targets

    def relink(self, page: str) -> str:
        """The copy for ``page`` link by link (a page linking to itself or to the home page)."""
        out = [self.parts[0]]
        for target, part in zip(self.targets, self.parts[1:]):
            out.append(str(escape(urls.relative(page, target))))
            out.append(part[len(escape(urls.relative("", target))):])
        return "".join(out)


def _prefixed(prefix: str, target: str) -> str:
    return prefix + target


@jinja2.pass_context
def _url_filter(context: jinja2.runtime.Context, target: str) -> str:
    """``target | url``: the same as ``url(target)``, without a call through the context."""
    return context.resolve_or_missing("url")(target)


@jinja2.pass_context
def _article_href(context: jinja2.runtime.Context, article: Article) -> str:
    """``article | article_href``: ``url(urls.article(article.date, article.slug))``."""
    return context.resolve_or_missing("url")(urls.article(article.date, article.slug))


@jinja2.pass_context
def _topic_href(context: jinja2.runtime.Context, slug: str) -> str:
    """``slug | topic_href``: ``url(urls.topic(slug))``."""
    return context.resolve_or_missing("url")(urls.topic(slug))


@jinja2.pass_context
def _source_href(context: jinja2.runtime.Context, slug: str) -> str:
    """``slug | source_href``: ``url(urls.source(slug))``."""
    return context.resolve_or_missing("url")(urls.source(slug))


class SiteLinks(NamedTuple):
    """The ``links`` global: site-relative URLs of the pages and files every page links to,
    made once per build (``links.home`` is ``urls.home()``, ``links.rss`` is
    ``urls.feed('', 'rss')``, ``links.search`` is None when search is off)."""

    home: str
    topics: str
    sources: str
    archive: str
    search: str | None
    rss: str
    atom: str
    style: str
    favicon: str


def _site_links(config: SiteConfig) -> SiteLinks:
    return SiteLinks(home=urls.home(), topics=urls.topics(), sources=urls.sources(),
                     archive=urls.archive(), search=urls.search() if config.search else None,
                     rss=urls.feed("", "rss"), atom=urls.feed("", "atom"),
                     style=urls.static("style.css"), favicon=urls.static("favicon.svg"))


def _truncate_words(text: str, count: int) -> str:
    words = (text or "").split()
    return text if len(words) <= count else " ".join(words[:count]) + "…"


def template_error(exc: Exception, job: RenderJob):
    """A diagnostic for a template that failed to load or render."""
    file = getattr(exc, "filename", None) or job.template
    line = getattr(exc, "lineno", None)
    if line is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".txt")):
                file, line = frame.filename, frame.lineno
                break
    return error(str(file), f"template error while rendering /{job.url}: "
                 f"{type(exc).__name__}: {exc}", line=line,
                 hint="fix the template; the previous site was left in place")
