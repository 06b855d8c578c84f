"""The Elasticsearch outbox: articles waiting to be written, kept in the crawl-state database so
that nothing is lost while the cluster is down or rejecting. At-least-once: an article leaves the
outbox only after Elasticsearch acknowledged it; the id makes a repeat harmless."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from crawler.dates import iso, utcnow
from crawler.locking import locked

SCHEMA = """
CREATE TABLE IF NOT EXISTS es_outbox (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,   -- refused by Elasticsearch itself (not retried)
    last_error TEXT
);
"""


class Outbox:
    """Used from the crawl (put) and from the Elasticsearch courier thread (the rest): one lock
    serialises them on the one connection."""

    def __init__(self, path: Path):
        self._lock = threading.RLock()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    @locked
    def put(self, article: dict) -> None:
        # A newer version of an article still waiting replaces the older one.
        self.db.execute(
            "INSERT INTO es_outbox(id, doc, queued_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "doc = excluded.doc, queued_at = excluded.queued_at, attempts = 0, rejected = 0, last_error = NULL",
            (article["id"], json.dumps(article, ensure_ascii=False), iso(utcnow())))

    @locked
    def pending(self, limit: int) -> list[tuple[str, dict]]:
        rows = self.db.execute("SELECT id, doc FROM es_outbox WHERE rejected = 0 ORDER BY queued_at, id LIMIT ?",
                               (limit,))
        return [(row[0], json.loads(row[1])) for row in rows]

    @locked
    def delivered(self, ids: list[str], docs: dict[str, dict]) -> None:
        """Removes what Elasticsearch acknowledged, unless a newer version was queued meanwhile."""
        with self.db:
            for article_id in ids:
                self.db.execute("DELETE FROM es_outbox WHERE id = ? AND doc = ?",
                                (article_id, json.dumps(docs[article_id], ensure_ascii=False)))

    @locked
    def failed(self, ids: list[str], error: str, rejected: bool = False) -> None:
        with self.db:
            self.db.executemany("UPDATE es_outbox SET attempts = attempts + 1, rejected = ?, last_error = ? "
                                "WHERE id = ?", [(int(rejected), error[:500], i) for i in ids])

    @locked
    def backlog(self) -> dict:
        waiting, rejected = self.db.execute(
            "SELECT COALESCE(SUM(rejected = 0), 0), COALESCE(SUM(rejected = 1), 0) FROM es_outbox").fetchone()
        last = self.db.execute("SELECT last_error FROM es_outbox WHERE last_error IS NOT NULL "
                               "ORDER BY queued_at DESC LIMIT 1").fetchone()
        by_outlet = dict(self.db.execute("SELECT json_extract(doc, '$.outlet'), COUNT(*) FROM es_outbox "
                                         "WHERE rejected = 0 GROUP BY 1").fetchall())
        return {"waiting": waiting, "rejected": rejected, "last_error": last[0] if last else None,
                "by_outlet": by_outlet}

    @locked
    def close(self) -> None:
        self.db.close()
