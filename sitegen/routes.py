"""SiteIndex -> every RenderJob of the site. Pure: no Jinja2, no disk.

Each job carries the template, its site-relative URL, its output path and the
page-specific context of the theme's contract (see README, "Themes").
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Callable, Sequence

from . import urls
from .dates import human
from .config import SiteConfig
from .feeds import feed_jobs
from .model import Article, RenderJob, SiteIndex
from .pagination import paginate


def _lastmod(articles: Sequence[Article]) -> datetime | None:
    return max((a.updated or a.date for a in articles), default=None)


class _Routes:
    """Builds the jobs of one site; holds only the config and the index it was given."""

    def __init__(self, index: SiteIndex, config: SiteConfig):
        self.index, self.config = index, config

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

    def listing(self, template: str, items: Sequence[Article], url_of: Callable[[int], str],
                title: str, **context: Any) -> list[RenderJob]:
        """One job per page of a paginated list."""
        pages = paginate(items, self.config.per_page, url_of)
        return [self.page(template, pager.url, title, pager=pager, lastmod=_lastmod(pager.items), **context)
                for pager in pages]

    def home(self) -> list[RenderJob]:
        articles = self.index.articles
        latest_day = f"{articles[0].date:%Y/%m/%d}" if articles else None
        counts = Counter(t for a in self.index.by_day.get(latest_day, ()) for t in a.topics)
        of_the_day = [(self.index.topics[slug], n) for slug, n in
                      sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                      if slug in self.index.topics]
        return self.listing("index.html", articles, urls.home, self.config.title,
                            topics_of_the_day=of_the_day)

    def articles(self) -> list[RenderJob]:
        jobs = []
        for article in self.index.articles:
            url = urls.article(article.date, article.slug)
            canonical = (article.source_url if self.config.canonical == "source"
                         and article.source_url else None)
            day = f"{article.date:%Y/%m/%d}"
            breadcrumbs = [
                (self.config.title, urls.home()),
                (f"{article.date:%Y}", urls.year(day[:4])),
                (f"{article.date:%B}", urls.month(day[:7])),
                (str(article.date.day), urls.day(day)),
                (article.title, url),
            ]
            jobs.append(self.page(
                "article.html", url, article.title, description=article.summary,
                canonical=canonical, lastmod=article.updated or article.date, kind="article",
                article=article, previous=self.index.previous.get(article.id),
                next=self.index.next.get(article.id),
                related=list(self.index.related.get(article.id, ())),
                reading_minutes=article.reading_minutes, breadcrumbs=breadcrumbs))
        return jobs

    def dates(self) -> list[RenderJob]:
        jobs = []
        groups = [("year", self.index.by_year, "%Y", urls.year),
                  ("month", self.index.by_month, "%B %Y", urls.month),
                  ("day", self.index.by_day, "%B %-d, %Y", urls.day)]
        children_of = {"year": self.index.by_month, "month": self.index.by_day}
        for period, groups_by_key, fmt, url_of in groups:
            for key, items in groups_by_key.items():
                title = human(items[0].date, fmt)
                children = [(_child_label(k, period), urls.month(k) if period == "year"
                             else urls.day(k), len(v))
                            for k, v in children_of.get(period, {}).items()
                            if k.startswith(key + "/")]
                parent = None if period == "year" else (
                    (key[:4], urls.year(key[:4])) if period == "month"
                    else (human(items[0].date, "%B %Y"), urls.month(key[:7])))
                jobs += self.listing("date.html", items,
                                     lambda n, base=url_of(key): urls.paged(base, n), title,
                                     period=period, key=key, children=children, parent=parent)
        return jobs

    def archive(self) -> RenderJob:
        years = []
        for year in sorted(self.index.by_year, reverse=True):
            counts = {k: len(v) for k, v in self.index.by_month.items() if k.startswith(year)}
            months = [{"key": f"{year}/{m:02d}", "label": human(datetime(2000, m, 1), "%B"),
                       "count": counts.get(f"{year}/{m:02d}", 0)} for m in range(1, 13)]
            years.append({"key": year, "count": len(self.index.by_year[year]), "months": months})
        return self.page("archive.html", urls.archive(), "Archive", years=years,
                         lastmod=_lastmod(self.index.articles[:1]))

    def sections(self, kind: str) -> list[RenderJob]:
        """Topic or source pages, their directory and their feeds."""
        groups = self.index.by_topic if kind == "topics" else self.index.by_source
        things = self.index.topics if kind == "topics" else self.index.sources
        url_of = urls.topic if kind == "topics" else urls.source
        singular = "topic" if kind == "topics" else "source"
        entries = sorted(((things[s], len(items)) for s, items in groups.items() if s in things),
                         key=lambda e: (e[0].name.casefold(), e[0].slug))
        jobs = [self.page(f"{kind}.html", urls.topics() if kind == "topics" else urls.sources(),
                          "Topics" if kind == "topics" else "Sources", entries=entries,
                          lastmod=_lastmod(self.index.articles[:1]))]
        for thing, _ in entries:
            items = groups[thing.slug]
            section = url_of(thing.slug)
            description = ((getattr(thing, "description", "") or f"News about {thing.name}")
                           if kind == "topics" else f"Articles from {thing.name}")
            feeds = {"rss": urls.feed(section, "rss"), "atom": urls.feed(section, "atom")}
            extra = {"source_home": _source_home(items)} if kind == "sources" else {}
            jobs += self.listing(f"{singular}.html", items,
                                 lambda n, slug=thing.slug: url_of(slug, n), thing.name,
                                 description=description, section_feeds=feeds,
                                 **{singular: thing}, **extra)
            jobs += feed_jobs(f"{self.config.title}: {thing.name}", description, section,
                              section, items, self.config.feeds.limit,
                              self.config.feeds.full_content)
        return jobs

    def site_feeds(self) -> list[RenderJob]:
        return feed_jobs(self.config.title, self.config.description or self.config.title, "",
                         urls.home(), self.index.articles, self.config.feeds.limit,
                         self.config.feeds.full_content)

    def search(self) -> list[RenderJob]:
        """The search page (the Pagefind UI), when search is on. Not in the sitemap."""
        if not self.config.search:
            return []
        return [self.page("search.html", urls.search(), "Search",
                          description=f"Search the articles of {self.config.title}",
                          kind="search")]

    def extras(self, pages: Sequence[RenderJob]) -> list[RenderJob]:
        """sitemap.xml (every HTML page but the 404), robots.txt and 404.html."""
        entries = [(job.url, job.context.get("lastmod")) for job in pages
                   if job.output.endswith(".html")]
        return [
            RenderJob("sitemap.xml", "sitemap.xml", "sitemap.xml", {"entries": entries}, "sitemap"),
            RenderJob("robots.txt", "robots.txt", "robots.txt", {}, "robots"),
            self.page("404.html", "404.html", "Page not found", kind="404"),
        ]


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


def site_jobs(index: SiteIndex, config: SiteConfig) -> list[RenderJob]:
    """Every file of the site, in a stable order."""
    routes = _Routes(index, config)
    pages = [*routes.home(), *routes.articles(), *routes.dates(), routes.archive(),
             *routes.sections("topics"), *routes.sections("sources")]
    return [*pages, *routes.search(), *routes.site_feeds(), *routes.extras(pages)]
