"""Articles -> SiteIndex: grouping by date, topic and source; neighbours; related articles."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Iterable, Mapping, Sequence

from . import urls
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


def related_key(ordered: Sequence[Article]) -> str:
    """What related articles are worked out from: the order of the articles, their ids,
    topics and sources. An edit that keeps it (a body, a title) keeps them all."""
    digest = hashlib.blake2b(digest_size=16)
    for a in ordered:
        digest.update(f"{a.id}\x01{','.join(a.topics)}\x01{a.source_slug or ''}\x00".encode())
    return digest.hexdigest()


def _related_positions(articles: Sequence[Article], by_topic: Mapping[str, tuple[Article, ...]],
                       by_source: Mapping[str, tuple[Article, ...]]) -> list[tuple[int, ...]]:
    """For each article (by position), the positions of the articles sharing most topics
    (and the source), newest first among equals. Looks only at near neighbours in each
    list, so it stays linear."""
    order = {id(a): i for i, a in enumerate(articles)}   # newest first; ids may repeat
    lists = {**{("t", k): [order[id(a)] for a in v] for k, v in by_topic.items()},
             **{("s", k): [order[id(a)] for a in v] for k, v in by_source.items()}}
    position: dict[tuple[str, str], dict[int, int]] = {
        name: {n: i for i, n in enumerate(items)} for name, items in lists.items()}
    related: list[tuple[int, ...]] = []
    for n, article in enumerate(articles):
        counts: Counter[int] = Counter()
        names = [("t", t) for t in article.topics]
        if article.source_slug:
            names.append(("s", article.source_slug))
        for name in names:
            items, i = lists[name], position[name][n]
            counts.update(items[max(0, i - _RELATED_WINDOW):i + _RELATED_WINDOW + 1])
        counts.pop(n, None)
        best = sorted([(-count, other) for other, count in counts.items()])[:RELATED_LIMIT]
        related.append(tuple(other for _, other in best))
    return related


def build_index(articles: Iterable[Article], topics: Mapping[str, Topic],
                remembered: tuple[str, list[tuple[int, ...]]] | None = None) -> SiteIndex:
    """Group the site's articles every way the site lists them. ``remembered`` is the
    ``related_memo`` of an earlier index: its related articles are reused when
    :func:`related_key` is unchanged."""
    ordered = newest_first(articles)
    by_topic = _group(ordered, lambda a: a.topics)
    by_source = _group(ordered, lambda a: [a.source_slug] if a.source_slug else [])
    sources = {slug: Source(slug=slug, name=items[0].source or slug)
               for slug, items in by_source.items()}
    previous = {a.id: ordered[i + 1] for i, a in enumerate(ordered[:-1])}
    newer = {a.id: ordered[i - 1] for i, a in enumerate(ordered) if i > 0}
    days = {a.id: urls.day_key(a.date) for a in ordered}
    key = related_key(ordered)
    positions = (remembered[1] if remembered is not None and remembered[0] == key
                 else _related_positions(ordered, by_topic, by_source))
    at = ordered.__getitem__
    related = {a.id: tuple(map(at, positions[n])) for n, a in enumerate(ordered)}
    return SiteIndex(
        articles=ordered,
        topics={slug: topics[slug] for slug in by_topic if slug in topics},
        sources=sources,
        by_topic=by_topic,
        by_source=by_source,
        by_year=_group(ordered, lambda a: [days[a.id][:4]]),
        by_month=_group(ordered, lambda a: [days[a.id][:7]]),
        by_day=_group(ordered, lambda a: [days[a.id]]),
        previous=previous,
        next=newer,
        related=related,
        related_memo=(key, positions),
    )
