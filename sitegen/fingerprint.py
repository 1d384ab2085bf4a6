"""Fingerprints of render jobs: a page is re-rendered only when its fingerprint changes.

A job's fingerprint covers everything its output is made from: the site's configuration
and its topic and source lists (``site_key``), the job's template with everything it
extends or includes (``templatedeps``), its URL, and its context, where an Article counts
by its ``digest`` (the version of its file) and slug. So an article's page changes with its
file, and a list page, a feed or a neighbour's page changes exactly when one of the
articles it shows does.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import Any, Callable

from .model import Article, Pager, RenderJob


class _Serializer:
    """Writes a stable text form of a context; articles and other frozen model objects
    are written once per build and then reused (they are shared by many pages)."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[object, str]] = {}

    def text(self, value: Any) -> str:
        out: list[str] = []
        self.feed(value, out)
        return "\x00".join(out)

    def feed(self, value: Any, out: list[str]) -> None:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None or kind is float:
            out.append(repr(value))
        elif kind is Article:
            out.append(f"A{value.digest}/{value.slug}")
        elif kind is Pager:   # its URLs follow from the first one and the page count
            out.append(f"P{value.number}/{value.total}/{value.urls[0]}")
            self.feed(value.items, out)
        elif kind is tuple or kind is list:
            out.append("[")
            for item in value:
                self.feed(item, out)
            out.append("]")
        elif kind is dict:
            out.append("{")
            for key in sorted(value, key=str):
                out.append(repr(key))
                self.feed(value[key], out)
            out.append("}")
        elif kind is datetime or kind is date:
            out.append(value.isoformat())
        elif dataclasses.is_dataclass(value):
            out.append(self._object(value))
        else:
            raise TypeError(f"cannot fingerprint {kind.__name__}")

    def _object(self, value: Any) -> str:
        """A dataclass (Topic, Source, Pager, Feed ...), memoised by identity."""
        known = self.memo.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        out = [type(value).__name__]
        self.feed({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, out)
        text = "\x00".join(out)
        self.memo[id(value)] = (value, text)
        return text


def site_key(*parts: Any) -> str:
    """A digest of the things every page depends on (config, templates, topics, sources)."""
    text = _Serializer().text(list(parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Fingerprinter:
    """Fingerprints the jobs of one build. ``template_digest`` names the version of a
    template and of everything it extends or includes."""

    def __init__(self, site: str, template_digest: Callable[[str], str] = lambda name: ""):
        self.site = site
        self.template_digest = template_digest
        self._serializer = _Serializer()

    def __call__(self, job: RenderJob) -> str:
        """What the job's output is made of, as a digest."""
        text = self._serializer.text(job.context)
        return hashlib.blake2b(f"{self.site}\x00{job.template}\x00"
                               f"{self.template_digest(job.template)}\x00{job.url}\x00"
                               f"{job.kind}\x00{text}".encode(), digest_size=16).hexdigest()
