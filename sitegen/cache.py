"""The persistent build cache: one SQLite file in ``cache_dir`` (git-ignored, safe to delete).

It keeps what is costly to redo and cheap to look up:
- page records: what reading a content file gave, under the digest of its bytes, path and
  reader settings (``reader.record_key``);
- rendered bodies: sanitised HTML under the hash of the Markdown body, so an unchanged body
  is never converted twice;
- the manifest of the last build: each output file's job fingerprint and content hash,
  so a rebuild renders only pages whose inputs changed and writes only changed bytes.

Everything is invalidated when sitegen's version or the Markdown settings change.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import uuid
from pathlib import Path
from typing import Iterable

from . import __version__
from .markup import SETTINGS_KEY

FILE_NAME = "build.sqlite"
COMPACT_AFTER = 500   # record changes kept as rows before the blob is rewritten
LAYOUT = 5   # bump when what the cache keeps changes shape (or what it vouches for)
ROWS_AFTER = 2000   # changes of a named table kept as rows before it is written whole
_SCHEMA = f"{__version__}|{SETTINGS_KEY}|{pickle.HIGHEST_PROTOCOL}|{LAYOUT}"


class CacheMemory:
    """What a long-running process (the dev server) keeps of the cache between builds, so
    a rebuild does not load it again. It is trusted only while the cache file's
    *generation* is the one it saw: every process that writes to the cache first writes a
    new generation, so a build from another process (or a killed one) clears it.
    ``snapshot`` is the last build's view of its inputs (``snapshot.Snapshot``), which a
    build told what paths changed since patches instead of walking them all again.
    ``output`` is the output folder's path and its folders as last listed
    (``listings.Known``, or the helper still learning them), from which the next listing
    reads only those changed since; it checks itself (by the folders' change times), so
    no generation concerns it."""

    def __init__(self) -> None:
        self.generation: object = None
        self.values: dict[str, object] = {}
        self.snapshot: object = None
        self.output: tuple[str, object] = ("", {})


class BuildCache:
    """A connection to the cache file, or a throw-away in-memory cache; with a
    :class:`CacheMemory`, values read once are kept there for the next build."""

    def __init__(self, folder: Path | None, memory: CacheMemory | None = None):
        self.path = folder / FILE_NAME if folder is not None else None
        if self.path is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.memory = memory or CacheMemory()
        self._written = False
        self._pid, self._forked_db = os.getpid(), None
        self.db = self._open()
        row = self.db.execute("SELECT value FROM kv WHERE name='generation'").fetchone()
        generation = (str(self.path), row[0] if row else None)
        if self.memory.generation != generation:
            self.memory.values.clear()
            self.memory.generation = generation

    def _will_write(self) -> None:
        """Mark the cache as changed (once per connection) before anything is written."""
        if not self._written:
            self._written = True
            token = uuid.uuid4().hex
            self.db.execute("INSERT OR REPLACE INTO kv VALUES ('generation', ?)", (token,))
            self.memory.generation = (str(self.path), token)

    def _open(self) -> sqlite3.Connection:
        target = str(self.path) if self.path is not None else ":memory:"
        try:
            db = sqlite3.connect(target, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(
                "CREATE TABLE IF NOT EXISTS kv (name TEXT PRIMARY KEY, value BLOB);"
                "CREATE TABLE IF NOT EXISTS html (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE IF NOT EXISTS teasers (key BLOB PRIMARY KEY, value BLOB);"
                "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value BLOB);"
                "CREATE TABLE IF NOT EXISTS kvrows (name TEXT, key TEXT, value BLOB,"
                " PRIMARY KEY (name, key));")
            row = db.execute("SELECT value FROM kv WHERE name='schema'").fetchone()
        except sqlite3.DatabaseError:   # not a cache file any more: start afresh
            if self.path is not None:
                self.path.unlink(missing_ok=True)
            return self._open()
        if row is None or row[0] != _SCHEMA:
            db.executescript("DELETE FROM kv; DELETE FROM html; DELETE FROM records;"
                             "DELETE FROM kvrows; DELETE FROM teasers;")
            db.execute("INSERT INTO kv VALUES ('schema', ?)", (_SCHEMA,))
            self.memory.values.clear()
        return db

    def close(self) -> None:
        self.db.close()

    # page records ---------------------------------------------------------------------
    def records(self) -> dict[str, object]:
        """Every cached page record, by key: one blob (loading 10,000 is one unpickling)
        and the few changes made since it was written, as rows (a NULL row: forgotten)."""
        if "records*" in self.memory.values:
            return self.memory.values["records*"]
        found = self.load("records") or {}
        for key, value in self.db.execute("SELECT key, value FROM records"):
            try:
                found[key] = pickle.loads(value)
            except Exception:   # NULL (forgotten), or from an incompatible build
                found.pop(key, None)
        self.memory.values["records*"] = found
        return found

    def keep_records(self, records: dict[str, object], used: set[str], known: set[str],
                     light=lambda record: record, body_of=lambda record: None) -> None:
        """Keep the records of ``used`` keys (``light`` of each: what the cache holds of
        it) and forget the others. A few changes are written as rows; the blob is written
        again only when they add up, and then the rendered bodies no kept record has
        (``body_of`` a record: its key in the html table, or None) are forgotten too, so
        an often-edited site's cache does not keep every version of every body."""
        added, gone = used - known, known - used
        if not added and not gone:
            return
        self.memory.values["records*"] = {key: records[key] for key in used}
        self._write_records({k: light(records[k]) for k in added}, gone,
                            lambda: {k: light(records[k]) for k in sorted(used)}, body_of)

    def swap_records(self, added: dict[str, object], gone: Iterable[str],
                     body_of=lambda record: None) -> None:
        """Keep the records ``added`` (as the cache is to hold them) and forget those of
        the ``gone`` keys, without loading the others (a quick rebuild's few), unless it
        is time to write the blob again (see :meth:`keep_records`)."""
        gone = {key for key in gone if key not in added}
        if not added and not gone:
            return
        found = self.memory.values.get("records*")
        if found is not None:
            found = {k: v for k, v in found.items() if k not in gone}
            found.update(added)
            self.memory.values["records*"] = found

        def everything() -> dict[str, object]:
            kept = {k: v for k, v in self.records().items() if k not in gone}
            kept.update(added)
            self.memory.values["records*"] = kept
            return dict(sorted(kept.items()))

        self._write_records(added, gone, everything, body_of)

    def _write_records(self, added: dict[str, object], gone: Iterable[str], everything,
                       body_of) -> None:
        """Write a few record changes as rows, or, when they add up, ``everything()`` as
        the blob, forgetting the rendered bodies no record has."""
        pending = self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        gone = list(gone)
        if pending + len(added) + len(gone) > COMPACT_AFTER:
            records = everything()
            self._will_write()
            with self._transaction():
                self.db.execute("DELETE FROM records")
                self.store("records", records)
                self.memory.values.pop("records", None)
                self._prune_html({body_of(record) for record in records.values()})
            return
        self._will_write()
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", [
                *[(k, pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in added.items()],
                *[(k, None) for k in gone]])

    # named values -------------------------------------------------------------------------
    def load(self, name: str):
        """A value kept under ``name`` by :meth:`store`, or None. Treat it as read-only:
        the memory may hand the same object to the next build."""
        if name in self.memory.values:
            return self.memory.values[name]
        row = self.db.execute("SELECT value FROM kv WHERE name=?", (name,)).fetchone()
        try:
            value = pickle.loads(row[0]) if row else None
            if isinstance(value, dict):   # and the changes made since, as rows
                for key, change in self.db.execute(
                        "SELECT key, value FROM kvrows WHERE name=?", (name,)):
                    if change is None:
                        value.pop(key, None)
                    else:
                        value[key] = pickle.loads(change)
        except Exception:   # from an incompatible build: as if never stored
            value = None
        self.memory.values[name] = value
        return value

    def store(self, name: str, value) -> None:
        """Keep ``value`` (None forgets it). A table (a dict with text keys) that was
        loaded or stored before and changed in a few entries is kept by writing just
        those, as rows, until they add up: so ``value`` must be a new dict, never the
        loaded one changed in place (its changes would not be seen)."""
        self._will_write()
        old = self.memory.values.get(name)
        self.memory.values[name] = value
        if isinstance(value, dict) and isinstance(old, dict) and self._store_changes(
                name, old, value):
            return
        with self._transaction():
            self.db.execute("DELETE FROM kvrows WHERE name=?", (name,))
            if value is None:
                self.db.execute("DELETE FROM kv WHERE name=?", (name,))
            else:
                self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                                (name, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))

    def _store_changes(self, name: str, old: dict, new: dict) -> bool:
        """Write the entries of ``new`` that differ from ``old`` as rows; False when they
        are too many (or a key is not text) and the whole table is to be written."""
        missing = object()
        changed = [(k, v) for k, v in new.items()    # most are the very objects loaded
                   if (was := old.get(k, missing)) is not v and was != v]
        removed = [k for k in old if k not in new] if len(old) + len(changed) != len(new) \
            else []
        if len(changed) + len(removed) > ROWS_AFTER // 4 or not all(
                type(k) is str for k, _ in changed) or not all(type(k) is str for k in removed):
            return False
        pending = self.db.execute("SELECT COUNT(*) FROM kvrows WHERE name=?", (name,)
                                  ).fetchone()[0]
        if pending + len(changed) + len(removed) > ROWS_AFTER:
            return False
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO kvrows VALUES (?, ?, ?)", [
                *[(name, k, pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in changed],
                *[(name, k, None) for k in removed]])
        return True

    def forget(self, name: str) -> None:
        """Drop ``name`` from the memory (a helper is writing it): read again when asked."""
        self.memory.values.pop(name, None)

    def remember(self, values: dict[str, object]) -> None:
        """Values another process (a helper this one started) wrote with
        :func:`write_values`: kept in the memory as if this process had stored them."""
        self.memory.values.update(values)

    # rendered bodies --------------------------------------------------------------------
    def html_keys(self) -> set[str]:
        if "html*" not in self.memory.values:
            self.memory.values["html*"] = {row[0] for row in self.db.execute("SELECT key FROM html")}
        return set(self.memory.values["html*"])

    def has_html(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` the cache has rendered bodies for: looked up one by one when
        they are few and the set of all keys (10,000 rows) is not in memory yet."""
        keys = set(keys)
        if "html*" in self.memory.values or len(keys) > 64:
            return self.html_keys() & keys
        found: set[str] = set()
        for key in keys:
            if self.db.execute("SELECT 1 FROM html WHERE key=?", (key,)).fetchone():
                found.add(key)
        return found

    def html(self, keys: Iterable[str]) -> dict[str, str]:
        """The rendered bodies of ``keys`` (those the cache has). A worker forked from the
        process that opened the cache reads them through a read-only connection of its
        own: an SQLite connection must not be used on both sides of a fork."""
        keys = list(keys)
        db = self._reading()
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(db.execute(f"SELECT key, value FROM html WHERE key IN ({marks})",
                                    chunk).fetchall())
        return found

    def _reading(self) -> sqlite3.Connection:
        """This process's connection to read through: its own in a forked worker."""
        return self.db if os.getpid() == self._pid or self.path is None else self._reader()

    def _reader(self) -> sqlite3.Connection:
        if self._forked_db is None or self._forked_db[0] != os.getpid():
            assert self.path is not None
            self._forked_db = (os.getpid(),
                               sqlite3.connect(self.path.as_uri() + "?mode=ro", uri=True))
        return self._forked_db[1]

    def put_html(self, items: dict[str, str]) -> None:
        self._will_write()
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO html VALUES (?, ?)", items.items())
        if "html*" in self.memory.values:
            self.memory.values["html*"] = self.memory.values["html*"] | set(items)

    def _prune_html(self, live: set[str | None]) -> None:
        """Forget the HTML of every body not in ``live``."""
        stale = self.html_keys() - live
        if stale:
            self.db.executemany("DELETE FROM html WHERE key=?", [(key,) for key in stale])
            self.memory.values["html*"] = self.memory.values["html*"] - stale

    # teasers --------------------------------------------------------------------------
    def teaser(self, key: bytes) -> tuple | None:
        """The teaser fragment kept under ``key`` (``render``: its parts and link targets),
        or None; from a forked worker too (see :meth:`html`)."""
        row = self._reading().execute("SELECT value FROM teasers WHERE key=?", (key,)).fetchone()
        try:
            return pickle.loads(row[0]) if row else None
        except Exception:   # from an incompatible build: as if never kept
            return None

    def keep_teasers(self, scope: str, limit: int) -> bool:
        """Before a build renders: the teaser fragments kept are those of ``scope`` (what
        renders them: the site's settings, the teaser's templates); all go when they are
        of another, or more than ``limit`` (old versions of edited articles pile up): the
        build makes them again. Whether any are kept."""
        kept = self.db.execute("SELECT value FROM kv WHERE name='teasers-scope'").fetchone()
        count = self.db.execute("SELECT COUNT(*) FROM teasers").fetchone()[0]
        if kept is not None and kept[0] == scope and count <= limit:
            return count > 0
        self._will_write()
        with self._transaction():
            self.db.execute("DELETE FROM teasers")
            self.db.execute("INSERT OR REPLACE INTO kv VALUES ('teasers-scope', ?)", (scope,))
        return False

    def put_teasers(self, items: dict[bytes, tuple]) -> None:
        """Keep teaser fragments (of the scope :meth:`keep_teasers` set), from a forked
        worker too, through a connection of its own, as it renders: they are right
        whether or not the build publishes, so it need not wait."""
        rows = [(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) for key, value in items.items()]
        if os.getpid() == self._pid or self.path is None:
            self._will_write()
            with self._transaction():
                self.db.executemany("INSERT OR REPLACE INTO teasers VALUES (?, ?)", rows)
            return
        db = _writer(self.path)
        try:
            db.execute("PRAGMA synchronous=NORMAL")   # disposable rows: no wait for the disk
            with _Transaction(db):
                db.executemany("INSERT OR REPLACE INTO teasers VALUES (?, ?)", rows)
        finally:
            db.close()

    # the last build's output ------------------------------------------------------------
    def manifest(self, output: Path) -> dict[str, tuple[str, str]]:
        """Output path -> (job fingerprint, content hash) of the last build published to
        the ``output`` folder."""
        return self.load(f"manifest:{output}") or {}

    def marker(self, output: Path) -> str | None:
        """The marker text that build wrote into the ``output`` folder."""
        return self.load(f"marker:{output}")

    def set_manifest(self, output: Path, manifest: dict[str, tuple[str, str]],
                     marker: str) -> None:
        with self._transaction():
            self.store(f"manifest:{output}", manifest)
            self.store(f"marker:{output}", marker)

    def last_build(self, output: Path):
        """``(inputs digest, BuildResult)`` of the last successful build into ``output``."""
        return self.load(f"last:{output}")

    def set_last_build(self, output: Path, value) -> None:
        self.store(f"last:{output}", value)

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    """BEGIN ... COMMIT (ROLLBACK on an exception); inside another one, part of it. It
    takes the write lock at once (IMMEDIATE): a transaction that read first could not
    write after a helper process wrote meanwhile, and would fail without waiting."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.began = False

    def __enter__(self):
        self.began = not self.db.in_transaction
        if self.began:
            self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_):
        if self.began:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _writer(path: Path) -> sqlite3.Connection:
    """A connection of its own for a helper or worker process to write the cache file
    through, waiting for the build's other writers."""
    return sqlite3.connect(str(path), timeout=60, isolation_level=None)


def write_values(path: Path, values: dict[str, object]) -> None:
    """Store named values in the cache file at ``path`` from a helper process, in one
    transaction and as whole values. The generation is left to the process that started
    the helper (it writes to the cache in the same build, which makes a new one)."""
    blobs = [(name, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) for name, value in values.items()]
    db = _writer(path)
    try:
        with _Transaction(db):
            for name, _ in blobs:
                db.execute("DELETE FROM kvrows WHERE name=?", (name,))
            db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", blobs)
    finally:
        db.close()
