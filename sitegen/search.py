"""Site search: a Pagefind index built over the finished output, before it is published.

Pagefind (https://pagefind.app) reads the built HTML and writes a static search bundle
(``pagefind/``: WebAssembly, index chunks and its own search UI) that needs no server. The
binary comes from the ``pagefind-bin`` package on PyPI; a ``pagefind`` on PATH is used when
that package is missing. No binary, or a failed run, is a warning: the site is still built,
only without search.

The default theme marks what to index: ``data-pagefind-body`` on article pages only (so
list pages do not show up as results), with the date, source and topics as metadata and
filters; Pagefind is given only the article pages to read (``urls.ARTICLE_PAGES_GLOB``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from . import urls
from .config import SiteConfig
from .errors import Diagnostic, warning
from .parallel import die_with_parent

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
TIMEOUT_SECONDS = 300
_HINT = "install it with: pip install pagefind-bin (or set search: false in site.yaml)"


def pagefind_executable() -> str | None:
    """Path of the Pagefind binary: ``SITEGEN_PAGEFIND``, the PyPI package's, or PATH's."""
    override = os.environ.get("SITEGEN_PAGEFIND")
    if override is not None:
        return override or None     # an empty value means "no binary" (used by the tests)
    try:
        import pagefind_bin  # type: ignore[import-not-found]

        return str(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError, OSError):
        pass
    return shutil.which("pagefind_extended") or shutil.which("pagefind")


def build_search_index(site_dir: Path, config: SiteConfig) -> list[Diagnostic]:
    """Run Pagefind over ``site_dir`` (the staging folder). Returns warnings, never raises
    for a missing or failing binary. The time it took is logged at INFO (``-v``)."""
    if not getattr(config, "search", True):
        return []
    executable = pagefind_executable()
    if not executable:
        return [warning("site.yaml", "site search skipped: the pagefind binary was not found",
                        hint=_HINT)]
    # only article pages carry data-pagefind-body: the list pages (a third of the files,
    # and the biggest) need not be read at all (10,000 articles: 21 s instead of 33 s)
    command = [executable, "--site", str(site_dir), "--output-subdir", BUNDLE_DIR, "--silent",
               "--glob", urls.ARTICLE_PAGES_GLOB]
    if config.language:
        command += ["--force-language", config.language.split("-")[0].lower()]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                              check=False, preexec_fn=die_with_parent)
    except (OSError, subprocess.SubprocessError) as exc:
        return [warning("site.yaml", f"site search skipped: could not run pagefind: {exc}",
                        hint=_HINT)]
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        shutil.rmtree(site_dir / BUNDLE_DIR, ignore_errors=True)
        detail = (done.stderr or done.stdout).strip().splitlines()
        return [warning("site.yaml", "site search skipped: pagefind failed"
                        + (f": {detail[-1]}" if detail else f" (exit {done.returncode})"),
                        hint="run with -v for details, or set search: false in site.yaml")]
    log.info("search index (pagefind) built in %.2f s", seconds)
    return []
