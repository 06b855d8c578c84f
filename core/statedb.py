"""The crawl-state database: one SQLite file (WAL) under the data dir, and the one module that
owns it. Crawl state, dedupe signatures, topic matches and deliveries, and the Elasticsearch
outbox all live here; their classes reach it only through `StateDB`:

- a connection per thread, each with the same pragmas (set here and nowhere else);
- `transaction(name)` is a unit: `BEGIN IMMEDIATE ... COMMIT`, rolled back on any error, so a
  crash leaves all of it or none (`sqlite3`'s autocommit mode would commit statement by
  statement: `with conn:` issues no BEGIN there);
- the schema is a list of forward migrations keyed by `PRAGMA user_version`, each applied in the
  transaction that records it.

Fault injection (tests only): `NEWSWATCH_FAULT_AFTER=NAME:N` kills the process with SIGKILL right
after the N-th statement of every transaction called NAME, so a test can prove that a restart
finds nothing half-applied."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL under WAL: a crash (even of the machine) never corrupts, and loses at most the last
    # commits; FULL would fsync every transaction.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA temp_store=MEMORY",
)
BUSY_TIMEOUT_MS = 30_000

# Version 1 is the schema newswatch 0.1 created without recording a version: `IF NOT EXISTS`
# makes it a no-op on such a file and the whole schema on a new one.
V1 = """
CREATE TABLE IF NOT EXISTS seen (url_key TEXT PRIMARY KEY, article_id TEXT NOT NULL, marker TEXT);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, outlet TEXT NOT NULL, url TEXT NOT NULL, content_hash TEXT,
    revision INTEGER NOT NULL, published_at TEXT, indexed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_outlet ON articles(outlet);
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (a, b, kind));
CREATE INDEX IF NOT EXISTS links_b ON links(b, kind);
CREATE TABLE IF NOT EXISTS term_df (word TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS outlets (
    key TEXT PRIMARY KEY, polls INTEGER NOT NULL DEFAULT 0, first_poll_at TEXT, last_poll_at TEXT,
    last_poll_ok INTEGER, last_new_at TEXT, typical_gap REAL, errors INTEGER NOT NULL DEFAULT 0,
    filtered INTEGER NOT NULL DEFAULT 0, last_error TEXT, backoff_until TEXT,
    backoff_level INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS progress (task TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS crawl_errors (id INTEGER PRIMARY KEY, at TEXT NOT NULL, outlet TEXT NOT NULL, url TEXT,
    message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedupe_signatures (id TEXT PRIMARY KEY, published_at TEXT NOT NULL, size INTEGER NOT NULL,
    shingles BLOB NOT NULL, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedupe_bands (band INTEGER NOT NULL, key INTEGER NOT NULL, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS topic_matches (topic TEXT NOT NULL, article_id TEXT NOT NULL, matched_at TEXT NOT NULL,
    delivery_group TEXT, PRIMARY KEY (topic, article_id));
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, topic TEXT NOT NULL, channel TEXT NOT NULL, target TEXT NOT NULL, articles TEXT NOT NULL,
    created_at TEXT NOT NULL, delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    last_error TEXT);
CREATE TABLE IF NOT EXISTS es_outbox (id TEXT PRIMARY KEY, doc TEXT NOT NULL, queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, last_error TEXT);
"""

# Version 2: bounded storage. Dedupe keeps a 16-bit MinHash signature and its LSH band keys per
# article (integer ids, no shingles: under 1 KB); the signatures of version 1 are dropped and
# rebuilt from the index's texts (crawler.stories.copies, flagged by the missing scheme in `meta`).
# Times on what pruning removes; deletions through the outbox.
V2 = """
DROP TABLE dedupe_signatures;
DROP TABLE dedupe_bands;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE lsh_docs (doc INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
    signature BLOB NOT NULL);
CREATE TABLE lsh_bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
ALTER TABLE seen ADD COLUMN seen_at TEXT;
CREATE INDEX seen_article ON seen(article_id);
ALTER TABLE validators ADD COLUMN used_at TEXT;
CREATE INDEX articles_published ON articles(published_at);
CREATE INDEX links_kind ON links(kind, a);
ALTER TABLE es_outbox ADD COLUMN op TEXT NOT NULL DEFAULT 'index';
CREATE INDEX deliveries_due ON deliveries(delivered_at, next_attempt_at);
CREATE INDEX topic_matches_article ON topic_matches(article_id);
"""

# Version 3: when an outlet last succeeded and last failed, for health.
V3 = """
ALTER TABLE outlets ADD COLUMN last_ok_at TEXT;
ALTER TABLE outlets ADD COLUMN last_error_at TEXT;
"""

# Version 4: sources that look after themselves (crawler/sources.py): each feed's and sitemap's
# interval, failure score, pause and bounded poll history; articles per outlet per hour (volume
# drops, sparklines); admin notices; a delivery may carry its own payload (a notice).
V4 = """
CREATE TABLE sources (url TEXT PRIMARY KEY, outlet TEXT NOT NULL, interval REAL NOT NULL, next_due_at TEXT,
    failure_score REAL NOT NULL DEFAULT 0, paused_until TEXT, paused_reason TEXT, pause_level INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT, last_error TEXT, last_error_at TEXT, last_duration REAL, polls INTEGER NOT NULL DEFAULT 0);
CREATE TABLE source_polls (id INTEGER PRIMARY KEY, url TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL,
    new_items INTEGER NOT NULL DEFAULT 0, status INTEGER, duration REAL);
CREATE INDEX source_polls_url ON source_polls(url, id);
CREATE TABLE outlet_hours (outlet TEXT NOT NULL, hour TEXT NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (outlet, hour));
CREATE TABLE admin_notices (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, outlet TEXT NOT NULL, message TEXT NOT NULL,
    raised_at TEXT NOT NULL, cleared_at TEXT);
ALTER TABLE deliveries ADD COLUMN payload TEXT;
"""

MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (V1, V2, V3, V4)
SCHEMA_VERSION = len(MIGRATIONS)


class StateError(RuntimeError):
    """The state database cannot be used (written by a newer newswatch, unreadable)."""


def _fault_point() -> tuple[str, int] | None:
    spec = os.environ.get("NEWSWATCH_FAULT_AFTER", "")
    name, _, count = spec.partition(":")
    return (name, int(count)) if name and count.isdigit() else None


FAULT = _fault_point()


class Transaction:
    """The statements of one transaction; counts them for fault injection."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        self.conn = conn
        self.name = name
        self.statements = 0

    def _after_statement(self) -> None:
        self.statements += 1
        if FAULT is not None and FAULT == (self.name, self.statements):
            os.kill(os.getpid(), signal.SIGKILL)

    def execute(self, sql: str, args=()) -> sqlite3.Cursor:
        cursor = self.conn.execute(sql, args)
        self._after_statement()
        return cursor

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        cursor = self.conn.executemany(sql, rows)
        self._after_statement()
        return cursor


class StateDB:
    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise StateError(f"{self.path.parent} is not a directory")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._migrate()

    # --- connections ---
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=False)
            for pragma in PRAGMAS:
                conn.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: cannot open the state database: {exc}") from None
        conn.row_factory = sqlite3.Row
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection. Threads come and go (the API's thread pool retires idle
        threads): the connections of finished threads are closed when a new one is opened, so
        open files stay as many as live threads."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StateError(f"{self.path}: the state database is closed")
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                for thread in [t for t in self._connections if not t.is_alive()]:
                    self._connections.pop(thread).close()
                self._connections[threading.current_thread()] = conn
        return conn

    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # --- statements ---
    def execute(self, sql: str, args=()) -> sqlite3.Cursor:
        """One statement on its own (a read, or a write that is a unit by itself)."""
        return self.connection().execute(sql, args)

    def one(self, sql: str, args=()):
        return self.connection().execute(sql, args).fetchone()

    def all(self, sql: str, args=()) -> list:
        return self.connection().execute(sql, args).fetchall()

    @contextmanager
    def transaction(self, name: str) -> Iterator[Transaction]:
        """`BEGIN IMMEDIATE` (the write lock is taken at once, so two writers never deadlock
        upgrading a read), `COMMIT` at the end, `ROLLBACK` on any exception. Nested calls join
        the outer transaction."""
        conn = self.connection()
        if conn.in_transaction:
            yield Transaction(conn, name)
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(conn, name)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- schema ---
    def version(self) -> int:
        return self.one("PRAGMA user_version")[0]

    def _migrate(self) -> None:
        with self.transaction("migrate") as tx:
            current = tx.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise StateError(f"{self.path}: written by a newer newswatch (schema {current}, this one knows "
                                 f"{SCHEMA_VERSION})")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                step = MIGRATIONS[version - 1]
                if callable(step):
                    step(tx.conn)
                else:
                    for statement in filter(str.strip, step.split(";")):
                        tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {version}")

    # --- small shared helpers ---
    def meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else None

    def set_meta(self, key: str, value: str, tx: Transaction | None = None) -> None:
        (tx or self).execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                             "value = excluded.value", (key, value))

    def size_bytes(self) -> int:
        """The database's bytes on disk, WAL included."""
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())


def in_chunks(values: list, size: int = 500):
    """SQLite binds at most a few thousand parameters per statement."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
