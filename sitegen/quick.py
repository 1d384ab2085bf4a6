"""The quick rebuild: a few content pages edited, nothing else, the site's shape unchanged.

When the only inputs that changed since the last build are some pages under content/ (none
added, removed or renamed; no seed, template, static file or setting), and each page is
still an article of the same structure (``indexes.structure``: id, date, slug, topics,
source ...), the site's lists, neighbours and related articles stay as they were. Then the
last build's index is patched with the new versions of those articles, only the families
showing them are made (``routes``, with a focus) and rendered, and every other family keeps
its outputs. No other page is read or listed, no other record loaded.

The content's index is kept in the cache for this: a full build stores it when the
content changed (with the key of the records it was made from); a quick rebuild stores
just the articles it replaced, as a patch to it. Whenever a condition does not hold,
:func:`quick_rebuild` returns None before anything is written, and the full build runs;
``tests/test_incremental.py`` checks both against clean builds, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field, replace
from typing import Iterable

from .cache import BuildCache, write_values
from .config import SiteConfig
from .errors import Diagnostic
from .fsutil import file_sig
from .indexes import patch_index, structure
from .markup import Markup
from .model import Article, BuildResult, SiteIndex
from .reader import PageRecord, body_of, read_file, reader_settings, record_key
from .parallel import Background
from .render import SiteRenderer, output_intact
from .routes import site_families
from .snapshot import Snapshot
from .theme import Theme

QUICK_LIMIT = 32   # more pages changed than this: a full build


@dataclass(frozen=True)
class ContentState:
    """The index of the content as of the last build, as a full build made it (``base``)
    with the articles quick rebuilds replaced since (``patch``, by id)."""

    token: str
    base: SiteIndex
    patch: dict[str, Article] = field(default_factory=dict)

    def index(self) -> SiteIndex:
        return patch_index(self.base, self.patch)


def content_key(config: SiteConfig, record_keys: Iterable[str]) -> str:
    """What an index is made of: the settings and the record of every content file."""
    digest = hashlib.blake2b(repr(config).encode(), digest_size=16)
    for key in sorted(record_keys):
        digest.update(key.encode())
    return digest.hexdigest()


def shape(article: Article) -> str:
    """A short digest of an article's :func:`indexes.structure`."""
    return hashlib.blake2b(repr(structure(article)).encode(), digest_size=12).hexdigest()


class Remembered:
    """The content's index being kept for quick rebuilds (:func:`remember_content`):
    :meth:`token` names it once it is in the cache, for the build's record."""

    def __init__(self, cache: BuildCache, token: str, values: dict | None = None,
                 helper: Background | None = None):
        self.cache, self._token, self.values, self.helper = cache, token, values, helper

    def token(self) -> str | None:
        """The index's name, once stored (None if its helper failed)."""
        if self.helper is not None:
            try:
                self.helper.result()
            except Exception:   # not kept: the next full build stores it again
                return None
            self.cache.remember(self.values)
            self.helper = None
        return self._token


def remember_content(cache: BuildCache, config: SiteConfig, record_keys: Iterable[str],
                     index: SiteIndex, jobs: int) -> Remembered:
    """After reading the content in a full build: keep ``index`` for quick rebuilds,
    unless the cache already holds the index of the same records. Pickling and writing
    it (0.2 s at 10,000 articles) is left to a helper process, meanwhile."""
    key = content_key(config, record_keys)
    known = cache.load("content-key")
    if isinstance(known, tuple) and known[1] == key:
        return Remembered(cache, known[0])
    token = uuid.uuid4().hex
    base = replace(index, related_memo=None)   # the related articles' memo is kept apart
    values = {"content-base": (token, base), "content-patch": (token, {}),
              "content-key": (token, key)}
    if cache.path is None:
        for name, value in values.items():
            cache.store(name, value)
        cache.store("content-shapes", (token, _shapes(base)))
        return Remembered(cache, token)
    cache.forget("content-shapes")
    helper = Background(_write_state, cache.path, values, enabled=jobs > 1)
    return Remembered(cache, token, values, helper)


def _shapes(index: SiteIndex) -> dict[str, str]:
    return {a.path: shape(a) for a in index.articles}


def _write_state(path, values: dict) -> None:
    """In the helper: the index, its patch, key and the articles' shapes, in one go."""
    token, base = values["content-base"]
    write_values(path, {**values, "content-shapes": (token, _shapes(base))})


def _state(cache: BuildCache, token: str) -> ContentState | None:
    known, base, patch = (cache.load(name) for name in
                          ("content-key", "content-base", "content-patch"))
    if not (isinstance(known, tuple) and isinstance(base, tuple) and isinstance(patch, tuple)
            and token == known[0] == base[0] == patch[0]):
        return None
    return ContentState(base[0], base[1], patch[1])


def _shapes_of(cache: BuildCache, token: str) -> dict[str, str] | None:
    found = cache.load("content-shapes")
    return found[1] if isinstance(found, tuple) and found[0] == token else None


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
            if os.path.basename(path).startswith("."):   # the importer's leftovers
                return None
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


def _replacement(edit: _Edit, old: Article | None, index: SiteIndex, config: SiteConfig,
                 seeds_seen: dict | None) -> Article | None:
    """The new version of an article, if it may be patched into the index."""
    record = edit.record
    if record is None or old is None or record.article is None or record.problems:
        return None
    if any(index.topics.get(topic.slug) != topic for topic in record.topics):
        return None   # a topic not in site.yaml, named otherwise than the site names it
    new = record.article
    if new.draft and not config.drafts:
        return None
    if structure(new) != structure(old) or new.seed != old.seed:
        return None
    if seeds_seen is not None and record.info.seed is not None:
        # the importer leaves a page alone while its seed's hash is the one it records
        known = seeds_seen.get(record.info.seed)
        if known is None or known[1] != record.info.seed_hash:
            return None
    return new


def _last(last) -> tuple[BuildResult, dict[str, str], str] | None:
    """The last build's result, its inputs' parts and its content's index token, if it
    published and kept an index (as this version records them)."""
    if isinstance(last, tuple) and len(last) == 4 and last[1].built and last[3]:
        return last[1], last[2], last[3]
    return None


def kept_content(config: SiteConfig, cache: BuildCache, snapshot: Snapshot, last,
                 do_import: bool) -> tuple[SiteIndex, list[Diagnostic]] | None:
    """The last build's index and its pages' problems, when no content page, seed or
    setting changed since (a template, a stylesheet did): a full build need not read,
    import or index anything."""
    found = _last(last)
    if found is None:
        return None
    result, parts, token = found
    same = [str(config.content_dir), "settings"] + ([str(config.seeds_dir)] if do_import else [])
    if any(parts.get(k) is None or parts.get(k) != snapshot.parts.get(k) for k in same):
        return None
    carried = _carried(config, result.diagnostics)
    state = _state(cache, token)
    if carried is None or state is None:
        return None
    return state.index(), carried


def quick_rebuild(config: SiteConfig, cache: BuildCache, snapshot: Snapshot, last,
                  do_import: bool, jobs: int, stages, early: Background
                  ) -> tuple[BuildResult, str] | None:
    """Rebuild after edits of content pages that keep the site's structure (with the name
    of the content's index, patched); None when the change is of another kind (then
    nothing was written). ``early`` lists the output
    folder (``writer.listings``), to check it is as published."""
    found = _last(last)
    if found is None:
        return None
    result, parts, token = found
    content = str(config.content_dir)
    if parts.keys() != snapshot.parts.keys() or parts.get(content) is None or any(
            parts[k] != snapshot.parts[k] for k in parts if k != content):
        return None
    carried = _carried(config, result.diagnostics)
    shapes = _shapes_of(cache, token)
    seen = cache.load("seen:content")
    if carried is None or shapes is None or not isinstance(seen, dict):
        return None
    edits = _changed_files(config, snapshot, seen)
    if edits is None or any(   # the structure first, by the shapes: the index is big
            e.record is not None and (e.record.article is None or e.file not in shapes
                                      or shape(e.record.article) != shapes[e.file])
            for e in edits):
        return None
    state = _state(cache, token)
    if state is None:
        return None
    index = state.index()
    by_path = {a.path: a for a in index.articles}
    problem_files = {d.file for d in result.diagnostics}
    seeds_seen = cache.load("seen:seeds") if do_import else None
    replacements: dict[str, Article] = {}
    for edit in edits:
        if edit.record is None:
            continue
        if edit.file in problem_files:
            return None
        new = _replacement(edit, by_path.get(edit.file), index, config, seeds_seen)
        if new is None:
            return None
        replacements[new.id] = new
    listed = early.result()[0]
    if listed is None or not output_intact(config, cache, listed):
        return None   # changed behind sitegen's back: the full build puts it right
    stages.done("quick: check")
    return _rebuild(config, cache, jobs, stages, state, index, replacements, edits,
                    seen, result, carried, listed), token


def _carried(config: SiteConfig, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic] | None:
    """The last build's problems, which a full build would report again: only those of
    content pages are known to be (they come with the pages' records); None otherwise."""
    prefix = config.content_dir.name + "/"
    found = list(diagnostics)
    if any(not d.file.startswith(prefix) for d in found):
        return None
    return found


def _rebuild(config: SiteConfig, cache: BuildCache, jobs: int, stages,
             state: ContentState, index: SiteIndex, replacements: dict[str, Article],
             edits: list[_Edit], seen: dict, result: BuildResult,
             carried: list[Diagnostic], listed) -> BuildResult:
    cache.set_last_build(config.output_dir, None)   # until this build is complete
    light = {ident: replace(a, body="") for ident, a in replacements.items()}
    index = patch_index(index, light)
    _convert(cache, config, replacements.values())
    families = site_families(index, config, focus=set(replacements))
    stages.done("quick: index and families")
    theme = Theme(config, index.topics, index.sources)
    outcome = SiteRenderer(config, theme, cache, jobs).render(families, (listed, None),
                                                              partial=True)
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


def _convert(cache: BuildCache, config: SiteConfig, articles: Iterable[Article]) -> None:
    """Put the HTML of the new bodies in the cache."""
    todo = {a.body_key: a for a in articles}
    todo = {k: a for k, a in todo.items() if k not in cache.html([k])}
    if todo:
        markup = Markup()
        cache.put_html({k: markup.render(body_of(a, config)) for k, a in todo.items()})


def _remember(cache: BuildCache, config: SiteConfig, state: ContentState,
              light: dict[str, Article], edits: list[_Edit], seen: dict) -> None:
    """Keep what the next build reads: the files' signatures and records, and the patch."""
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
    cache.store("content-patch", (state.token, {**state.patch, **light}))
    cache.store("content-key", (state.token, content_key(
        config, (k for _, k in now.values()))))
