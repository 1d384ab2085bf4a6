"""Fingerprints of render jobs: a page is re-rendered only when its fingerprint changes.

A job's fingerprint covers everything its output is made from: the template set, the
site's configuration and its topic and source lists (``site_key``), the job's template and
URL, and its context, where an Article counts by its ``digest`` (the version of its file)
and slug. So an article's page changes with its file, and a list page, a feed or a
neighbour's page changes exactly when one of the articles it shows does.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import Any, Iterable

from .model import Article, RenderJob


def _feed(value: Any, out: list[str]) -> None:
    """Append a stable text form of ``value`` to ``out``."""
    if isinstance(value, Article):
        out.append(f"A{value.digest}/{value.slug}")
    elif value is None or isinstance(value, (str, int, float, bool)):
        out.append(repr(value))
    elif isinstance(value, (datetime, date)):
        out.append(value.isoformat())
    elif isinstance(value, dict):
        out.append("{")
        for key in sorted(value, key=repr):
            out.append(repr(key))
            _feed(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for item in value:
            _feed(item, out)
        out.append("]")
    elif dataclasses.is_dataclass(value):
        out.append(type(value).__name__)
        _feed({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, out)
    else:
        raise TypeError(f"cannot fingerprint {type(value).__name__}")


def site_key(*parts: Any) -> str:
    """A digest of the things every page depends on (config, templates, topics, sources)."""
    out: list[str] = []
    _feed(list(parts), out)
    return hashlib.blake2b("\x00".join(out).encode(), digest_size=16).hexdigest()


def job_fingerprint(job: RenderJob, site: str) -> str:
    """What the job's output is made of, as a digest."""
    out = [site, job.template, job.url, job.kind]
    _feed(job.context, out)
    return hashlib.blake2b("\x00".join(out).encode(), digest_size=16).hexdigest()


def files_digest(paths: Iterable) -> str:
    """Digest of a set of files' names and bytes (templates, static files)."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths, key=str):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
