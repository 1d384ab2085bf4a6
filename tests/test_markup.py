"""Markdown rendering and sanitising: what a seed or page holds never executes in the site."""

import pytest

from sitegen.markup import Markup

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>",
    "<iframe src='https://evil.example'></iframe>",
    "<object data='x.swf'></object><embed src='x.swf'>",
    "<style>body{display:none}</style>",
    "<form action='https://evil.example'><input name=p></form>",
    "<svg onload=alert(1)>",
    "<div style='background:url(javascript:alert(1))' onclick='x()'>t</div>",
]


@pytest.fixture(scope="module")
def markup():
    return Markup()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markup_is_removed(markup, payload):
    html = markup.render(f"Text before.\n\n{payload}\n\nText after.").lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "data:", "<iframe",
                "<object", "<embed", "<style", "<form", "<input", "<svg", "style="):
        assert bad not in html
    assert "text after" in html


def test_markdown_features(markup):
    html = markup.render("# Heading\n\n**bold** and [link](https://example.org)\n\n"
                         "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n- one\n- two\n")
    assert "<h2>Heading</h2>" in html           # the page title is the only h1
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html
    assert "<table>" in html and "<blockquote>" in html and "<li>one</li>" in html


def test_images_always_have_alt_and_load_lazily(markup):
    html = markup.render("![](pic.png) and ![A cat](cat.png)")
    assert html.count('alt="') == 2 and 'alt="A cat"' in html
    assert html.count('loading="lazy"') == 2


def test_body_headings_start_at_h2_and_skip_no_level(markup):
    html = markup.render("## Section\n\nText.\n\n### Detail\n\nMore.")
    assert "<h2>Section</h2>" in html and "<h3>Detail</h3>" in html and "<h1" not in html


# The converter skips an inline pattern or block processor where its syntax cannot occur (a
# speed-up): wherever the syntax is used it must still apply, and the HTML must be exactly what
# the plain Python-Markdown converter gives.

SYNTAX = {
    "| a | b |\n|---|:-:|\n| 1 | 2 |": "<td>1</td>",
    "a | b\n--|--\n1 | 2": "<th>a</th>",
    "Term\n: Definition": "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>",
    "The HTML spec.\n\n*[HTML]: Hyper Text Markup Language": '<abbr title="Hyper Text Markup Language">HTML</abbr>',
    "See [the site][ref].\n\n[ref]: https://example.org \"T\"": 'href="https://example.org"',
    "> quoted": "<blockquote>",
    "# Title": "<h2>Title</h2>",
    "Title\n=====\n\nSub\n---": "<h3>Sub</h3>",
    "a\n\n* * *\n\nb": "<hr>",
    "a `x < y` b": "<code>x &lt; y</code>",
    r"\*not em\*": "*not em*",
    "AT&amp;T &copy;": "&amp;T",
    "line  \nbreak": "<br>",
    "<https://example.org/a>": '<a href="https://example.org/a"',
    "**strong** and _em_": "<strong>strong</strong> and <em>em</em>",
    "![alt](pic.png)": 'alt="alt"',
}


@pytest.mark.parametrize("text", SYNTAX)
def test_each_syntax_still_renders(markup, text):
    assert SYNTAX[text] in markup.render(text)


def test_screened_converter_gives_the_plain_converters_html(markup):
    import random

    import markdown

    from sitegen.markup import EXTENSIONS

    plain = markdown.Markdown(extensions=list(EXTENSIONS), output_format="html")
    pieces = [*SYNTAX, "[ref]", "[a][ref]", "![i][ref]", "<b>x</b>", "<div>\nblock\n</div>", "tab\there",
              "cr\r\nlf\rx", "- a\n- b", "1. one\n2. two", "    code", "```\n<b>\n```", ": x", "a: b",
              "|", "*[", "]:", "#", "<", "\\", "*", "_", "[", "`", "&", "\t", "word", "<me@example.org>",
              "<!-- c -->", "  - nested\n    - deeper", "Term\n:   def\n\n    more", "snake_case_name",
              "~~~\ncode\n~~~", "````\nx\n````", "~~", "``", " \n", "   \n", "\x02", "\x03", "&#39;",
              "AT&T", "&amp", "&#39 x", "&#x27", "<b", "a<b", "old\rmac",
              "2. two\n:   def\n\t- tab\n\n    indented"]   # a list inside a definition
    rng = random.Random(5)
    for text in pieces:
        assert markup._md.reset().convert(text) == plain.reset().convert(text), text
    for _ in range(800):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "\n", "\n\n", "  \n", "\t"])
                       for _ in range(rng.randint(1, 10)))
        assert markup._md.reset().convert(text) == plain.reset().convert(text), text


def test_screens_cover_this_python_markdown(markup):
    """Every inline pattern and the listed block processors are screened (else the speed-up is lost)."""
    from sitegen.markup import _BLOCK_NEEDS, _BLOCK_STARTS, _INLINE_NEEDS, _block_key

    md = markup._md
    assert type(md.treeprocessors["inline"]).__name__ == "_ScreenedInlineProcessor"
    assert type(md.parser).__name__ == "_ScreenedBlockParser"
    assert all(p.compiled_re.pattern in _INLINE_NEEDS for p in md.inlinePatterns)
    assert sum(_block_key(p) in _BLOCK_NEEDS for p in md.parser.blockprocessors) == len(_BLOCK_NEEDS)
    assert sum(_block_key(p) in _BLOCK_STARTS for p in md.parser.blockprocessors) == len(_BLOCK_STARTS)
    assert [type(p).__name__ for p in md.preprocessors] == \
        ["_NormalizeWhitespace", "_ScreenedPreprocessor", "_ScreenedPreprocessor"]


def test_image_hints_are_added_in_one_order_by_every_converter():
    """nh3 adds attributes in a random order; the hints are added after it, in one."""
    text = '![a](https://example.org/a.png) <img src="https://example.org/b.png" loading="eager">'
    outputs = {Markup().render(text) for _ in range(8)}
    assert len(outputs) == 1
    (html,) = outputs
    assert html.count('<img loading="lazy" decoding="async" alt=') == 2
    assert 'loading="eager"' not in html


def test_markdown_starts_without_loading_pygments():
    """A quick rebuild converts one body in a fresh process: Python-Markdown's fenced
    code imports codehilite, which would load Pygments (40 ms, a tenth of the rebuild)
    for highlighting sitegen never turns on. Pygments is not loaded, fenced code comes
    out as when it is, and it stays importable for whoever needs it."""
    import importlib.util
    import subprocess
    import sys
    text = "```python\nprint(1)\n```\n\n~~~\nx < y\n~~~\n\n    indented\n"
    script = ("import sys\n{first}from sitegen.markup import Markup\n"
              "html = Markup().render({text!r})\n"
              "print('pygments' in sys.modules)\nprint(html)\n")
    quick = subprocess.run([sys.executable, "-c", script.format(first="", text=text)],
                           capture_output=True, text=True, check=True).stdout
    loaded, html = quick.split("\n", 1)
    assert loaded == "False" and "<pre><code>print(1)" in html and "x &lt; y" in html
    if importlib.util.find_spec("pygments") is not None:
        first = "import pygments.lexers\n"
        with_it = subprocess.run([sys.executable, "-c", script.format(first=first, text=text)],
                                 capture_output=True, text=True, check=True).stdout
        assert with_it == "True\n" + html
        after = "from sitegen.markup import Markup\nMarkup()\nimport pygments.lexers\n"
        subprocess.run([sys.executable, "-c", after], check=True)
