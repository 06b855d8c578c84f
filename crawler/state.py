"""Crawl state (in the state database, core/statedb.py): what is known, story links, the
related-report vocabulary, resumable jobs, outlet health. `CrawlState` owns these tables.

An article is recorded here only after the index commit that holds it (`record_committed`), so
a crash between the two re-crawls it (an upsert by id: nothing duplicated) and never loses it.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from core.dates import iso, stored_date, utcnow
from core.statedb import StateDB, StoreSchema, in_chunks

ERRORS_KEPT = 1000
MAX_BACKOFF = timedelta(hours=12)

SCHEMA = StoreSchema("crawl_state", (
    """CREATE TABLE IF NOT EXISTS seen (url_key TEXT PRIMARY KEY, article_id TEXT NOT NULL, marker TEXT);
    CREATE TABLE IF NOT EXISTS articles (
        id TEXT PRIMARY KEY, outlet TEXT NOT NULL, url TEXT NOT NULL, content_hash TEXT,
        revision INTEGER NOT NULL, published_at TEXT, indexed_at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS articles_outlet ON articles(outlet);
    CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, b TEXT NOT NULL, kind TEXT NOT NULL, score REAL NOT NULL,
        PRIMARY KEY (a, b, kind));
    CREATE INDEX IF NOT EXISTS links_b ON links(b, kind);
    CREATE TABLE IF NOT EXISTS term_df (word TEXT PRIMARY KEY, n INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS outlets (
        key TEXT PRIMARY KEY, polls INTEGER NOT NULL DEFAULT 0, first_poll_at TEXT, last_poll_at TEXT,
        last_poll_ok INTEGER, last_new_at TEXT, typical_gap REAL, errors INTEGER NOT NULL DEFAULT 0,
        filtered INTEGER NOT NULL DEFAULT 0, last_error TEXT, backoff_until TEXT,
        backoff_level INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS progress (task TEXT PRIMARY KEY, position INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS crawl_errors (id INTEGER PRIMARY KEY, at TEXT NOT NULL, outlet TEXT NOT NULL,
        url TEXT, message TEXT NOT NULL)""",
    # Times on what pruning removes.
    """ALTER TABLE seen ADD COLUMN seen_at TEXT;
    CREATE INDEX seen_article ON seen(article_id);
    CREATE INDEX articles_published ON articles(published_at);
    CREATE INDEX links_kind ON links(kind, a)""",
    # When an outlet last succeeded and last failed, for health.
    """ALTER TABLE outlets ADD COLUMN last_ok_at TEXT;
    ALTER TABLE outlets ADD COLUMN last_error_at TEXT""",
))


class CrawlState:
    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    # --- what is known ---
    def seen(self, url_key: str):
        return self.db.one("SELECT * FROM seen WHERE url_key = ?", (url_key,))

    def seen_markers(self, url_keys: list[str]) -> dict[str, str | None]:
        """url_key -> marker, for the keys that are known."""
        found = {}
        for chunk in in_chunks(list(url_keys)):
            found.update((r[0], r[1]) for r in self.db.all(
                f"SELECT url_key, marker FROM seen WHERE url_key IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def article(self, article_id: str):
        return self.db.one("SELECT * FROM articles WHERE id = ?", (article_id,))

    def mark_seen(self, url_keys, article_id: str, marker: str | None) -> None:
        with self.db.transaction("mark_seen") as tx:
            self._mark_seen(tx, url_keys, article_id, marker, iso(utcnow()))

    @staticmethod
    def _mark_seen(tx, url_keys, article_id: str, marker: str | None, now: str) -> None:
        tx.executemany(
            "INSERT INTO seen(url_key, article_id, marker, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT(url_key) "
            "DO UPDATE SET article_id = excluded.article_id, marker = excluded.marker, seen_at = excluded.seen_at",
            [(k, article_id, marker, now) for k in sorted(set(url_keys))])

    def record_committed(self, entries) -> None:
        """After an index commit: each entry is (article, url_keys, marker)."""
        now = iso(utcnow())
        with self.db.transaction("record_committed") as tx:
            for article, url_keys, marker in entries:
                tx.execute(
                    "INSERT INTO articles(id, outlet, url, content_hash, revision, published_at, indexed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                    "content_hash = excluded.content_hash, revision = excluded.revision, "
                    "url = excluded.url, published_at = excluded.published_at, indexed_at = excluded.indexed_at",
                    (article["id"], article["outlet"], article["url"], article["content_hash"],
                     article["revision"], article["published_at"], now))
                if url_keys:
                    self._mark_seen(tx, url_keys, article["id"], marker, now)

    def article_by_hash(self, digest: str, other_than: str) -> str | None:
        row = self.db.one("SELECT id FROM articles WHERE content_hash = ? AND id != ? ORDER BY published_at, id LIMIT 1",
                          (digest, other_than))
        return row[0] if row else None

    # --- story links (copies and related reports) ---
    def link(self, a: str, b: str, kind: str, score: float, tx=None) -> None:
        (tx or self.db).execute("INSERT INTO links(a, b, kind, score) VALUES (?, ?, ?, ?) ON CONFLICT(a, b, kind) "
                                "DO UPDATE SET score = excluded.score", (a, b, kind, round(score, 4)))

    def copies_of(self, original: str) -> list[tuple[str, float]]:
        return [(r[0], r[1]) for r in self.db.all(
            "SELECT a, score FROM links WHERE b = ? AND kind = 'duplicate' ORDER BY score DESC, a", (original,))]

    def copy_score(self, copy: str, original: str) -> float:
        row = self.db.one("SELECT score FROM links WHERE a = ? AND b = ? AND kind = 'duplicate'", (copy, original))
        return row[0] if row else 1.0

    def move_copies(self, old: str, new: str, score: float) -> None:
        """A newly found earlier original takes over: the old original and its copies point at it."""
        with self.db.transaction("move_copies") as tx:
            tx.execute("UPDATE OR REPLACE links SET b = ? WHERE b = ? AND kind = 'duplicate'", (new, old))
            tx.execute("DELETE FROM links WHERE a = ? AND kind = 'duplicate'", (new,))
            self.link(old, new, "duplicate", score, tx)

    def related(self, article_id: str) -> list[tuple[str, float]]:
        rows = self.db.all("SELECT b, score FROM links WHERE a = ? AND kind = 'related' UNION "
                           "SELECT a, score FROM links WHERE b = ? AND kind = 'related' ORDER BY 2 DESC, 1",
                           (article_id, article_id))
        return [(r[0], r[1]) for r in rows]

    def count_terms(self, words: set[str]) -> None:
        with self.db.transaction("count_terms") as tx:
            tx.executemany("INSERT INTO term_df(word, n) VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET n = n + 1",
                           [(w,) for w in sorted(words)])
            tx.execute("INSERT INTO term_df(word, n) VALUES ('', 1) ON CONFLICT(word) DO UPDATE SET n = n + 1")

    def idf(self, words: set[str]) -> dict[str, float]:
        """Smoothed inverse document frequencies (the empty word counts documents)."""
        words = list(words)
        counts = {}
        for chunk in in_chunks(words, 900):
            counts.update(self.db.all(
                f"SELECT word, n FROM term_df WHERE word IN ({','.join('?' * len(chunk))})", chunk))
        total = (self.db.one("SELECT n FROM term_df WHERE word = ''") or (0,))[0]
        return {w: math.log((total + 10) / (counts.get(w, 0) + 1)) for w in words}

    def articles_by_outlet(self) -> dict[str, int]:
        return {row["outlet"]: row["n"] for row in self.db.all("SELECT outlet, COUNT(*) AS n FROM articles GROUP BY outlet")}

    # --- resumable jobs ---
    def progress(self, task: str) -> int:
        row = self.db.one("SELECT position FROM progress WHERE task = ?", (task,))
        return row[0] if row else 0

    def set_progress(self, task: str, position: int) -> None:
        self.db.execute("INSERT INTO progress(task, position) VALUES (?, ?) ON CONFLICT(task) "
                        "DO UPDATE SET position = excluded.position", (task, position))

    # --- outlet health ---
    def outlet(self, key: str) -> dict:
        row = self.db.one("SELECT * FROM outlets WHERE key = ?", (key,))
        return dict(row) if row else {"key": key, "polls": 0, "errors": 0, "filtered": 0, "backoff_level": 0}

    def record_error(self, outlet: str, url: str | None, message: str) -> None:
        with self.db.transaction("record_error") as tx:
            tx.execute("INSERT OR IGNORE INTO outlets(key) VALUES (?)", (outlet,))
            now = iso(utcnow())
            tx.execute("UPDATE outlets SET errors = errors + 1, last_error = ?, last_error_at = ? WHERE key = ?",
                       (f"{message} ({url})" if url else message, now, outlet))
            tx.execute("INSERT INTO crawl_errors(at, outlet, url, message) VALUES (?, ?, ?, ?)",
                       (now, outlet, url, message))
            tx.execute("DELETE FROM crawl_errors WHERE id <= (SELECT MAX(id) FROM crawl_errors) - ?", (ERRORS_KEPT,))

    def record_poll(self, key: str, ok: bool, new_articles: int, filtered: int, at: datetime | None = None) -> None:
        at = at or utcnow()
        with self.db.transaction("record_poll") as tx:
            tx.execute("INSERT OR IGNORE INTO outlets(key) VALUES (?)", (key,))
            current = dict(tx.execute("SELECT * FROM outlets WHERE key = ?", (key,)).fetchone())
            last_new = stored_date(current.get("last_new_at"))
            gap = current.get("typical_gap")
            if new_articles and last_new is not None:
                seconds = (at - last_new).total_seconds()
                gap = seconds if gap is None else 0.7 * gap + 0.3 * seconds
            tx.execute(
                "UPDATE outlets SET polls = polls + 1, first_poll_at = COALESCE(first_poll_at, ?), last_poll_at = ?, "
                "last_poll_ok = ?, filtered = filtered + ?, typical_gap = ?, last_new_at = COALESCE(?, last_new_at), "
                "last_ok_at = COALESCE(?, last_ok_at) WHERE key = ?",
                (iso(at), iso(at), int(ok), filtered, gap, iso(at) if new_articles else None, iso(at) if ok else None,
                 key))

    # --- back-off (403/429/5xx and robots.txt 5xx) ---
    def back_off(self, key: str, retry_after: float | None, base: float) -> datetime:
        with self.db.transaction("back_off") as tx:
            tx.execute("INSERT OR IGNORE INTO outlets(key) VALUES (?)", (key,))
            level = tx.execute("SELECT backoff_level FROM outlets WHERE key = ?", (key,)).fetchone()[0] or 0
            wait = timedelta(seconds=max(retry_after or 0, base * (2 ** level)))
            until = utcnow() + min(wait, MAX_BACKOFF)
            tx.execute("UPDATE outlets SET backoff_until = ?, backoff_level = ? WHERE key = ?",
                       (iso(until), level + 1, key))
        return until

    def backoff_until(self, key: str) -> datetime | None:
        until = stored_date(self.outlet(key).get("backoff_until"))
        return until if until and until > utcnow() else None

    def clear_backoff(self, key: str) -> None:
        self.db.execute("UPDATE outlets SET backoff_level = 0, backoff_until = NULL WHERE key = ?", (key,))


    # --- retention (crawler/retention.py) ---
    def published_before(self, cutoff: str, limit: int) -> list[str]:
        return [r[0] for r in self.db.all("SELECT id FROM articles WHERE published_at < ? LIMIT ?", (cutoff, limit))]

    def forget(self, article_ids: list[str], tx) -> None:
        """Pruned articles: their known URLs, story links and records."""
        for chunk in in_chunks(list(article_ids)):
            marks = ",".join("?" * len(chunk))
            tx.execute(f"DELETE FROM seen WHERE article_id IN ({marks})", chunk)
            tx.execute(f"DELETE FROM links WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
            tx.execute(f"DELETE FROM articles WHERE id IN ({marks})", chunk)

    def prune_seen(self, cutoff: str, tx=None) -> int:
        """URLs marked seen before `cutoff` that never became an article (not-an-article pages)."""
        return (tx or self.db).execute(
            "DELETE FROM seen WHERE seen_at < ? AND NOT EXISTS (SELECT 1 FROM articles WHERE id = seen.article_id)",
            (cutoff,)).rowcount

    def prune_terms(self, kept: int, tx=None) -> int:
        """Beyond `kept` distinct words, the words seen once go (the empty word counts documents)."""
        if self.db.one("SELECT COUNT(*) FROM term_df")[0] <= kept:
            return 0
        return (tx or self.db).execute("DELETE FROM term_df WHERE n = 1 AND word != ''").rowcount


def marker_json(**parts) -> str | None:
    parts = {k: v for k, v in parts.items() if v}
    return json.dumps(parts, sort_keys=True) if parts else None
