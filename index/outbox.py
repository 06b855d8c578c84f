"""The Elasticsearch outbox: writes waiting to be made, kept in the state database so that
nothing is lost while the cluster is down or rejecting. At-least-once: an entry leaves the
outbox only after Elasticsearch acknowledged it; the id makes a repeat harmless. An entry is an
article to index, or (op 'delete') an id to remove."""
from __future__ import annotations

import json

from core.dates import iso, utcnow
from core.statedb import StateDB, StoreSchema

SCHEMA = StoreSchema("outbox", (
    """CREATE TABLE IF NOT EXISTS es_outbox (id TEXT PRIMARY KEY, doc TEXT NOT NULL, queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, last_error TEXT)""",
    "ALTER TABLE es_outbox ADD COLUMN op TEXT NOT NULL DEFAULT 'index'",  # deletions go through the outbox too
))


class Outbox:
    """Used from the crawl (put), the courier thread and the API (backlog, get): each thread has
    its own connection (core.statedb)."""

    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    def put(self, article: dict) -> None:
        # A newer version of an article still waiting replaces the older one.
        self._queue(article["id"], "index", json.dumps(article, ensure_ascii=False))

    def delete(self, article_id: str) -> None:
        self._queue(article_id, "delete", "{}")

    def _queue(self, article_id: str, op: str, doc: str) -> None:
        self.db.execute(
            "INSERT INTO es_outbox(id, doc, queued_at, op) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "doc = excluded.doc, op = excluded.op, queued_at = excluded.queued_at, attempts = 0, rejected = 0, "
            "last_error = NULL", (article_id, doc, iso(utcnow()), op))

    def get(self, article_id: str) -> tuple[str, dict] | None:
        """(op, document) of a write still waiting for this id."""
        row = self.db.one("SELECT op, doc FROM es_outbox WHERE id = ? AND rejected = 0", (article_id,))
        return (row[0], json.loads(row[1])) if row else None

    def pending(self, limit: int) -> list[tuple[str, str, dict]]:
        """(id, op, document) of the oldest waiting writes."""
        rows = self.db.all("SELECT id, op, doc FROM es_outbox WHERE rejected = 0 ORDER BY queued_at, id LIMIT ?",
                           (limit,))
        return [(row[0], row[1], json.loads(row[2])) for row in rows]

    def delivered(self, done: list[tuple[str, str, dict]]) -> None:
        """Removes what Elasticsearch acknowledged, unless a newer write was queued meanwhile."""
        with self.db.transaction("outbox_delivered") as tx:
            tx.executemany("DELETE FROM es_outbox WHERE id = ? AND op = ? AND doc = ?",
                           [(i, op, json.dumps(doc, ensure_ascii=False)) for i, op, doc in done])

    def failed(self, ids: list[str], error: str, rejected: bool = False) -> None:
        with self.db.transaction("outbox_failed") as tx:
            tx.executemany("UPDATE es_outbox SET attempts = attempts + 1, rejected = ?, last_error = ? WHERE id = ?",
                           [(int(rejected), error[:500], i) for i in ids])

    def backlog(self) -> dict:
        waiting, rejected, oldest = self.db.one(
            "SELECT COALESCE(SUM(rejected = 0), 0), COALESCE(SUM(rejected = 1), 0), "
            "MIN(CASE WHEN rejected = 0 THEN queued_at END) FROM es_outbox")
        last = self.db.one("SELECT last_error FROM es_outbox WHERE last_error IS NOT NULL ORDER BY queued_at DESC LIMIT 1")
        by_outlet = dict(self.db.all("SELECT json_extract(doc, '$.outlet'), COUNT(*) FROM es_outbox "
                                     "WHERE rejected = 0 AND op = 'index' GROUP BY 1"))
        return {"waiting": waiting, "rejected": rejected, "oldest_waiting_since": oldest,
                "last_error": last[0] if last else None, "by_outlet": by_outlet}

    def prune(self, cutoff: str, tx=None) -> int:
        """Writes Elasticsearch rejected, queued before `cutoff`."""
        return (tx or self.db).execute("DELETE FROM es_outbox WHERE rejected = 1 AND queued_at < ?",
                                       (cutoff,)).rowcount
