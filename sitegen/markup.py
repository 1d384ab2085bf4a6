"""Markdown to safe HTML: one configured Python-Markdown converter plus an nh3 allow-list.

Seeds are scraped from the open web, so whatever HTML they carry (``<script>``, event
attributes, ``javascript:`` links, iframes, forms, styles) is removed here, before any
template sees the body.
"""

from __future__ import annotations

import hashlib
import re

import markdown
import nh3

EXTENSIONS = ("tables", "fenced_code", "def_list", "abbr", "sane_lists")

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "time": {"datetime"},
    "*": {"lang", "dir"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

SETTINGS_KEY = hashlib.blake2b(repr((
    markdown.__version__, getattr(nh3, "__version__", ""), EXTENSIONS, sorted(ALLOWED_TAGS),
    sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items()), sorted(URL_SCHEMES), 2,
)).encode(), digest_size=8).hexdigest()
"""Changes whenever rendering the same Markdown could give other HTML (cache key)."""

_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.I)
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")


def _demote_headings(html: str) -> str:
    """The page title is the only ``<h1>``: body headings shift so the highest is ``<h2>``
    (a body that starts at ``##`` keeps its levels; no level is skipped under the title)."""
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if not levels:
        return html
    shift = 2 - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", html)


class Markup:
    """Renders Markdown bodies to sanitised HTML. Not thread-safe: one per worker."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=list(EXTENSIONS), output_format="html")
        self._cleaner = nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer",
            set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
            strip_comments=True,
        )

    def sanitize(self, html: str) -> str:
        """Keep only the allow-listed tags, attributes and URL schemes."""
        return self._cleaner.clean(html)

    def render(self, text: str) -> str:
        """Markdown (possibly holding raw HTML) to sanitised HTML."""
        html = self._md.reset().convert(text)
        clean = self.sanitize(_demote_headings(html))
        return _IMG_WITHOUT_ALT.sub('<img alt=""', clean).strip()
