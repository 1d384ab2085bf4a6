"""Markdown to safe HTML: one configured Python-Markdown converter plus an nh3 allow-list.

Seeds are scraped from the open web, so whatever HTML they carry (``<script>``, event
attributes, ``javascript:`` links, iframes, forms, styles) is removed here, before any
template sees the body.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import sys
from types import MappingProxyType

import markdown
import nh3
from markdown import util
from markdown.blockparser import BlockParser
from markdown.preprocessors import NormalizeWhitespace, Preprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

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
    sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items()), sorted(URL_SCHEMES), 4,
)).encode(), digest_size=8).hexdigest()
"""Changes whenever rendering the same Markdown could give other HTML (cache key)."""

_INLINE_NEEDS = MappingProxyType({
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("`",),                 # backtick
    r"\\(.)": ("\\",),                                                   # escape
    r"(?<!\!)\[": ("[",),                                                # link, references
    r"\!\[": ("![",),                                                    # images
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": ("<",),                    # autolink
    r"<([^<> !]+@[^@<> ]+)>": ("<",),                                   # automail
    r"  \n": ("  \n",),                                                  # linebreak
    (r"""(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|"""
     r"""[^\s"'=<>]++))?+)*+\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|"""
     r"""!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)"""): ("<",),      # html
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": ("&",),            # entity
    r"\*|_": ("*", "_"),                                                 # em_strong
})
"""Inline regex source -> substrings of which every match of it holds at least one. A regex
not listed (other Markdown version, extension) always runs."""

_BLOCK_NEEDS = MappingProxyType({
    ("markdown.extensions.tables", "TableProcessor", None): ("|",),  # a row splits on a pipe
    ("markdown.blockprocessors", "HashHeaderProcessor",
     r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)"): ("#",),
    ("markdown.blockprocessors", "SetextHeaderProcessor", r"^.*?\n(?:=+|-+)[ ]*(\n|$)"): ("\n=", "\n-"),
    ("markdown.blockprocessors", "HRProcessor",
     r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))(?P=atomicgroup)[ ]*$"):
        ("-", "_", "*"),
    ("markdown.extensions.def_list", "DefListProcessor", r"(^|\n)[ ]{0,3}:[ ]{1,3}(.*?)(\n|$)"): (": ",),
    ("markdown.blockprocessors", "BlockQuoteProcessor", r"(^|\n)[ ]{0,3}>[ ]?(.*)"): (">",),
    ("markdown.extensions.abbr", "AbbrBlockprocessor",
     r"^[*]\[(?P<abbr>[^\\]*?)\][ ]?:[ ]*\n?[ ]*(?P<title>.*)$"): ("*[",),
    ("markdown.blockprocessors", "ReferenceProcessor",
     r"""^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$"""):
        ("]:",),
})
"""(module, class, regex source) of a block processor -> substrings of which a block it takes
holds at least one. Its ``test`` is true (or, for abbr and reference, whose ``test`` is always
true, its ``run`` returns False and leaves the blocks as they were) only for such a block."""

_BLOCK_STARTS = MappingProxyType({
    ("markdown.blockprocessors", "EmptyBlockProcessor", None): "\n",        # or an empty block
    ("markdown.blockprocessors", "ListIndentProcessor", None): " ",          # four spaces
    ("markdown.extensions.def_list", "DefListIndentProcessor", None): " ",
    ("markdown.blockprocessors", "CodeBlockProcessor", None): " ",
    ("markdown.extensions.sane_lists", "SaneUListProcessor", r"^[ ]{0,3}[*+-][ ]+(.*)"): " *+-",
})
"""(module, class, regex source) of a block processor -> the characters a block it takes may
start with (an empty block passes): its ``test`` looks at the block's start only. Checked
in the parser's own loop, this spares a method call for each processor and block (five
of them, a dozen blocks a page)."""

_PRE_NEEDS = MappingProxyType({
    ("markdown.preprocessors", "HtmlBlockPreprocessor"): ("<", "&"),   # what HTMLParser acts on
    ("markdown.extensions.fenced_code", "FencedBlockPreprocessor"): ("```", "~~~"),
})
"""(module, class) of a preprocessor -> substrings of which a document it changes holds at
least one; on any other it gives back the lines it was given. Each ran a regex or a parser
over the whole document: 0.06-0.08 ms a page, with the whitespace rule below a third of
what converting a news article took."""


_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.I)
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")
_IMG = re.compile(r"<img(?=[\s/>])")
_IMG_HINTS = '<img loading="lazy" decoding="async"'
"""Added here, not by nh3, whose order of added attributes changes from run to run."""


def _demote_headings(html: str) -> str:
    """The page title is the only ``<h1>``: body headings shift so the highest is ``<h2>``
    (a body that starts at ``##`` keeps its levels; no level is skipped under the title)."""
    if "<h" not in html and "<H" not in html:
        return html
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if not levels:
        return html
    shift = 2 - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", html)


class _ScreenedInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, except that a pattern is not tried on a text holding none
    of the substrings its regex needs (see ``_INLINE_NEEDS``): there it could not match, and a
    pattern that does not match changes nothing, so the tree is the same."""

    def run(self, tree, ancestors=None):
        """Plan the patterns (the registry, in order, with what each needs), then run."""
        self._plan = [(p, _INLINE_NEEDS.get(getattr(p, "compiled_re", None) and p.compiled_re.pattern))
                      for p in self.inlinePatterns]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data, patternIndex=0):
        """``InlineProcessor.__handleInline`` with the screen (and no registry lookups)."""
        if not isinstance(data, AtomicString):
            apply = self._InlineProcessor__applyPattern
            plan = self._plan
            count = len(plan)
            start = 0
            while patternIndex < count:
                pattern, needs = plan[patternIndex]
                if needs is not None:
                    for need in needs:
                        if need in data:
                            break
                    else:
                        patternIndex, start = patternIndex + 1, 0     # as a failed match returns
                        continue
                data, matched, start = apply(pattern, data, patternIndex, start)
                if not matched:
                    patternIndex += 1
        return data


def _screen_inline(md: markdown.Markdown) -> None:
    """Swap in ``_ScreenedInlineProcessor`` if this Python-Markdown has the internals it
    overrides and the swap keeps the tree processors' order."""
    tps, old = md.treeprocessors, md.treeprocessors["inline"]
    if type(old) is not InlineProcessor or not all(
            hasattr(InlineProcessor, f"_InlineProcessor__{name}") for name in ("handleInline", "applyPattern")):
        return
    new, before = _ScreenedInlineProcessor(md), list(tps)
    tps.register(new, "inline", 20)
    if list(tps) != [new if t is old else t for t in before]:
        tps.register(old, "inline", 20)


class _ScreenedBlockParser(BlockParser):
    """Python-Markdown's block parser, except that while it parses a document it walks a list of
    the processors made once (not the registry per block) and skips a processor listed in
    ``_BLOCK_NEEDS`` for a block holding none of the substrings it needs, or in
    ``_BLOCK_STARTS`` for one starting with another character."""

    _plan = None

    def parseDocument(self, lines):
        """Plan the processors (in order, with what each needs), then parse as before."""
        keys = [(proc, _block_key(proc)) for proc in self.blockprocessors]
        self._plan = [(proc, _BLOCK_NEEDS.get(key), _BLOCK_STARTS.get(key)) for proc, key in keys]
        try:
            return super().parseDocument(lines)
        finally:
            self._plan = None

    def parseBlocks(self, parent, blocks):
        """``BlockParser.parseBlocks`` over the plan, with the screen."""
        plan = self._plan
        if plan is None:
            return super().parseBlocks(parent, blocks)
        while blocks:
            for proc, needs, starts in plan:
                block = blocks[0]
                if starts is not None and block and block[0] not in starts:
                    continue                        # its test would be false
                if needs is not None:
                    for need in needs:
                        if need in block:
                            break
                    else:
                        continue                    # its test would be false
                if proc.test(parent, blocks[0]) and proc.run(parent, blocks) is not False:
                    break
        return None


def _block_key(proc) -> tuple:
    """A block processor's key in ``_BLOCK_NEEDS``."""
    regex = getattr(proc, "SEARCH_RE", None) or getattr(proc, "RE", None)
    return type(proc).__module__, type(proc).__name__, getattr(regex, "pattern", None)


class _ScreenedPreprocessor(Preprocessor):
    """A preprocessor run only on a document holding one of the substrings it needs."""

    def __init__(self, inner: Preprocessor, needs: tuple[str, ...]):
        super().__init__(inner.md)
        self.inner, self.needs = inner, needs

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        for need in self.needs:
            if need in text:
                return self.inner.run(lines)
        return lines


# ``NormalizeWhitespace.run`` of Python-Markdown 3.5 to 3.11, word for word (no docstring,
# as there): compared with the installed one's code before _NormalizeWhitespace stands in.
def _stock_normalize(self, lines: list[str]) -> list[str]:
    source = '\n'.join(lines)
    source = source.replace(util.STX, "").replace(util.ETX, "")
    source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
    source = source.expandtabs(self.md.tab_length)
    source = re.sub(r'(?<=\n) +\n', '\n', source)
    return source.split('\n')


class _NormalizeWhitespace(NormalizeWhitespace):
    """``NormalizeWhitespace``, except that each rule runs only on a document it can change:
    its last (a regex opening with a lookbehind, which the engine tries at every position
    of the document: 0.1 ms a page) only where a space comes before a line end, and the
    copies made to drop control marks, carriage returns and tabs only where there are
    some."""

    def run(self, lines: list[str]) -> list[str]:
        source = '\n'.join(lines)
        if util.STX in source or util.ETX in source:
            source = source.replace(util.STX, "").replace(util.ETX, "")
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        source += "\n\n"
        if "\t" in source:
            source = source.expandtabs(self.md.tab_length)
        if " \n" in source:
            source = re.sub(r'(?<=\n) +\n', '\n', source)
        return source.split('\n')


def _same_code(a, b) -> bool:
    return all(getattr(a.__code__, name) == getattr(b.__code__, name)
               for name in ("co_code", "co_consts", "co_names", "co_varnames"))


def _screen_preprocessors(md: markdown.Markdown) -> None:
    """Swap in the screened preprocessors, where this Python-Markdown's are the ones they
    were written for; each keeps its name and priority, so the order stays."""
    registry = md.preprocessors
    priorities = {item.name: item.priority for item in getattr(registry, "_priority", ())}
    for name, priority in priorities.items():
        old = registry[name]
        if type(old) is NormalizeWhitespace and _same_code(old.run, _stock_normalize):
            registry.register(_NormalizeWhitespace(md), name, priority)
            continue
        needs = _PRE_NEEDS.get((type(old).__module__, type(old).__name__))
        if needs is not None:
            registry.register(_ScreenedPreprocessor(old, needs), name, priority)


def _extension_module(name: str):
    """The module of one of Python-Markdown's extensions. ``fenced_code`` imports
    ``codehilite``, which imports Pygments when it is installed (pytest brings it along):
    40 ms of a quick rebuild's 0.5 s, for highlighting that stays off while
    ``codehilite`` is not among :data:`EXTENSIONS`. So, unless Pygments is loaded
    already, ``codehilite`` is imported once with Pygments hidden from it."""
    if ("codehilite" not in EXTENSIONS and "pygments" not in sys.modules
            and "markdown.extensions.codehilite" not in sys.modules):
        sys.modules["pygments"] = None    # type: ignore[assignment]  # "not installed"
        try:
            importlib.import_module("markdown.extensions.codehilite")
        finally:
            del sys.modules["pygments"]
    return importlib.import_module(f"markdown.extensions.{name}")


class Markup:
    """Renders Markdown bodies to sanitised HTML. Not thread-safe: one per worker."""

    def __init__(self) -> None:
        # the extensions' modules by name: Python-Markdown would look the names up among
        # every installed package's entry points first (40 ms, once a process)
        self._md = markdown.Markdown(extensions=[
            _extension_module(name).makeExtension() for name in EXTENSIONS],
            output_format="html")
        _screen_inline(self._md)
        _screen_preprocessors(self._md)
        if type(self._md.parser) is BlockParser:
            self._md.parser.__class__ = _ScreenedBlockParser
        self._cleaner = nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )

    def sanitize(self, html: str) -> str:
        """Keep only the allow-listed tags, attributes and URL schemes."""
        return self._cleaner.clean(html)

    def render(self, text: str) -> str:
        """Markdown (possibly holding raw HTML) to sanitised HTML."""
        html = self._md.reset().convert(text)
        clean = self.sanitize(_demote_headings(html))
        if "<img" in clean:
            clean = _IMG.sub(_IMG_HINTS, _IMG_WITHOUT_ALT.sub('<img alt=""', clean))
        return clean.strip()
