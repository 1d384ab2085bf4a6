"""Stable content hashes: of bytes, of a text's words, of an imported page's own text.

Python's ``hash()`` changes from process to process; these never do, so they can be
stored in content pages and in the build cache.
"""

from __future__ import annotations

import hashlib
import re

_IMPORT_HASH_LINE = re.compile(r"^import_hash: *\S*[ \t]*\r?\n", re.M)


def short_hash(data: bytes) -> str:
    """16 hex digits of SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]


def text_fingerprint(body: str) -> str:
    """Hash of a body's words, ignoring case and spacing; "" for an empty body."""
    words = body.lower().split()
    return short_hash(" ".join(words).encode()) if words else ""


def page_hash(text: str) -> str:
    """Hash of an imported page's text without its ``import_hash`` line."""
    return short_hash(_IMPORT_HASH_LINE.sub("", text, count=1).encode())
