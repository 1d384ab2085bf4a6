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
import os
import stat
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

from . import dates, frontmatter, urls
from .config import SiteConfig
from .errors import Diagnostic, warning
from .digests import short_hash, text_fingerprint
from .fsutil import FileSig, atomic_write, file_sig, relative_posix
from .model import PageInfo, SeedArticle
from .parallel import parallel_imap
from .seeds import decode_seed, parse_seed
from .snapshot import Snapshot
from .topics import TopicMatcher, compile_topics

SEED_SUFFIXES = (".txt", ".md", ".markdown")


SeedsSeen = dict[str, tuple[FileSig | None, str]]   # seed file name -> (signature, hash)


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    seen: SeedsSeen = field(default_factory=dict)   # each seed's signature and hash


@dataclass
class _ContentState:
    """What the importer knows of content/: which page came from which seed, and which
    URLs, texts and paths are taken."""

    by_seed: dict[str, PageInfo] = field(default_factory=dict)
    by_url: dict[str, str] = field(default_factory=dict)       # normalised URL -> page
    by_text: dict[str, str] = field(default_factory=dict)      # text fingerprint -> page
    paths: set[Path] = field(default_factory=set)

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


def _new_path(folder: Path, slug: str, taken: set[Path],
              listed: dict[Path, frozenset[str] | None]) -> Path:
    """``folder/<slug>.md``, or ``<slug>-2.md``, ``-3`` ... when that is taken or exists."""
    path, n = folder / f"{slug}.md", 2
    while path in taken or _exists(path, listed):
        path, n = folder / f"{slug}-{n}.md", n + 1
    return path


def _exists(path: Path, listed: dict[Path, frozenset[str] | None]) -> bool:
    """``path.exists()``, asking the disk only about names in its folder's listing (taken
    once per folder and kept in ``listed``; what the import writes is in ``taken``)."""
    if path.parent not in listed:
        try:
            listed[path.parent] = frozenset(name.lower() for name in os.listdir(path.parent))
        except (FileNotFoundError, NotADirectoryError):
            listed[path.parent] = frozenset()
        except OSError:
            listed[path.parent] = None      # unreadable: ask about every name
    names = listed[path.parent]
    return (names is None or path.name.lower() in names) and path.exists()


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
    text, problems = decode_seed(data, path.name, config.import_.max_seed_bytes)
    if text is None:
        return None, problems
    mtime = datetime.fromtimestamp(path.stat().st_mtime, config.tz)
    article, more = parse_seed(text, path.name, mtime=mtime,
                               assume_year=config.import_.assume_year, tz=config.tz)
    return article, problems + more


@dataclass(frozen=True)
class _Candidate:
    """A seed that needs (re-)importing, and the page it already has, if any."""

    path: Path
    data: bytes
    seed_hash: str
    existing: PageInfo | None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _candidates(config: SiteConfig, state: _ContentState, problems: list[Diagnostic],
                seen: SeedsSeen, now: SeedsSeen, snapshot: Snapshot | None) -> list[_Candidate]:
    """Seeds that are new, or changed while their page was not edited. A seed whose
    signature is as in ``seen`` keeps its hash there and is read only if it is a
    candidate; ``now`` receives every seed's signature and hash."""
    found = []
    started = snapshot.taken_ns if snapshot is not None else time.time_ns()
    for name, info in _seed_files(config.seeds_dir, snapshot):
        seed_file = f"seeds/{name}"
        seed_path = os.path.join(config.seeds_dir, name)
        sig = file_sig(info, started)
        known = seen.get(name)
        data = None
        try:
            if sig is not None and known is not None and known[0] == sig:
                seed_hash = known[1]
            else:
                data = _read(seed_path)
                seed_hash = short_hash(data)
            now[name] = (sig, seed_hash)
            existing = state.by_seed.get(name)
            if existing is not None and existing.seed_hash == seed_hash:
                continue
            if existing is not None and existing.edited:
                problems.append(warning(
                    seed_file, f"the seed changed since it was imported, and {existing.path} "
                    "was edited since: both left as they are",
                    hint=f"copy what you need from the seed into {existing.path} by hand, then "
                         f"set 'seed_hash: {seed_hash}' there to acknowledge the new version"))
                continue
            if data is None:
                data = _read(seed_path)
                seed_hash = short_hash(data)
        except OSError as exc:
            problems.append(warning(seed_file, f"cannot read the seed: {exc.strerror}",
                                    hint="check the file's permissions"))
            continue
        found.append(_Candidate(Path(seed_path), data, seed_hash, existing))
    return found


@dataclass(frozen=True)
class _Page:
    """A seed parsed and rendered by a worker: what the parent needs to file and write it.
    ``folder``, ``slug``, ``source_url`` and ``fingerprint`` are set for new pages only."""

    text: str
    folder: tuple[str, str] = ("", "")      # ("YYYY", "MM") inside content/
    slug: str = ""
    source_url: str | None = None          # normalised (urls.normalise_url)
    fingerprint: str = ""                  # digests.text_fingerprint of the body


def _render(candidate: _Candidate, config: SiteConfig,
            matcher: TopicMatcher) -> tuple[_Page | None, list[Diagnostic]]:
    """Parse one seed and render its page; runs in a worker, so the parent only files it."""
    article, problems = _parse(candidate.path, candidate.data, config)
    if article is None:
        return None, problems
    if candidate.existing is not None:
        return _Page(_page_text(article, config, matcher, candidate.seed_hash,
                                candidate.existing.id)), problems
    assert article.date is not None
    return _Page(_page_text(article, config, matcher, candidate.seed_hash, None),
                 folder=(f"{article.date:%Y}", f"{article.date:%m}"),
                 slug=urls.article_slug(article.title, short_hash(article.seed.encode())[:8]),
                 source_url=urls.normalise_url(article.source_url) if article.source_url else None,
                 fingerprint=text_fingerprint(article.body)), problems


def import_seeds(config: SiteConfig, pages: Sequence[PageInfo], jobs: int = 1,
                 seen: SeedsSeen | None = None, snapshot: Snapshot | None = None) -> ImportResult:
    """Bring every new or changed seed into content/, following the no-data-loss rules.
    ``pages`` describes every file already in content/ (``reader.read_content``);
    ``seen``, each seed's signature and hash as the last import found them (see
    :func:`_candidates`); ``snapshot``, the inputs as just walked. Seeds are parsed and
    rendered on ``jobs`` cores; duplicates are decided and pages written in seed order."""
    _remove_stale_temporaries(config.content_dir, snapshot)
    state = _ContentState()
    for info in pages:
        state.remember(info)
    root = config.content_dir.parent
    created: list[str] = []
    updated: list[str] = []
    problems: list[Diagnostic] = []
    now: SeedsSeen = {}
    candidates = _candidates(config, state, problems, seen or {}, now, snapshot)
    if not candidates:
        return ImportResult((), (), tuple(problems), now)
    state.paths = {root / info.path for info in pages}
    matcher = compile_topics(tuple(config.topics))

    def render(batch: Sequence[_Candidate]) -> list[tuple[_Page | None, list[Diagnostic]]]:
        return [_render(candidate, config, matcher) for candidate in batch]

    writer = ThreadPoolExecutor(max_workers=4)   # creating files is what costs: overlap it
    pending = []
    folders: set[Path] = set()
    listed: dict[Path, frozenset[str] | None] = {}
    for candidate, (page, found) in zip(
            candidates, parallel_imap(render, candidates, jobs, min_batch=100)):
        problems.extend(found)
        if page is None:
            continue
        if candidate.existing is not None:
            atomic_write(root / candidate.existing.path, page.text.encode(), durable=True)
            updated.append(candidate.existing.path)
            continue
        duplicate = _duplicate_of(page, state)
        if duplicate:
            problems.append(warning(f"seeds/{candidate.path.name}",
                                    f"the same story as {duplicate}: not imported again",
                                    hint="delete this seed, or edit the existing page"))
            continue
        path = _new_path(config.content_dir.joinpath(*page.folder), page.slug, state.paths, listed)
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        pending.append(writer.submit(atomic_write, path, page.text.encode(), False))
        rel = relative_posix(path, root)
        state.paths.add(path)
        state.remember(PageInfo(rel, seed=candidate.path.name, seed_hash=candidate.seed_hash,
                                edited=False, source_url=page.source_url,
                                fingerprint=page.fingerprint))
        created.append(rel)
    writer.shutdown(wait=True)
    for future in pending:
        future.result()    # a failed write is an error, not a silent gap
    return ImportResult(tuple(created), tuple(updated), tuple(problems), now)


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
