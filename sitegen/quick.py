"""The quick rebuild: a few content pages edited, nothing else, the site's shape unchanged.

When the only inputs that changed since the last build are some pages under content/ (none
added, removed or renamed; no seed, template, static file or setting), and each page is
still an article of the same placement (``indexes.placement``: id, date, topics, source
...), the site's lists, neighbours and related articles stay as they were. Then the last
build's index is patched with the new versions of those articles, only the families
showing them are made (``routes``, with a focus) and rendered, and every other family keeps
its outputs. No other page is read and no other record loaded; the output folder is
still listed (by the build's helper), to check it holds what was published. An article
whose slug changed (a title it is made from) moves to its new URL: the pages showing it
link there, and the sitemap is made from the last one's entries, kept in the cache, with
the URL moved; a slug that meets another of the same day takes the full way, and so
does an edit on a day whose clash of slugs the last build settled.

When pages changed where they are listed (a date, topics), the
full build still takes the last index and the edited pages instead of reading every page
(:func:`reshaped_content`), and when no page changed at all, the last index as it is
(:func:`kept_content`); the index is kept by ``contentstate``. Whenever a condition does
not hold, these return None before anything is written, and the full build reads
everything; ``tests/test_incremental.py`` checks every way against clean builds, byte for
byte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from collections import Counter
from typing import Callable, Iterable

from . import urls
from .cache import BuildCache
from .config import SiteConfig
from .contentstate import (ContentState, Remembered, content_key, kept_shapes, kept_state,
                           remember_content, shape)
from .errors import Diagnostic
from .fsutil import file_sig
from .importer import PendingSeed, pending_unmoved
from .indexes import build_index, patch_index, placement, position
from .model import Article, BuildResult, SiteIndex
from .reader import PageRecord, read_file, reader_settings, record_key, settles_clash
from .render import SiteRenderer, convert_bodies, kept_sitemap, output_marked
from .routes import site_families
from .snapshot import Snapshot
from .theme import Theme
from .writer import Listing

# More pages changed than this: a full build. At 10,000 articles the quick way was the
# faster, by less and less (medians of 3, benchmarks/quick_limit.py: 8 pages 0.63 s
# against 1.17 s, 64: 1.60 against 2.01, 128: 2.75 against 2.85, 256: 3.49 against
# 3.76); it converts the edited bodies in one process.
QUICK_LIMIT = 128

SeedsLeft = tuple[tuple[PendingSeed, ...], tuple[Diagnostic, ...]]
"""The seeds an import left out (``importer.PendingSeed``), and every problem it reported."""


@dataclass
class _Edit:
    """One changed content file: its signature now, its record key and its new record
    (None when its bytes are as they were)."""

    file: str
    sig: object
    key: str
    record: PageRecord | None


def _changed_files(config: SiteConfig, snapshot: Snapshot, seen: dict) -> list[_Edit] | None:
    """The content files whose signature changed since they were read, with their new
    records; None when a page was added, removed or cannot be read, or too many changed."""
    stats = snapshot.under(config.content_dir)
    if stats is None:
        return None
    cut = len(str(config.content_dir)) - len(config.content_dir.name)
    settings = reader_settings(config)
    listed, edits = 0, []
    for path, info in stats.items():
        if not path.endswith(".md"):
            name = os.path.basename(path)
            if name.startswith(".") and name.endswith(".tmp"):   # a killed import's
                return None       # leftover, which the importer's check removes
            continue
        file = path[cut:].replace(os.sep, "/")
        known = seen.get(file)
        if known is None or info is None:
            return None
        listed += 1
        sig = file_sig(info, snapshot.taken_ns)
        if sig is not None and sig == known[0]:
            continue
        if len(edits) == QUICK_LIMIT:
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        key = record_key(settings, file, data)
        edits.append(_Edit(file, sig, key,
                           None if key == known[1] else read_file(file, data, config, key)))
    return edits if listed == len(seen) else None


def _versions(edits: list[_Edit], index: SiteIndex, accept) -> dict[str, Article] | None:
    """The new article of each edited page whose bytes changed, by path, as ``accept``
    (the edit, the article it was) takes it; None when it takes one not."""
    by_path = {a.path: a for a in index.articles}
    found: dict[str, Article] = {}
    for edit in edits:
        if edit.record is not None:
            new = accept(edit, by_path.get(edit.file))
            if new is None:
                return None
            found[edit.file] = new
    return found


def _new_version(edit: _Edit, old: Article | None, config: SiteConfig,
                 seeds_seen: dict | None) -> Article | None:
    """The edited page's article, if it replaces ``old`` as the same page of the site:
    no problem, still shown, the same seed (which the importer then leaves alone)."""
    record = edit.record
    if record is None or old is None or record.article is None or record.problems:
        return None
    new = record.article
    if (new.draft and not config.drafts) or new.seed != old.seed:
        return None
    if seeds_seen is not None and record.info.seed is not None:
        # the importer leaves a page alone while its seed's hash is the one it records
        known = seeds_seen.get(record.info.seed)
        if known is None or known[1] != record.info.seed_hash:
            return None
    return new


def _replacement(edit: _Edit, old: Article | None, index: SiteIndex, config: SiteConfig,
                 seeds_seen: dict | None) -> Article | None:
    """The new version of an article, if it may be patched into the index: one of the
    same placement (maybe at another URL: :func:`_moves`), naming its topics as the site
    does."""
    new = _new_version(edit, old, config, seeds_seen)
    if new is None or placement(new) != placement(old):
        return None
    if any(index.topics.get(topic.slug) != topic for topic in edit.record.topics):
        return None   # a topic not in site.yaml, named otherwise than the site names it
    return new


def _last(last) -> tuple[BuildResult, dict[str, str], str, SeedsLeft] | None:
    """The last build's result, its inputs' parts, its content's index token and the
    seeds its import left out, if it published and kept an index (as this version
    records them: see :func:`last_record`)."""
    if isinstance(last, tuple) and len(last) == 5 and last[1].built and last[3]:
        return last[1], last[2], last[3], last[4]
    return None


def last_record(digest: str, result: BuildResult, parts: dict[str, str], token: str | None,
                seeds: SeedsLeft):
    """What the cache keeps of a published build for the next one: its inputs' digest and
    parts, its result, the name of its content's index, and the seeds its import left out
    with the problems that import reported (see :func:`_carried`)."""
    return (digest, result, parts, token, seeds)


def seeds_left(last) -> SeedsLeft:
    """For a build that takes the last one's problems instead of importing (no seed
    changed): the seeds the last import left out, and the problems an import reports
    now (theirs: the others were reported once)."""
    found = _last(last)
    pending = () if found is None else found[3][0]
    return pending, _problems_of(pending)


def _problems_of(pending: tuple[PendingSeed, ...]) -> tuple[Diagnostic, ...]:
    """The problems an import reports again of the seeds it left out, in seed order."""
    return tuple(d for p in pending for d in p.problems)


def kept_content(config: SiteConfig, cache: BuildCache, snapshot: Snapshot, last,
                 do_import: bool) -> tuple[SiteIndex, list[Diagnostic]] | None:
    """The last build's index and its pages' problems, when no content page, seed or
    setting changed since (a template, a stylesheet did): a full build need not read,
    import or index anything."""
    found = _last(last)
    if found is None:
        return None
    result, parts, token, seeds = found
    same = [str(config.content_dir), "settings"] + ([str(config.seeds_dir)] if do_import else [])
    if any(parts.get(k) is None or parts.get(k) != snapshot.parts.get(k) for k in same):
        return None
    carried = _carried(config, result, seeds)
    state = kept_state(cache, token)
    if carried is None or state is None:
        return None
    return state.index(), carried


@dataclass
class Since:
    """What changed since the last build, when only pages under content/ did: the last
    build's result, its index's name and problems, the files' signatures then, the
    edited files."""

    result: BuildResult
    token: str
    carried: list[Diagnostic]
    seen: dict
    edits: list[_Edit]


def content_edits(config: SiteConfig, cache: BuildCache, snapshot: Snapshot,
                  last) -> Since | None:
    """What changed since the ``last`` build (its record), when only pages under
    content/ did, with the edited pages read; None otherwise. Worked out once a build,
    for :func:`quick_rebuild` and, when that declines, :func:`reshaped_content`."""
    found = _last(last)
    if found is None:
        return None
    result, parts, token, seeds = found
    content = str(config.content_dir)
    if parts.keys() != snapshot.parts.keys() or parts.get(content) is None or any(
            parts[k] != snapshot.parts[k] for k in parts if k != content):
        return None
    carried = _carried(config, result, seeds)
    seen = cache.load("seen:content")
    if carried is None or not isinstance(seen, dict):
        return None
    edits = _changed_files(config, snapshot, seen)
    if edits is None or not pending_unmoved(   # the seeds left out would be alike
            seeds[0], [e.record.info for e in edits if e.record is not None]):
        return None
    return Since(result, token, carried, seen, edits)


def reshaped_content(config: SiteConfig, cache: BuildCache, since: Since | None,
                     do_import: bool, jobs: int
                     ) -> tuple[SiteIndex, list[Diagnostic], Remembered] | None:
    """The site's index after edits of content pages that changed the site's shape (a
    date, topics), made from the last build's index and the
    edited pages alone, when nothing else changed: no page added, removed or renamed,
    none with a problem, a topic not in ``site.yaml`` or a new seed, no URLs that meet,
    and no clash of slugs settled on a day the edited pages were or are on
    (:func:`_clear_of_clashes`). The index is grouped again (as a full build
    does) but no other page is read, imported or loaded. Stores the edited pages' records
    and the new index (in a helper, see :func:`remember_content`). ``since``: see
    :func:`content_edits`."""
    if since is None:
        return None
    carried, seen, edits = since.carried, since.seen, since.edits
    state = kept_state(cache, since.token)
    if state is None:
        return None
    index = state.index()
    listed = {t.slug for t in config.topics}
    seeds_seen = cache.load("seen:seeds") if do_import else None

    def accept(edit: _Edit, old: Article | None) -> Article | None:
        new = _new_version(edit, old, config, seeds_seen)
        return new if new is not None and set(new.topics + old.topics) <= listed else None

    news = _versions(edits, index, accept)
    if news is None:
        return None
    articles = [news.get(a.path, a) for a in index.articles]
    if not _clear_of_clashes(index, carried, news.values()):
        return None
    if len({urls.article(a.date, a.slug) for a in articles}) != len(articles):
        return None   # a clash to settle: the full build does it
    convert_bodies(list(news.values()), cache, 1, config)   # bodies in hand: not read again
    topics = {**{k: v for k, v in index.topics.items() if k not in listed},
              **{t.slug: t for t in config.topics}}
    memo = cache.load("related")
    index = build_index([replace(a, body="") if a.path in news else a for a in articles],
                        topics, memo)
    if index.related_memo != memo:
        cache.store("related", index.related_memo)
    now = _keep_reads(cache, edits, seen)
    changed = {edit.file for edit in edits}
    problems = [d for d in carried if d.file not in changed]
    return index, problems, remember_content(
        cache, config, (k for _, k in now.values()), index, jobs)


def quick_rebuild(config: SiteConfig, cache: BuildCache, since: Since | None,
                  do_import: bool, jobs: int, stages, listing: Callable[[], Listing | None],
                  search_later: bool = False) -> tuple[BuildResult, str] | None:
    """Rebuild after edits of content pages that keep their places in the site's lists
    (with the name of the content's index, patched); None when the change is of another
    kind (then nothing was published). ``listing`` gives the output folder's listing (a
    helper makes it: ``writer.listing``), to check it is as published: it is awaited
    while the pages render. ``since``: see :func:`content_edits`."""
    if since is None:
        return None
    result, token, carried, seen, edits = (since.result, since.token, since.carried,
                                           since.seen, since.edits)
    shapes = kept_shapes(cache, token)
    if shapes is None or any(   # the placement first, by the shapes: the index is big
            e.record is not None and (e.record.article is None or e.file not in shapes
                                      or shape(e.record.article) != shapes[e.file])
            for e in edits):
        return None
    state = kept_state(cache, token)
    if state is None:
        return None
    index = state.index()
    problem_files = {d.file for d in result.diagnostics}
    seeds_seen = cache.load("seen:seeds") if do_import else None
    found = _versions(edits, index, lambda edit, old: None if edit.file in problem_files
                      else _replacement(edit, old, index, config, seeds_seen))
    if found is None:
        return None
    replacements = {new.id: new for new in found.values()}
    moves = _moves(index, replacements)
    sitemap = None
    if moves:
        entries = kept_sitemap(config, cache)
        if entries is None or not _clear_of_clashes(index, carried, replacements.values()) \
                or not _distinct(index, replacements):
            return None   # a clash of slugs to settle, before or after: the full way
        sitemap = lambda: [(moves.get(url, url), lastmod) for url, lastmod in entries]
    if not output_marked(config, cache):
        return None   # changed behind sitegen's back: the full build puts it right
    stages.done("quick: check")
    rebuilt = _rebuild(config, cache, jobs, stages, state, index, replacements, edits,
                       seen, result, carried, listing, search_later, sitemap)
    return (rebuilt, token) if rebuilt is not None else None


def _moves(index: SiteIndex, replacements: dict[str, Article]) -> dict[str, str]:
    """The old URL and the new of each replaced article whose slug changed (a title it
    is made from, or the ``slug:`` itself)."""
    moves = {}
    for new in replacements.values():
        at = position(index.articles, new)
        old = index.articles[at]
        if old.slug != new.slug:
            moves[urls.article(old.date, old.slug)] = urls.article(new.date, new.slug)
    return moves


def _clear_of_clashes(index: SiteIndex, carried: list[Diagnostic],
                      edited: Iterable[Article]) -> bool:
    """Whether the last build settled no clash of URLs on a day the ``edited`` articles
    (their new versions) are on or were on (in ``index``): an edit there could settle
    it otherwise (the page that took another slug may now have its own), which the full
    build does. A clash is of one day's articles, so an edit on another day leaves it as
    it was. The clashes are those the carried problems name (the page moved to another
    slug, or left out: a page the index does not hold, whose day is not looked for, so
    no day is clear)."""
    files = [d.file for d in carried if settles_clash(d)]
    if not files:
        return True
    by_path = {a.path: a for a in index.articles}
    days = {urls.day_key(a.date) for new in edited for a in (new, by_path.get(new.path, new))}
    return all(file in by_path and urls.day_key(by_path[file].date) not in days
               for file in files)


def _distinct(index: SiteIndex, replacements: dict[str, Article]) -> bool:
    """Whether the articles of each day that a replaced article moved on keep distinct
    URLs (else the reader settles the clash, and the full build does)."""
    for day in {urls.day_key(a.date) for a in replacements.values()}:
        slugs = [replacements.get(a.id, a).slug for a in index.by_day.get(day, ())]
        if len(set(slugs)) != len(slugs):
            return False
    return True


def _carried(config: SiteConfig, result: BuildResult, seeds: SeedsLeft
             ) -> list[Diagnostic] | None:
    """The last build's problems that a full build would report again, as it would: the
    problems of the seeds its import left out (which every import reports again, when
    the seeds and what decides them are as they were: the callers check), then those of
    content pages (they come with the pages' records). The other problems of its import
    are not reported again; any other problem (a template's ...): None."""
    prefix = config.content_dir.name + "/"
    imported = Counter(seeds[1])
    pages: list[Diagnostic] = []
    for d in result.diagnostics:
        if imported[d] > 0:
            imported[d] -= 1
        elif d.file.startswith(prefix):
            pages.append(d)
        else:
            return None
    return [*_problems_of(seeds[0]), *pages]


def _rebuild(config: SiteConfig, cache: BuildCache, jobs: int, stages,
             state: ContentState, index: SiteIndex, replacements: dict[str, Article],
             edits: list[_Edit], seen: dict, result: BuildResult,
             carried: list[Diagnostic], listing, search_later: bool,
             sitemap: Callable[[], list] | None) -> BuildResult | None:
    """Render and publish the pages the edits touch (and the ``sitemap``, given its
    entries when articles moved); None, with nothing published, when ``listing`` (of the
    output folder, awaited while the pages render) shows the folder changed behind
    sitegen's back."""
    cache.set_last_build(config.output_dir, None)   # until this build is complete
    light = {ident: replace(a, body="") for ident, a in replacements.items()}
    index = patch_index(index, light)
    convert_bodies(list(replacements.values()), cache, 1, config)   # bodies in hand
    families = site_families(index, config, focus=set(replacements), sitemap=sitemap)
    stages.done("quick: index and families")
    theme = Theme(config, index.topics, index.sources)
    renderer = SiteRenderer(config, theme, cache, jobs, search_later)
    outcome = renderer.render(families, partial=True, listing=listing)
    if not outcome.intact:
        return None
    stages.done("quick: render and publish")
    if outcome.published:
        _remember(cache, config, state, light, edits, seen)
    kinds = list(outcome.outputs.values())
    return BuildResult(
        diagnostics=tuple(carried + outcome.diagnostics), pages=len(kinds),
        articles=result.articles, topics=result.topics, sources=result.sources,
        feeds=kinds.count("feed"), written=len(outcome.written), removed=len(outcome.removed),
        rendered=outcome.rendered, imported=0, seconds=0.0, built=outcome.published,
        changed=tuple(sorted(outcome.written + outcome.removed)))


def _remember(cache: BuildCache, config: SiteConfig, state: ContentState,
              light: dict[str, Article], edits: list[_Edit], seen: dict) -> None:
    """Keep what the next build reads: the files' signatures and records, and the patch."""
    now = _keep_reads(cache, edits, seen)
    cache.store("content-patch", (state.token, {**state.patch, **light}))
    cache.store("content-key", (state.token, content_key(
        config, (k for _, k in now.values()))))


def _keep_reads(cache: BuildCache, edits: list[_Edit], seen: dict) -> dict:
    """Store the edited files' signatures and new records; the signatures of all files."""
    now = dict(seen)
    added: dict[str, PageRecord] = {}
    gone: set[str] = set()
    for edit in edits:
        old_key = seen[edit.file][1]
        now[edit.file] = (edit.sig, edit.key)
        if edit.record is not None and edit.key != old_key:
            added[edit.key] = edit.record.light()
            gone.add(old_key)
    cache.swap_records(added, gone, PageRecord.body_key)
    cache.store("seen:content", now)
    return now
