"""Which template files a page depends on, so that editing one template re-renders only
the pages that use it.

A template's *closure* is the template itself and every template it extends, includes or
imports, followed through the loader chain as Jinja2 resolves them. Its digest covers the
names, resolved files and sources of the closure. A template that names another by an
expression (``{% include some_variable %}``) may reach any template: its closure is
then every template of the site.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

import jinja2
from jinja2 import meta


class TemplateDeps:
    """Closure digests of the templates of one Jinja2 environment, memoised per build.

    ``implicit`` names templates that code renders on a page's behalf (helpers exposed to
    templates); every closure includes them. ``every_file`` are all the template files,
    for the closure of a template whose references cannot be followed."""

    def __init__(self, env: jinja2.Environment, every_file: Iterable[Path],
                 implicit: Iterable[str] = (), known: dict[str, list[str] | None] | None = None):
        self.env = env
        self.every_file = sorted(every_file, key=str)
        self.implicit = tuple(implicit)
        # the names each template source references, by the source's digest: parsing is
        # the costly part, and templates rarely change (kept by the caller across builds)
        self.known = {} if known is None else known
        self.used: set[str] = set()
        self._refs: dict[str, tuple[str, list[str] | None]] = {}
        self._digests: dict[str, str] = {}
        self._digests_of: dict[tuple[str, ...], str] = {}
        self._everything: str | None = None

    def digest(self, name: str) -> str:
        """Digest of ``name``'s closure (the implicit templates' closures included)."""
        if name not in self._digests:
            self._digests[name] = self._closure_digest((name, *self.implicit))
        return self._digests[name]

    def digest_of(self, names: tuple[str, ...]) -> str:
        """One digest for the closures of several templates."""
        if names not in self._digests_of:
            self._digests_of[names] = hashlib.blake2b(
                "\x00".join(self.digest(n) for n in sorted(set(names))).encode(),
                digest_size=16).hexdigest()
        return self._digests_of[names]

    def references(self) -> dict[str, list[str] | None]:
        """The references of the template sources this build looked at, to keep."""
        return {digest: self.known[digest] for digest in sorted(self.used)}

    def _closure_digest(self, roots: Iterable[str]) -> str:
        seen: dict[str, str] = {}
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            text, refs = self._read(name)
            if refs is None:
                return self._all_files()
            seen[name] = text
            stack.extend(refs)
        digest = hashlib.blake2b(digest_size=16)
        for name in sorted(seen):
            digest.update(f"{name}\x00{seen[name]}\x01".encode())
        return digest.hexdigest()

    def _read(self, name: str) -> tuple[str, list[str] | None]:
        """``(file and source, referenced names or None if some are dynamic)``."""
        if name not in self._refs:
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)
            except jinja2.TemplateNotFound:
                self._refs[name] = ("<missing>", [])   # rendering it reports the error
                return self._refs[name]
            digest = hashlib.blake2b(source.encode(), digest_size=16).hexdigest()
            if digest not in self.known:
                self.known[digest] = _references(self.env, source)
            self.used.add(digest)
            self._refs[name] = (f"{filename}\x00{source}", self.known[digest])
        return self._refs[name]

    def _all_files(self) -> str:
        if self._everything is None:
            digest = hashlib.blake2b(b"all", digest_size=16)
            for path in self.every_file:
                digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
            self._everything = digest.hexdigest()
        return self._everything


def _references(env: jinja2.Environment, source: str) -> list[str] | None:
    """The template names ``source`` extends, includes or imports; None if one of them is
    an expression."""
    try:
        found = list(meta.find_referenced_templates(env.parse(source)))
    except jinja2.TemplateSyntaxError:
        return []                                        # rendering it reports the error
    return None if any(ref is None for ref in found) else [str(r) for r in found]
