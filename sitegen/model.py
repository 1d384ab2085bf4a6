"""The data that flows through a build: frozen dataclasses, no behaviour beyond derivations.

seeds -> :class:`SeedArticle` -> content page -> :class:`Article` -> :class:`SiteIndex`
-> :class:`RenderJob` -> bytes on disk, summed up in a :class:`BuildResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from hashlib import blake2b
from operator import attrgetter
from typing import Any, Callable, Mapping, NamedTuple

from .errors import Diagnostic


def compact_pickle(cls):
    """Class decorator (above ``@dataclass``): pickle instances as their values in field
    order, set again without ``__init__``. Pickle's default, a dict of names and values
    for each object, took a fifth longer to load the content's index of 10,000 articles
    (0.12 s against 0.10 s), which every quick rebuild loads. Each pickle names the
    fields' layout: one made by a class since changed does not load (the cache takes it
    as never stored)."""
    names = tuple(f.name for f in fields(cls))
    layout = blake2b(repr((cls.__qualname__, names)).encode(), digest_size=6).hexdigest()
    values = attrgetter(*names)          # a tuple: for classes of two fields or more

    def __reduce__(self):
        return (_unpickle, (cls, layout, values(self)))

    cls.__reduce__ = __reduce__
    cls.pickle_layout = (layout, names)
    return cls


def _unpickle(cls, layout: str, values: tuple):
    if layout != cls.pickle_layout[0]:
        raise ValueError(f"{cls.__qualname__} pickled from another layout")
    obj = object.__new__(cls)
    obj.__dict__.update(zip(cls.pickle_layout[1], values))
    return obj


def evolve(obj, **changes):
    """A copy of the frozen dataclass ``obj`` with ``changes``, made without ``__init__``:
    a tenth of the time of ``dataclasses.replace`` (1 against 10 µs for an Article),
    which a build spends six times a page. Only for classes whose fields are all set by
    ``__init__`` from its arguments (no ``__post_init__``, no derived fields) and kept in
    the instance's ``__dict__`` (no slots): the values are those of a valid object."""
    fields_ = type(obj).__dataclass_fields__
    if not changes.keys() <= fields_.keys():
        unknown = sorted(changes.keys() - fields_.keys())
        raise TypeError(f"{type(obj).__name__} has no field {unknown}")
    new = object.__new__(type(obj))
    values = new.__dict__
    values.update(obj.__dict__)
    values.update(changes)
    return new


@dataclass(frozen=True)
class SeedArticle:
    """What the seed parser read out of one scraped article (``seeds/*.txt``)."""

    seed: str                      # file name inside seeds/
    title: str
    body: str                      # Markdown, dateline prefix removed
    subtitle: str | None = None    # the bold caption / standfirst line
    dateline: str | None = None    # place named in the dateline ("Washington")
    agency: str | None = None      # "RHC", "Reuters", "AP" ...
    date: datetime | None = None   # aware; None when the seed names no date
    date_text: str | None = None   # the date as written in the seed
    source_url: str | None = None
    publisher: str | None = None   # falls back to the URL's host
    summary: str = ""              # opening of the body, plain text


@dataclass(frozen=True)
class Topic:
    """One entry of the topic taxonomy in ``site.yaml``."""

    slug: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """A publisher, as listed on the sources pages."""

    slug: str
    name: str


@compact_pickle
@dataclass(frozen=True)
class Article:
    """A content page read from ``content/``, ready to render."""

    path: str                       # posix path relative to content/, e.g. "2023/11/x.md"
    id: str                         # permanent identifier, used by feeds
    title: str
    date: datetime                  # aware
    slug: str
    body: str                       # Markdown source
    html: str                       # rendered, sanitised body ("" until rendering needs it)
    summary: str                    # plain text
    subtitle: str | None = None
    dateline: str | None = None
    agency: str | None = None
    source: str | None = None
    source_slug: str | None = None  # slug of the source page
    source_url: str | None = None
    topics: tuple[str, ...] = ()    # topic slugs
    updated: datetime | None = None
    draft: bool = False
    seed: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # curator's own keys
    reading_minutes: int = 1
    digest: str = ""                # hash of the page file (and reader settings): its version
    body_key: str = ""              # hash of the body: the key of its rendered HTML


@dataclass(frozen=True)
class PageInfo:
    """What the importer needs to know about one content file, even a broken one."""

    path: str                       # posix path relative to the project, "content/..."
    id: str | None = None
    seed: str | None = None         # the seed file it came from
    seed_hash: str | None = None    # hash of that seed's bytes when it was imported
    edited: bool = True             # changed since the importer wrote it
    source_url: str | None = None   # normalised (urls.normalise_url)
    fingerprint: str = ""           # digests.text_fingerprint of the body


@dataclass(frozen=True)
class Pager:
    """One page of a paginated list."""

    number: int                     # 1-based
    total: int                      # number of pages
    items: tuple[Article, ...]
    urls: tuple[str, ...]           # site-relative URL of every page, index 0 = page 1

    @property
    def url(self) -> str:
        return self.urls[self.number - 1]

    @property
    def prev_url(self) -> str | None:
        return self.urls[self.number - 2] if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.urls[self.number] if self.number < self.total else None


@dataclass(frozen=True)
class SiteIndex:
    """Every article grouped the ways the site lists them. Lists are newest first."""

    articles: tuple[Article, ...]
    topics: Mapping[str, Topic]                       # slug -> topic (only used ones)
    sources: Mapping[str, Source]                     # slug -> source
    by_topic: Mapping[str, tuple[Article, ...]]
    by_source: Mapping[str, tuple[Article, ...]]
    by_year: Mapping[str, tuple[Article, ...]]        # "2023"
    by_month: Mapping[str, tuple[Article, ...]]       # "2023/11"
    by_day: Mapping[str, tuple[Article, ...]]         # "2023/11/01"
    previous: Mapping[str, Article]                   # article id -> older neighbour
    next: Mapping[str, Article]                       # article id -> newer neighbour
    related: Mapping[str, tuple[Article, ...]]        # article id -> related, newest first
    related_memo: tuple | None = None   # for the next build (indexes.RelatedMemo)


@dataclass(frozen=True)
class RenderJob:
    """One output file: which template renders it, at which URL, with what context."""

    template: str
    url: str                        # site-relative URL ("", "page/2/", "feed.xml")
    output: str                     # posix path inside the output folder
    context: Mapping[str, Any]
    kind: str = "page"              # page | article | feed | sitemap | static ...


class Family(NamedTuple):
    """Render jobs made from the same inputs, summed up in ``key``: while the key (and the
    site's templates and settings) stay the same, so does every job of the family, and a
    rebuild need not even make its jobs. ``entries`` gives the family's sitemap entries,
    ``(url, lastmod)`` of its HTML pages, without making the jobs. (A named tuple, not a
    dataclass: a site makes one per page on every build, and tuples are made fastest.)"""

    name: str
    key: str
    make: Callable[[], list[RenderJob]]
    entries: Callable[[], list[tuple[str, datetime | None]]] = lambda: []


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the summary line and the exit status."""

    diagnostics: tuple[Diagnostic, ...] = ()
    pages: int = 0
    articles: int = 0
    topics: int = 0
    sources: int = 0
    feeds: int = 0
    written: int = 0                # files whose bytes changed
    rendered: int = 0               # pages rendered (the others were known unchanged)
    removed: int = 0
    changed: tuple[str, ...] = ()   # output paths written or removed, for live reload
    imported: int = 0
    seconds: float = 0.0
    built: bool = True
    stages: tuple[tuple[str, float], ...] = ()   # (stage, seconds) in order, for --timings

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.level == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.level == "warning")
