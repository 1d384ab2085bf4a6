"""The Jinja2 environment: theme loader chain, filters, and rendering a RenderJob to bytes.

Templates are looked up in this order: the site's ``templates/`` overrides, the chosen
theme, its parents (``theme.yaml``: ``parent: default``), the default theme, and
sitegen's built-in feed/sitemap/robots templates. ``{% extends "default/base.html" %}``
reaches a named theme's template directly, so a child theme can extend the very template
it overrides.
"""

from __future__ import annotations

import json
import traceback
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2
import yaml

from . import dates, urls
from .config import SiteConfig
from .errors import ConfigError, error
from .model import Article, RenderJob, Source, Topic

BUILTIN_THEMES = Path(__file__).resolve().parent.parent / "themes"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def theme_dir(config: SiteConfig, name: str) -> Path | None:
    """A theme's folder: the site's ``themes/<name>``, else the one shipped with sitegen."""
    for base in (config.themes_dir, BUILTIN_THEMES):
        if (base / name / "templates").is_dir():
            return base / name
    return None


def theme_chain(config: SiteConfig) -> list[Path]:
    """The chosen theme and its ancestors, child first, always ending with ``default``."""
    chain: list[Path] = []
    name: str | None = config.theme
    while name:
        folder = theme_dir(config, name)
        if folder is None:
            raise ConfigError([error("site.yaml", f"theme {name!r} not found",
                                     hint=f"create {config.themes_dir.name}/{name}/templates/ "
                                          "or set theme: default")])
        if folder in chain:
            raise ConfigError([error(str(folder / "theme.yaml"), "themes inherit in a circle",
                                     hint="fix 'parent' in theme.yaml")])
        chain.append(folder)
        name = _parent(folder)
        if name is None and folder.name != "default":
            name = "default"
    return chain


def _parent(folder: Path) -> str | None:
    meta_file = folder / "theme.yaml"
    if not meta_file.is_file():
        return None
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([error(str(meta_file), f"theme.yaml is not valid YAML: {exc}")]) from exc
    parent = meta.get("parent") if isinstance(meta, dict) else None
    return str(parent) if parent else None


def json_for_script(data: Any) -> jinja2.filters.Markup:
    """JSON safe to place inside ``<script>``: no ``</script>``, ``<!--`` or ``&`` escapes."""
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return jinja2.filters.Markup(text)


class Theme:
    """Renders jobs with the site's theme. One per build (and per worker process)."""

    def __init__(self, config: SiteConfig, topics: Mapping[str, Topic],
                 sources: Mapping[str, Source]):
        self.config = config
        self.chain = theme_chain(config)
        named = {folder.name: jinja2.FileSystemLoader(folder / "templates") for folder in self.chain}
        loaders: list[jinja2.BaseLoader] = []
        if config.templates_dir.is_dir():
            loaders.append(jinja2.FileSystemLoader(config.templates_dir))
        loaders += [named[folder.name] for folder in self.chain]
        loaders += [jinja2.FileSystemLoader(BUILTIN_TEMPLATES), jinja2.PrefixLoader(named)]
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True)
        self.env.filters.update(
            datefmt=lambda d: dates.human(d, config.date_format),
            isodate=dates.iso, rfc822=dates.rfc822,
            truncate_words=_truncate_words,
            jsonld=self.article_jsonld, jsonld_breadcrumbs=self.breadcrumbs_jsonld)
        self.env.globals.update(site=config, urls=urls, topics=dict(topics),
                                sources=dict(sources),
                                search_url=urls.search() if config.search else None)

    def template_dirs(self) -> list[Path]:
        """Template folders in lookup order (for the cache's fingerprint of the theme)."""
        dirs = [self.config.templates_dir] + [folder / "templates" for folder in self.chain]
        return [d for d in dirs if d.is_dir()]

    def static_dirs(self) -> list[Path]:
        """Static folders in copy order: later ones override earlier files."""
        dirs = [folder / "static" for folder in reversed(self.chain)]
        dirs.append(self.config.static_dir)
        return [d for d in dirs if d.is_dir()]

    def abs_url(self, url: str) -> str:
        return urls.absolute(self.config.base_url, url)

    def render(self, job: RenderJob) -> bytes:
        """The bytes of one output file. Raises Jinja2 errors for the caller to report."""
        if job.kind == "404":   # served at any path: links must not be relative
            link = lambda target: urls.base_path(self.config.base_url) + target  # noqa: E731
        else:
            link = partial(urls.relative, job.url)
        template = self.env.get_template(job.template)
        text = template.render(**job.context, page_url=job.url, url=link, abs_url=self.abs_url)
        return text.encode("utf-8")

    def article_jsonld(self, article: Article) -> jinja2.filters.Markup:
        """schema.org NewsArticle for an article page."""
        url = self.abs_url(urls.article(article.date, article.slug))
        data: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": article.title[:110], "description": article.summary,
            "datePublished": dates.iso(article.date),
            "dateModified": dates.iso(article.updated or article.date),
            "url": url, "mainEntityOfPage": url,
        }
        if article.dateline:
            data["dateline"] = article.dateline
        if article.source:
            data["publisher"] = {"@type": "Organization", "name": article.source}
        if article.source_url:
            data["isBasedOn"] = article.source_url
        topic_names = [self.env.globals["topics"][t].name for t in article.topics
                       if t in self.env.globals["topics"]]
        if topic_names:
            data["keywords"] = topic_names
        return json_for_script(data)

    def breadcrumbs_jsonld(self, crumbs: Iterable[tuple[str, str]]) -> jinja2.filters.Markup:
        """schema.org BreadcrumbList from ``(name, site-relative url)`` pairs."""
        items = [{"@type": "ListItem", "position": i, "name": name, "item": self.abs_url(url)}
                 for i, (name, url) in enumerate(crumbs, start=1)]
        return json_for_script({"@context": "https://schema.org", "@type": "BreadcrumbList",
                                "itemListElement": items})


def _truncate_words(text: str, count: int) -> str:
    words = (text or "").split()
    return text if len(words) <= count else " ".join(words[:count]) + "…"


def template_error(exc: Exception, job: RenderJob):
    """A diagnostic for a template that failed to load or render."""
    file = getattr(exc, "filename", None) or job.template
    line = getattr(exc, "lineno", None)
    if line is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".txt")):
                file, line = frame.filename, frame.lineno
                break
    return error(str(file), f"template error while rendering /{job.url}: "
                 f"{type(exc).__name__}: {exc}", line=line,
                 hint="fix the template; the previous site was left in place")
