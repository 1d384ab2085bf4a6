"""Render the site's jobs into the output folder, doing only the work that changed.

A job is rendered when its fingerprint (``fingerprint.job_fingerprint``) differs from the
last published build's, and its file is written only when its bytes differ. Outputs that
no longer exist are removed. The first build (or one whose output folder no longer
matches the cache) renders everything into a fresh folder and swaps it in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import jinja2

from . import __version__
from .cache import BuildCache
from .config import SiteConfig
from .errors import Diagnostic, error
from .fingerprint import Fingerprinter, files_digest, site_key
from .markup import Markup
from .model import Article, RenderJob
from .parallel import parallel_map
from .search import BUNDLE_DIR, build_search_index
from .theme import BUILTIN_TEMPLATES, Theme, template_error
from .writer import MARKER, OutputFolder, static_files, write_into

Manifest = dict[str, tuple[str, str]]   # output path -> (job fingerprint, content hash)
SMALL_CHANGE = 64   # more changed files than this: publish by swapping whole folders


@dataclass
class RenderOutcome:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    published: bool = False


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def convert_bodies(articles: Sequence[Article], cache: BuildCache, jobs: int) -> int:
    """Convert every body the cache has no HTML for, on all cores. Returns how many."""
    known = cache.html_keys()
    todo: dict[str, str] = {}
    for article in articles:
        if article.body_key not in known:
            todo.setdefault(article.body_key, article.body)
    if not todo:
        return 0
    keys = list(todo)

    def convert(batch: Sequence[str]) -> list[str]:
        markup = Markup()
        return [markup.render(todo[key]) for key in batch]

    cache.put_html(dict(zip(keys, parallel_map(convert, keys, jobs, min_batch=32))))
    return len(keys)


def _marker(manifest: Manifest) -> str:
    """The output folder's marker names the build it holds, so a folder changed behind
    sitegen's back (deleted, replaced, restored) is noticed and fully rebuilt."""
    contents = sorted((path, digest) for path, (_, digest) in manifest.items())
    digest = hashlib.blake2b(repr(contents).encode(), digest_size=12)
    return ("This folder is written by sitegen; it is replaced on every build.\n"
            f"build {digest.hexdigest()}\n")


def output_intact(config: SiteConfig, cache: BuildCache) -> bool:
    """Whether the output folder holds exactly what the last build published."""
    manifest = cache.manifest(config.output_dir)
    out = OutputFolder(config.output_dir)
    out.recover()    # finish or clean up after a build that was killed
    if not manifest or out.journal.exists() or out.marker() != _marker(manifest):
        return False
    files, odd = out.scan()
    bundle = {f for f in files if f.startswith(BUNDLE_DIR + "/")}
    if bundle and not config.search:
        return False
    return not odd and files - bundle == set(manifest) | {MARKER}


class SiteRenderer:
    """Renders one build's jobs; holds the theme, the cache and the previous manifest."""

    def __init__(self, config: SiteConfig, theme: Theme, cache: BuildCache, jobs: int):
        self.config, self.theme, self.cache, self.jobs = config, theme, cache, jobs
        self.previous = cache.manifest(config.output_dir)
        templates = [p for d in theme.template_dirs() + [BUILTIN_TEMPLATES]
                     for p in d.rglob("*") if p.is_file()]
        self.site = site_key(__version__, repr(config), files_digest(templates),
                             theme.env.globals["topics"], theme.env.globals["sources"])

    def _hydrate(self, job: RenderJob, html: dict[str, str]) -> RenderJob:
        """Give the articles whose body the page shows their HTML."""
        context = dict(job.context)
        if job.kind == "article":
            article = context["article"]
            context["article"] = replace(article, html=html.get(article.body_key, ""))
        elif job.kind == "feed" and self.config.feeds.full_content:
            feed = context["feed"]
            context["feed"] = replace(feed, items=tuple(
                replace(a, html=html.get(a.body_key, "")) for a in feed.items))
        return replace(job, context=context)

    def _needs_html(self, jobs: Sequence[RenderJob]) -> set[str]:
        keys = set()
        for job in jobs:
            if job.kind == "article":
                keys.add(job.context["article"].body_key)
            elif job.kind == "feed" and self.config.feeds.full_content:
                keys.update(a.body_key for a in job.context["feed"].items)
        return keys

    def render(self, site_jobs: Sequence[RenderJob]) -> RenderOutcome:
        """Render what changed into a staging folder and publish it; on a template error
        nothing is published and the previous site stays."""
        outcome = RenderOutcome(diagnostics=_clashes(site_jobs))
        if outcome.diagnostics:
            return outcome
        with OutputFolder(self.config.output_dir) as out:
            full = not self.previous or out.marker() != _marker(self.previous)
            existing, odd = (set(), []) if full else out.scan()
            # a published file someone deleted (or replaced by a link) is made again
            previous = {k: v for k, v in self.previous.items() if k in existing}
            manifest, todo = self._plan(site_jobs, previous)
            self._render(todo, previous, out, manifest, outcome)
            if outcome.diagnostics:
                return outcome
            self._stage_static(out, previous, manifest, outcome)
            bundle = {f for f in existing if f.startswith(BUNDLE_DIR + "/")}
            outcome.removed = sorted(existing - set(manifest) - {MARKER} - bundle) + odd
            self._search_bundle(site_jobs, out, full, existing, bundle, outcome)
            self._publish(out, full, existing, manifest, outcome)
        return outcome

    def _plan(self, site_jobs: Sequence[RenderJob], previous: Manifest):
        """``(manifest of the unchanged outputs, [(job, fingerprint)] to render)``."""
        manifest: Manifest = {}
        todo = []
        fingerprint = Fingerprinter(self.site)
        for job in site_jobs:
            fp = fingerprint(job)
            old = previous.get(job.output)
            if old is not None and old[0] == fp:
                manifest[job.output] = old
            else:
                todo.append((job, fp))
        return manifest, todo

    def _render(self, todo, previous: Manifest, out: OutputFolder, manifest: Manifest,
                outcome: RenderOutcome) -> None:
        """Render ``todo`` on all cores; stage the files whose bytes changed."""
        html = self.cache.html(self._needs_html([job for job, _ in todo]))

        def render_batch(batch):
            results = []
            for job, fp in batch:
                try:
                    data = self.theme.render(self._hydrate(job, html))
                except jinja2.TemplateError as exc:
                    results.append((job.output, fp, None, template_error(exc, job)))
                    continue
                digest = content_hash(data)
                changed = previous.get(job.output, ("", ""))[1] != digest
                if changed:
                    write_into(out.staging, job.output, data)
                results.append((job.output, fp, digest, changed))
            return results

        for output, fp, digest, changed in parallel_map(render_batch, todo, self.jobs):
            if digest is None:
                outcome.diagnostics.append(changed)
                continue
            manifest[output] = (fp, digest)
            if changed:
                outcome.written.append(output)
        outcome.rendered = len(todo)

    def _search_bundle(self, site_jobs: Sequence[RenderJob], out: OutputFolder, full: bool,
                       existing: set[str], bundle: set[str], outcome: RenderOutcome) -> None:
        """Index the new site's article pages into the staging folder when they changed
        (so the bundle is published with them), or drop the bundle when search is off."""
        if not self.config.search:
            outcome.removed += sorted(bundle)
            return
        articles = [job.output for job in site_jobs if job.kind == "article"]
        changed = set(outcome.written) | set(outcome.removed)
        if not (full or not bundle or changed.intersection(articles)):
            return
        if not full:   # the new site = the staged pages plus the unchanged ones
            out.link_from_output([a for a in articles if a in existing])
        outcome.diagnostics += build_search_index(out.staging, self.config)
        new_bundle = {f"{BUNDLE_DIR}/{p.relative_to(out.staging / BUNDLE_DIR).as_posix()}"
                      for p in (out.staging / BUNDLE_DIR).rglob("*") if p.is_file()}
        outcome.written += sorted(new_bundle)
        outcome.removed += sorted(bundle - new_bundle)

    def _publish(self, out: OutputFolder, full: bool, existing: set[str], manifest: Manifest,
                 outcome: RenderOutcome) -> None:
        """Swap in a whole new folder (first build, or many changes, with the unchanged
        files hard-linked in) or move a few files in under a journal."""
        changes = len(outcome.written) + len(outcome.removed)
        if full:
            out.publish(_marker(manifest))
        elif changes > SMALL_CHANGE:
            gone = set(outcome.removed) | set(outcome.written)
            out.link_from_output(sorted(f for f in existing if f not in gone and f != MARKER))
            out.publish(_marker(manifest))
        elif changes:
            out.publish_changes(outcome.written, outcome.removed, _marker(manifest))
        self.cache.set_manifest(self.config.output_dir, manifest)
        outcome.published = True

    def _stage_static(self, out: OutputFolder, previous: Manifest, manifest: Manifest,
                      outcome: RenderOutcome) -> None:
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
                write_into(out.staging, rel, data)
                outcome.written.append(rel)


def _clashes(jobs: Sequence[RenderJob]) -> list[Diagnostic]:
    """Two jobs that would write the same file (a named, early error)."""
    seen: dict[str, RenderJob] = {}
    problems = []
    for job in jobs:
        if job.output == MARKER or job.output in seen:
            problems.append(error("", f"two pages would write /{job.output}",
                                  hint="give one of them another slug"))
        seen[job.output] = job
    return problems
