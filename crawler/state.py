"""Crawl state in SQLite (WAL) under the data dir: what is known, feed validators, outlet health.

An article is recorded here only after the index commit that holds it (`record_committed`), so
a crash between the two re-crawls it (an upsert by id: nothing duplicated) and never loses it.
"""
from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from crawler.dates import iso, utcnow

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    url_key TEXT PRIMARY KEY,       -- identity form of a feed/sitemap/page URL
    article_id TEXT NOT NULL,
    marker TEXT                     -- what the feed/sitemap entry said last time (date, hash)
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    outlet TEXT NOT NULL,
    url TEXT NOT NULL,
    content_hash TEXT,
    revision INTEGER NOT NULL,
    published_at TEXT,
    indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_outlet ON articles(outlet);
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL,                -- a copy, or a report
    b TEXT NOT NULL,                -- its original, or a related report
    kind TEXT NOT NULL,             -- 'duplicate' or 'related'
    score REAL NOT NULL,
    PRIMARY KEY (a, b, kind)
);
CREATE INDEX IF NOT EXISTS links_b ON links(b, kind);
CREATE TABLE IF NOT EXISTS term_df (
    word TEXT PRIMARY KEY,          -- document frequencies of words, for related-report scoring
    n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE IF NOT EXISTS outlets (
    key TEXT PRIMARY KEY,
    polls INTEGER NOT NULL DEFAULT 0,
    first_poll_at TEXT,
    last_poll_at TEXT,
    last_poll_ok INTEGER,
    last_new_at TEXT,
    typical_gap REAL,               -- seconds between polls that brought something new (EWMA)
    errors INTEGER NOT NULL DEFAULT 0,
    filtered INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    backoff_until TEXT,
    backoff_level INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS progress (
    task TEXT PRIMARY KEY,          -- a resumable job (reindex)
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_errors (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    outlet TEXT NOT NULL,
    url TEXT,
    message TEXT NOT NULL
);
"""
ERRORS_KEPT = 1000
MAX_BACKOFF = timedelta(hours=12)


class CrawlState:
    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- what is known ---
    def seen(self, url_key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM seen WHERE url_key = ?", (url_key,)).fetchone()

    def article(self, article_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()

    def mark_seen(self, url_keys, article_id: str, marker: str | None) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO seen(url_key, article_id, marker) VALUES (?, ?, ?) "
                "ON CONFLICT(url_key) DO UPDATE SET article_id = excluded.article_id, marker = excluded.marker",
                [(k, article_id, marker) for k in set(url_keys)])

    def record_committed(self, entries) -> None:
        """After an index commit: each entry is (article, url_keys, marker)."""
        now = iso(utcnow())
        with self.db:
            for article, url_keys, marker in entries:
                self.db.execute(
                    "INSERT INTO articles(id, outlet, url, content_hash, revision, published_at, indexed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                    "content_hash = excluded.content_hash, revision = excluded.revision, "
                    "url = excluded.url, published_at = excluded.published_at, indexed_at = excluded.indexed_at",
                    (article["id"], article["outlet"], article["url"], article["content_hash"],
                     article["revision"], article["published_at"], now))
                self.db.executemany(
                    "INSERT INTO seen(url_key, article_id, marker) VALUES (?, ?, ?) ON CONFLICT(url_key) "
                    "DO UPDATE SET article_id = excluded.article_id, marker = excluded.marker",
                    [(k, article["id"], marker) for k in set(url_keys)])

    def article_by_hash(self, digest: str, other_than: str) -> str | None:
        row = self.db.execute("SELECT id FROM articles WHERE content_hash = ? AND id != ? ORDER BY published_at LIMIT 1",
                              (digest, other_than)).fetchone()
        return row[0] if row else None

    # --- story links (copies and related reports) ---
    def link(self, a: str, b: str, kind: str, score: float) -> None:
        self.db.execute("INSERT INTO links(a, b, kind, score) VALUES (?, ?, ?, ?) ON CONFLICT(a, b, kind) "
                        "DO UPDATE SET score = excluded.score", (a, b, kind, round(score, 4)))

    def copies_of(self, original: str) -> list[tuple[str, float]]:
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT a, score FROM links WHERE b = ? AND kind = 'duplicate' ORDER BY score DESC", (original,))]

    def copy_score(self, copy: str, original: str) -> float:
        row = self.db.execute("SELECT score FROM links WHERE a = ? AND b = ? AND kind = 'duplicate'",
                              (copy, original)).fetchone()
        return row[0] if row else 1.0

    def move_copies(self, old: str, new: str, score: float) -> None:
        """A newly found earlier original takes over: the old original and its copies point at it."""
        with self.db:
            self.db.execute("UPDATE OR REPLACE links SET b = ? WHERE b = ? AND kind = 'duplicate'", (new, old))
            self.db.execute("DELETE FROM links WHERE a = ? AND kind = 'duplicate'", (new,))
            self.link(old, new, "duplicate", score)

    def related(self, article_id: str) -> list[tuple[str, float]]:
        rows = self.db.execute("SELECT b, score FROM links WHERE a = ? AND kind = 'related' UNION "
                               "SELECT a, score FROM links WHERE b = ? AND kind = 'related' ORDER BY 2 DESC",
                               (article_id, article_id))
        return [(r[0], r[1]) for r in rows]

    def count_terms(self, words: set[str]) -> None:
        with self.db:
            self.db.executemany("INSERT INTO term_df(word, n) VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET n = n + 1",
                                [(w,) for w in words])
            self.db.execute("INSERT INTO term_df(word, n) VALUES ('', 1) ON CONFLICT(word) DO UPDATE SET n = n + 1")

    def idf(self, words: set[str]) -> dict[str, float]:
        """Smoothed inverse document frequencies (the empty word counts documents)."""
        words = list(words)
        counts = {}
        for start in range(0, len(words), 900):
            chunk = words[start:start + 900]
            counts.update(self.db.execute(
                f"SELECT word, n FROM term_df WHERE word IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        total = (self.db.execute("SELECT n FROM term_df WHERE word = ''").fetchone() or (0,))[0]
        return {w: math.log((total + 10) / (counts.get(w, 0) + 1)) for w in words}

    def articles_by_outlet(self) -> dict[str, int]:
        rows = self.db.execute("SELECT outlet, COUNT(*) AS n FROM articles GROUP BY outlet")
        return {row["outlet"]: row["n"] for row in rows}

    # --- resumable jobs ---
    def progress(self, task: str) -> int:
        row = self.db.execute("SELECT position FROM progress WHERE task = ?", (task,)).fetchone()
        return row[0] if row else 0

    def set_progress(self, task: str, position: int) -> None:
        self.db.execute("INSERT INTO progress(task, position) VALUES (?, ?) ON CONFLICT(task) "
                        "DO UPDATE SET position = excluded.position", (task, position))

    # --- conditional GET ---
    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO validators(url, etag, last_modified) VALUES (?, ?, ?) ON CONFLICT(url) "
                "DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                (url, etag, last_modified))

    # --- outlet health ---
    def outlet(self, key: str) -> dict:
        row = self.db.execute("SELECT * FROM outlets WHERE key = ?", (key,)).fetchone()
        return dict(row) if row else {"key": key, "polls": 0, "errors": 0, "filtered": 0, "backoff_level": 0}

    def _ensure_outlet(self, key: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO outlets(key) VALUES (?)", (key,))

    def record_error(self, outlet: str, url: str | None, message: str) -> None:
        with self.db:
            self._ensure_outlet(outlet)
            self.db.execute("UPDATE outlets SET errors = errors + 1, last_error = ? WHERE key = ?",
                            (f"{message} ({url})" if url else message, outlet))
            self.db.execute("INSERT INTO crawl_errors(at, outlet, url, message) VALUES (?, ?, ?, ?)",
                            (iso(utcnow()), outlet, url, message))
            self.db.execute("DELETE FROM crawl_errors WHERE id <= (SELECT MAX(id) FROM crawl_errors) - ?",
                            (ERRORS_KEPT,))

    def recent_errors(self, outlet: str, limit: int = 20) -> list[dict]:
        rows = self.db.execute("SELECT at, url, message FROM crawl_errors WHERE outlet = ? ORDER BY id DESC LIMIT ?",
                               (outlet, limit))
        return [dict(r) for r in rows]

    def record_poll(self, key: str, ok: bool, new_articles: int, filtered: int, at: datetime | None = None) -> None:
        at = at or utcnow()
        current = self.outlet(key)
        last_new = stored_date(current.get("last_new_at"))
        gap = current.get("typical_gap")
        if new_articles and last_new is not None:
            seconds = (at - last_new).total_seconds()
            gap = seconds if gap is None else 0.7 * gap + 0.3 * seconds
        with self.db:
            self._ensure_outlet(key)
            self.db.execute(
                "UPDATE outlets SET polls = polls + 1, first_poll_at = COALESCE(first_poll_at, ?), last_poll_at = ?, last_poll_ok = ?, "
                "filtered = filtered + ?, typical_gap = ?, last_new_at = COALESCE(?, last_new_at) WHERE key = ?",
                (iso(at), iso(at), int(ok), filtered, gap, iso(at) if new_articles else None, key))

    # --- back-off (403/429/5xx and robots.txt 5xx) ---
    def back_off(self, key: str, retry_after: float | None, base: float) -> datetime:
        level = self.outlet(key).get("backoff_level") or 0
        wait = timedelta(seconds=max(retry_after or 0, base * (2 ** level)))
        until = utcnow() + min(wait, MAX_BACKOFF)
        with self.db:
            self._ensure_outlet(key)
            self.db.execute("UPDATE outlets SET backoff_until = ?, backoff_level = ? WHERE key = ?",
                            (iso(until), level + 1, key))
        return until

    def backoff_until(self, key: str) -> datetime | None:
        until = stored_date(self.outlet(key).get("backoff_until"))
        return until if until and until > utcnow() else None

    def clear_backoff(self, key: str) -> None:
        with self.db:
            self.db.execute("UPDATE outlets SET backoff_level = 0, backoff_until = NULL WHERE key = ?", (key,))


def stored_date(text: str | None) -> datetime | None:
    """A date this module wrote (ISO 8601, UTC): no sanity window, unlike dates from the web."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def marker_json(**parts) -> str | None:
    parts = {k: v for k, v in parts.items() if v}
    return json.dumps(parts, sort_keys=True) if parts else None
