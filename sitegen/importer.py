"""seeds/ -> content/: turn new seeds into content pages without ever losing a curator's work.

The rules (product.md, "Import rules"):
- a seed no content page comes from yet becomes a new page;
- a page the curator edited is never overwritten; if its seed changed too, say so;
- a removed seed never deletes its page;
- the same story twice (same source URL or same text) is imported once and reported;
- a build with nothing new writes nothing.

Each imported page records ``seed`` (the seed's file name), ``seed_hash`` (of the seed's
bytes) and, as its last front-matter key, ``import_hash``: the hash of the page text as the
importer wrote it. A page whose text no longer matches ``import_hash`` has been edited.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import stat
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

from . import dates, frontmatter, urls
from .config import SiteConfig
from .errors import Diagnostic, warning
from .digests import short_hash, text_fingerprint
from .fsutil import FileSig, atomic_write, file_sig
from .model import PageInfo, SeedArticle
from .parallel import parallel_imap
from .snapshot import Snapshot
from .topics import TopicMatcher, compile_topics

SEED_SUFFIXES = (".txt", ".md", ".markdown")


SeedsSeen = dict[str, tuple[FileSig | None, str]]   # seed file name -> (signature, hash)


@dataclass(frozen=True)
class PendingSeed:
    """A seed the import left out and looks at again every time (a duplicate; one it
    cannot read or parse; a changed seed whose page was edited), so its ``problems`` come
    again with every import. What in content/ decides them: the ``page`` they name, and
    the source URL and text a page would need to share with the seed to change them."""

    problems: tuple[Diagnostic, ...]
    page: str | None = None
    source_url: str | None = None          # normalised (urls.normalise_url)
    fingerprint: str = ""                  # digests.text_fingerprint of its body


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    seen: SeedsSeen = field(default_factory=dict)   # each seed's signature and hash
    pending: tuple[PendingSeed, ...] = ()           # the seeds left out, in seed order


def pending_unmoved(pending: Sequence[PendingSeed], edited: Sequence[PageInfo]) -> bool:
    """Whether the seeds an import left out are left out alike, with the same problems,
    after edits of the pages ``edited`` (as they are now) that add, remove or rename no
    page and claim no other seed: none of these pages is one the problems name, or now
    shares a left-out seed's source URL or text."""
    pages = {p.page for p in pending if p.page}
    source_urls = {p.source_url for p in pending if p.source_url}
    texts = {p.fingerprint for p in pending if p.fingerprint}
    return not any(info.path in pages or (info.source_url and info.source_url in source_urls)
                   or (info.fingerprint and info.fingerprint in texts) for info in edited)


@dataclass
class _ContentState:
    """What the importer knows of content/: which page came from which seed, and which
    URLs, texts and paths are taken."""

    by_seed: dict[str, PageInfo] = field(default_factory=dict)
    by_url: dict[str, str] = field(default_factory=dict)       # normalised URL -> page
    by_text: dict[str, str] = field(default_factory=dict)      # text fingerprint -> page

    def remember(self, info: PageInfo) -> None:
        if info.source_url:
            self.by_url.setdefault(info.source_url, info.path)
        if info.fingerprint:
            self.by_text.setdefault(info.fingerprint, info.path)
        if info.seed:
            self.by_seed.setdefault(info.seed, info)


def article_id(article: SeedArticle) -> str:
    """A permanent id: the same story gets the same id on every machine, forever."""
    if article.source_url:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, urls.normalise_url(article.source_url))}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_OID, 'sitegen:' + text_fingerprint(article.body))}"


def render_page(article: SeedArticle, config: SiteConfig, seed_hash: str,
                page_id: str | None = None) -> str:
    """The content page the importer writes for a seed, ``import_hash`` included."""
    return _page_text(article, config, compile_topics(tuple(config.topics)), seed_hash, page_id)


def _page_text(article: SeedArticle, config: SiteConfig, matcher: TopicMatcher, seed_hash: str,
               page_id: str | None) -> str:
    """:func:`render_page` with the taxonomy already compiled."""
    assert article.date is not None
    topics = matcher.match(article.title, article.body, config.import_.max_topics)
    meta = {
        "id": page_id or article_id(article),
        "title": article.title,
        "date": dates.front_matter_date(article.date),
        "subtitle": article.subtitle,
        "dateline": article.dateline,
        "agency": article.agency,
        "source": article.publisher,
        "source_url": article.source_url,
        "topics": list(topics),
        "summary": article.summary or None,
        "seed": article.seed,
        "seed_hash": seed_hash,
    }
    meta = {key: value for key, value in meta.items() if value is not None}
    text = frontmatter.dump(meta, article.body)
    # import_hash is the last key: the page is the text above with its line added
    head, fence, rest = text.partition("\n---\n")
    return f"{head}\nimport_hash: {short_hash(text.encode())}{fence}{rest}"


def _new_path(folder: str, slug: str, taken: set[str],
              listed: dict[str, frozenset[str] | None]) -> str:
    """``folder/<slug>.md``, or ``<slug>-2.md``, ``-3`` ... when that is taken or exists."""
    name, n = f"{slug}.md", 2
    while os.path.normcase(os.path.join(folder, name)) in taken or _exists(folder, name, listed):
        name, n = f"{slug}-{n}.md", n + 1
    return os.path.join(folder, name)


def _exists(folder: str, name: str, listed: dict[str, frozenset[str] | None]) -> bool:
    """Whether ``folder/name`` exists, asking the disk only about names in the folder's
    listing (taken once per folder and kept in ``listed``; what the import writes is in
    the caller's ``taken``)."""
    if folder not in listed:
        try:
            listed[folder] = frozenset(entry.lower() for entry in os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            listed[folder] = frozenset()
        except OSError:
            listed[folder] = None      # unreadable: ask about every name
    names = listed[folder]
    return (names is None or name.lower() in names) and os.path.exists(os.path.join(folder, name))


def _seed_files(seeds_dir: Path, snapshot: Snapshot | None) -> list[tuple[str, os.stat_result]]:
    """The names of the seed files, sorted, each with its ``stat`` (the snapshot's, when
    it walked seeds/)."""
    listed = snapshot.under(seeds_dir) if snapshot is not None else None
    if listed is None:
        if not seeds_dir.is_dir():
            return []
        with os.scandir(seeds_dir) as entries:
            listed = {entry.path: None for entry in entries}
    found = []
    cut = len(str(seeds_dir)) + 1
    for path, info in listed.items():
        name = path[cut:]
        if os.sep in name or name.startswith(".") or not name.lower().endswith(SEED_SUFFIXES):
            continue
        try:
            info = info or os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append((name, info))
    return sorted(found, key=lambda item: item[0])


def _parse(path: Path, data: bytes, config: SiteConfig) -> tuple[SeedArticle | None, list[Diagnostic]]:
    from .seeds import decode_seed, parse_seed   # loaded by import_seeds (see there)
    text, problems = decode_seed(data, path.name, config.import_.max_seed_bytes)
    if text is None:
        return None, problems
    mtime = datetime.fromtimestamp(path.stat().st_mtime, config.tz)
    article, more = parse_seed(text, path.name, mtime=mtime,
                               assume_year=config.import_.assume_year, tz=config.tz)
    return article, problems + more


@dataclass(frozen=True)
class _Candidate:
    """A seed that may need (re-)importing: new, changed, or not known to be unchanged.
    The worker reads it; ``existing`` is the page it already has, if any; ``sig``, its
    signature as walked."""

    path: str
    existing: PageInfo | None
    sig: FileSig | None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _candidates(config: SiteConfig, state: _ContentState, seen: SeedsSeen, now: SeedsSeen,
                snapshot: Snapshot | None) -> list[_Candidate]:
    """Seeds that are new, or changed, or not known to be unchanged. A seed whose
    signature is as in ``seen`` keeps its hash there and needs no reading unless its page
    is missing or from another version; the others are read and hashed by the workers
    (:func:`_render`). ``now`` receives the signature and hash of every seed known here."""
    found = []
    started = snapshot.taken_ns if snapshot is not None else time.time_ns()
    for name, info in _seed_files(config.seeds_dir, snapshot):
        sig = file_sig(info, started)
        known = seen.get(name)
        existing = state.by_seed.get(name)
        seed_path = os.path.join(config.seeds_dir, name)
        if sig is None or known is None or known[0] != sig:
            found.append(_Candidate(seed_path, existing, sig))
            continue
        seed_hash = known[1]
        now[name] = (sig, seed_hash)
        if existing is not None and existing.seed_hash == seed_hash:
            continue
        found.append(_Candidate(seed_path, existing, sig))
    return found


@dataclass(frozen=True)
class _Page:
    """A seed parsed and rendered by a worker: what the parent needs to file it. A new
    page's text is already written, to the hidden temporary file ``staged`` in its
    folder, for the parent to rename into place; ``folder``, ``slug``, ``source_url`` and
    ``fingerprint`` are set for new pages only."""

    text: str = ""
    staged: str = ""                       # new pages: their temporary file
    folder: tuple[str, str] = ("", "")      # ("YYYY", "MM") inside content/
    slug: str = ""
    source_url: str | None = None          # normalised (urls.normalise_url)
    fingerprint: str = ""                  # digests.text_fingerprint of the body


@dataclass(frozen=True)
class _Outcome:
    """What a worker made of one candidate: the seed's hash (None if unreadable), the
    page to file (None if nothing is to be written) and the problems found."""

    seed_hash: str | None
    page: _Page | None
    problems: list[Diagnostic]


def _render(candidate: _Candidate, config: SiteConfig, matcher: TopicMatcher) -> _Outcome:
    """Read, parse and render one seed; runs in a worker, so the parent only files it. A
    new page is written to a temporary file beside where it will go."""
    name = os.path.basename(candidate.path)
    try:
        data = _read(candidate.path)
    except OSError as exc:
        return _Outcome(None, None, [warning(f"seeds/{name}",
                                             f"cannot read the seed: {exc.strerror}",
                                             hint="check the file's permissions")])
    seed_hash = short_hash(data)
    existing = candidate.existing
    if existing is not None and existing.seed_hash == seed_hash:
        return _Outcome(seed_hash, None, [])
    if existing is not None and existing.edited:
        return _Outcome(seed_hash, None, [warning(
            f"seeds/{name}", f"the seed changed since it was imported, and {existing.path} "
            "was edited since: both left as they are",
            hint=f"copy what you need from the seed into {existing.path} by hand, then "
                 f"set 'seed_hash: {seed_hash}' there to acknowledge the new version")])
    article, problems = _parse(Path(candidate.path), data, config)
    if article is None:
        return _Outcome(seed_hash, None, problems)
    if existing is not None:
        return _Outcome(seed_hash, _Page(_page_text(article, config, matcher, seed_hash,
                                                    existing.id)), problems)
    assert article.date is not None
    folder = (f"{article.date:%Y}", f"{article.date:%m}")
    slug = urls.article_slug(article.title, short_hash(article.seed.encode())[:8])
    text = _page_text(article, config, matcher, seed_hash, None)
    staged = _stage(os.path.join(config.content_dir, *folder), slug, text.encode(), name)
    return _Outcome(seed_hash, _Page(
        staged=staged, folder=folder, slug=slug,
        source_url=urls.normalise_url(article.source_url) if article.source_url else None,
        fingerprint=text_fingerprint(article.body)), problems)


def _stage(folder: str, slug: str, data: bytes, seed: str) -> str:
    """Write ``data`` to a new hidden temporary file in ``folder`` (made if need be), named
    like the ones :func:`_remove_stale_temporaries` clears after a killed import and after
    the ``seed`` file, so that no two seeds' names meet. Created as any new file is (the
    umask decides who may read it)."""
    staged = os.path.join(folder, f".{slug}.md.{short_hash(seed.encode())}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(staged, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(staged, flags, 0o666)
    except FileExistsError:   # left by a killed import (the build lock rules out a live one)
        os.unlink(staged)
        fd = os.open(staged, flags, 0o666)
    try:
        with open(fd, "wb", buffering=0) as handle:
            handle.write(data)
    except BaseException:
        os.unlink(staged)
        raise
    return staged


def import_seeds(config: SiteConfig, pages: Sequence[PageInfo], jobs: int = 1,
                 seen: SeedsSeen | None = None, snapshot: Snapshot | None = None) -> ImportResult:
    """Bring every new or changed seed into content/, following the no-data-loss rules.
    ``pages`` describes every file already in content/ (``reader.read_content``);
    ``seen``, each seed's signature and hash as the last import found them (see
    :func:`_candidates`); ``snapshot``, the inputs as just walked. Seeds are read, parsed
    and rendered (new pages written to temporary files) on ``jobs`` cores; duplicates are
    decided and pages put in place in seed order."""
    _remove_stale_temporaries(config.content_dir, snapshot)
    state = _ContentState()
    for info in pages:
        state.remember(info)
    created: list[str] = []
    updated: list[str] = []
    problems: list[Diagnostic] = []
    pending: list[PendingSeed] = []
    now: SeedsSeen = {}
    candidates = _candidates(config, state, seen or {}, now, snapshot)
    if not candidates:
        return ImportResult((), (), tuple(problems), now)
    root = str(config.content_dir.parent) + os.sep
    content = str(config.content_dir)
    taken = {os.path.normcase(root + info.path) for info in pages}
    matcher = compile_topics(tuple(config.topics))
    # the seed parser, loaded here for the workers it forks (not when sitegen starts: its
    # patterns take 15-20 ms, which a build with no seed to import would spend for nothing)
    importlib.import_module(".seeds", __package__)

    def render(batch: Sequence[_Candidate]) -> list[_Outcome]:
        return [_render(candidate, config, matcher) for candidate in batch]

    listed: dict[str, frozenset[str] | None] = {}
    discarded: set[tuple[str, str]] = set()   # folders of duplicates the workers staged
    outcomes = parallel_imap(render, candidates, jobs, min_batch=100)
    try:
        for candidate, outcome in zip(candidates, outcomes):
            name = os.path.basename(candidate.path)
            if outcome.seed_hash is not None:
                now[name] = (candidate.sig, outcome.seed_hash)
            problems.extend(outcome.problems)
            page = outcome.page
            existing = candidate.existing
            if page is None:
                if existing is None or existing.seed_hash != outcome.seed_hash:
                    pending.append(PendingSeed(tuple(outcome.problems),
                                               existing.path if existing else None))
                continue
            if candidate.existing is not None:
                atomic_write(Path(root + candidate.existing.path), page.text.encode(),
                             durable=True)
                updated.append(candidate.existing.path)
                continue
            duplicate = _duplicate_of(page, state)
            if duplicate:
                os.unlink(page.staged)
                discarded.add(page.folder)
                problems.append(warning(f"seeds/{name}",
                                        f"the same story as {duplicate}: not imported again",
                                        hint="delete this seed, or edit the existing page"))
                pending.append(PendingSeed((*outcome.problems, problems[-1]), duplicate,
                                           page.source_url, page.fingerprint))
                continue
            path = _new_path(os.path.join(content, *page.folder), page.slug, taken, listed)
            os.replace(page.staged, path)
            rel = "/".join((config.content_dir.name, *page.folder, os.path.basename(path)))
            taken.add(os.path.normcase(path))
            state.remember(PageInfo(rel, seed=name, seed_hash=outcome.seed_hash,
                                    edited=False, source_url=page.source_url,
                                    fingerprint=page.fingerprint))
            created.append(rel)
    finally:
        outcomes.close()   # cut short: what the workers staged is cleared by the next run
    for year, month in sorted(discarded):   # a worker made them for a duplicate: unmake
        _remove_if_empty(os.path.join(content, year, month))
        _remove_if_empty(os.path.join(content, year))
    return ImportResult(tuple(created), tuple(updated), tuple(problems), now, tuple(pending))


def _remove_if_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:   # not empty (or gone): kept
        pass


def _remove_stale_temporaries(content_dir: Path, snapshot: Snapshot | None) -> None:
    """Temporary files of page writes cut off by a kill (``.<page>.md.<random>.tmp``); the
    build lock guarantees no other write is under way."""
    listed = snapshot.under(content_dir) if snapshot is not None else None
    if listed is None:
        found = content_dir.rglob(".*.md.*.tmp") if content_dir.is_dir() else []
    else:
        found = [Path(path) for path in listed if path.endswith(".tmp")
                 and fnmatch.fnmatchcase(os.path.basename(path), ".*.md.*.tmp")]
    for leftover in found:
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink()


def _duplicate_of(page: _Page, state: _ContentState) -> str | None:
    """The page already holding the same story (same source URL, or same text), if any."""
    if page.source_url:
        found = state.by_url.get(page.source_url)
        if found:
            return found
    return state.by_text.get(page.fingerprint) if page.fingerprint else None
