"""Articles -> SiteIndex: grouping by date, topic and source; neighbours; related articles."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
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


RelatedMemo = tuple[str, list[tuple[int, ...]], tuple[str, ...]]
"""What an index remembers of its related articles for the next build: the
key of the signatures (:func:`_signature`) of the articles in order, each article's related
articles (by position) and the signatures."""


def _signature(article: Article) -> str:
    """What related articles are worked out from, besides the articles' order: each one's
    id, topics and source (ids and slugs hold no control characters)."""
    return f"{article.id}\x01{','.join(article.topics)}\x01{article.source_slug or ''}"


def _key(signatures: Sequence[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for signature in signatures:
        digest.update(signature.encode() + b"\x00")
    return digest.hexdigest()


def _names(signature: str) -> tuple[str, tuple[str, ...]]:
    """An article's id and the lists it is on (``t<topic>``, ``s<source>``), from its
    signature."""
    ident, topics, source = signature.rsplit("\x01", 2)
    names = tuple("t" + t for t in topics.split(",") if t)
    return ident, names + (("s" + source,) if source else ())


class _Lists:
    """The topic and source lists of the articles (positions, newest first), and where
    each article stands on each."""

    def __init__(self, names: Sequence[tuple[str, ...]]):
        lists: dict[str, list[int]] = defaultdict(list)
        for n, on in enumerate(names):
            for name in on:
                lists[name].append(n)
        self.lists = lists
        self.where = {name: {n: i for i, n in enumerate(items)} for name, items in lists.items()}

    def windows(self, n: int, names: tuple[str, ...]) -> list[list[int]]:
        """The candidates around article ``n`` on each of its lists."""
        found = []
        for name in names:
            i = self.where[name][n]
            found.append(self.lists[name][max(0, i - _RELATED_WINDOW):i + _RELATED_WINDOW + 1])
        return found


def _related_positions(signatures: Sequence[str], remembered: RelatedMemo | None = None
                       ) -> list[tuple[int, ...]]:
    """For each article (by position), the positions of the articles sharing most topics
    (and the source), newest first among equals. Looks only at near neighbours in each
    list, so it stays linear. An article's answer depends only on the windows of its
    lists around it: where ``remembered`` is of the same articles in the same order, give
    or take some that came or went, only the articles near one that came, went or changed
    its topics or source are worked out again."""
    names = [_names(signature)[1] for signature in signatures]
    lists = _Lists(names)
    near = _near_changes(signatures, names, lists, remembered)
    redo, old_at, new_at = near if near is not None else (None, None, None)
    related: list[tuple[int, ...]] = []
    for n, on in enumerate(names):
        if redo is not None and n not in redo:
            if old_at is None:   # every article where it was
                related.append(remembered[1][n])
                continue
            kept = tuple(new_at.get(o, -1) for o in remembered[1][old_at[n]])
            if -1 not in kept:
                related.append(kept)
                continue
        counts: Counter[int] = Counter()
        for window in lists.windows(n, on):
            counts.update(window)
        counts.pop(n, None)
        best = sorted([(-count, other) for other, count in counts.items()])[:RELATED_LIMIT]
        related.append(tuple(other for _, other in best))
    return related


Near = tuple[set[int], "list[int | None] | None", "dict[int, int] | None"]
"""The articles to work out again (by position); where each stood in the memo (None: it
is new), and where the memo's now stand, or both None when every article kept its
place."""


def _near_changes(signatures: Sequence[str], names: Sequence[tuple[str, ...]], lists: _Lists,
                  remembered: RelatedMemo | None) -> Near | None:
    """The articles whose windows may differ from ``remembered``'s: those that came or
    changed lists, and those within the window of such a change on a list (in the new
    list where one came or joined, in the old one where one went or left). None when
    everything is to be worked out (no memo, an article moved in the order, a list
    holding an article twice, or too many changes)."""
    if remembered is None:
        return None
    old = remembered[2]
    if len(old) == len(signatures):   # the commonest case, quickly: edits in place
        changed = [n for n, (was, now) in enumerate(zip(old, signatures)) if was != now]
        if all(_names(old[n])[0] == _names(signatures[n])[0] for n in changed):
            return _near(changed, [], old, names, lists, None, None)
    old_ids = [_names(signature)[0] for signature in old]
    where = {ident: o for o, ident in enumerate(old_ids)}
    if len(where) != len(old):
        return None
    old_at = [where.get(_names(signature)[0]) for signature in signatures]
    kept = [o for o in old_at if o is not None]
    if any(a >= b for a, b in zip(kept, kept[1:])):
        return None   # an article moved in the order (another date): all again
    new_at = {o: n for n, o in enumerate(old_at) if o is not None}
    changed = [n for n, o in enumerate(old_at) if o is None or old[o] != signatures[n]]
    removed = [o for o in range(len(old)) if o not in new_at]
    return _near(changed, removed, old, names, lists, old_at, new_at)


def _near(changed: list[int], removed: list[int], old: Sequence[str],
          names: Sequence[tuple[str, ...]], lists: _Lists, old_at: list | None,
          new_at: dict | None) -> Near | None:
    """:func:`_near_changes` for ``changed`` (new positions: articles that came or
    changed) and ``removed`` (old positions: articles that went)."""
    if (len(changed) + len(removed)) * 20 > len(names):
        return None
    new_of = (lambda o: o) if new_at is None else new_at.get
    old_of = (lambda n: n) if old_at is None else old_at.__getitem__
    before: dict[int, tuple[str, ...]] = {
        n: () if old_of(n) is None else _names(old[old_of(n)])[1] for n in changed}
    gone = {o: _names(old[o])[1] for o in removed}
    redo = set(changed)
    for name in {name for n in changed for name in before[n] + names[n]} | {
            name for on in gone.values() for name in on}:
        joined = [n for n in changed if name in names[n] and name not in before[n]]
        left = [old_of(n) for n in changed if name in before[n] and name not in names[n]]
        left += [o for o, on in gone.items() if name in on]
        now = lists.lists.get(name, [])
        stayed = [old_of(n) for n in now if name in before.get(n, (name,))]
        was = sorted(stayed + left)
        if len(set(now)) != len(now) or len(set(was)) != len(was) or len(
                stayed) != len(now) - len(joined):
            return None
        if joined:
            at = {n: i for i, n in enumerate(now)}
            for n in joined:
                i = at[n]
                redo.update(now[max(0, i - _RELATED_WINDOW):i + _RELATED_WINDOW + 1])
        if left:
            at = {o: i for i, o in enumerate(was)}
            for o in left:
                i = at[o]
                redo.update(n for n in map(new_of, was[max(0, i - _RELATED_WINDOW):
                                                        i + _RELATED_WINDOW + 1])
                            if n is not None)
    return redo, old_at, new_at


def _memo_of(remembered: object) -> RelatedMemo | None:
    """``remembered`` if it has the form this version gives it (the cache may hold an
    older one)."""
    if (isinstance(remembered, tuple) and len(remembered) == 3
            and isinstance(remembered[0], str) and isinstance(remembered[1], list)
            and isinstance(remembered[2], tuple) and len(remembered[1]) == len(remembered[2])):
        return remembered
    return None


def build_index(articles: Iterable[Article], topics: Mapping[str, Topic],
                remembered: object = None) -> SiteIndex:
    """Group the site's articles every way the site lists them. ``remembered`` is the
    ``related_memo`` of an earlier index: its related articles are reused when the
    articles' order, ids, topics and sources are unchanged (a body or title edit), and those of the articles whose neighbourhood did
    not change when only some articles' topics or sources did."""
    ordered = newest_first(articles)
    by_topic = _group(ordered, lambda a: a.topics)
    by_source = _group(ordered, lambda a: [a.source_slug] if a.source_slug else [])
    sources = {slug: Source(slug=slug, name=items[0].source or slug)
               for slug, items in by_source.items()}
    previous = {a.id: ordered[i + 1] for i, a in enumerate(ordered[:-1])}
    newer = {a.id: ordered[i - 1] for i, a in enumerate(ordered) if i > 0}
    days = {a.id: urls.day_key(a.date) for a in ordered}
    signatures = tuple(_signature(a) for a in ordered)
    key = _key(signatures)
    memo = _memo_of(remembered)
    positions = (memo[1] if memo is not None and memo[0] == key
                 else _related_positions(signatures, memo))
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
        related_memo=(key, positions, signatures),
    )


def placement(article: Article) -> tuple:
    """What of an article shapes the site besides its own pages, but its URL: where it is
    listed and in which order (id, date, topics, source), what the lists, the directories
    and the archive say of it (updated, the source's name and home). Articles of the same
    placement stand in the same lists at the same places (a slug orders nothing), so one
    may replace the other in an index (:func:`patch_index`) even when it moved to
    another URL."""
    return (article.id, article.date, article.updated, article.topics, article.source,
            article.source_slug, article.source_url, article.draft, article.path)


def position(items: Sequence[Article], article: Article) -> int | None:
    """Where ``article`` (by id) stands in a list of the index (newest first, as
    :func:`newest_first`), found by halving; None if it is not there."""
    key, lo, hi = (article.date, article.id), 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if (items[mid].date, items[mid].id) > key:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(items) and items[lo].id == article.id else None


def related_to(index: SiteIndex, article: Article) -> set[str]:
    """The ids of the articles whose related articles include ``article``. Related
    articles are found within a window of each list an article is on, so only the
    articles within that window of ``article`` on its own lists can have it."""
    near: set[str] = set()
    lists = [index.by_topic.get(t, ()) for t in article.topics]
    lists.append(index.by_source.get(article.source_slug, ()) if article.source_slug else ())
    for items in lists:
        at = position(items, article)
        if at is not None:
            near.update(a.id for a in items[max(0, at - _RELATED_WINDOW):at + _RELATED_WINDOW + 1])
    return {ident for ident in near
            if any(o.id == article.id for o in index.related.get(ident, ()))}


def patch_index(index: SiteIndex, replacements: Mapping[str, Article]) -> SiteIndex:
    """``index`` with some of its articles (by id) replaced by new versions of the same
    :func:`placement`: what :func:`build_index` gives for the new articles, without
    grouping them all again (each is found in its lists by halving). The caller sees to
    it that the new URLs are distinct (``reader`` settles clashes of slugs otherwise)."""
    if not replacements:
        return index
    old = [a for a in index.articles if a.id in replacements] if len(replacements) > 8 else [
        index.articles[at] for at in (position(index.articles, a) for a in replacements.values())
        if at is not None]
    if len(old) != len(replacements) or any(
            placement(a) != placement(replacements[a.id]) for a in old):
        raise ValueError("patch_index replaces articles by others of the same placement")

    def swap(items: tuple[Article, ...]) -> tuple[Article, ...]:
        for new in replacements.values():
            at = position(items, new)
            if at is not None:
                items = items[:at] + (new,) + items[at + 1:]
        return items

    def groups(mapping: Mapping[str, tuple[Article, ...]], keys: set) -> dict:
        return {**mapping, **{k: swap(mapping[k]) for k in keys if k in mapping}}

    days = {urls.day_key(a.date) for a in old}
    previous, newer = dict(index.previous), dict(index.next)
    for a in old:
        new = replacements[a.id]
        if a.id in index.next:       # the newer one's previous article is this one
            previous[index.next[a.id].id] = new
        if a.id in index.previous:   # and the older one's next
            newer[index.previous[a.id].id] = new
    related = dict(index.related)
    for ident in {i for a in old for i in related_to(index, a)}:
        related[ident] = tuple(replacements.get(o.id, o) for o in related[ident])
    return replace(
        index,
        articles=swap(index.articles),
        by_topic=groups(index.by_topic, {t for a in old for t in a.topics}),
        by_source=groups(index.by_source, {a.source_slug for a in old}),
        by_year=groups(index.by_year, {d[:4] for d in days}),
        by_month=groups(index.by_month, {d[:7] for d in days}),
        by_day=groups(index.by_day, days),
        previous=previous, next=newer, related=related)
