"""Shared fixtures: small sites built inline in tmp_path, driven through the real CLI."""

from __future__ import annotations

import io
import os
import shutil
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
USER_SEED = REPO / "seeds" / "000_f6f788eaffd1c9bb.txt"
CORPORA = REPO.parent / "shared" / "corpora"

MINIMAL_CONFIG = """\
title: Test News
base_url: https://example.org/
"""


@dataclass
class Run:
    code: int
    out: str
    err: str


class Site:
    """A throw-away project folder with helpers to write inputs and run sitegen on it."""

    def __init__(self, root: Path):
        self.root = root
        self.public = root / "public"

    def write(self, rel: str, text: str, mtime: float | None = None) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def page(self, rel: str, title: str = "A story", date: str = "2024-03-05", body: str = "Text.",
             **meta: object) -> Path:
        lines = [f"title: {title!r}" if title is not None else "", f"date: {date}" if date else ""]
        lines += [f"{k}: {v}" for k, v in meta.items()]
        front = "\n".join(line for line in lines if line)
        return self.write(f"content/{rel}", f"---\n{front}\n---\n\n{body}\n")

    def run(self, *args: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main([*args, "--config", str(self.root / "site.yaml")], out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    def read(self, rel: str) -> str:
        return (self.public / rel).read_text(encoding="utf-8")

    def files(self, folder: Path | None = None) -> dict[str, bytes]:
        folder = folder or self.public
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty project with a minimal site.yaml."""
    s = Site(tmp_path / "site")
    s.write("site.yaml", MINIMAL_CONFIG)
    return s


@pytest.fixture
def seed_site(tmp_path: Path) -> Site:
    """The project's own site.yaml and the user's seed, in a fresh folder."""
    s = Site(tmp_path / "site")
    s.root.mkdir(parents=True)
    shutil.copy(REPO / "site.yaml", s.root / "site.yaml")
    (s.root / "seeds").mkdir()
    shutil.copy2(USER_SEED, s.root / "seeds" / USER_SEED.name)
    return s


class LinkCollector(HTMLParser):
    """Collects href/src attributes and element ids of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []   # (tag, url)
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append((tag, attributes[name]))


def parse_html(text: str) -> LinkCollector:
    parser = LinkCollector()
    parser.feed(text)
    return parser
