"""The content's index kept in the cache between builds, for quick rebuilds (``quick``).

A full build whose content changed stores its index (in a helper process, meanwhile),
with a digest of where each article is listed (its *shape*) and the key of the records it
was made from; a quick rebuild stores only the articles it replaced, as a patch. Each
kept index has a name (a token) that the build's record carries, so that a later build
only ever takes the index of the content the last build saw.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from typing import Iterable

from .cache import BuildCache, write_values
from .config import SiteConfig
from .indexes import patch_index, placement
from .model import Article, SiteIndex
from .parallel import Background


@dataclass(frozen=True)
class ContentState:
    """The index of the content as of the last build, as a full build made it (``base``)
    with the articles quick rebuilds replaced since (``patch``, by id)."""

    token: str
    base: SiteIndex
    patch: dict[str, Article] = field(default_factory=dict)

    def index(self) -> SiteIndex:
        return patch_index(self.base, self.patch)


def content_key(config: SiteConfig, record_keys: Iterable[str]) -> str:
    """What an index is made of: the settings and the record of every content file."""
    digest = hashlib.blake2b(repr(config).encode(), digest_size=16)
    for key in sorted(record_keys):
        digest.update(key.encode())
    return digest.hexdigest()


def shape(article: Article) -> str:
    """A short digest of an article's :func:`indexes.placement`: its structure but the
    URL, which a quick rebuild may move."""
    return hashlib.blake2b(repr(placement(article)).encode(), digest_size=12).hexdigest()


class Remembered:
    """The content's index being kept for quick rebuilds (:func:`remember_content`):
    :meth:`token` names it once it is in the cache, for the build's record."""

    def __init__(self, cache: BuildCache, token: str, values: dict | None = None,
                 helper: Background | None = None):
        self.cache, self._token, self.values, self.helper = cache, token, values, helper

    def token(self) -> str | None:
        """The index's name, once stored (None if its helper failed)."""
        if self.helper is not None:
            try:
                self.helper.result()
            except Exception:   # not kept: the next full build stores it again
                return None
            self.cache.remember(self.values)
            self.helper = None
        return self._token


def remember_content(cache: BuildCache, config: SiteConfig, record_keys: Iterable[str],
                     index: SiteIndex, jobs: int) -> Remembered:
    """After reading the content in a full build: keep ``index`` for quick rebuilds,
    unless the cache already holds the index of the same records. Pickling and writing
    it (0.2 s at 10,000 articles) is left to a helper process, meanwhile."""
    key = content_key(config, record_keys)
    known = cache.load("content-key")
    if isinstance(known, tuple) and known[1] == key:
        return Remembered(cache, known[0])
    token = uuid.uuid4().hex
    base = replace(index, related_memo=None)   # the related articles' memo is kept apart
    values = {"content-base": (token, base), "content-patch": (token, {}),
              "content-key": (token, key)}
    if cache.path is None:   # an in-memory cache: no other process can write it
        for name, value in _with_shapes(values).items():
            cache.store(name, value)
        return Remembered(cache, token)
    cache.forget("content-shapes")
    helper = Background(_write_state, cache.path, values, enabled=jobs > 1)
    return Remembered(cache, token, values, helper)


def _with_shapes(values: dict) -> dict:
    """The index, its patch and key, and the shape of each of its articles (by path)."""
    token, base = values["content-base"]
    return {**values, "content-shapes": (token, {a.path: shape(a) for a in base.articles})}


def _write_state(path, values: dict) -> None:
    """In the helper: the index, its patch, key and the articles' shapes, in one go."""
    write_values(path, _with_shapes(values))


def kept_state(cache: BuildCache, token: str) -> ContentState | None:
    known, base, patch = (cache.load(name) for name in
                          ("content-key", "content-base", "content-patch"))
    if not (isinstance(known, tuple) and isinstance(base, tuple) and isinstance(patch, tuple)
            and token == known[0] == base[0] == patch[0]):
        return None
    return ContentState(base[0], base[1], patch[1])


def kept_shapes(cache: BuildCache, token: str) -> dict[str, str] | None:
    found = cache.load("content-shapes")
    return found[1] if isinstance(found, tuple) and found[0] == token else None
