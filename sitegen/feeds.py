"""Feeds: which articles a feed carries and the render jobs of its RSS 2.0 and Atom files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from . import urls
from .model import Article, RenderJob

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Feed:
    """One feed of the site, the whole site's or a section's (a topic, a source)."""

    title: str
    description: str
    section: str                    # "" or "topics/<slug>/" or "sources/<slug>/"
    page_url: str                   # the HTML page the feed mirrors
    items: tuple[Article, ...]
    full_content: bool

    @property
    def rss_url(self) -> str:
        return urls.feed(self.section, "rss")

    @property
    def atom_url(self) -> str:
        return urls.feed(self.section, "atom")

    @property
    def updated(self) -> datetime:
        """Newest change among the items (a fixed date for an empty feed, for determinism)."""
        return max((a.updated or a.date for a in self.items), default=_EPOCH)


def feed_jobs(title: str, description: str, section: str, page_url: str,
              articles: tuple[Article, ...], limit: int, full_content: bool) -> list[RenderJob]:
    """The RSS and Atom render jobs of one feed; ``articles`` are newest first."""
    feed = Feed(title, description, section, page_url, articles[:limit], full_content)
    return [
        RenderJob("rss.xml", feed.rss_url, urls.output_path(feed.rss_url), {"feed": feed}, "feed"),
        RenderJob("atom.xml", feed.atom_url, urls.output_path(feed.atom_url), {"feed": feed}, "feed"),
    ]
