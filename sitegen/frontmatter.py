"""YAML front matter: split it from the body, parse it with positions for errors, dump it.

Dates stay strings here (the reader parses them with the site's timezone), so a page
means the same thing whatever PyYAML would have guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from .errors import Diagnostic, error

_FENCE = re.compile(r"^---[ \t]*$", re.M)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when available
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe YAML without implicit timestamps."""


class _Dumper(_SafeDumper):  # type: ignore[misc, valid-type]
    """Safe YAML that does not quote date-like strings (they are not timestamps here)."""


_Loader.yaml_implicit_resolvers = _Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Page:
    """A content file split into its front matter and its Markdown body."""

    meta: dict[str, Any]
    body: str
    body_line: int          # 1-based line of the file where the body starts


def split(text: str) -> tuple[str | None, str, int, int]:
    """``(YAML or None, body, fence_line, body_line)``; lines are 1-based lines of the file.

    Blank lines before the opening ``---`` are allowed; ``fence_line`` is that line.
    """
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].rstrip() != "---":
        return None, text, 0, 1
    end = next((j for j in range(start + 1, len(lines)) if lines[j].rstrip() == "---"), None)
    if end is None:
        return None, text, 0, 1
    return "".join(lines[start + 1:end]), "".join(lines[end + 1:]), start + 1, end + 2


def parse(text: str, file: str) -> tuple[Page | None, list[Diagnostic]]:
    """Parse a content file. On malformed YAML returns None and an error with the line and
    column counted in the file (not inside the front matter)."""
    yaml_text, body, fence_line, body_line = split(text)
    if yaml_text is None:
        return None, [error(file, "no YAML front matter found", line=1,
                            hint="start the file with a '---' line, then title: and date:, "
                            "then a closing '---' line")]
    try:
        meta = _simple_mapping(yaml_text)
        if meta is None:
            meta = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = fence_line + 1 + mark.line if mark else fence_line
        column = mark.column + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [error(file, f"malformed YAML front matter: {problem}", line=line,
                            column=column, hint="fix the YAML syntax; quote values that "
                            "contain ': ' or start with a special character")]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None, [error(file, "front matter is not a mapping of keys to values",
                            line=fence_line + 1, hint="write one 'key: value' per line")]
    return Page({str(k): v for k, v in meta.items()}, body, body_line), []


# The front matter the importer writes, and most curators': ``key: value`` lines at the left
# margin, values plain or quoted on one line, lists as ``- item`` lines. Anything else goes
# to PyYAML (see _simple_mapping).
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
_ITEM_LINE = re.compile(r"( *)- +(.*)")
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)' *")
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)" *')
# characters PyYAML rejects, or reads as line breaks, or tabs: not the simple form. (The
# complement of what it accepts, written out: a class of wide ranges took 7 ms to
# compile, at every start of sitegen.)
_NOT_SIMPLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
                         "\ufeff\ufffe\uffff]")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NOT_SIMPLE_VALUE = object()


def _simple_mapping(text: str) -> dict[str, Any] | None:
    """What PyYAML (with :class:`_Loader`) reads from ``text``, when ``text`` is in the
    simple form above; None when it is not (then PyYAML reads it). About three times as
    fast as PyYAML's C loader, which matters when 10,000 pages are read; equal to it by
    property tests."""
    if _NOT_SIMPLE.search(text):
        return None
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    at = 0
    while at < len(lines):
        line = lines[at]
        at += 1
        if not line.strip(" ") or line.startswith("#"):
            continue
        match = _KEY_LINE.fullmatch(line)
        if match is None or not _key_reads_as_str(match.group(1)):
            return None
        rest = (match.group(2) or "").rstrip(" ")
        if rest:
            value = _simple_scalar(rest)
        else:
            value, at = _simple_items(lines, at)
        if value is _NOT_SIMPLE_VALUE:
            return None
        meta[match.group(1)] = value
    return meta


def _simple_items(lines: list[str], at: int) -> tuple[Any, int]:
    """The ``- item`` lines from ``at`` on (all at one indent) as a list, or None when there
    are none (``key:`` alone); and where the next key starts."""
    items: list[Any] = []
    indent = None
    while at < len(lines):
        line = lines[at]
        if not line.strip(" "):
            at += 1
            continue
        match = _ITEM_LINE.fullmatch(line)
        if match is None or (indent is not None and match.group(1) != indent):
            break
        indent = match.group(1)
        item = _simple_scalar(match.group(2).rstrip(" "))
        if item is _NOT_SIMPLE_VALUE:
            return item, at
        items.append(item)
        at += 1
    return (items if items else None), at


def _simple_scalar(text: str) -> Any:
    """One scalar of the simple form (a string), or :data:`_NOT_SIMPLE_VALUE`."""
    if not text:
        return _NOT_SIMPLE_VALUE
    if text[0] == '"':
        match = _DOUBLE_QUOTED.fullmatch(text)
        return match.group(1) if match else _NOT_SIMPLE_VALUE
    if text[0] == "'":
        match = _SINGLE_QUOTED.fullmatch(text)
        return match.group(1).replace("''", "'") if match else _NOT_SIMPLE_VALUE
    if (text[0] in _INDICATORS or ": " in text or " #" in text or text.endswith(":")
            or not _reads_as_str(text)):
        return _NOT_SIMPLE_VALUE
    return text


@lru_cache(maxsize=256)
def _key_reads_as_str(key: str) -> bool:
    return _reads_as_str(key)


_WORDY = "\u00c0-\u2027\u202a-\ufefe\uff00-\ufffd"   # letters, not line separators or BOM


@lru_cache(maxsize=1)
def _plain() -> re.Pattern:
    """Text YAML may read plain; compiled when first needed (7 ms: only the importer
    writes front matter)."""
    return re.compile(f"[A-Za-z{_WORDY}][\\w{_WORDY} .,;()/&'+=-]*")

_STR_TAG = "tag:yaml.org,2002:str"


def _scalar(value: Any) -> str:
    """One YAML scalar on one line, quoted only when it must be."""
    if isinstance(value, str):
        if _plain().fullmatch(value) and not value.endswith(" ") and _reads_as_str(value):
            return value   # plain text that YAML reads back as this very string
        if 0 < len(value) <= 2000 and not _NOT_ONE_LINE.search(value):
            return _one_line(value)
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=1_000_000,
                     default_flow_style=True)
    return text[:-5].rstrip() if text.endswith("\n...\n") else text.rstrip("\n")


# Strings of printable characters on one line (none of these), short enough never to be
# folded: the dumper writes them plain or in single quotes, by the rules below (its own
# analysis).
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
                           "\U00010000-\U0010ffff]")
_NOT_PLAIN = re.compile(r"^(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |$)| )|:(?: |$)| #| $")


def _reads_as_str(value: str) -> bool:
    """Whether YAML reads ``value``, written plain, back as a string (not a number, a date,
    a boolean or null)."""
    if value and _RESOLVED_FIRST is not None and value[0] not in _RESOLVED_FIRST:
        return True   # no implicit type starts with this character
    return _Dumper.resolve(_Dumper, yaml.ScalarNode, value, (True, False)) == _STR_TAG


_RESOLVED_FIRST = (None if None in _Dumper.yaml_implicit_resolvers
                   else frozenset(_Dumper.yaml_implicit_resolvers))


def _one_line(value: str) -> str:
    """What ``yaml.dump`` makes of a one-line string (:data:`_NOT_ONE_LINE`), without
    running the dumper: plain when no indicator forbids it and it reads back as a
    string, else single-quoted."""
    if not _NOT_PLAIN.search(value) and _reads_as_str(value):
        return value
    return "'" + value.replace("'", "''") + "'"


@lru_cache(maxsize=256)
def _key(key: str) -> str:
    """A key as :func:`_scalar` writes it; memoised, since every page repeats the same keys."""
    return _scalar(key)


def _entry(key: str, value: Any) -> str:
    """``key: value``, lists of scalars as indented blocks; anything else through YAML."""
    if isinstance(value, list) and all(not isinstance(v, (list, dict)) for v in value):
        if not value:
            return f"{_key(key)}: []\n"
        return f"{_key(key)}:\n" + "".join(f"  - {_scalar(v)}\n" for v in value)
    if isinstance(value, (list, dict)):
        return yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=1_000_000, default_flow_style=False)
    return f"{_key(key)}: {_scalar(value)}\n"


def dump(meta: dict[str, Any], body: str) -> str:
    """Front matter and body as file text; key order kept, Unicode kept, stable output."""
    yaml_text = "".join(_entry(str(key), value) for key, value in meta.items())
    return f"---\n{yaml_text}---\n\n{body.strip()}\n"
