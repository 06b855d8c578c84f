"""Articles in flight: past their dedupe decision, not yet in an index commit. They are kept in
the state database, not in one process's memory, so every later decision sees them — a copy
arriving in the same crawl, or in another crawl running at once, links to them — and so could
another process sharing the state. `InFlight` owns the table.

A row holds the article as it stands: later decisions (an earlier original found, a related
report joining its story) rewrite its story fields here. `stored` is set once the store stage
has handed the article to the index writer; from then on a rewrite goes to the writer too. A row
leaves in the transaction that records its commit (crawler/commits.py), or when its page fails
or is dropped. What a killed process left is void: its pages are still owed (crawler/owed.py)
and decided again, so the service clears the table when it starts."""
from __future__ import annotations

import json

from core.dates import iso, utcnow
from core.statedb import StateDB, StoreSchema, in_chunks

# A store of state-file version 5: steps 1 to 4 (the older file versions) are empty.
SCHEMA = StoreSchema("in_flight", ("", "", "", "", """CREATE TABLE in_flight (id TEXT PRIMARY KEY,
    outlet TEXT NOT NULL, content_hash TEXT NOT NULL, article TEXT NOT NULL, stored INTEGER NOT NULL DEFAULT 0,
    decided_at TEXT NOT NULL);
    CREATE INDEX in_flight_hash ON in_flight(content_hash)"""))


class InFlight:
    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    def hold(self, article: dict) -> None:
        """The article's dedupe decision is taken: it is in flight from now on."""
        self.db.execute(
            "INSERT INTO in_flight(id, outlet, content_hash, article, stored, decided_at) VALUES (?, ?, ?, ?, 0, ?) "
            "ON CONFLICT(id) DO UPDATE SET outlet = excluded.outlet, content_hash = excluded.content_hash, "
            "article = excluded.article, stored = 0, decided_at = excluded.decided_at",
            (article["id"], article["outlet"], article["content_hash"], _json(article), iso(utcnow())))

    def get(self, article_id: str) -> dict | None:
        row = self.db.one("SELECT article FROM in_flight WHERE id = ?", (article_id,))
        return json.loads(row[0]) if row else None

    def holds(self, article_id: str) -> bool:
        return self.db.one("SELECT 1 FROM in_flight WHERE id = ?", (article_id,)) is not None

    def by_hash(self, digest: str, other_than: str) -> str | None:
        """An article in flight with this exact text, the first decided."""
        row = self.db.one("SELECT id FROM in_flight WHERE content_hash = ? AND id != ? ORDER BY decided_at, id LIMIT 1",
                          (digest, other_than))
        return row[0] if row else None

    def save(self, article: dict) -> bool | None:
        """A later decision changed the article: None when it is not in flight, else whether it
        was stored already (then the writer must have the change too)."""
        with self.db.transaction("in_flight_save") as tx:
            row = tx.execute("SELECT stored FROM in_flight WHERE id = ?", (article["id"],)).fetchone()
            if row is None:
                return None
            tx.execute("UPDATE in_flight SET article = ? WHERE id = ?", (_json(article), article["id"]))
        return bool(row[0])

    def stored(self, article: dict) -> None:
        """The store stage handed the article, as it is now, to the index writer."""
        self.db.execute("UPDATE in_flight SET article = ?, stored = 1 WHERE id = ?", (_json(article), article["id"]))

    def release(self, article_ids: list[str], tx=None) -> None:
        """Committed, or its page failed or was dropped."""
        for chunk in in_chunks(sorted(set(article_ids))):
            (tx or self.db).execute(f"DELETE FROM in_flight WHERE id IN ({','.join('?' * len(chunk))})", chunk)

    def release_unstored(self, outlet: str) -> None:
        """After a crawl: what of the outlet never reached the store stage."""
        self.db.execute("DELETE FROM in_flight WHERE outlet = ? AND stored = 0", (outlet,))

    def clear(self) -> int:
        """At start-up: the decisions of a process that died; their pages are decided again."""
        return self.db.execute("DELETE FROM in_flight").rowcount


def _json(article: dict) -> str:
    return json.dumps(article, ensure_ascii=False)
