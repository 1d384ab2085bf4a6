"""Watch a site's inputs with watchdog and turn bursts of events into debounced change sets.

An editor's atomic save (write a temporary file, rename it over the page), a burst of saves
or a ``git checkout`` that touches hundreds of files each arrive as many file-system events;
:class:`SiteWatcher` folds them into one :class:`ChangeSet` once the file system has been quiet
for a moment. :class:`Rebuilder` turns a change set into a build (reloading ``site.yaml`` when
it changed) and :func:`watch_and_build` is the loop behind ``python build.py watch``.

Layer 8: this module sits above ``build`` and knows watchdog; it never imports Jinja2.
"""

from __future__ import annotations

import fnmatch
from contextlib import nullcontext
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .build import UnsafeOutput, build_site
from .cache import CacheMemory
from .config import CONFIG_NAME, SiteConfig, load_config
from .errors import ConfigError, Diagnostic, error
from .model import BuildResult

# Names of files editors and tools write beside the real one and throw away.
EDITOR_TEMP_PATTERNS = (
    "*.swp", "*.swo", "*.swx", "*.swpx", "*~", ".#*", "#*#", "4913", "*.tmp", "*.temp",
    "*.bak", "*.orig", "*.kate-swp", ".goutputstream-*", "*___jb_tmp___", "*___jb_old___",
    ".DS_Store", "Thumbs.db", "*.crdownload", "*.part", ".~lock.*#",
)
IGNORED_DIR_NAMES = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache",
                               ".pytest_cache", "node_modules"})
_NOISE_EVENTS = frozenset({"opened", "closed", "closed_no_write"})


@dataclass(frozen=True)
class ChangeSet:
    """What changed on disk since the last change set, after folding events together.

    ``changed`` holds files (and folders) that now exist with new content; ``deleted`` those that
    are gone; ``moved`` every rename seen, as (source, destination) pairs, whose source is also
    in ``deleted`` and destination in ``changed``.
    """

    changed: frozenset[Path] = frozenset()
    deleted: frozenset[Path] = frozenset()
    moved: tuple[tuple[Path, Path], ...] = ()

    @property
    def paths(self) -> frozenset[Path]:
        """Every path the change set touches."""
        return self.changed | self.deleted

    def __bool__(self) -> bool:
        return bool(self.changed or self.deleted)

    def __len__(self) -> int:
        return len(self.paths)

    def touches(self, path: Path) -> bool:
        return Path(path) in self.paths


class PathFilter:
    """Decides which paths are site input: not the output, cache or staging folders, not
    editor temp files, nothing inside ``.git``."""

    def __init__(self, ignored_dirs: Iterable[Path] = (), ignored_globs: Iterable[str] = (),
                 patterns: Iterable[str] = EDITOR_TEMP_PATTERNS):
        self.ignored_dirs = tuple(Path(p).absolute() for p in ignored_dirs)
        self.ignored_globs = tuple(ignored_globs)   # matched against absolute paths
        self.patterns = tuple(patterns)

    @classmethod
    def for_site(cls, config: SiteConfig) -> "PathFilter":
        output = config.output_dir.absolute()
        staging = str(output.with_name(f".{output.name}.sitegen-*"))
        return cls([config.output_dir, config.cache_dir], [staging, staging + "/*"])

    def ignored(self, path: str | Path) -> bool:
        path = Path(path).absolute()
        if any(part in IGNORED_DIR_NAMES for part in path.parts):
            return True
        if any(path == folder or folder in path.parents for folder in self.ignored_dirs):
            return True
        text = str(path)
        if any(fnmatch.fnmatchcase(text, glob) for glob in self.ignored_globs):
            return True
        return any(fnmatch.fnmatchcase(path.name, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class WatchTarget:
    """A folder to watch. ``only`` limits a non-recursive watch to a few of its entries."""

    folder: Path
    recursive: bool = True
    only: frozenset[Path] = field(default_factory=frozenset)

    def wants(self, path: Path) -> bool:
        return not self.only or path in self.only


def site_targets(config: SiteConfig) -> list[WatchTarget]:
    """What a site's change can come from: its input folders (recursively) and, in its root,
    ``site.yaml`` and the appearance of an input folder that did not exist yet."""
    folders = [config.seeds_dir, config.content_dir, config.themes_dir, config.templates_dir,
               config.static_dir]
    config_file = (config.config_file or config.root / CONFIG_NAME).absolute()
    root_entries = frozenset([config_file, *(f.absolute() for f in folders)])
    targets = [WatchTarget(config.root.absolute(), recursive=False, only=root_entries)]
    for folder in dict.fromkeys(f.absolute() for f in folders):
        if folder.is_dir() and not folder.is_symlink():
            targets.append(WatchTarget(folder))
        elif folder.parent != config.root.absolute() and folder.parent.is_dir():
            # an input folder outside the root, not there yet: watch for it in its parent
            targets.append(WatchTarget(folder.parent, recursive=False, only=frozenset([folder])))
    return targets


class _Collector:
    """Folds events into one pending change set, thread-safely; remembers when they came."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.state: dict[Path, bool] = {}      # path -> exists after the last event
        self.moved: list[tuple[Path, Path]] = []
        self.first = self.last = 0.0

    def add(self, path: Path, exists: bool) -> None:
        with self.cond:
            now = time.monotonic()
            if not self.state and not self.moved:
                self.first = now
            self.last = now
            self.state[path] = exists
            self.cond.notify_all()

    def add_move(self, source: Path, dest: Path) -> None:
        with self.cond:
            self.moved.append((source, dest))
        self.add(source, False)
        self.add(dest, True)

    def take(self) -> ChangeSet:
        """Empty the pending set and return it (the lock must be held)."""
        changes = ChangeSet(frozenset(p for p, e in self.state.items() if e),
                            frozenset(p for p, e in self.state.items() if not e),
                            tuple(self.moved))
        self.state, self.moved = {}, []
        return changes


class _Handler(FileSystemEventHandler):
    """Receives watchdog events for one watch target and passes site inputs on."""

    def __init__(self, watcher: "SiteWatcher", target: WatchTarget):
        self.watcher, self.target = watcher, target

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _NOISE_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's own mtime: its entries report what really changed
        self.watcher.receive(self.target, event)


class SiteWatcher:
    """Watches folders with a watchdog observer and hands out debounced :class:`ChangeSet` s.

    Call :meth:`start`, then :meth:`next_changes` in a loop; :meth:`stop` stops and joins the
    observer. A change set is handed out once no event came for ``quiet`` seconds, or at the
    latest ``max_wait`` seconds after its first event (so steady writes cannot starve builds).
    """

    def __init__(self, targets: Iterable[WatchTarget], path_filter: PathFilter, *,
                 poll: bool = False, poll_interval: float = 0.5, quiet: float = 0.2,
                 max_wait: float = 3.0):
        self.targets = list(targets)
        self.filter = path_filter
        self.poll, self.poll_interval = poll, poll_interval
        self.quiet, self.max_wait = quiet, max_wait
        self._pending = _Collector()
        self._observer = None
        self._scheduled: set[Path] = set()

    @classmethod
    def for_site(cls, config: SiteConfig, **options) -> "SiteWatcher":
        return cls(site_targets(config), PathFilter.for_site(config), **options)

    # -- life cycle --

    def start(self) -> "SiteWatcher":
        # watchdog warns when a folder it already watches is created again; nothing to act on
        warnings.filterwarnings("ignore", "Callback with id", RuntimeWarning, "watchdog")
        observer = (PollingObserver(timeout=self.poll_interval) if self.poll
                    else Observer(timeout=0.2))
        self._observer = observer
        for target in self.targets:
            self._schedule(target)
        observer.start()
        return self

    def stop(self) -> None:
        """Stop the observer and wait for its threads to end; wakes :meth:`next_changes`."""
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=10)
        with self._pending.cond:
            self._pending.cond.notify_all()

    @property
    def running(self) -> bool:
        return self._observer is not None

    def __enter__(self) -> "SiteWatcher":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def retarget(self, targets: Iterable[WatchTarget], path_filter: PathFilter) -> None:
        """Watch other folders (a new ``site.yaml`` moved them), keeping pending events."""
        targets = list(targets)
        self.filter = path_filter
        if targets == self.targets:
            return
        self.targets = targets
        if self._observer is not None:
            self._observer.unschedule_all()
            self._scheduled.clear()
            for target in targets:
                self._schedule(target)

    def _schedule(self, target: WatchTarget) -> None:
        if self._observer is None or target.folder in self._scheduled:
            return
        try:
            self._observer.schedule(_Handler(self, target), str(target.folder),
                                    recursive=target.recursive)
            self._scheduled.add(target.folder)
        except OSError:
            pass  # the folder vanished between the check and the call; its parent reports it

    # -- events --

    def receive(self, target: WatchTarget, event: FileSystemEvent) -> None:
        """Take one watchdog event (called on the observer's thread)."""
        source = Path(_text(event.src_path)).absolute()
        dest = Path(_text(event.dest_path)).absolute() if getattr(event, "dest_path", "") else None
        keep_source = target.wants(source) and not self.filter.ignored(source)
        keep_dest = dest is not None and target.wants(dest) and not self.filter.ignored(dest)
        if event.event_type == "moved" and dest is not None:
            if keep_source and keep_dest:
                self._pending.add_move(source, dest)
            elif keep_source:
                self._pending.add(source, False)   # renamed to a temp name: gone
            elif keep_dest:
                self._pending.add(dest, True)      # an atomic save: temp file renamed in
            if keep_dest and event.is_directory:
                self._watch_new_folder(target, dest)
            return
        if not keep_source:
            return
        exists = event.event_type != "deleted"
        self._pending.add(source, exists)
        if exists and event.is_directory:
            self._watch_new_folder(target, source)

    def _watch_new_folder(self, target: WatchTarget, folder: Path) -> None:
        """An input folder appeared in the root (say ``content/`` after a first import)."""
        if not target.recursive and target.only:
            self._schedule(WatchTarget(folder))

    def next_changes(self, timeout: float | None = None) -> ChangeSet | None:
        """Wait up to ``timeout`` seconds for a debounced change set; None when none came
        (or the watcher was stopped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = self._pending
        with pending.cond:
            while True:
                if self._observer is None and not pending.state:
                    return None
                now = time.monotonic()
                if pending.state:
                    ready_at = min(pending.last + self.quiet, pending.first + self.max_wait)
                    if now >= ready_at:
                        return pending.take()
                    wait = ready_at - now
                else:
                    wait = None
                if deadline is not None:
                    if now >= deadline:
                        return None
                    wait = deadline - now if wait is None else min(wait, deadline - now)
                pending.cond.wait(wait)


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path


# --- rebuilding ---------------------------------------------------------------------------

class ConfigSource:
    """How to (re)load the site's configuration, command-line overrides included."""

    def __init__(self, path: Path | None, *, output: str | None = None,
                 base_url: str | None = None, drafts: bool = False):
        self.path, self.output, self.base_url, self.drafts = path, output, base_url, drafts

    def load(self) -> SiteConfig:
        """Raises :class:`~sitegen.errors.ConfigError` listing every problem."""
        return load_config(self.path, output=self.output, base_url=self.base_url,
                           drafts=self.drafts)


@dataclass(frozen=True)
class Outcome:
    """One rebuild as the dev server and the terminal see it.

    ``problems`` are the errors to show (config errors, build errors, a template error);
    ``result`` is None when nothing was built (bad config, unsafe output, internal error).
    """

    result: BuildResult | None
    problems: tuple[Diagnostic, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()   # everything to print, warnings included
    changes: ChangeSet | None = None
    config_changed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_outputs(self) -> tuple[str, ...]:
        return self.result.changed if self.result is not None else ()


class Rebuilder:
    """Builds the site for a change set: reloads ``site.yaml`` when it changed (or when the
    last load failed), then calls :func:`sitegen.build.build_site`. Never raises for bad input;
    every problem ends up in the :class:`Outcome`. The first build makes the search index
    when it is due; later ones keep the published one (Pagefind reads every article page
    again: 20 s at 10,000 articles) and leave it to the next plain build."""

    def __init__(self, source: ConfigSource, config: SiteConfig):
        self.source = source
        self.config = config
        self.config_broken = False
        self.memory = CacheMemory()   # the cache's contents, kept between rebuilds
        self.first = True             # the first build makes the search index if due

    def config_file(self) -> Path:
        return (self.config.config_file or self.config.root / CONFIG_NAME).absolute()

    def rebuild(self, changes: ChangeSet | None = None) -> Outcome:
        """Build for ``changes`` (the paths file-system events named since the last
        rebuild: only those are looked at again), or, without them, for whatever changed
        (every input file is looked at)."""
        reload_config = self.config_broken or (changes is not None and
                                               changes.touches(self.config_file()))
        if reload_config:
            self.memory.snapshot = None    # the next build walks every input again
            try:
                self.config = self.source.load()
                self.config_broken = False
            except ConfigError as exc:
                self.config_broken = True
                return Outcome(None, exc.diagnostics, exc.diagnostics, changes, True)
        touched = changes.paths if changes is not None else None
        try:   # later ones leave it for the next plain build: see build_site
            result = build_site(self.config, memory=self.memory, search_later=not self.first,
                                touched=touched)
            self.first = False
        except UnsafeOutput as exc:
            return Outcome(None, (exc.diagnostic,), (exc.diagnostic,), changes, reload_config)
        except Exception as exc:  # a bug in sitegen: show it, keep the server up
            problem = error("", f"internal error: {type(exc).__name__}: {exc}",
                            hint="please report it; the previous site was left in place")
            return Outcome(None, (problem,), (problem,), changes, reload_config)
        problems = tuple(d for d in result.diagnostics if d.level == "error")
        if not result.built and not problems:
            problems = (error("", "the build failed; the previous site was left in place"),)
        return Outcome(result, problems, result.diagnostics, changes, reload_config)


VERIFY_AFTER = 2.0
"""Seconds of quiet after a rebuild that looked only at the paths events named, before
every input is looked at once more (a change no event told of: a linked file's target)."""


def watch_and_build(rebuilder: Rebuilder, watcher: SiteWatcher,
                    on_outcome: Callable[[Outcome], None], stop: threading.Event, *,
                    build_guard: Callable[[], ContextManager] | None = None) -> None:
    """Rebuild on every change set of ``watcher`` (started before the first build, so no edit
    is missed) until ``stop`` is set, then stop the watcher. The watcher follows a new
    ``site.yaml`` that moves the folders to watch. ``build_guard``, when given, returns a
    context manager held around each build and its ``on_outcome`` (the server holds requests
    back meanwhile). A rebuild looks only at the paths the events named; once things are
    quiet for :data:`VERIFY_AFTER` seconds, every input is looked at again (nothing to
    build, unless a change came without an event: then its outcome is shown too)."""
    guard = build_guard if build_guard is not None else nullcontext
    shown: tuple[Diagnostic, ...] = ()     # the problems of the last outcome shown
    unverified_since: float | None = None
    try:
        while not stop.is_set():
            changes = watcher.next_changes(timeout=0.2)
            if not changes:
                if unverified_since is not None and \
                        time.monotonic() - unverified_since >= VERIFY_AFTER:
                    unverified_since = None
                    with guard():
                        outcome = rebuilder.rebuild()
                        if outcome.changed_outputs or outcome.problems != shown:
                            on_outcome(outcome)
                            shown = outcome.problems
                continue
            with guard():
                outcome = rebuilder.rebuild(changes)
                on_outcome(outcome)
                shown = outcome.problems
            unverified_since = time.monotonic()
            watcher.retarget(site_targets(rebuilder.config), PathFilter.for_site(rebuilder.config))
    finally:
        watcher.stop()
