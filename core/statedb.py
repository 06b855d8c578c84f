"""The crawl-state database: one SQLite file (WAL) under the data dir (STATE_FILE), and the one
module that owns its connections. Each store (crawl state, duplicates, outbox, sources, volume,
notices, alerts) owns its tables: their schema, their statements and their pruning live in the
store's module, and the store reaches the file only through `StateDB`:

- a connection per thread, each with the same pragmas (set here and nowhere else);
- `transaction(name)` is a unit: `BEGIN IMMEDIATE ... COMMIT`, rolled back on any error, so a
  crash leaves all of it or none (`sqlite3`'s autocommit mode would commit statement by
  statement: `with conn:` issues no BEGIN there);
- a store's schema is a list of forward steps (`StoreSchema`); `ensure(schema)`, called when the
  store is made, applies the steps it lacks, each run in the transaction that records it.

Fault injection (tests only): `NEWSWATCH_FAULT_AFTER=NAME:N` kills the process with SIGKILL right
after the N-th statement of every transaction called NAME, so a test can prove that a restart
finds nothing half-applied."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STATE_FILE = "state.sqlite3"  # under NEWSWATCH_DATA_DIR

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL under WAL: a crash (even of the machine) never corrupts, and loses at most the last
    # commits; FULL would fsync every transaction.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA temp_store=MEMORY",
)
BUSY_TIMEOUT_MS = 30_000

# The file's own version (PRAGMA user_version). Versions 1 to 4 described the whole schema in one
# list; version 5 hands the tables to their stores, each of which records its own version in
# `meta` (`schema:NAME`). A store's steps 1 to 4 are its part of those old versions, so a file
# left at version N by an older newswatch has every store at N (`legacy_version`).
SCHEMA_VERSION = 5
META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


@dataclass(frozen=True)
class StoreSchema:
    """A store's tables as forward steps: step n (from 1) brings them to version n. Steps 1 to 4
    stay aligned with the file versions of the same numbers (an empty step where that version did
    not touch the store's tables); a store adds its next change as a new step at the end."""
    name: str
    steps: tuple[str, ...]


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
        self._ensured: set[str] = set()
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
            if current < SCHEMA_VERSION:
                tx.execute(META)
                tx.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('legacy_version', ?)", (str(current),))
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def ensure(self, schema: StoreSchema) -> None:
        """Brings the store's tables to its newest step (once per store and `StateDB`)."""
        if schema.name in self._ensured:
            return
        key = f"schema:{schema.name}"
        with self.transaction("migrate") as tx:
            row = tx.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is None:
                legacy = tx.execute("SELECT value FROM meta WHERE key = 'legacy_version'").fetchone()
                current = min(int(legacy[0]) if legacy else 0, len(schema.steps))
            else:
                current = int(row[0])
            if current > len(schema.steps):
                raise StateError(f"{self.path}: written by a newer newswatch ({schema.name} schema {current}, this "
                                 f"one knows {len(schema.steps)})")
            for step in schema.steps[current:]:
                for statement in filter(str.strip, step.split(";")):
                    tx.execute(statement)
            if row is None or current < len(schema.steps):
                self.set_meta(key, str(len(schema.steps)), tx)
        with self._lock:
            self._ensured.add(schema.name)

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


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATE_FILE


def in_chunks(values: list, size: int = 500):
    """SQLite binds at most a few thousand parameters per statement."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
