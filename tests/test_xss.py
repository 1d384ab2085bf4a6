"""Known XSS payloads in every field of seeds and content pages: nothing executable is published.

One site is built (through the real CLI) with every payload placed in every field a curator or
a scraper controls; then every output file is parsed (HTML with html.parser, feeds with
xml.etree and feedparser) and checked for anything a browser or feed reader would run.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
import yaml

from conftest import Site

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</script><script>alert(1)</script>",
    "</SCRIPT ><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "]]><script>alert(1)</script><![CDATA[",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(1)\" x=\"",
    "' onfocus='alert(1)' autofocus='",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" srcset=\"javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<input onfocus=alert(1) autofocus>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"https://ok.example/\" onclick=\"alert(1)\">ok</a>",
    "[click](javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](JAVASCRIPT:alert(1) \"t\")",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[ref][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
    "<applet code=\"x\"></applet>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<p style=\"x:expression(alert(1))\">ie</p>",
    "<form action=\"https://evil.example\"><input name=p><button formaction=javascript:alert(1)>go</button></form>",
    "<isindex action=javascript:alert(1) type=image>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"0\" y=\"20\">x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">CLICK</math>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=\"import\" href=\"https://evil.example/x.html\">",
    "<template><script>alert(1)</script></template>",
    "\u2028\u2029</script><script>alert(1)</script>",
    "{{ 7*7 }} {% raw %}<script>alert(1)</script>{% endraw %}",
]

URL_PAYLOADS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https://example.org/\"onmouseover=\"alert(1)",
    "https://example.org/'><script>alert(1)</script>",
    "https://example.org/</script><script>alert(1)</script>",
    "https://example.org/a?b=<img src=x onerror=alert(1)>",
]

FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
                  "button", "textarea", "select", "style", "base", "svg", "math", "template",
                  "noscript", "isindex", "video", "audio", "source", "body"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "xlink:href", "srcset",
                  "background", "cite", "lowsrc", "dynsrc", "codebase", "ping", "srcdoc"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "livescript:")
_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_NOISE = re.compile(r"[\t\n\r]")


def bad_url(value: str) -> bool:
    """Whether a browser would run ``value`` as a URL: it strips C0 controls and spaces at
    both ends and tab/CR/LF anywhere before looking at the scheme."""
    return _URL_NOISE.sub("", _EDGES.sub("", value)).lower().startswith(BAD_SCHEMES)


class ExecutableMarkup(HTMLParser):
    """Collects every construct of an HTML document a browser could execute, each as
    ``<tag attr="value" ...>: reason`` so that the theme's own elements can be told apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[tuple[str, str]] = []
        self._script: tuple[str, list[str]] | None = None
        self.opened_scripts = 0

    def handle_starttag(self, tag, attrs):
        self.check_tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.check_tag(tag, attrs)

    def check_tag(self, tag, attrs):
        attributes = dict(attrs)
        signature = "<" + " ".join([tag] + [f"{k}={v!r}" for k, v in attrs]) + ">"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"{signature}: forbidden element")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"{signature}: meta http-equiv")
        if tag == "link" and (attributes.get("rel") or "").lower() in ("import", "preload", "modulepreload"):
            self.problems.append(f"{signature}: link that loads code")
        if tag == "script":
            self.opened_scripts += 1
            self._script = (signature, [])
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{signature}: event handler")
            if name == "style":
                self.problems.append(f"{signature}: style attribute")
            if name in URL_ATTRIBUTES and value is not None and bad_url(value):
                self.problems.append(f"{signature}: script URL")

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None


def executable_markup(html: str) -> list[str]:
    """Every executable thing in an HTML document or fragment (empty list when safe)."""
    parser = ExecutableMarkup()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    for signature, text in parser.scripts:
        if signature != "<script type='application/ld+json'>":
            problems.append(f"{signature}: script")
            continue
        if "</script" in text.lower() or "<!--" in text:
            problems.append("JSON-LD that breaks out of its <script>")
        try:
            json.loads(text)
        except ValueError:
            problems.append("JSON-LD that is not JSON")
    raw_scripts = len(re.findall(r"<script\b", html, re.I))
    if raw_scripts != parser.opened_scripts:
        problems.append(f"{raw_scripts} '<script' in the text but {parser.opened_scripts} parsed")
    return problems


def test_the_checker_catches_what_it_must():
    """The checker itself: it must fail on each kind of executable markup."""
    assert executable_markup("<p>fine <a href='https://x.org'>x</a></p>") == []
    for bad in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                "<a href=' jav\tascript:alert(1)'>x</a>", "<a href='&#106;avascript:x'>x</a>",
                "<iframe></iframe>", "<form></form>", "<style></style>", "<svg></svg>",
                '<script type="application/ld+json">{"a":"</script>"}</script>',
                '<script type="application/ld+json">{oops}</script>', "<p style='x'>"):
        assert executable_markup(bad), bad


def _page(meta: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


def _seed(title: str, caption: str, body: str, url: str, publisher: str) -> str:
    return f"# *{title}*\n---\n**{caption}**\nMADRID, March 5 (Reuters) - {body}\n\nMore text here.\n" \
           f"---\n<{url}>\n**{publisher}**\n"


def hostile_site(site: Site, full_content: bool) -> Site:
    site.write("site.yaml", "title: XSS test\nbase_url: https://example.org/news/\n"
                            f"feeds:\n  full_content: {str(full_content).lower()}\n")
    for n, payload in enumerate(PAYLOADS):
        meta = {
            "id": f"urn:x:{n}:{payload}", "title": f"{payload} t{n}", "date": f"2024-03-{1 + n % 28:02d}",
            "subtitle": payload, "summary": payload, "source": f"{payload} s{n % 5}",
            "source_url": URL_PAYLOADS[n % len(URL_PAYLOADS)], "dateline": payload,
            "agency": payload, "topics": [payload, f"t{n % 4}", "world"],
            "custom": payload, "byline": {"name": payload, "links": [payload]},
        }
        site.write(f"content/2024/03/p{n}.md", _page(meta, f"Intro {n}.\n\n{payload}\n\nAfter {n}."))
        site.write(f"content/2024/04/slug{n}.md", _page(
            {"title": f"Slug {n}", "date": "2024-04-01", "slug": payload, "id": f"urn:slug:{n}"}, "x"))
        url = URL_PAYLOADS[n % len(URL_PAYLOADS)]
        if n % 2:
            url = f"https://example.org/seed/{n}"
        site.write(f"seeds/s{n:02d}.txt", _seed(f"{payload} seed{n}", payload, payload, url,
                                                 payload.replace("\n", " ")))
    for n, url in enumerate(URL_PAYLOADS):
        site.write(f"content/2024/05/u{n}.md", _page(
            {"title": f"URL {n}", "date": "2024-05-01", "source_url": url, "source": "S",
             "id": f"urn:url:{n}"}, f"[link]({url}) <a href=\"{url}\">raw</a>"))
    return site


def benign_site(site: Site, full_content: bool) -> Site:
    """The same shapes of input with harmless text: what the theme itself puts in a page."""
    site.write("site.yaml", "title: XSS test\nbase_url: https://example.org/news/\n"
                            f"feeds:\n  full_content: {str(full_content).lower()}\n")
    for n in range(3):
        meta = {"id": f"urn:x:{n}", "title": f"Plain {n}", "date": f"2024-03-{1 + n:02d}",
                "subtitle": "Sub", "summary": "Sum", "source": f"Source {n}",
                "source_url": f"https://example.org/{n}", "dateline": "Madrid", "agency": "AP",
                "topics": [f"t{n}", "world"], "custom": "c"}
        site.write(f"content/2024/03/p{n}.md", _page(meta, f"Intro {n}.\n\n[a](https://x.org) ![i](i.png)"))
    return site


_UP = re.compile(r"(?<=')(?:\.\./|\./)+")


def page_problems(path: Path) -> Counter:
    """Executable constructs of one output page, with relative links made depth-free."""
    return Counter(_UP.sub("", p) for p in executable_markup(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module", params=[False, True], ids=["summaries", "full-content"])
def built(request, tmp_path_factory) -> tuple[Site, Counter]:
    """The hostile site, and what the theme's own pages hold (most of each per page)."""
    base = tmp_path_factory.mktemp("xss")
    plain = benign_site(Site(base / "plain"), full_content=request.param)
    assert plain.run("build").code == 0
    theme_owns: Counter = Counter()
    for page in plain.public.rglob("*.html"):
        theme_owns |= page_problems(page)
    site = hostile_site(Site(base / "site"), full_content=request.param)
    result = site.run("build", "--drafts")
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert result.code in (0, 1), result.err
    return site, theme_owns


def test_the_hostile_site_was_built(built):
    built, _ = built
    articles = list(built.public.glob("2024/0[35]/[0-3][0-9]/*/index.html"))
    assert len(articles) == len(PAYLOADS) + len(URL_PAYLOADS)
    assert len(list(built.root.glob("content/20*/*/*.md"))) > 2 * len(PAYLOADS)   # seeds imported


def test_no_html_file_holds_executable_markup(built):
    built, theme_owns = built
    found = {}
    pages = sorted(built.public.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        problems = page_problems(page) - theme_owns
        if problems:
            found[page.relative_to(built.public).as_posix()] = problems
    assert found == {}


def test_article_json_ld_parses_and_keeps_the_text(built):
    built, _ = built
    page = built.read("2024/03/04/script-script-alert-1-script-t3/index.html")
    parser = ExecutableMarkup()
    parser.feed(page)
    [article] = [json.loads(t) for kind, t in parser.scripts if '"NewsArticle"' in t]
    assert article["headline"].startswith("</script><script>alert(1)</script>")


def _feed_html_parts(path: Path) -> list[str]:
    """Texts of a feed that readers treat as HTML: RSS description, Atom html content/summary."""
    root = ElementTree.parse(path).getroot()       # raises on an ill-formed feed
    parts = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "description" or (tag in ("content", "summary", "title")
                                     and element.get("type") in ("html", "xhtml")):
            parts.append(element.text or "")
        for name, value in element.attrib.items():
            if name in ("href", "src") and bad_url(value):
                parts.append(f"<a href='{value}'>")
    return parts


def test_no_feed_holds_executable_markup(built):
    built, _ = built
    feeds = sorted(built.public.rglob("*.xml"))
    assert len(feeds) > 20
    found = {}
    for feed in feeds:
        problems = [p for part in _feed_html_parts(feed) for p in executable_markup(part)]
        if feed.name != "sitemap.xml":
            parsed = feedparser.parse(feed.read_bytes())
            if parsed.bozo:
                problems.append(f"feedparser: {parsed.bozo_exception}")
        if problems:
            found[feed.relative_to(built.public).as_posix()] = problems
    assert found == {}


def test_hostile_text_survives_as_text(built):
    built, _ = built
    """Escaping, not deleting: a reader sees the headline as the curator wrote it."""
    parser_text = built.read("2024/03/14/img-src-x-onerror-alert-1-t13/index.html")
    assert "&lt;img src=x onerror=alert(1)&gt; t13" in parser_text
