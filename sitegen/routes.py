"""SiteIndex -> every RenderJob of the site, in families. Pure: no Jinja2, no disk.

Each job carries the template, its site-relative URL, its output path and the
page-specific context of the theme's contract (see README, "Themes").

With a *focus* (some articles' ids), only the families whose pages show one of those
articles are made: all that can change when those articles change and where they are
listed does not (``indexes.placement``). A family's key covers the versions of the
articles it shows and otherwise only where they stand, so every other family keeps its
key. When the focused articles moved to other URLs (a new slug), the sitemap changes too:
given its entries, it is made as well.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Collection, Sequence

from . import urls
from .dates import human
from .config import SiteConfig
from .feeds import feed_jobs
from .indexes import position, related_to
from .model import Article, Family, RenderJob, SiteIndex
from .pagination import paginate


def _lastmod(articles: Sequence[Article]) -> datetime | None:
    return max((a.updated or a.date for a in articles), default=None)


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def _token(article: Article | None) -> str:
    """An article's version as the pages showing it see it: its file's digest and its slug
    (which the reader may change to settle a clash)."""
    if article is None:
        return "-"
    return f"{article.digest}/{article.slug}" if article.digest else repr(article)


class _Routes:
    """Builds the job families of one site; holds only the config and the index."""

    def __init__(self, index: SiteIndex, config: SiteConfig,
                 focus: Collection[str] | None = None):
        self.index, self.config = index, config
        self.focus = frozenset(focus) if focus is not None else None
        self.focused = ([a for a in index.articles if a.id in self.focus]
                        if self.focus is not None else [])
        self._token_of = ({id(a): _token(a) for a in index.articles} if focus is None
                          else {})   # with a focus, few are needed: made when asked
        self._day_crumbs: dict[str, tuple[tuple[str, str], ...]] = {}

    def token(self, article: Article | None) -> str:
        """:func:`_token`, made once per article."""
        return self._token_of.get(id(article)) or _token(article)

    def tokens(self, articles: Sequence[Article]) -> str:
        """The versions of ``articles`` in one string."""
        try:   # the site's own articles: looked up without a Python call each
            return "\x01".join(map(self._token_of.__getitem__, map(id, articles)))
        except KeyError:
            return "\x01".join(map(self.token, articles))

    def paged(self, name: str, template: str, items: Sequence[Article],
              url_of: Callable[[int], str], title: str, shared_key: str,
              **context: Any) -> list[Family]:
        """A paginated list as one family per page: a page's key covers its items, its
        number, the page count and ``shared_key`` (what the shared ``context`` is made
        of), so an edit re-makes only the pages showing the edited article."""
        families = []
        numbers = None
        if self.focus is not None:
            numbers = {n // self.config.per_page + 1 for n in
                       (position(items, a) for a in self.focused) if n is not None}
            if not numbers:
                return []
        for pager in paginate(items, self.config.per_page, url_of, numbers):
            key = _digest(name, str(pager.number), str(pager.total), shared_key,
                          self.tokens(pager.items))

            def make(pager=pager) -> list[RenderJob]:
                return [self.page(template, pager.url, title, pager=pager,
                                  lastmod=_lastmod(pager.items), **context)]

            families.append(Family(f"{name}#{pager.number}", key, make,
                                   lambda pager=pager: [(pager.url, _lastmod(pager.items))]))
        return families

    def page(self, template: str, url: str, title: str, *, description: str = "",
             canonical: str | None = None, lastmod: datetime | None = None,
             section_feeds: dict | None = None, kind: str = "page", **context: Any) -> RenderJob:
        context.update(
            title=title,
            description=description or self.config.description or self.config.title,
            canonical=canonical or urls.absolute(self.config.base_url, url),
            section_feeds=section_feeds,
            lastmod=lastmod,
        )
        return RenderJob(template, url, urls.output_path(url), context, kind)

    def home(self) -> list[Family]:
        articles = self.index.articles
        latest_day = urls.day_key(articles[0].date) if articles else None
        counts = Counter(t for a in self.index.by_day.get(latest_day, ()) for t in a.topics)
        of_the_day = [(self.index.topics[slug], n) for slug, n in
                      sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                      if slug in self.index.topics]
        return self.paged("home", "index.html", articles, urls.home, self.config.title,
                          repr([(t.slug, n) for t, n in of_the_day]),
                          topics_of_the_day=of_the_day)

    def article(self, article: Article, previous: Article | None, newer: Article | None,
                related: Sequence[Article]) -> RenderJob:
        url = urls.article(article.date, article.slug)
        canonical = (article.source_url if self.config.canonical == "source"
                     and article.source_url else None)
        day = urls.day_key(article.date)
        crumbs = self._day_crumbs.get(day)
        if crumbs is None:   # year, month and day: the same for every article of the day
            crumbs = self._day_crumbs[day] = (
                (f"{article.date:%Y}", urls.year(day[:4])),
                (f"{article.date:%B}", urls.month(day[:7])),
                (str(article.date.day), urls.day(day)),
            )
        breadcrumbs = [(self.config.title, urls.home()), *crumbs, (article.title, url)]
        return self.page(
            "article.html", url, article.title, description=article.summary,
            canonical=canonical, lastmod=article.updated or article.date, kind="article",
            article=article, previous=previous, next=newer, related=list(related),
            reading_minutes=article.reading_minutes, breadcrumbs=breadcrumbs)

    def articles(self) -> list[Family]:
        families = []
        older, newer, related = self.index.previous, self.index.next, self.index.related
        chosen = self.index.articles
        if self.focus is not None:   # the focus, their neighbours, who relates to them
            ids = set(self.focus)
            for a in self.focused:
                ids.update(n.id for n in (older.get(a.id), newer.get(a.id)) if n is not None)
                ids.update(related_to(self.index, a))
            chosen = [a for a in self.index.articles if a.id in ids]
        for a in chosen:
            p, n, r = older.get(a.id), newer.get(a.id), related.get(a.id, ())
            key = _digest(self.token(a), self.token(p), self.token(n), self.tokens(r))
            families.append(Family(
                f"article:{a.id}", key, lambda a=a, p=p, n=n, r=r: [self.article(a, p, n, r)],
                lambda a=a: [(urls.article(a.date, a.slug), a.updated or a.date)]))
        return families

    def dates(self) -> list[Family]:
        families = []
        groups = [("year", self.index.by_year, "%Y", urls.year),
                  ("month", self.index.by_month, "%B %Y", urls.month),
                  ("day", self.index.by_day, "%B %-d, %Y", urls.day)]
        children_of: dict[str, dict[str, list]] = {"year": {}, "month": {}}
        for period, below, url_of_child in (("year", self.index.by_month, urls.month),
                                            ("month", self.index.by_day, urls.day)):
            for k, v in below.items():   # sorted keys: children come in order
                children_of[period].setdefault(k.rpartition("/")[0], []).append(
                    (_child_label(k, period), url_of_child(k), len(v)))
        days = {urls.day_key(a.date) for a in self.focused}
        wanted = {"year": {d[:4] for d in days}, "month": {d[:7] for d in days}, "day": days}
        for period, groups_by_key, fmt, url_of in groups:
            for key, items in groups_by_key.items():
                if self.focus is not None and key not in wanted[period]:
                    continue
                title = human(items[0].date, fmt)
                children = children_of.get(period, {}).get(key, [])
                parent = None if period == "year" else (
                    (key[:4], urls.year(key[:4])) if period == "month"
                    else (human(items[0].date, "%B %Y"), urls.month(key[:7])))
                families += self.paged(
                    f"{period}:{key}", "date.html", items,
                    lambda n, base=url_of(key): urls.paged(base, n), title,
                    repr((title, children, parent)), period=period, key=key,
                    children=children, parent=parent)
        return families

    def _newest(self) -> datetime | None:
        return _lastmod(self.index.articles[:1])

    def archive(self) -> Family:
        """The archive: its years and months with their counts (structure only)."""
        years = []
        for year in sorted(self.index.by_year, reverse=True):
            counts = {k: len(v) for k, v in self.index.by_month.items() if k.startswith(year)}
            months = [{"key": f"{year}/{m:02d}", "label": human(datetime(2000, m, 1), "%B"),
                       "count": counts.get(f"{year}/{m:02d}", 0)} for m in range(1, 13)]
            years.append({"key": year, "count": len(self.index.by_year[year]), "months": months})
        lastmod = self._newest()
        return Family("archive", _digest("archive", repr(years), repr(lastmod)),
                      lambda: [self.page("archive.html", urls.archive(), "Archive", years=years,
                                         lastmod=lastmod)],
                      lambda: [(urls.archive(), lastmod)])

    def sections(self, kind: str) -> list[Family]:
        """Topic or source pages, their directory and their feeds."""
        groups = self.index.by_topic if kind == "topics" else self.index.by_source
        things = self.index.topics if kind == "topics" else self.index.sources
        url_of = urls.topic if kind == "topics" else urls.source
        singular = "topic" if kind == "topics" else "source"
        entries = sorted(((things[s], len(items)) for s, items in groups.items() if s in things),
                         key=lambda e: (e[0].name.casefold(), e[0].slug))
        lastmod = self._newest()
        directory = urls.topics() if kind == "topics" else urls.sources()
        if self.focus is not None:   # the directory shows structure only
            shown = {s for a in self.focused
                     for s in (a.topics if kind == "topics" else [a.source_slug])}
            entries = [e for e in entries if e[0].slug in shown]
        families = [] if self.focus is not None else [Family(
            kind, _digest(kind, repr([(t.slug, n) for t, n in entries]), repr(lastmod)),
            lambda: [self.page(f"{kind}.html", directory, "Topics" if kind == "topics"
                               else "Sources", entries=entries, lastmod=lastmod)],
            lambda: [(directory, lastmod)])]
        for thing, _ in entries:
            items = groups[thing.slug]
            section = url_of(thing.slug)
            description = ((getattr(thing, "description", "") or f"News about {thing.name}")
                           if kind == "topics" else f"Articles from {thing.name}")
            feeds = {"rss": urls.feed(section, "rss"), "atom": urls.feed(section, "atom")}
            extra = {"source_home": _source_home(items)} if kind == "sources" else {}
            families += self.paged(
                f"{singular}:{thing.slug}", f"{singular}.html", items,
                lambda n, slug=thing.slug: url_of(slug, n), thing.name,
                repr((description, extra)), description=description, section_feeds=feeds,
                **{singular: thing}, **extra)
            latest = items[:self.config.feeds.limit]
            if self.focus is not None and not any(a.id in self.focus for a in latest):
                continue
            families.append(Family(
                f"{singular}-feeds:{thing.slug}",
                _digest(kind, thing.slug, description, self.tokens(latest)),
                lambda thing=thing, section=section, description=description, latest=latest:
                feed_jobs(f"{self.config.title}: {thing.name}", description, section, section,
                          latest, self.config.feeds.limit, self.config.feeds.full_content)))
        return families

    def site_feeds(self) -> list[Family]:
        items = self.index.articles[:self.config.feeds.limit]
        if self.focus is not None and not any(a.id in self.focus for a in items):
            return []
        return [Family("feeds", _digest("feeds", self.tokens(items)), lambda: feed_jobs(
            self.config.title, self.config.description or self.config.title, "", urls.home(),
            items, self.config.feeds.limit, self.config.feeds.full_content))]

    def search(self) -> list[Family]:
        """The search page (the Pagefind UI), when search is on. Not in the sitemap."""
        if not self.config.search:
            return []
        return [Family("search", "search", lambda: [self.page(
            "search.html", urls.search(), "Search",
            description=f"Search the articles of {self.config.title}", kind="search")])]

    def extras(self, entries: Callable[[], list[tuple[str, datetime | None]]]) -> Family:
        """sitemap.xml (every HTML page but the 404: ``entries``; see :func:`sitemap_jobs`),
        robots.txt and 404.html.
        The sitemap changes only when the site's structure does (which pages exist, their
        lastmod)."""
        structure = "\x01".join([
            f"{a.id}\x00{a.slug}\x00{a.date.isoformat()}\x00{a.updated}\x00{a.topics}\x00"
            f"{a.source_slug}" for a in self.index.articles])

        def make() -> list[RenderJob]:
            return [
                *sitemap_jobs(entries()),
                RenderJob("robots.txt", "robots.txt", "robots.txt", {}, "robots"),
                self.page("404.html", "404.html", "Page not found", kind="404"),
            ]

        return Family("extras", _digest("extras", structure), make)


SITEMAP_LIMIT = 50_000
"""URLs one sitemap file may list (the sitemaps protocol: 50,000, and 50 MB, which
50,000 of ours stay far below)."""


def sitemap_jobs(entries: list[tuple[str, datetime | None]]) -> list[RenderJob]:
    """``sitemap.xml`` listing ``entries`` (``(url, lastmod)``); beyond
    :data:`SITEMAP_LIMIT` of them, a sitemap index of ``sitemap-1.xml``,
    ``sitemap-2.xml`` ... that list them in order, each with the latest lastmod of its
    entries. robots.txt names ``sitemap.xml`` either way: search engines read an index as
    they read a sitemap."""
    limit = SITEMAP_LIMIT
    if len(entries) <= limit:
        return [RenderJob("sitemap.xml", "sitemap.xml", "sitemap.xml", {"entries": entries},
                          "sitemap")]
    parts = [entries[start:start + limit] for start in range(0, len(entries), limit)]
    names = [f"sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    listed = [(name, max((lastmod for _, lastmod in part if lastmod is not None), default=None))
              for name, part in zip(names, parts)]
    return [RenderJob("sitemap_index.xml", "sitemap.xml", "sitemap.xml", {"sitemaps": listed},
                      "sitemap-index"),
            *(RenderJob("sitemap.xml", name, name, {"entries": part}, "sitemap")
              for name, part in zip(names, parts))]


def _child_label(key: str, period: str) -> str:
    if period == "year":
        return human(datetime(2000, int(key[5:7]), 1), "%B")
    return str(int(key[8:10]))


def _source_home(items: Sequence[Article]) -> str | None:
    for article in items:
        if article.source_url:
            scheme, _, rest = article.source_url.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}/"
    return None


def site_families(index: SiteIndex, config: SiteConfig,
                  focus: Collection[str] | None = None,
                  sitemap: Callable[[], list[tuple[str, datetime | None]]] | None = None
                  ) -> list[Family]:
    """Every job family of the site, in a stable order; with a ``focus`` (article ids),
    only those showing one of them (see above), and, given the ``sitemap``'s entries (the
    focused articles moved to other URLs), the family of the sitemap."""
    routes = _Routes(index, config, focus)
    if focus is not None:
        return [*routes.home(), *routes.articles(), *routes.dates(),
                *routes.sections("topics"), *routes.sections("sources"), *routes.site_feeds(),
                *([routes.extras(sitemap)] if sitemap is not None else [])]
    pages = [*routes.home(), *routes.articles(), *routes.dates(), routes.archive(),
             *routes.sections("topics"), *routes.sections("sources")]
    return [*pages, *routes.search(), *routes.site_feeds(),
            routes.extras(lambda: [entry for family in pages for entry in family.entries()])]


def site_jobs(index: SiteIndex, config: SiteConfig) -> list[RenderJob]:
    """Every file of the site, in a stable order."""
    return [job for family in site_families(index, config) for job in family.make()]
