"""The dev server, driven over HTTP: a real ``python -m sitegen serve`` in a subprocess on
127.0.0.1, real edits on disk, every wait bounded."""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, USER_SEED, Site
from sitegen.build import build_site
from sitegen.config import load_config
from sitegen.errors import error
from sitegen.model import BuildResult
from sitegen.server import (SiteState, content_type, error_overlay, error_page, inject,
                            is_loopback)
from sitegen.watcher import Outcome

WAIT = 15.0
FIRST_URL = "/2024/03/05/first-story/"
SECOND_URL = "/2024/03/06/second-story/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str


class Served:
    """A running ``sitegen serve`` and helpers to talk to it."""

    def __init__(self, site: Site):
        self.site = site
        self.port = free_port()
        self.log = site.root.parent / f"serve-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sitegen", "serve", "--port", str(self.port),
                 "--config", str(site.root / "site.yaml")],
                stdout=log, stderr=subprocess.STDOUT, cwd=site.root)
        self.wait_for("/", lambda r: r.status == 200, "the server never answered")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, method: str = "GET") -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                         body.decode("utf-8", errors="replace"))
        finally:
            conn.close()

    def wait_for(self, path: str, check, message: str) -> Reply:
        deadline = time.monotonic() + WAIT
        last = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server died:\n{self.output()}"
            try:
                last = self.get(path)
                if check(last):
                    return last
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"{message} (last reply: {last and (last.status, last.text[:300])})\n"
                    f"{self.output()}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"the server did not stop on signal {sig}:\n{self.output()}")
        return self.proc.returncode


def make_site(root: Path) -> Site:
    site = Site(root)
    site.write("site.yaml", MINIMAL_CONFIG)
    site.page("2024/03/first.md", title="First story", date="2024-03-05",
              body="The first body.", id="first", slug="first-story")
    site.page("2024/03/second.md", title="Second story", date="2024-03-06",
              body="The second body.", id="second")
    site.write("static/extra.css", "body { color: black }\n")
    return site


@pytest.fixture
def served(tmp_path):
    server = Served(make_site(tmp_path / "site"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that only read."""
    server = Served(make_site(tmp_path_factory.mktemp("shared") / "site"))
    yield server
    server.stop()


# --- read-only: one server ------------------------------------------------------------------

def test_served_html_has_the_reload_script_but_the_output_does_not(shared):
    page = shared.get(FIRST_URL)
    assert page.status == 200 and "First story" in page.text
    assert "livereload.js" in page.text
    assert page.text.index("data-sitegen-livereload") < page.text.lower().index("</head>")
    for written in shared.site.public.rglob("*.html"):
        assert "livereload" not in written.read_text(encoding="utf-8"), written
    script = shared.get("/livereload.js")
    assert script.status == 200 and "LiveReload" in script.text
    assert shared.get("/.sitegen/epoch").text.isdigit()


def test_content_types(shared):
    expected = {"/": "text/html; charset=utf-8",
                FIRST_URL: "text/html; charset=utf-8",
                "/feed.xml": "application/xml; charset=utf-8",
                "/atom.xml": "application/xml; charset=utf-8",
                "/sitemap.xml": "application/xml; charset=utf-8",
                "/static/extra.css": "text/css; charset=utf-8",
                "/static/favicon.svg": "image/svg+xml",
                "/robots.txt": "text/plain; charset=utf-8"}
    for path, kind in expected.items():
        reply = shared.get(path)
        assert reply.status == 200, path
        assert reply.headers["content-type"] == kind, path
    assert "livereload" not in shared.get("/feed.xml").text
    head = shared.get(FIRST_URL, method="HEAD")
    assert head.status == 200 and head.text == "" and int(head.headers["content-length"]) > 0


def test_folders_redirect_to_their_slash_and_404_uses_the_sites_page(shared):
    moved = shared.get(FIRST_URL.rstrip("/"))
    assert moved.status == 301 and moved.headers["location"] == FIRST_URL
    missing = shared.get("/no/such/page/")
    assert missing.status == 404
    assert missing.text == shared.get("/404.html").text   # the site's page, script included
    assert "livereload.js" in missing.text
    assert shared.get("/.sitegen-output").status == 404


@pytest.mark.parametrize("path", [
    "/../site.yaml", "/../../../../etc/passwd", "/%2e%2e/site.yaml", "/static/%2E%2E/%2e%2e/site.yaml",
    "/static/..%2f..%2fsite.yaml", "/%2e%2e%2f%2e%2e%2fsite.yaml", "/..\\site.yaml", "/a/%00/b"])
def test_requests_cannot_leave_the_output_folder(shared, path):
    reply = shared.get(path)
    assert reply.status in (400, 403, 404)
    assert "Test News" not in reply.text   # site.yaml's title never leaks


def test_symlinks_cannot_leave_the_output_folder(shared):
    link = shared.site.public / "escape"
    try:
        link.symlink_to(shared.site.root, target_is_directory=True)
    except OSError:
        pytest.skip("no symlinks here")
    try:
        reply = shared.get("/escape/site.yaml")
        assert reply.status == 403 and "Test News" not in reply.text
    finally:
        link.unlink()


# --- live changes: a server each ------------------------------------------------------------

def test_an_edit_is_served_and_open_tabs_are_told_to_reload(served):
    async def listen() -> list[dict]:
        from tornado.websocket import websocket_connect
        socket = await websocket_connect(f"ws://127.0.0.1:{served.port}/livereload")
        socket.write_message(json.dumps({"command": "hello",
                                         "protocols": ["http://livereload.com/protocols/official-7"]}))
        hello = json.loads(await asyncio.wait_for(socket.read_message(), WAIT))
        assert hello["command"] == "hello"
        served.site.page("2024/03/first.md", title="First story, corrected", date="2024-03-05",
                         body="The first body.", id="first", slug="first-story")
        message = json.loads(await asyncio.wait_for(socket.read_message(), WAIT))
        socket.close()
        return [hello, message]

    epoch = int(served.get("/.sitegen/epoch").text)
    _, reload_message = asyncio.run(listen())
    assert reload_message == {"command": "reload", "path": "*", "liveCSS": True, "liveImg": True}
    page = served.get(FIRST_URL)
    assert "First story, corrected" in page.text
    assert int(served.get("/.sitegen/epoch").text) > epoch
    assert "First story, corrected" in served.get("/").text


def test_a_retitled_article_moves_to_its_new_url(served):
    """The slug follows the title: the page moves, the old URL is gone, the home page and
    the sitemap point to the new one (the quick rebuild that moves it)."""
    moved = "/2024/03/06/second-story-retitled/"
    served.site.page("2024/03/second.md", title="Second story, retitled", date="2024-03-06",
                     body="The second body.", id="second")
    page = served.wait_for(moved, lambda r: r.status == 200, "the moved page never came")
    assert "Second story, retitled" in page.text
    assert served.get(SECOND_URL).status == 404
    assert 'href="2024/03/06/second-story-retitled/"' in served.get("/").text
    sitemap = served.get("/sitemap.xml").text
    assert "/2024/03/06/second-story-retitled/" in sitemap and "/second-story/" not in sitemap


def test_broken_front_matter_shows_an_error_page_until_it_is_fixed(served):
    served.site.write("content/2024/03/first.md",
                      "---\ntitle: First story\ndate: 2024-03-05\nid: first\nslug: first-story\n"
                      "topics: [unclosed <script>alert(1)</script>\n---\n\nBody.\n")
    broken = served.wait_for(FIRST_URL, lambda r: "sitegen-error-page" in r.text,
                             "no error page for the broken page")
    assert "content/2024/03/first.md:" in broken.text
    assert "<script>alert(1)" not in broken.text          # escaped
    assert "livereload.js" in broken.text                  # so fixing it reloads the tab
    other = served.get(SECOND_URL)
    assert other.status == 200 and "Second story" in other.text
    assert "sitegen-error-overlay" in other.text and "content/2024/03/first.md:" in other.text
    assert "content/2024/03/first.md:" in served.output()  # the terminal says the same
    served.site.page("2024/03/first.md", title="First story, fixed", date="2024-03-05",
                     body="The first body.", id="first", slug="first-story")
    fixed = served.wait_for(FIRST_URL, lambda r: "First story, fixed" in r.text,
                            "the fixed page never came back")
    assert fixed.status == 200 and "sitegen-error" not in fixed.text
    assert "sitegen-error" not in served.get(SECOND_URL).text


def test_a_bad_site_yaml_is_shown_and_the_last_site_kept(served):
    served.site.write("site.yaml", MINIMAL_CONFIG + "per_page: 3\n")
    broken = served.wait_for("/", lambda r: "sitegen-error-overlay" in r.text,
                             "no error overlay for the bad site.yaml")
    assert "per_page" in broken.text and "First story" in broken.text
    served.site.write("site.yaml", "title: Renamed News\nbase_url: https://example.org/\n")
    served.wait_for("/", lambda r: "Renamed News" in r.text and "sitegen-error" not in r.text,
                    "the fixed site.yaml was not picked up")


def test_seeds_appear_and_deleted_articles_leave(served):
    served.site.root.joinpath("seeds").mkdir()
    shutil.copy2(USER_SEED, served.site.root / "seeds" / USER_SEED.name)
    served.wait_for("/", lambda r: "Blinken" in r.text, "the new seed never appeared")
    (served.site.root / "content/2024/03/second.md").unlink()
    served.wait_for("/", lambda r: "Second story" not in r.text,
                    "the deleted article is still on the home page")
    assert served.get(SECOND_URL).status == 404
    assert "Second story" not in served.get("/feed.xml").text


def test_sigint_stops_the_server_promptly_and_cleanly(served):
    children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == served.proc.pid]
    assert children == []
    started = time.monotonic()
    assert served.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 5
    with pytest.raises(OSError):
        served.get("/")
    assert "Stopping" in served.output() and "Traceback" not in served.output()


def test_sigterm_stops_the_server(served):
    assert served.stop(signal.SIGTERM) == 0


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


# --- the parts, without a process --------------------------------------------------------------

def test_only_css_changes_reload_stylesheets_alone(site):
    site.page("2024/03/a.md")
    state = SiteState(site.public)
    config = load_config(site.root / "site.yaml")
    full = build_site(config)
    assert state.apply(Outcome(full), site.public) == ["*"]
    css = BuildResult(changed=("static/extra.css", "static/style.css"))
    assert state.apply(Outcome(css), site.public) == ["/static/extra.css", "/static/style.css"]
    assert state.apply(Outcome(BuildResult(changed=())), site.public) is None
    problem = error("content/a.md", "bad", line=3)
    assert state.apply(Outcome(BuildResult(changed=()), (problem,)), site.public) == ["*"]
    assert state.apply(Outcome(css, (problem,)), site.public) == ["/static/extra.css",
                                                                   "/static/style.css"]
    assert state.apply(Outcome(BuildResult(changed=())), site.public) == ["*"]  # error gone
    assert state.epoch == 5


def test_error_display_escapes_everything():
    problem = error("content/<b>.md", "<script>alert('x')</script> & more", line=7, column=2,
                    hint="use \"quotes\" <i>")
    for shown in (error_overlay([problem]).decode(), error_page([problem], "/<x>/").decode()):
        assert "content/&lt;b&gt;.md:7:2" in shown
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in shown
        assert "<script>" not in shown and "<i>" not in shown and "<b>" not in shown


def test_inject_places_script_and_overlay():
    page = b"<html><HEAD><title>t</title></HEAD><body><p>x</p></BODY></html>"
    out = inject(page, b"<script>S</script>", b"<div>O</div>")
    assert out == (b"<html><HEAD><title>t</title><script>S</script></HEAD><body><p>x</p>"
                   b"<div>O</div></BODY></html>")
    assert inject(b"<p>bare</p>", b"<s>") == b"<s><p>bare</p>"


def test_loopback_and_types():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    assert not is_loopback("example.org")
    assert content_type("a/feed.xml") == "application/xml; charset=utf-8"
    assert content_type("x.woff2") == "font/woff2"
    assert content_type("x.unknownext") == "application/octet-stream"
