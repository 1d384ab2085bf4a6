"""Keyword topic matching: which taxonomy topics an article is about.

A keyword (word or phrase) matches whole words, case-insensitively, and also its plural
(``refugee`` finds "refugees", ``ciudad`` finds "ciudades": ``-s``, or ``-es`` after a
consonant; accents are not moved, so list "elecciones" beside "elección"). A keyword written in ALL CAPS (``UN``, ``EU``, ``U.S.``) matches only in
capitals, so Spanish "un" or a stray "eu" does not count. Apostrophes and dashes match
however they are typed. A topic with no keywords is matched by its name.

Each hit in the title scores :data:`TITLE_WEIGHT`, each hit in the body 1; a topic needs
:data:`MIN_SCORE`, plus a point per :data:`CHARS_PER_EXTRA_POINT` of body, so a passing
mention in a long article does not tag it. The keywords of a taxonomy are compiled once into
one prefix-tree regex, so matching is a single scan of the lower-cased text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

from .model import Topic

TITLE_WEIGHT = 3
MIN_SCORE = 2
CHARS_PER_EXTRA_POINT = 2500  # about 400 words

_VARIANTS = {"'": "'’‘ʼ", "-": "-‐‑–—"}  # apostrophes and dashes, written any way
_CANONICAL = str.maketrans({v: k for k, vs in _VARIANTS.items() for v in vs})
# Link targets and bare URLs, each found by a literal (fast) prefix.
_LINKS = (("](", re.compile(r"\]\([^)\s]*\)")), ("://", re.compile(r"://\S*")),
          ("www.", re.compile(r"www\.\S*")))
# What may stand before and after a keyword. An explicit set rather than \W lets the regex
# engine skip fast from one candidate position to the next.
_BOUNDARY = "[" + re.escape(" \t\n\r\f\v\xa0\u2009\u202f!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
                           "“”‘’‚„«»‹›¿¡—–‐‑…·•") + "]"
_VOWELS = frozenset("aeiouyáéíóúàèìòùâêîôûäëïöü")

# keyword as found in lower-cased text -> (exact form required, or None; topic indexes)
_Table = Mapping[str, tuple[tuple[str | None, tuple[int, ...]], ...]]


@dataclass(frozen=True)
class TopicMatcher:
    """The keywords of one taxonomy, compiled (see :func:`compile_topics`)."""

    pattern: re.Pattern[str] | None
    table: _Table
    slugs: tuple[str, ...]
    # keyword as found -> its topics, for the keywords that match in any case (most)
    folded: Mapping[str, tuple[int, ...]]

    def scores(self, text: str, weight: int, into: list[int]) -> None:
        """Add ``weight`` to ``into[i]`` for every keyword hit of topic ``i`` in ``text``."""
        if self.pattern is None:
            return
        for marker, link in _LINKS:  # words in link targets are not the article's words
            if marker in text:
                text = link.sub(" ", text)
        text = f" {text} "  # every keyword then has a boundary character on both sides
        lowered, folded, position = _lower(text), self.folded, 0
        while True:   # one pass of finditer, unless a false plural makes it resume
            for match in self.pattern.finditer(lowered, position):
                found, plural = match.group(1, 2)
                if plural == "es" and found[-1] in _VOWELS:   # "deporte" in "deportees"
                    position = match.start() + 1
                    break
                indexes = folded.get(found)
                if indexes is None:
                    indexes = self._general(found, text[match.start(1):match.end(1)])
                for index in indexes:
                    into[index] += weight
            else:
                return

    def _general(self, found: str, original: str) -> list[int]:
        """The topics of a hit that is spelt another way than its keyword (other
        apostrophes, dashes or spaces) or whose keyword is written in capitals."""
        entries = self.table.get(found) or self.table.get(_canonical(found), ())
        return [index for form, indexes in entries
                if form is None or _canonical(original) == form for index in indexes]

    def match(self, title: str, body: str, limit: int = 3) -> tuple[str, ...]:
        """See :func:`match_topics`."""
        if limit <= 0:
            return ()
        scores = [0] * len(self.slugs)
        self.scores(title, TITLE_WEIGHT, scores)
        self.scores(body, 1, scores)
        threshold = MIN_SCORE + len(body) // CHARS_PER_EXTRA_POINT
        ranked = sorted((-score, index) for index, score in enumerate(scores) if score >= threshold)
        return tuple(self.slugs[index] for _, index in ranked[:limit])


def match_topics(title: str, body: str, topics: Sequence[Topic], limit: int = 3) -> tuple[str, ...]:
    """Slugs of the topics ``title`` and ``body`` (Markdown or plain text) are about.

    Best first (ties in taxonomy order, so the result is deterministic), at most ``limit``.
    """
    return compile_topics(tuple(topics)).match(title, body, limit)


@lru_cache(maxsize=8)
def compile_topics(topics: tuple[Topic, ...]) -> TopicMatcher:
    """The compiled matcher of a taxonomy; cached, so a build compiles its taxonomy once."""
    folded: dict[str, set[int]] = {}
    exact: dict[str, set[int]] = {}
    for index, topic in enumerate(topics):
        for keyword in topic.keywords or (topic.name,):
            keyword = _canonical(keyword)
            if keyword.isupper():
                exact.setdefault(keyword, set()).add(index)
            elif keyword:
                folded.setdefault(keyword.lower(), set()).add(index)
    table: dict[str, list[tuple[str | None, tuple[int, ...]]]] = {}
    for keyword, indexes in folded.items():
        table.setdefault(keyword, []).append((None, _with_leading_phrases(keyword, folded)))
    for keyword, indexes in exact.items():
        indexes = indexes - folded.get(keyword.lower(), set())  # "NATO" and "Nato": count once
        if indexes:
            table.setdefault(keyword.lower(), []).append((keyword, tuple(sorted(indexes))))
    return TopicMatcher(pattern=_compile(table), slugs=tuple(topic.slug for topic in topics),
                        table={keyword: tuple(entries) for keyword, entries in table.items()},
                        folded={keyword: entries[0][1] for keyword, entries in table.items()
                                if len(entries) == 1 and entries[0][0] is None})


def _canonical(text: str) -> str:
    """Apostrophes and dashes in one form, whitespace as single spaces."""
    return " ".join(text.translate(_CANONICAL).split())


def _lower(text: str) -> str:
    """Lower case with every character kept in place (so spans map back to ``text``)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # "İ" -> "i̇"


def _with_leading_phrases(keyword: str, folded: Mapping[str, set[int]]) -> tuple[int, ...]:
    """Topics of ``keyword`` and of its leading words: found once, "gaza strip" also counts
    for a topic that lists only "gaza"."""
    words = keyword.split(" ")
    indexes = set(folded[keyword])
    for size in range(1, len(words)):
        indexes |= folded.get(" ".join(words[:size]), set())
    return tuple(sorted(indexes))


def _compile(keywords: Mapping[str, object]) -> re.Pattern[str] | None:
    """One regex: a boundary character, any keyword (group 1), a plural ending (group 2), and
    a boundary character left unconsumed, so that the next keyword may start there."""
    trie: dict = {}
    for keyword in sorted(keywords):
        node = trie
        for char in keyword:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None
    return re.compile(f"{_BOUNDARY}({_trie_pattern(trie)})(e?s)?(?={_BOUNDARY})")


def _trie_pattern(node: dict) -> str:
    """Alternation of the words in a prefix tree, sharing prefixes: few branches to try."""
    branches = [_atom(char) + _trie_pattern(node[char]) for char in sorted(node) if char]
    if not branches:
        return ""
    pattern = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a keyword may end here; longer keywords are tried first
        pattern = f"(?:{pattern})?"
    return pattern


def _atom(char: str) -> str:
    if char == " ":
        return r"\s+"
    if char in _VARIANTS:
        return "[" + re.escape(_VARIANTS[char]) + "]"
    return re.escape(char)
