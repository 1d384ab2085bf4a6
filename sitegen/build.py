"""The orchestrator: import seeds, read content, index, route, render, publish."""

from __future__ import annotations

import time
import jinja2

from .config import SiteConfig
from .errors import Diagnostic, Report, error
from .importer import ImportResult, import_seeds
from .indexes import build_index
from .markup import Markup
from .model import BuildResult
from .reader import read_content
from .routes import site_jobs
from .search import build_search_index
from .theme import Theme, template_error
from .writer import OutputFolder, unsafe_output


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


def build_site(config: SiteConfig, *, do_import: bool = True) -> BuildResult:
    """Build the whole site into ``config.output_dir``. The previous output stays in place
    unless every file of the new one was rendered."""
    started = time.perf_counter()
    check_output(config)
    report = Report()
    imported = import_seeds(config) if do_import else ImportResult()
    report.extend(imported.diagnostics)
    content = read_content(config, Markup())
    report.extend(content.diagnostics)
    index = build_index(content.articles, content.topics)
    jobs = site_jobs(index, config)
    theme = Theme(config, index.topics, index.sources)
    failed = False
    with OutputFolder(config.output_dir) as out:
        for job in jobs:
            try:
                out.write(job.output, theme.render(job))
            except jinja2.TemplateError as exc:
                report.add(template_error(exc, job))
                failed = True
            except FileExistsError:
                report.add(error("", f"two pages would write {job.output}",
                                 hint="give one of them another slug"))
        for folder in theme.static_dirs():
            out.copy_static(folder, "static")
        if not failed:
            if config.search:
                report.extend(build_search_index(out.staging, config))
            out.publish()
    kinds = [job.kind for job in jobs]
    return BuildResult(
        diagnostics=tuple(report.items), pages=len(jobs), articles=len(index.articles),
        topics=len(index.topics), sources=len(index.sources), feeds=kinds.count("feed"),
        written=0 if failed else len(out.written), imported=len(imported.created),
        changed=() if failed else tuple(sorted(out.written)),
        seconds=time.perf_counter() - started, built=not failed)
