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
