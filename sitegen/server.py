"""The live-preview dev server behind ``python build.py serve``.

One port carries the pages and the livereload channel (``/livereload.js`` and the
``/livereload`` WebSocket of the livereload protocol, with the client script that ships with
the ``livereload`` package). The reload script is injected into every HTML response on the
way out; the files in the output folder are never touched.

A background thread watches the inputs (:mod:`sitegen.watcher`) and rebuilds. While a build
runs, requests wait (as in MkDocs' server), so a browser never sees a half-built site; after
it, the epoch is bumped and open tabs are told to reload: only stylesheets when only CSS
changed, otherwise the whole page. When a build reports errors, every HTML page carries an
overlay naming file, line and problem, and a page that is missing from the last build shows an
error page instead of the 404 page; the rest of the last good site stays served.

Layer 8: above ``build``; knows tornado/livereload and watchdog, never Jinja2.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import mimetypes
import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence
from urllib.parse import unquote

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .errors import Diagnostic
from .watcher import Outcome, Rebuilder, SiteWatcher, watch_and_build
from .writer import MARKER

LIVERELOAD_PROTOCOL = "http://livereload.com/protocols/official-7"
EPOCH_PATH = "/.sitegen/epoch"
REQUEST_WAIT_SECONDS = 60.0   # longest a request waits for a running build

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def content_type(name: str) -> str:
    """The Content-Type a static host would send for a file name."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- the build gate: requests wait while a build runs -----------------------------------------

class BuildGate:
    """A readers/writer gate: requests (readers) run together; a build (the writer) waits for
    the requests in flight, then holds new ones back until it has published."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._building = False

    @contextmanager
    def building(self) -> Iterator[None]:
        with self._cond:
            self._building = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._building = False
                self._cond.notify_all()

    @contextmanager
    def reading(self, timeout: float = REQUEST_WAIT_SECONDS) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._building, timeout=timeout)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @property
    def busy(self) -> bool:
        return self._building


# --- what the browser is shown --------------------------------------------------------------

def reload_snippet(epoch: int) -> bytes:
    """The script injected before ``</head>``: loads livereload.js from this server (same
    host and port as the page) and, once connected, reloads if a build finished meanwhile."""
    return (
        '<script data-sitegen-livereload>(function(){'
        f'var epoch={int(epoch)},d=document,s=d.createElement("script");'
        'var port=location.port||(location.protocol=="https:"?443:80);'
        's.src="//"+location.hostname+":"+port+"/livereload.js?port="+port;'
        'd.addEventListener("LiveReloadConnect",function(){'
        f'fetch("{EPOCH_PATH}",{{cache:"no-store"}}).then(function(r){{return r.text()}})'
        '.then(function(t){if(+t!==epoch)location.reload()}).catch(function(){})});'
        '(d.head||d.documentElement).appendChild(s);})();</script>'
    ).encode()


def _problem_items(problems: Sequence[Diagnostic]) -> str:
    items = []
    for problem in problems:
        where = problem.file or "site"
        if problem.line is not None:
            where += f":{problem.line}"
            if problem.column is not None:
                where += f":{problem.column}"
        hint = (f'<div style="opacity:.8">hint: {html.escape(problem.hint)}</div>'
                if problem.hint else "")
        items.append(f'<li style="margin:0 0 .8em"><code style="font-weight:bold">'
                     f'{html.escape(where)}</code>: {html.escape(problem.level)}: '
                     f'<span>{html.escape(problem.message)}</span>{hint}</li>')
    return "".join(items)


def _heading(problems: Sequence[Diagnostic]) -> str:
    count = len(problems)
    return f"sitegen: the last build found {count} error{'s' * (count != 1)}"


def error_overlay(problems: Sequence[Diagnostic]) -> bytes:
    """A box fixed over the page listing the build's errors (everything escaped)."""
    return (
        '<div id="sitegen-error-overlay" role="alert" style="position:fixed;left:0;right:0;'
        'bottom:0;max-height:50vh;overflow:auto;z-index:2147483647;margin:0;padding:1em 1.5em;'
        'background:#2b0b0e;color:#ffe5e5;font:14px/1.4 ui-monospace,monospace;'
        'border-top:4px solid #e5484d;white-space:pre-wrap">'
        '<button type="button" onclick="this.parentNode.remove()" aria-label="close" '
        'style="float:right;background:none;border:0;color:inherit;font-size:20px;'
        f'cursor:pointer">&times;</button><strong>{html.escape(_heading(problems))}</strong>'
        '<ul style="margin:.6em 0 0;padding-left:1.2em">'
        f'{_problem_items(problems)}</ul>'
        '<div style="opacity:.7">Fix the file and save; the page reloads by itself.</div></div>'
    ).encode()


def error_page(problems: Sequence[Diagnostic], path: str) -> bytes:
    """The page shown at a URL the last build did not produce while the build has errors."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<title>Build error - sitegen</title></head>'
        '<body style="margin:0;padding:2em;background:#2b0b0e;color:#ffe5e5;'
        'font:15px/1.5 ui-monospace,monospace">'
        f'<main id="sitegen-error-page"><h1 style="font-size:1.4em">'
        f'{html.escape(_heading(problems))}</h1>'
        f'<ul style="padding-left:1.2em;white-space:pre-wrap">{_problem_items(problems)}</ul>'
        f'<p style="opacity:.7">{html.escape(path)} is not in the last good build. '
        'Fix the file and save: this page reloads by itself.</p></main></body></html>'
    ).encode()


def inject(page: bytes, snippet: bytes, overlay: bytes = b"") -> bytes:
    """``page`` with ``snippet`` before ``</head>`` and ``overlay`` before ``</body>``."""
    match = _HEAD_END.search(page)
    if match:
        page = page[:match.start()] + snippet + page[match.start():]
    else:
        page = snippet + page
    if overlay:
        matches = list(_BODY_END.finditer(page))
        at = matches[-1].start() if matches else len(page)
        page = page[:at] + overlay + page[at:]
    return page


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class SiteState:
    """What the server shows: the output folder of the last build, its errors, the epoch
    (bumped whenever open tabs are told to reload). Requests read it, builds update it."""

    def __init__(self, output: Path, gate: BuildGate | None = None):
        self.output = output
        self.gate = gate or BuildGate()
        self.problems: tuple[Diagnostic, ...] = ()
        self.epoch = 0
        self._lock = threading.Lock()

    # -- after a build --

    def apply(self, outcome: Outcome, output: Path) -> list[str] | None:
        """Take a build's outcome; returns the paths to reload (``["*"]`` for a whole page)
        or None when nothing visible changed."""
        with self._lock:
            before, self.problems = self.problems, outcome.problems
            if outcome.result is not None and outcome.result.built:
                self.output = output
            changed = outcome.changed_outputs
            if outcome.problems != before:
                paths = ["*"]
            elif not changed:
                return None
            elif all(name.lower().endswith(".css") for name in changed):
                paths = ["/" + name for name in changed]
            else:
                paths = ["*"]
            self.epoch += 1
            return paths

    # -- answering a request --

    def respond(self, raw_path: str, query: str = "") -> Response:
        """Answer a GET for ``raw_path`` (percent-encoded, as on the request line)."""
        with self.gate.reading():
            with self._lock:
                output, problems, epoch = self.output, self.problems, self.epoch
            return self._respond(output, problems, epoch, raw_path, query)

    def _respond(self, output: Path, problems: tuple[Diagnostic, ...], epoch: int,
                 raw_path: str, query: str) -> Response:
        parts = _confined_parts(raw_path)
        if parts is None:
            return Response(403, b"Forbidden\n", {"Content-Type": "text/plain; charset=utf-8"})
        root = output.resolve()
        target = root.joinpath(*parts) if parts else root
        try:
            real = target.resolve()
        except (OSError, RuntimeError):
            real = None
        if real is None or not (real == root or root in real.parents):
            return Response(403, b"Forbidden\n", {"Content-Type": "text/plain; charset=utf-8"})
        if real.is_dir():
            if not raw_path.endswith("/"):
                location = raw_path + "/" + (f"?{query}" if query else "")
                return Response(301, b"", {"Location": location})
            real = real / "index.html"
        if parts and parts[-1] == MARKER or not real.is_file():
            return self._not_found(root, problems, epoch, raw_path)
        try:
            data = real.read_bytes()
        except OSError:
            return self._not_found(root, problems, epoch, raw_path)
        kind = content_type(real.name)
        if kind.startswith("text/html"):
            data = inject(data, reload_snippet(epoch), error_overlay(problems) if problems else b"")
        return Response(200, data, {"Content-Type": kind})

    def _not_found(self, root: Path, problems: tuple[Diagnostic, ...], epoch: int,
                   raw_path: str) -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if problems:
            page = error_page(problems, unquote(raw_path))
            return Response(404, inject(page, reload_snippet(epoch)), headers)
        page_404 = root / "404.html"
        try:
            page = page_404.read_bytes() if page_404.is_file() else None
        except OSError:
            page = None
        if page is None:
            page = b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>"
        return Response(404, inject(page, reload_snippet(epoch)), headers)


def _confined_parts(raw_path: str) -> list[str] | None:
    """The path's segments inside the output folder, or None when it tries to leave it."""
    path = raw_path.split("?", 1)[0]
    decoded = unquote(path, errors="strict") if "%" in path else path
    if "\x00" in decoded or "\\" in decoded or not decoded.startswith("/"):
        return None
    parts = [part for part in decoded.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    return parts


# --- the livereload channel -----------------------------------------------------------------

class ReloadHub:
    """The open livereload WebSockets of one server; used on the server's event loop only."""

    def __init__(self) -> None:
        self.sockets: set[WebSocketHandler] = set()

    def reload(self, paths: Sequence[str]) -> None:
        for path in paths:
            self.send({"command": "reload", "path": path, "liveCSS": True, "liveImg": True})

    def send(self, message: dict) -> None:
        text = json.dumps(message)
        for socket in list(self.sockets):
            try:
                socket.write_message(text)
            except WebSocketClosedError:
                self.sockets.discard(socket)

    def close_all(self) -> None:
        for socket in list(self.sockets):
            socket.close()
        self.sockets.clear()


class _ReloadSocket(WebSocketHandler):
    """The server side of the livereload protocol: answer ``hello``, then wait for reloads."""

    def initialize(self, hub: ReloadHub) -> None:
        self.hub = hub

    def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message).get("command")
        except (ValueError, AttributeError):
            return
        if command == "hello":
            self.write_message(json.dumps({"command": "hello", "protocols": [LIVERELOAD_PROTOCOL],
                                           "serverName": "sitegen"}))
            self.hub.sockets.add(self)

    def on_close(self) -> None:
        self.hub.sockets.discard(self)


class _Bytes(web.RequestHandler):
    """A fixed answer: the livereload client script, or the current epoch."""

    def initialize(self, body: Callable[[], bytes], kind: str) -> None:
        self.body, self.kind = body, kind

    def compute_etag(self) -> None:
        return None

    def get(self) -> None:
        self.set_header("Content-Type", self.kind)
        self.set_header("Cache-Control", "no-store")
        self.write(self.body())


class _Site(web.RequestHandler):
    """Every other path: a file of the output folder, through :meth:`SiteState.respond`."""

    def initialize(self, state: SiteState) -> None:
        self.state = state

    def compute_etag(self) -> None:
        return None

    async def get(self) -> None:
        await self._serve(body=True)

    async def head(self) -> None:
        await self._serve(body=False)

    async def _serve(self, body: bool) -> None:
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(None, self.state.respond, self.request.path,
                                              self.request.query)
        self.set_status(response.status)
        for name, value in response.headers.items():
            self.set_header(name, value)
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        if body:
            self.write(response.body)
        else:
            self.set_header("Content-Length", str(len(response.body)))


def livereload_client() -> bytes:
    """The livereload.js client that ships with the ``livereload`` package."""
    return (resources.files("livereload") / "vendors" / "livereload.js").read_bytes()


# --- the server -----------------------------------------------------------------------------

class DevServer:
    """Serves the output folder with live reload and rebuilds on changes until SIGINT/SIGTERM.

    ``on_outcome`` prints a rebuild's problems and summary; ``say`` prints a status line.
    """

    def __init__(self, rebuilder: Rebuilder, *, host: str = "127.0.0.1", port: int = 8000,
                 watcher_options: dict | None = None,
                 on_outcome: Callable[[Outcome], None] = lambda outcome: None,
                 say: Callable[[str], None] = print, log_requests: bool = False):
        self.rebuilder = rebuilder
        self.host, self.port = host, port
        self.watcher_options = watcher_options or {}
        self.on_outcome, self.say = on_outcome, say
        self.log_requests = log_requests
        self.state = SiteState(rebuilder.config.output_dir)
        self.hub = ReloadHub()
        self._sockets: list = []

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def accept(self, outcome: Outcome) -> list[str] | None:
        """Record a build's outcome (the first one too); returns what to reload."""
        self.on_outcome(outcome)
        return self.state.apply(outcome, self.rebuilder.config.output_dir)

    def application(self) -> web.Application:
        script = livereload_client()
        return web.Application([
            (r"/livereload", _ReloadSocket, {"hub": self.hub}),
            (r"/livereload\.js", _Bytes, {"body": lambda: script,
                                          "kind": "text/javascript; charset=utf-8"}),
            (re.escape(EPOCH_PATH), _Bytes, {"body": lambda: str(self.state.epoch).encode(),
                                             "kind": "text/plain; charset=utf-8"}),
            (r"/.*", _Site, {"state": self.state}),
        ], log_function=self._log_request, websocket_ping_interval=20)

    def _log_request(self, handler: web.RequestHandler) -> None:
        if self.log_requests:
            request = handler.request
            self.say(f"  {handler.get_status()} {request.method} {request.uri}")

    def bind(self) -> None:
        """Take the address (before anything is built); raises OSError when it is taken."""
        if not self._sockets:
            self._sockets = bind_sockets(self.port, address=self.host)
            self.port = self._sockets[0].getsockname()[1]

    def run(self) -> None:
        """Build, then serve until SIGINT or SIGTERM."""
        self.bind()
        sockets, self._sockets = self._sockets, []
        watcher = SiteWatcher.for_site(self.rebuilder.config, **self.watcher_options)
        try:
            watcher.start()
            with self.state.gate.building():
                self.accept(self.rebuilder.rebuild())
            asyncio.run(self._serve(sockets, watcher))
        finally:
            watcher.stop()
            for sock in sockets:
                sock.close()

    async def _serve(self, sockets: list, watcher: SiteWatcher) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        http = HTTPServer(self.application())
        http.add_sockets(sockets)
        stop_building = threading.Event()

        def after_build(outcome: Outcome) -> None:
            paths = self.accept(outcome)
            if paths:
                kind = "stylesheets" if paths != ["*"] else "pages"
                self.say(f"Reloading {kind} in {len(self.hub.sockets)} open tab(s).")
                loop.call_soon_threadsafe(self.hub.reload, paths)

        builder = threading.Thread(
            target=watch_and_build, name="sitegen-rebuild", daemon=True,
            args=(self.rebuilder, watcher, after_build, stop_building),
            kwargs={"build_guard": self.state.gate.building})
        signals = (signal.SIGINT, signal.SIGTERM)
        for number in signals:
            loop.add_signal_handler(number, stopping.set)
        try:
            builder.start()
            if not is_loopback(self.host):
                self.say(f"Warning: serving on {self.host}, which other machines can reach; "
                         "this server is meant for previews on this machine only.")
            self.say(f"Serving {self.rebuilder.config.output_dir} on {self.url} "
                     "(Ctrl-C to stop); watching for changes.")
            await stopping.wait()
        finally:
            for number in signals:
                loop.remove_signal_handler(number)
            self.say("Stopping the server.")
            http.stop()
            self.hub.close_all()
            stop_building.set()
            if self.state.gate.busy:
                self.say("Waiting for the current build to finish ...")
            await loop.run_in_executor(None, builder.join)
            await http.close_all_connections()
