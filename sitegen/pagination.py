"""Split a list of articles into pages."""

from __future__ import annotations

from typing import Callable, Container, Sequence

from .model import Article, Pager


def paginate(items: Sequence[Article], per_page: int, url_of: Callable[[int], str],
             only: Container[int] | None = None) -> list[Pager]:
    """Pages of ``per_page`` items; an empty list still gets one (empty) page.
    ``url_of(n)`` gives the site-relative URL of page ``n``; ``only``, the numbers of the
    pages wanted (default: all)."""
    total = max(1, -(-len(items) // per_page))
    page_urls = tuple(url_of(n) for n in range(1, total + 1))
    return [Pager(number=n, total=total, items=tuple(items[(n - 1) * per_page:n * per_page]),
                  urls=page_urls)
            for n in range(1, total + 1) if only is None or n in only]
