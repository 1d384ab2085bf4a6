"""Slugs, URLs and output paths: every rule of the URL layout lives here and nowhere else.

URLs are *site-relative*: no leading slash, directories end in ``/``, the home page is
``""``. :func:`absolute` joins them to ``base_url`` (which may carry a path) and
:func:`relative` links one page to another so the output works under any sub-path.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from slugify import slugify as _slugify

MAX_SLUG_LENGTH = 80
_RESERVED_SLUGS = frozenset({"page", "static", "feed", "atom"})
_INITIALISM_DOT = re.compile(r"(?<=\b[^\W\d_])\.(?=[^\W\d_]\b)")
_URL_SAFE = re.compile(r"[A-Za-z0-9/._~-]*")
_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slugify(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Lower-case ASCII words joined by ``-`` (transliterating other scripts); may be ``""``.

    Other scripts are transliterated by text-unidecode (python-slugify's own dependency),
    named here: by default python-slugify prefers Unidecode when it happens to be
    installed, which spells some characters otherwise (a page's URL would depend on the
    machine), and tries to import it again for every title that is not ASCII (75
    against 12 µs a slug here)."""
    text = _INITIALISM_DOT.sub("", text or "")  # "U.S." -> "US", not "u-s"
    return _slugify(text, max_length=max_length, word_boundary=True, save_order=True,
                    backend="text-unidecode")


def is_safe_slug(slug: str) -> bool:
    """A slug that is one harmless path segment: no ``/``, ``..``, dots or absolute paths."""
    return bool(_SAFE_SLUG.match(slug)) and slug not in _RESERVED_SLUGS


def article_slug(title: str, fallback: str) -> str:
    """The slug made from a title, or ``fallback`` when the title has no usable characters."""
    slug = slugify(title)
    if not slug or slug in _RESERVED_SLUGS:
        slug = f"{slug}-{fallback}" if slug else fallback
    return slug


def paged(url: str, number: int) -> str:
    """URL of page ``number`` of the list whose first page is ``url``."""
    return url if number <= 1 else f"{url}page/{number}/"


def home(number: int = 1) -> str:
    return paged("", number)


def day_key(date: datetime) -> str:
    """The key of a date's day, ``"2023/11/01"``: its index page's path, the start of its
    articles' paths; the month and year keys are its first 7 and 4 characters."""
    return f"{date.year}/{date.month:02d}/{date.day:02d}"    # as %Y/%m/%d, faster


def article(date: datetime, slug: str) -> str:
    return f"{day_key(date)}/{slug}/"


# Every article page's file (``article(...)`` + ``index.html``) and no other page's: a year
# of 1-4 digits, two-digit month and day, the slug. As a glob (Pagefind's ``--glob``).
ARTICLE_PAGES_GLOB = "[0-9]*/[0-9][0-9]/[0-9][0-9]/*/index.html"


def year(key: str) -> str:
    """``key`` is ``"2023"``; month and day keys are ``"2023/11"`` and ``"2023/11/01"``."""
    return f"{key}/"


month = day = year


def archive() -> str:
    return "archive/"


def topics() -> str:
    return "topics/"


def topic(slug: str, number: int = 1) -> str:
    return paged(f"topics/{slug}/", number)


def sources() -> str:
    return "sources/"


def source(slug: str, number: int = 1) -> str:
    return paged(f"sources/{slug}/", number)


def feed(section: str = "", kind: str = "rss") -> str:
    """Feed of the whole site (``section=""``) or of ``"topics/<slug>/"``/``"sources/<slug>/"``."""
    return f"{section}{'feed.xml' if kind == 'rss' else 'atom.xml'}"


def search() -> str:
    return "search/"


def static(path: str) -> str:
    return f"static/{path}"


def output_path(url: str) -> str:
    """File inside the output folder that serves ``url`` (pretty URLs end in ``index.html``)."""
    if url == "" or url.endswith("/"):
        return f"{url}index.html"
    return url


def is_plain(url: str) -> bool:
    """Whether ``url`` holds only characters no URL quoting or HTML escaping changes (most
    of the site's URLs: such a URL skips urllib)."""
    return _URL_SAFE.fullmatch(url) is not None


def _quoted(url: str) -> str:
    return url if is_plain(url) else quote(url, safe="/:@!$&'()*+,;=-._~%")


def absolute(base_url: str, url: str) -> str:
    """Full URL of a site-relative URL; ``base_url`` ends with ``/``."""
    return base_url + _quoted(url)


def base_path(base_url: str) -> str:
    """The path part of ``base_url``: ``"/news/"`` for ``https://example.org/news/``."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def up_to_root(from_url: str) -> str:
    """The relative path from the page at ``from_url`` up to the site's root (``"../../"``
    for ``"topics/world/"``; ``""`` at the root)."""
    return "../" * from_url.count("/")


def relative(from_url: str, to_url: str) -> str:
    """Link from the page at ``from_url`` to ``to_url``, both site-relative: up to the site's
    root, then down to the target, so it works under any sub-path and from file://."""
    if to_url == "" or to_url == from_url and to_url.endswith("/"):
        target = up_to_root(from_url) if to_url == "" else "./"
        return target or "./"
    target = up_to_root(from_url) + to_url
    return _quoted(target)


def normalise_url(url: str) -> str:
    """A URL reduced for duplicate detection: no scheme difference, ``www.``, fragment,
    tracking parameters or trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("utm_"))
    return urlunsplit(("", host, parts.path.rstrip("/"), query, ""))
