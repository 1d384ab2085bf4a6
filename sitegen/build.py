"""The orchestrator: read content, import seeds, index, route, render, publish."""

from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection

from .cache import BuildCache, CacheMemory
from .config import SiteConfig
from .contentstate import Remembered, remember_content
from .errors import Diagnostic, Report
from .importer import ImportResult, import_seeds
from .indexes import build_index
from .lock import build_lock
from .model import BuildResult
from .parallel import Background, default_jobs
from .quick import (SeedsLeft, Since, content_edits, kept_content, last_record,
                    quick_rebuild, reshaped_content, seeds_left)
from .reader import PageRecord, ReadResult, read_content
from .render import SiteRenderer, convert_bodies, output_intact, search_stale
from .routes import site_families
from .snapshot import Snapshot, take_snapshot
from .theme import BUILTIN_TEMPLATES, BUILTIN_THEMES, Theme
from .writer import Listing, OutputFolder, listing, relisting, unsafe_output


class UnsafeOutput(Exception):
    """The output folder must not be touched; nothing was imported or built."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.format())


def check_output(config: SiteConfig) -> None:
    """Raise :class:`UnsafeOutput` when the output folder is not sitegen's to replace."""
    protected = [config.content_dir, config.seeds_dir, config.themes_dir, config.templates_dir,
                 config.static_dir]
    problem = unsafe_output(config.output_dir, config.root, protected)
    if problem:
        raise UnsafeOutput(problem)


@dataclass
class _Content:
    """Content read (through the cache) and seeds imported."""

    read: ReadResult
    imported: ImportResult


def _read_and_import(config: SiteConfig, cache: BuildCache, do_import: bool,
                     reread: bool = True, jobs: int = 1,
                     snapshot: Snapshot | None = None, convert: bool = False) -> _Content:
    """Read content/ through the cache and import new seeds (then read what they became:
    the ``snapshot`` of the inputs is patched with the pages the import wrote, instead of
    walking content/ again). With ``convert``, new bodies are converted by the workers
    that read them, and their HTML is put in the cache."""
    records = cache.records()
    known = set(records)
    seen = cache.load("seen:content") or {}
    converted = cache.html_keys() if convert else None
    content = read_content(config, records, jobs, seen, snapshot, converted)
    html = dict(content.html)
    imported = ImportResult()
    if do_import:
        seeds_seen = cache.load("seen:seeds") or {}
        imported = import_seeds(config, content.pages, jobs, seeds_seen, snapshot)
        if imported.seen != seeds_seen:
            cache.store("seen:seeds", imported.seen)
        if reread and (imported.created or imported.updated):
            if converted is not None:
                converted = converted | set(html)
            root = config.content_dir.parent
            again = None if snapshot is None else _inputs(   # the walk, with the new pages
                config, do_import, None, snapshot,
                [root / rel for rel in (*imported.created, *imported.updated)])
            content = read_content(config, records, jobs, content.seen, again,
                                   converted=converted)
            html.update(content.html)
    if html:
        cache.put_html(html)
        content = replace(content, html={})   # in the cache now: not held through the build
    cache.keep_records(records, set(content.record_keys), known, PageRecord.light,
                       PageRecord.body_key)
    if content.seen != seen:
        cache.store("seen:content", content.seen)
    return _Content(content, imported)


def import_only(config: SiteConfig, jobs: int | None = None) -> ImportResult:
    """``sitegen import``: seeds -> content/, nothing rendered."""
    check_output(config)
    with build_lock(config.cache_dir), _collector_paused():
        cache = BuildCache(config.cache_dir)
        try:
            return _read_and_import(config, cache, do_import=True, reread=False,
                                    jobs=jobs or default_jobs()).imported
        finally:
            cache.close()


def build_site(config: SiteConfig, *, do_import: bool = True, jobs: int | None = None,
               memory: CacheMemory | None = None, search_later: bool = False,
               touched: Collection[Path] | None = None) -> BuildResult:
    """Build the site into ``config.output_dir``, re-rendering only what changed. The
    previous output stays in place unless every page of the new one rendered. A process
    that builds again and again (the dev server) passes the same ``memory`` each time, so
    what the cache holds is not loaded again, and may pass ``search_later``: the search
    index already published is kept as it is when article pages changed (Pagefind reads
    them all: 20 s at 10,000 articles), and the next build without it makes it again.
    With ``memory``, it may also pass ``touched``: every path changed since its last
    build (as file-system events name them); then only those are looked at, not every
    input file (0.2 s at 10,000 articles). A build that stops before it has looked
    leaves no view of the inputs in ``memory``: the next one walks them all."""
    started = time.perf_counter()
    last_walk = None
    if memory is not None:
        last_walk, memory.snapshot = memory.snapshot, None
    check_output(config)
    with build_lock(config.cache_dir), _collector_paused():
        return _build(config, do_import, jobs or default_jobs(), started, memory,
                      search_later, last_walk if isinstance(last_walk, Snapshot) else None,
                      touched)


@contextmanager
def _collector_paused():
    """Pause Python's cycle collector while building. A build makes hundreds of thousands
    of long-lived objects (records, index, job families), which set off full collections
    that each walk them all, to find almost nothing: at 10,000 articles that was a third
    of a rebuild. Forked workers collect their own garbage (``parallel``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _inputs(config: SiteConfig, do_import: bool, memory: CacheMemory | None = None,
            last_walk: Snapshot | None = None, touched: Collection[Path] | None = None
            ) -> Snapshot:
    folders = [config.content_dir, config.themes_dir, config.templates_dir, config.static_dir,
               BUILTIN_THEMES, BUILTIN_TEMPLATES] + ([config.seeds_dir] if do_import else [])
    files = [config.config_file] if config.config_file else []
    snapshot = take_snapshot(f"{config!r}|{do_import}", folders, files, last_walk, touched)
    if memory is not None:
        memory.snapshot = snapshot
    return snapshot


class _OutputListing:
    """The output folder's listing (``writer.listing``), made by a helper process while
    this one goes on (see ``parallel.Background``). In a process that builds again and
    again (``memory``: the dev server), it reads only the folders changed since the last
    one (``listings.relist``): 0.2 s less at 10,000 articles, which a quick rebuild
    would otherwise spend waiting for it. The first build of such a process lists the
    folder plainly, as ``build`` does (reading and statting every folder takes longer),
    and once it is done a thread learns the folders, while the process waits for the
    next edit (a thread, not a process: an idle server keeps no child process)."""

    def __init__(self, folder: Path, memory: CacheMemory | None, enabled: bool):
        self.memory, self.folder = memory, folder
        self.known = _known_folders(memory, str(folder))
        self.helper = Background(listing, folder, enabled=enabled) if self.known is None \
            else Background(relisting, folder, self.known, enabled=enabled)
        self.listed: list[Listing | None] = []

    def result(self) -> Listing | None:
        if not self.listed:
            found = self.helper.result()
            if self.known is not None:
                found, read, gone = found
                known = {**self.known, **read} if found is not None else {}
                for rel in gone:
                    known.pop(rel, None)
                self.memory.output = (str(self.folder), known)
            self.listed.append(found)
        return self.listed[0]

    def close(self) -> None:
        self.helper.close()
        if self.memory is not None and self.known is None:
            self.memory.output = (str(self.folder), _Learning(self.folder))


class _Learning:
    """The folders of the output folder (``writer.relisting``), read by a thread."""

    def __init__(self, folder: Path):
        self.found: list = []
        self.thread = threading.Thread(target=self._learn, args=(folder,), daemon=True,
                                       name="sitegen-learn-output")
        self.thread.start()

    def _learn(self, folder: Path) -> None:
        try:
            self.found.append(relisting(folder, {}))
        except Exception:   # never learnt: the next listing reads every folder
            pass

    def result(self):
        """``relisting``'s result, once the thread is done; None if it failed."""
        self.thread.join()
        return self.found[0] if self.found else None


def _known_folders(memory: CacheMemory | None, folder: str) -> dict | None:
    """The folders of ``folder`` as the last listing of ``memory``'s process found them
    (once the thread learning them is done), or None: list plainly."""
    if memory is None or memory.output[0] != folder:
        return None
    known = memory.output[1]
    if isinstance(known, _Learning):
        learnt = known.result()
        return learnt[1] if learnt is not None and learnt[0] is not None else {}
    return known


class _Stages:
    """The seconds each stage of one build took, in order (``sitegen build --timings``)."""

    def __init__(self, started: float):
        self.started = self.last = started
        self.spent: list[tuple[str, float]] = []

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.spent.append((stage, now - self.last))
        self.last = now


def _build(config: SiteConfig, do_import: bool, jobs: int, started: float,
           memory: CacheMemory | None, search_later: bool, last_walk: Snapshot | None,
           touched: Collection[Path] | None) -> BuildResult:
    cache = BuildCache(config.cache_dir, memory)
    stages = _Stages(started)
    out = OutputFolder(config.output_dir)
    out.recover()    # a killed publish is finished first
    # the output folder is listed meanwhile, by a helper process on the core the parent
    # leaves idle while it works alone (with one job: here, when needed); the spare only
    # when a full build needs it (a quick one would wait for that helper at its end)
    early = _OutputListing(out.output, memory, enabled=jobs > 1)
    spare: Background | None = None
    try:
        inputs = _inputs(config, do_import, memory, last_walk, touched)
        last = cache.last_build(config.output_dir)
        if (last is not None and last[0] == inputs.digest
                and (search_later or not search_stale(config, cache))
                and output_intact(config, cache, early.result())):
            stages.done("check inputs")
            return replace(last[1], seconds=time.perf_counter() - started, written=0,
                           removed=0, imported=0, rendered=0, changed=(),
                           stages=tuple(stages.spent))
        stages.done("check inputs")
        since = content_edits(config, cache, inputs, last)
        quick = quick_rebuild(config, cache, since, do_import, jobs, stages, early.result,
                              search_later)
        if quick is None:
            cache.set_last_build(config.output_dir, None)   # until this build is complete
            spare = Background(listing, out.spare, enabled=jobs > 1)
            result, token, seeds = _pipeline(config, cache, do_import, jobs, stages, inputs,
                                             early, spare, last, since, search_later)
        else:
            (result, token), seeds = quick, seeds_left(last)
            result = replace(result, seconds=time.perf_counter() - started,
                             stages=tuple(stages.spent))
        cache.set_last_build(config.output_dir, last_record(
            inputs.digest, result, inputs.parts, token, seeds) if result.built else None)
        return result
    finally:
        early.close()
        if spare is not None:
            spare.close()
        cache.close()


def _pipeline(config: SiteConfig, cache: BuildCache, do_import: bool, jobs: int,
              stages: _Stages, snapshot: Snapshot, early: _OutputListing, spare: Background,
              last, since: Since | None, search_later: bool = False
              ) -> tuple[BuildResult, str | None, SeedsLeft]:
    """Read, import, index, route and render (only the jobs whose inputs changed); with
    the name of the content's index kept in the cache (``quick``) and the seeds the
    import left out. ``early`` and ``spare`` list the output folder and the spare."""
    report = Report()
    imported = 0
    seeds = seeds_left(last)    # no import: the last one's, which a new one would repeat
    kept = kept_content(config, cache, snapshot, last, do_import)
    if kept is not None:   # no page, seed or setting changed: the last build's index
        index, problems = kept
        report.extend(problems)
        remembered = Remembered(cache, last[3])
        stages.done("index (kept)")
    elif (reshaped := reshaped_content(config, cache, since, do_import,
                                       jobs)) is not None:   # the last index, regrouped
        index, problems, remembered = reshaped
        report.extend(problems)
        stages.done("index (regrouped)")
    else:
        content = _read_and_import(config, cache, do_import, jobs=jobs, snapshot=snapshot,
                                   convert=True)
        stages.done("read and import")
        report.extend(content.imported.diagnostics)
        report.extend(content.read.diagnostics)
        imported = len(content.imported.created)
        seeds = (content.imported.pending, content.imported.diagnostics)
        memo = cache.load("related")
        index = build_index(content.read.articles, content.read.topics, memo)
        if index.related_memo != memo:
            cache.store("related", index.related_memo)
        remembered = remember_content(cache, config, content.read.record_keys, index, jobs)
        stages.done("index")
    convert_bodies(index.articles, cache, jobs, config)
    stages.done("convert bodies")
    theme = Theme(config, index.topics, index.sources)
    families = site_families(index, config)
    stages.done("job families")
    outcome = SiteRenderer(config, theme, cache, jobs, search_later).render(
        families, (early.result(), spare.result()))
    stages.done("render and publish")
    report.extend(outcome.diagnostics)
    kinds = list(outcome.outputs.values())
    token = remembered.token()
    return BuildResult(
        diagnostics=tuple(report.items), pages=len(kinds), articles=len(index.articles),
        topics=len(index.topics), sources=len(index.sources), feeds=kinds.count("feed"),
        written=len(outcome.written), removed=len(outcome.removed), rendered=outcome.rendered,
        imported=imported, seconds=time.perf_counter() - stages.started,
        built=outcome.published,
        changed=tuple(sorted(outcome.written + outcome.removed)), stages=tuple(stages.spent)
    ), token, seeds
