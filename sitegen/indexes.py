"""Articles -> SiteIndex: grouping by date, topic and source; neighbours; related articles."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping, Sequence

from .model import Article, Source, SiteIndex, Topic

RELATED_LIMIT = 5
_RELATED_WINDOW = 8     # candidates taken around an article in each list it is on


def newest_first(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Newest first; ties broken by id so the order never depends on file order."""
    return tuple(sorted(articles, key=lambda a: (a.date, a.id), reverse=True))


def _group(articles: Sequence[Article], keys_of) -> dict[str, tuple[Article, ...]]:
    groups: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for key in keys_of(article):
            groups[key].append(article)
    return {key: tuple(items) for key, items in sorted(groups.items())}


def _related(articles: Sequence[Article], by_topic: Mapping[str, tuple[Article, ...]],
             by_source: Mapping[str, tuple[Article, ...]]) -> dict[str, tuple[Article, ...]]:
    """For each article, the articles sharing most topics (and the source), newest first
    among equals. Looks only at near neighbours in each list, so it stays linear."""
    lists = {**{("t", k): v for k, v in by_topic.items()},
             **{("s", k): v for k, v in by_source.items()}}
    position = {name: {a.id: i for i, a in enumerate(items)} for name, items in lists.items()}
    related: dict[str, tuple[Article, ...]] = {}
    order = {a.id: i for i, a in enumerate(articles)}   # articles are newest first
    for article in articles:
        scores: dict[str, list] = {}
        names = [("t", t) for t in article.topics]
        if article.source_slug:
            names.append(("s", article.source_slug))
        for name in names:
            items, i = lists[name], position[name][article.id]
            for other in items[max(0, i - _RELATED_WINDOW):i + _RELATED_WINDOW + 1]:
                if other.id != article.id:
                    scores.setdefault(other.id, [0, other])[0] += 1
        ranked = sorted(scores.values(), key=lambda s: (-s[0], order[s[1].id]))
        related[article.id] = tuple(s[1] for s in ranked[:RELATED_LIMIT])
    return related


def build_index(articles: Iterable[Article], topics: Mapping[str, Topic]) -> SiteIndex:
    """Group the site's articles every way the site lists them."""
    ordered = newest_first(articles)
    by_topic = _group(ordered, lambda a: a.topics)
    by_source = _group(ordered, lambda a: [a.source_slug] if a.source_slug else [])
    sources = {slug: Source(slug=slug, name=items[0].source or slug)
               for slug, items in by_source.items()}
    previous = {a.id: ordered[i + 1] for i, a in enumerate(ordered[:-1])}
    newer = {a.id: ordered[i - 1] for i, a in enumerate(ordered) if i > 0}
    return SiteIndex(
        articles=ordered,
        topics={slug: topics[slug] for slug in by_topic if slug in topics},
        sources=sources,
        by_topic=by_topic,
        by_source=by_source,
        by_year=_group(ordered, lambda a: [f"{a.date:%Y}"]),
        by_month=_group(ordered, lambda a: [f"{a.date:%Y/%m}"]),
        by_day=_group(ordered, lambda a: [f"{a.date:%Y/%m/%d}"]),
        previous=previous,
        next=newer,
        related=_related(ordered, by_topic, by_source),
    )
