"""Lighthouse scores (accessibility, best practices, SEO) of the built site's pages.

    python benchmarks/lighthouse.py [--site public] [--pages "" 2024/03/05/slug/] [--json]

Serves the built folder under ``/news/`` on 127.0.0.1 (a plain static server, as a host
would), runs npm's ``lighthouse`` with Debian's ``chromium`` on each page and prints one
row per page. Pages default to the home page and the newest article. Needs:

    npm install lighthouse        # once, in this folder or anywhere on PATH (npx finds it)
    apt-get install -y chromium   # CHROME_PATH defaults to /usr/bin/chromium

Not a test: the scores go into the README ("Quality checks").
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

SUB_PATH = "/news/"
CATEGORIES = ("accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(SUB_PATH):
            return str(Path(self.directory) / ".missing" / "outside-the-sub-path")
        return super().translate_path("/" + path[len(SUB_PATH):])

    def log_message(self, *args) -> None:
        pass


def lighthouse_command() -> list[str]:
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent, Path.cwd()):
        local = folder / "node_modules" / ".bin" / "lighthouse"
        if local.is_file():
            return [str(local)]
    if shutil.which("lighthouse"):
        return ["lighthouse"]
    return ["npx", "--no-install", "lighthouse"]


def newest_article(site: Path) -> str:
    pages = sorted(p for p in site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*/index.html"))
    if not pages:
        raise SystemExit(f"no article pages in {site}; build the site first")
    return pages[-1].parent.relative_to(site).as_posix() + "/"


def run(url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        command = [*lighthouse_command(), url, "--quiet", "--output=json",
                   f"--output-path={report}", f"--only-categories={','.join(CATEGORIES)}",
                   f"--chrome-flags={CHROME_FLAGS}"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not report.is_file():
            raise SystemExit(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    scores = {name: round(100 * (data["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failing = [audit["id"] for audit in data["audits"].values()
               if audit.get("score") is not None and audit["score"] < 1
               and audit.get("scoreDisplayMode") in ("binary", "numeric")]
    scores["failing"] = failing  # type: ignore[assignment]
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", default="public", help="the built site (default: public)")
    parser.add_argument("--pages", nargs="*", help="site-relative URLs (default: home, newest article)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    site = Path(args.site).resolve()
    pages = args.pages if args.pages is not None else ["", newest_article(site)]
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}{SUB_PATH}"
    results = {}
    try:
        for page in pages:
            started = time.perf_counter()
            results[page or "/"] = run(base + page) | {"seconds": round(time.perf_counter() - started, 1)}
    finally:
        httpd.shutdown()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"| page | {' | '.join(CATEGORIES)} | failing audits |")
        print(f"| --- | {' | '.join('---' for _ in CATEGORIES)} | --- |")
        for page, scores in results.items():
            print(f"| `{page}` | {' | '.join(str(scores[c]) for c in CATEGORIES)} | "
                  f"{', '.join(scores['failing']) or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
