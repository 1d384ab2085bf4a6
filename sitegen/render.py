"""Render the site's job families into the output folder, doing only the work that changed.

A family (``routes``) whose key, site settings and template closures (``templatedeps``)
are those of the last published build keeps its outputs without its jobs being made.
In the other families a job is rendered when its fingerprint (``fingerprint``) differs
from the last build's, and its file is written only when its bytes differ. Outputs that
no longer exist are removed. The first build (or one whose output folder no longer
matches the cache) renders everything into a fresh folder and swaps it in.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import jinja2

from . import __version__
from .cache import BuildCache
from .config import SiteConfig
from .errors import Diagnostic, error
from .fingerprint import Fingerprinter, site_key
from .markup import Markup
from .model import Article, Family, RenderJob, evolve
from .parallel import parallel_map
from .reader import body_of
from .search import BUNDLE_DIR, build_search_index
from .templatedeps import TemplateDeps
from .theme import BUILTIN_TEMPLATES, Theme, template_error
from .writer import (MARKER, Listing, OutputFolder, replace_into, static_files,
                     write_into)

Manifest = dict[str, tuple[str, str]]   # output path -> (job fingerprint, content hash)
SMALL_CHANGE = 64   # more pages to render than this: stage in the spare, swap folders


@dataclass
class RenderOutcome:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    published: bool = False
    outputs: dict[str, str] = field(default_factory=dict)   # every page output -> its kind
    intact: bool = True        # False: the output folder was changed behind sitegen's back


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def convert_bodies(articles: Sequence[Article], cache: BuildCache, jobs: int,
                   config: SiteConfig) -> int:
    """Convert every body the cache has no HTML for, on all cores. Returns how many."""
    known = cache.has_html(article.body_key for article in articles)
    todo: dict[str, str] = {}
    for article in articles:
        if article.body_key not in known and article.body_key not in todo:
            todo[article.body_key] = body_of(article, config)
    if not todo:
        return 0
    keys = list(todo)

    def convert(batch: Sequence[str]) -> list[str]:
        markup = Markup()
        return [markup.render(todo[key]) for key in batch]

    cache.put_html(dict(zip(keys, parallel_map(convert, keys, jobs, min_batch=32))))
    return len(keys)


_STALE = "search-stale:"   # the cache's flag: a build kept an index its pages outgrew


def search_stale(config: SiteConfig, cache: BuildCache) -> bool:
    """Whether a build with ``search_later`` kept a search index that no longer matches
    the published pages: the next build without it makes the index again."""
    return bool(config.search and cache.load(_STALE + str(config.output_dir)))


def _set_search_stale(config: SiteConfig, cache: BuildCache, stale: bool) -> None:
    cache.store(_STALE + str(config.output_dir), True if stale else None)


def _marker(manifest: Manifest) -> str:
    """The output folder's marker names the build it holds, so a folder changed behind
    sitegen's back (deleted, replaced, restored) is noticed and fully rebuilt."""
    contents = "\n".join(sorted([f"{path}\t{entry[1]}" for path, entry in manifest.items()]))
    digest = hashlib.blake2b(contents.encode(), digest_size=12)   # (a repr took 3x as long)
    return ("This folder is written by sitegen; it is replaced on every build.\n"
            f"build {digest.hexdigest()}\n")


def kept_sitemap(config: SiteConfig, cache: BuildCache) -> list | None:
    """The entries of the sitemap the last build published, when they are kept (a quick
    rebuild that moves articles patches them, instead of making every family)."""
    kept = cache.load(f"sitemap:{config.output_dir}")
    families = cache.load(f"families:{config.output_dir}") or {}
    if isinstance(kept, tuple) and "extras" in families and families["extras"][0] == kept[0]:
        return kept[1]
    return None


def output_intact(config: SiteConfig, cache: BuildCache,
                  listed: tuple[dict[str, int], list[str]] | None = None) -> bool:
    """Whether the output folder holds exactly what the last build published (as
    ``listed``, :func:`writer.listing`, if given; else as listed now)."""
    out = OutputFolder(config.output_dir)
    out.recover()    # finish or clean up after a build that was killed
    return output_marked(config, cache, out) and _as_listed(
        config, cache, listed if listed is not None else out.scan())


def output_marked(config: SiteConfig, cache: BuildCache, out: OutputFolder | None = None
                  ) -> bool:
    """The cheap half of :func:`output_intact`: the output folder carries the last
    build's marker, and no publish is pending."""
    out = out or OutputFolder(config.output_dir)
    return (bool(cache.manifest(config.output_dir)) and not out.journal.exists()
            and out.marker() == cache.marker(config.output_dir))


def _as_listed(config: SiteConfig, cache: BuildCache,
               listed: tuple[dict[str, int], list[str]]) -> bool:
    """Whether ``listed`` (:func:`writer.listing`) holds the last build's files, the
    marker, the search bundle if search is on, and nothing else."""
    manifest = cache.manifest(config.output_dir)
    files, odd = listed
    bundle = {f for f in files if f.startswith(BUNDLE_DIR + "/")}
    if bundle and not config.search:
        return False
    # files - bundle == set(manifest) | {MARKER}, without making two sets of 15,000
    return (not odd and MARKER in files and not any(f in manifest for f in bundle)
            and len(files) - len(bundle) == len(manifest) + (MARKER not in manifest)
            and manifest.keys() <= files.keys())


FamilyState = dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], str]]
"""Family name -> (its key, its outputs with their kinds, the templates they use, the
digest of those templates' closures), as last published."""


@dataclass
class _Plan:
    """What a build renders: the manifest entries it keeps, the jobs to render, every
    output with its kind, and the families' state to record."""

    manifest: Manifest = field(default_factory=dict)
    todo: list[RenderJob] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    families: FamilyState = field(default_factory=dict)
    clashes: list[Diagnostic] = field(default_factory=list)
    sitemap: tuple | None = None   # (its family's key, its entries), when made again


class _KeptTeasers:
    """Teaser fragments kept in the cache between builds (``theme.KeptTeasers``), under
    the ``scope`` of what renders them (:meth:`SiteRenderer._teaser_scope`); ``new``
    gathers those made in this process, which writes them at the end of each batch."""

    def __init__(self, cache: BuildCache, scope: str):
        self.cache, self.scope, self.new = cache, scope, {}
        self.any = True   # False: none kept when the build began (none is looked up)

    def _name(self, key: tuple) -> bytes:
        """A short name (a 16-byte digest: rows with long keys were written at half the
        speed, 1.4 against 0.6 s for 20,000 teasers)."""
        return hashlib.blake2b("\x00".join((self.scope, *map(str, key))).encode(),
                               digest_size=16).digest()

    def get(self, key: tuple) -> tuple | None:
        return self.cache.teaser(self._name(key)) if self.any else None

    def put(self, key: tuple, fragment: tuple) -> None:
        self.new[self._name(key)] = fragment


class SiteRenderer:
    """Renders one build's job families; holds the theme, the cache and the previous
    manifest."""

    def __init__(self, config: SiteConfig, theme: Theme, cache: BuildCache, jobs: int,
                 search_later: bool = False):
        self.config, self.theme, self.cache, self.jobs = config, theme, cache, jobs
        self.search_later = search_later   # keep the published search index (see build_site)
        self.previous = cache.manifest(config.output_dir)
        templates = [p for d in theme.template_dirs() + [BUILTIN_TEMPLATES]
                     for p in d.rglob("*") if p.is_file()]
        known = dict(cache.load("template-references") or {})
        self.templates = TemplateDeps(theme.env, templates,
                                      theme.implicit_templates, known)
        self.site = site_key(__version__, repr(config), theme.env.globals["topics"],
                             theme.env.globals["sources"])

    def _hydrate(self, job: RenderJob, html: dict[str, str]) -> RenderJob:
        """Give the articles whose body the page shows their HTML."""
        context = dict(job.context)
        if job.kind == "article":
            article = context["article"]
            context["article"] = evolve(article, html=html.get(article.body_key, ""))
        elif job.kind == "feed" and self.config.feeds.full_content:
            feed = context["feed"]
            context["feed"] = evolve(feed, items=tuple(
                evolve(a, html=html.get(a.body_key, "")) for a in feed.items))
        return evolve(job, context=context)

    def _needs_html(self, jobs: Sequence[RenderJob]) -> set[str]:
        """The bodies the jobs may show (those of article pages, and of feeds when feeds
        carry full content)."""
        keys = set()
        for job in jobs:
            if job.kind == "article":
                keys.add(job.context["article"].body_key)
            elif job.kind == "feed" and self.config.feeds.full_content:
                keys.update(a.body_key for a in job.context["feed"].items)
        return keys

    def render(self, families: Sequence[Family],
               listed: tuple[Listing | None, Listing | None] = (None, None),
               partial: bool = False,
               listing: Callable[[], Listing | None] | None = None) -> RenderOutcome:
        """Render what changed into a staging folder and publish it; on a template error
        nothing is published and the previous site stays.

        Where to stage: a first build (or one whose output no longer matches the cache)
        renders into a fresh folder; a rebuild with many pages to render, into the spare
        (see ``writer``), which is then swapped in; a smaller one, into a fresh folder
        whose files are moved in under a journal. ``listed``: the output folder and the
        spare as listed at the start of the build (``writer.listing``), by a helper
        process while this one read and indexed (None: list them here).

        ``partial``: ``families`` are only those that may have changed (``routes``, with a
        focus); every other family of the last build keeps its outputs, which must all be
        in place (``output_intact``). A partial render may be given the ``listing`` of the
        output folder to come (a helper is making it) instead: the pages are rendered
        meanwhile, and the listing is awaited and checked before anything is staged
        where it matters (in the spare) or published; when the folder is not as the last
        build left it, nothing is published and ``outcome.intact`` is False."""
        outcome = RenderOutcome()
        with OutputFolder(self.config.output_dir) as out:
            full = not self.previous or out.marker() != self.cache.marker(self.config.output_dir)
            if partial and full:
                raise ValueError("a partial render needs the last build's output in place")
            listed_output, spare_listed = listed
            awaited = partial and listing is not None and listed_output is None
            if awaited:   # as the last build left it (checked below, before publishing)
                existing, odd = dict.fromkeys(self.previous, 0), []
            else:
                existing, odd = ({}, []) if full else (listed_output or out.scan())
            # a published file someone deleted (or replaced by a link) is made again
            previous = {k: v for k, v in self.previous.items() if k in existing}
            plan = self._plan(families, previous, {} if full else self._families(), partial)
            outcome.outputs = plan.outputs
            outcome.diagnostics = plan.clashes
            if outcome.diagnostics:
                return outcome
            spare, staged = not full and self._in_spare(plan.todo), {}
            if awaited and spare:
                outcome.intact, (existing, odd) = self._awaited(out, listing)
                if not outcome.intact:
                    return outcome
            if spare:
                try:
                    staged = out.use_spare(set(plan.outputs) | set(existing), spare_listed)
                except OSError:   # not ours to use (permissions ...): stage afresh
                    spare, out.staging = False, out.fresh
            put = replace_into if spare else write_into
            manifest = plan.manifest
            self._render(plan.todo, previous, out, manifest, outcome, put,
                         sum(1 for kind in plan.outputs.values() if kind == "article"))
            if outcome.diagnostics:
                return outcome
            if awaited and not spare:
                outcome.intact, (existing, odd) = self._awaited(out, listing)
                if not outcome.intact:
                    return outcome
            self._stage_static(out, previous, manifest, outcome, put)
            bundle = {f for f in existing if f.startswith(BUNDLE_DIR + "/")}
            outcome.removed = sorted(existing.keys() - set(manifest) - {MARKER} - bundle) + odd
            articles = [o for o, kind in plan.outputs.items() if kind == "article"]
            self._search_bundle(articles, out, full, spare, existing, bundle, staged, outcome)
            self._publish(out, full, spare, existing, staged, manifest, outcome)
            if (any(f.startswith(BUNDLE_DIR + "/") for f in outcome.written)
                    and search_stale(self.config, self.cache)):   # published, made again
                _set_search_stale(self.config, self.cache, False)
            self.cache.store(f"families:{self.config.output_dir}", plan.families)
            if plan.sitemap is not None:
                self.cache.store(f"sitemap:{self.config.output_dir}", plan.sitemap)
            references = self.templates.references()
            if references != self.cache.load("template-references"):
                self.cache.store("template-references", references)
        return outcome

    def _awaited(self, out: OutputFolder, listing: Callable[[], Listing | None]
                 ) -> tuple[bool, Listing]:
        """The output folder's listing, when it comes, and whether the folder is as the
        last build published it."""
        listed = listing()
        if listed is None or not (output_marked(self.config, self.cache, out)
                                  and _as_listed(self.config, self.cache, listed)):
            return False, ({}, [])
        return True, listed

    def _in_spare(self, todo: Sequence[RenderJob]) -> bool:
        """Whether a rebuild is staged in the spare, where the unchanged pages are already
        in place: when it has many pages to render, or may make the search index (an
        article page to render, or the index left for later): Pagefind reads every article
        page, and in a fresh folder 10,000 of them would be linked in first (4 s here)."""
        return len(todo) > SMALL_CHANGE or (
            self.config.search and not self.search_later
            and (search_stale(self.config, self.cache)
                 or any(job.kind == "article" for job in todo)))

    def _families(self) -> FamilyState:
        return self.cache.load(f"families:{self.config.output_dir}") or {}

    def _plan(self, families: Sequence[Family], previous: Manifest,
              before: FamilyState, partial: bool = False) -> _Plan:
        """Keep the outputs of every family whose inputs and templates are as they were
        (without making its jobs); make the others' jobs, to be fingerprinted and, where
        that changed, rendered. ``partial``: the families of ``before`` not given are
        kept too."""
        plan = _Plan()
        for family in families:
            key = f"{self.site}/{family.key}"
            old = before.get(family.name)
            if (old is not None and old[0] == key and all(o in previous for o, _ in old[1])
                    and self.templates.digest_of(old[2]) == old[3]):
                self._keep(plan, family.name, old, previous)
                continue
            jobs = family.make()
            names = tuple(sorted({job.template for job in jobs}))
            plan.families[family.name] = (key, tuple((j.output, j.kind) for j in jobs), names,
                                          self.templates.digest_of(names))
            for job in jobs:
                self._claim(plan, job.output, job.kind)
                plan.todo.append(job)
                if job.kind == "sitemap":   # one file, or the parts of an index, in order
                    entries = job.context["entries"]
                    plan.sitemap = (key, entries if plan.sitemap is None
                                    else plan.sitemap[1] + entries)
        if partial:
            for name, old in before.items():
                if name not in plan.families:
                    self._keep(plan, name, old, previous)
        return plan

    def _keep(self, plan: _Plan, name: str, old, previous: Manifest) -> None:
        """Keep a family's state and outputs as the last build published them."""
        plan.families[name] = old
        outputs, manifest = plan.outputs, plan.manifest
        for output, kind in old[1]:
            if output in outputs or output == MARKER:
                self._claim(plan, output, kind)
            outputs[output] = kind
            manifest[output] = previous[output]

    @staticmethod
    def _claim(plan: _Plan, output: str, kind: str) -> None:
        """Record an output; two jobs writing the same file is a named, early error."""
        if output == MARKER or output in plan.outputs:
            plan.clashes.append(error("", f"two pages would write /{output}",
                                      hint="give one of them another slug"))
        plan.outputs[output] = kind

    def _render(self, todo: Sequence[RenderJob], previous: Manifest, out: OutputFolder,
                manifest: Manifest, outcome: RenderOutcome, put=write_into,
                articles: int = 0) -> None:
        """Fingerprint ``todo`` and render the jobs whose fingerprint changed, on all
        cores; stage the files whose bytes changed (with ``put``). The teasers the pages
        show are taken from the cache, which keeps those made here for the next builds
        (up to three for each of the site's ``articles``, see ``cache.keep_teasers``)."""
        templates = self.templates
        kept = _KeptTeasers(self.cache, self._teaser_scope())
        kept.any = bool(todo) and self.cache.keep_teasers(kept.scope, 3 * articles + 1000)
        self.theme.kept_teasers = kept   # forked with the theme: each worker has its own

        def render_batch(batch: Sequence[RenderJob]):
            """Fingerprint the batch, then render the jobs whose fingerprint changed, with
            the bodies they show read from the cache here (in the worker)."""
            fingerprint = Fingerprinter(self.site, templates.digest)
            made: set[str] = set()     # folders this worker made in the staging folder
            results: list = []
            due = []
            for job in batch:
                fp = fingerprint(job)
                known = previous.get(job.output)
                if known is not None and known[0] == fp:
                    results.append((job.output, fp, known[1], False, False))
                else:
                    due.append((len(results), job, fp, known))
                    results.append(None)
            html = self.cache.html(self._needs_html([job for _, job, _, _ in due])) if due else {}
            for at, job, fp, known in due:
                try:
                    data = self.theme.render(self._hydrate(job, html))
                except jinja2.TemplateError as exc:
                    results[at] = (job.output, fp, None, template_error(exc, job), True)
                    continue
                digest = content_hash(data)
                changed = known is None or known[1] != digest
                if changed:
                    put(out.staging, job.output, data, made)
                results[at] = (job.output, fp, digest, changed, True)
            if kept.new:   # the teasers this batch made, kept for the next builds
                try:
                    self.cache.put_teasers(kept.new)
                except sqlite3.Error:   # kept or not, the pages are right
                    pass
                kept.new = {}
            return results

        for output, fp, digest, changed, rendered in parallel_map(render_batch, todo, self.jobs):
            if digest is None:
                outcome.diagnostics.append(changed)
                continue
            manifest[output] = (fp, digest)
            outcome.rendered += rendered
            if changed:
                outcome.written.append(output)
        self.theme.kept_teasers = None

    def _teaser_scope(self) -> str:
        """What renders a teaser fragment: the site's settings, topics and sources, and
        the closure of ``_teaser.html``."""
        return hashlib.blake2b(f"{self.site}\x00{self.templates.digest('_teaser.html')}"
                               .encode(), digest_size=16).hexdigest()

    def _search_bundle(self, articles: Sequence[str], out: OutputFolder, full: bool,
                       spare: bool, existing: dict[str, int], bundle: set[str],
                       staged: dict[str, int], outcome: RenderOutcome) -> None:
        """Index the new site's article pages into the staging folder when they changed
        (so the bundle is published with them), or drop the bundle when search is off.
        Pagefind needs the whole new site, and nothing else: a fresh staging folder gets
        the unchanged article pages as links; a spare has them made the published ones,
        and the published pages that go deleted, first."""
        if not self.config.search:
            outcome.removed += sorted(bundle)
            return
        changed = set(outcome.written) | set(outcome.removed)
        stale = search_stale(self.config, self.cache)
        if not (full or not bundle or stale or changed.intersection(articles)):
            return
        if self.search_later and bundle and not full:   # the index published stays
            if not stale:
                _set_search_stale(self.config, self.cache, True)
            return
        if spare:   # Pagefind must not write through a link into the published bundle
            shutil.rmtree(out.staging / BUNDLE_DIR, ignore_errors=True)
            # the spare keeps the published files until the swap: a page that goes must
            # go first, or it is indexed (a deleted article found by search, a dead link)
            out.drop([f for f in outcome.removed if f in existing])
            out.carry([a for a in articles if a in existing and a not in changed], staged,
                      existing)
        elif not full:   # the new site = the staged pages plus the unchanged ones
            out.link_from_output([a for a in articles if a in existing])
        outcome.diagnostics += build_search_index(out.staging, self.config)
        new_bundle = {f"{BUNDLE_DIR}/{p.relative_to(out.staging / BUNDLE_DIR).as_posix()}"
                      for p in (out.staging / BUNDLE_DIR).rglob("*") if p.is_file()}
        outcome.written += sorted(new_bundle)
        outcome.removed += sorted(bundle - new_bundle)

    def _publish(self, out: OutputFolder, full: bool, spare: bool, existing: dict[str, int],
                 staged: dict[str, int], manifest: Manifest, outcome: RenderOutcome) -> None:
        """Swap in the new folder (a first build, or a rebuild staged in the spare, whose
        unchanged files are made the published ones first) or move the changed files in
        under a journal."""
        changes = len(outcome.written) + len(outcome.removed)
        kept = None if full or changes else self.cache.marker(self.config.output_dir)
        marker = kept or _marker(manifest)   # the same files: the same marker
        if full:
            out.publish(marker)
        elif spare and changes:
            gone = set(outcome.written) | set(outcome.removed) | {MARKER}
            out.carry([f for f in existing if f not in gone], staged, existing)
            # the published files that go (not the odd entries of the output folder, links
            # and the like: the spare has none, and may hold a real folder at their path)
            out.drop([f for f in outcome.removed if f in existing])
            out.publish(marker)
        elif changes:
            out.publish_changes(outcome.written, outcome.removed, marker)
        self.cache.set_manifest(self.config.output_dir, manifest, marker)
        outcome.published = True

    def _stage_static(self, out: OutputFolder, previous: Manifest, manifest: Manifest,
                      outcome: RenderOutcome, put=write_into) -> None:
        """Theme and site static files under static/; later folders override earlier."""
        files: dict[str, Path] = {}
        for folder in self.theme.static_dirs():
            for path in static_files(folder):
                files[f"static/{path.relative_to(folder).as_posix()}"] = path
        for rel, path in sorted(files.items()):
            data = path.read_bytes()
            digest = content_hash(data)
            manifest[rel] = ("static", digest)
            if previous.get(rel, ("", ""))[1] != digest:
                put(out.staging, rel, data)
                outcome.written.append(rel)
