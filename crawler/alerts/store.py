"""The alert tables, and the only SQL on them: `topic_matches` (which article matched which topic,
and the delivery group that alerted it) and `deliveries` (the durable outbox of webhook and mail
sends, topic alerts and admin notices alike).

A `tx` argument is a transaction of core/statedb.py to run in; `prune`'s may be left out (the
statement is a unit on its own)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from core.dates import iso
from core.statedb import StateDB, StoreSchema, in_chunks

# Steps 1 to 4 are the alert tables' part of the state file's versions 1 to 4 (core/statedb.py).
SCHEMA = StoreSchema("alerts", (
    """CREATE TABLE IF NOT EXISTS topic_matches (topic TEXT NOT NULL, article_id TEXT NOT NULL,
        matched_at TEXT NOT NULL, delivery_group TEXT, PRIMARY KEY (topic, article_id));
    CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY, topic TEXT NOT NULL, channel TEXT NOT NULL, target TEXT NOT NULL, articles TEXT NOT NULL,
        created_at TEXT NOT NULL, delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
        last_error TEXT)""",
    """CREATE INDEX deliveries_due ON deliveries(delivered_at, next_attempt_at);
    CREATE INDEX topic_matches_article ON topic_matches(article_id)""",
    "",
    # A delivery may carry its own payload (an admin notice).
    "ALTER TABLE deliveries ADD COLUMN payload TEXT",
))


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


class MatchStore:
    """`topic_matches`: a match is recorded once; `delivery_group` is NULL until a delivery (or
    the decision to send none) covers it."""

    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    def record(self, topic: str, article_id: str, copies: list[str], now: datetime) -> bool:
        """A new match (True), or one already recorded. The earliest match among `copies` (the
        article's copies that arrived before it) is handed over to the article instead."""
        with self.db.transaction("topic_record") as tx:
            for chunk in in_chunks(list(copies)):
                earlier = tx.execute(
                    f"SELECT article_id, delivery_group FROM topic_matches WHERE topic = ? AND article_id IN "
                    f"({_marks(chunk)}) ORDER BY matched_at LIMIT 1", (topic, *chunk)).fetchone()
                if earlier is not None:
                    tx.execute("DELETE FROM topic_matches WHERE topic = ? AND article_id = ?", (topic, earlier[0]))
                    tx.execute("INSERT OR IGNORE INTO topic_matches(topic, article_id, matched_at, delivery_group) "
                               "VALUES (?, ?, ?, ?)", (topic, article_id, iso(now), earlier[1]))
                    return False
            cursor = tx.execute("INSERT OR IGNORE INTO topic_matches(topic, article_id, matched_at) VALUES (?, ?, ?)",
                                (topic, article_id, iso(now)))
            return cursor.rowcount == 1

    def undelivered(self, topic: str) -> list[str]:
        """Article ids of the topic's matches no delivery covers yet, oldest first."""
        return [r[0] for r in self.db.all("SELECT article_id FROM topic_matches WHERE topic = ? AND "
                                          "delivery_group IS NULL ORDER BY matched_at, article_id", (topic,))]

    def close(self, topic: str, article_ids: list[str], group: str, tx) -> None:
        """Marks the matches as covered by the delivery group (sent or not)."""
        for chunk in in_chunks(article_ids):
            tx.execute(f"UPDATE topic_matches SET delivery_group = ? WHERE topic = ? AND delivery_group IS NULL "
                       f"AND article_id IN ({_marks(chunk)})", (group, topic, *chunk))

    def summary(self, topic: str) -> tuple[str | None, int]:
        """(last matched_at, number of matches) of the topic."""
        last, count = self.db.one("SELECT MAX(matched_at), COUNT(*) FROM topic_matches WHERE topic = ?", (topic,))
        return last, count

    def page(self, topic: str, since: str | None, offset: int, size: int) -> tuple[int, list[tuple[str, str]]]:
        """(total, [(article_id, matched_at)]) newest first."""
        where, args = "topic = ?", [topic]
        if since:
            where, args = where + " AND matched_at >= ?", args + [since]
        total = self.db.one(f"SELECT COUNT(*) FROM topic_matches WHERE {where}", args)[0]
        rows = self.db.all(f"SELECT article_id, matched_at FROM topic_matches WHERE {where} "
                           "ORDER BY matched_at DESC, article_id LIMIT ? OFFSET ?", (*args, size, offset))
        return total, [(r[0], r[1]) for r in rows]

    def forget(self, article_ids: list[str], tx) -> int:
        """Every match of these articles (retention removes the articles themselves)."""
        return sum(tx.execute(f"DELETE FROM topic_matches WHERE article_id IN ({_marks(chunk)})", chunk).rowcount
                   for chunk in in_chunks(list(article_ids)))

    def prune(self, cutoff: str, tx=None) -> int:
        """Matches older than `cutoff` that a delivery covers; uncovered ones stay whatever their age."""
        return (tx or self.db).execute("DELETE FROM topic_matches WHERE matched_at < ? AND delivery_group IS NOT NULL",
                          (cutoff,)).rowcount


class Delivery(NamedTuple):
    id: str
    topic: str
    channel: str  # "webhook" or "email"
    target: str
    articles: list[str]
    attempts: int
    payload: dict | None  # an admin notice carries its own payload


class DeliveryStore:
    """`deliveries`: one row per send (a topic's group of matches, or a notice, to one channel).
    `next_attempt_at` is both the retry time and the claim: a claimed delivery is due again only
    when its lease runs out."""

    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    def add(self, tx, topic: str, channels, now: datetime, *, group: str | None = None, articles=(),
            payload: dict | None = None) -> int:
        """One delivery per (channel, target), ids `<group>-<n>`, due now; returns how many."""
        group = group or uuid.uuid4().hex
        body = json.dumps(payload) if payload is not None else None
        created = 0
        for n, (channel, target) in enumerate(channels):
            tx.execute("INSERT INTO deliveries(id, topic, channel, target, articles, created_at, next_attempt_at, "
                       "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (f"{group}-{n}", topic, channel, target, json.dumps(list(articles)), iso(now), iso(now), body))
            created += 1
        return created

    def claim(self, now: datetime, lease: timedelta) -> Delivery | None:
        """The oldest due delivery, leased until `now + lease` in the same transaction, so that
        no other deliverer claims it meanwhile."""
        with self.db.transaction("claim_deliveries") as tx:
            row = tx.execute("SELECT id, topic, channel, target, articles, attempts, payload FROM deliveries "
                             "WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at, id LIMIT 1",
                             (iso(now),)).fetchone()
            if row is None:
                return None
            tx.execute("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?", (iso(now + lease), row[0]))
        return Delivery(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5],
                        json.loads(row[6]) if row[6] is not None else None)

    def sent(self, delivery_id: str, at: datetime) -> None:
        self.db.execute("UPDATE deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL "
                        "WHERE id = ?", (iso(at), delivery_id))

    def dropped(self, delivery_id: str, at: datetime, reason: str) -> None:
        """Closed without a send (not an attempt)."""
        self.db.execute("UPDATE deliveries SET delivered_at = ?, last_error = ? WHERE id = ?",
                        (iso(at), reason, delivery_id))

    def failed(self, delivery_id: str, error: str, retry_at: datetime) -> None:
        self.db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                        "WHERE id = ?", (error, iso(retry_at), delivery_id))

    def pending(self, topic: str) -> tuple[int, str | None]:
        """(deliveries not yet sent, the latest error among the topic's deliveries)."""
        count, error = self.db.one(
            "SELECT COUNT(*), (SELECT last_error FROM deliveries WHERE topic = ? AND last_error IS NOT NULL "
            "ORDER BY next_attempt_at DESC LIMIT 1) FROM deliveries WHERE topic = ? AND delivered_at IS NULL",
            (topic, topic))
        return count, error

    def prune(self, cutoff: str, tx=None) -> int:
        """Deliveries sent (or closed) before `cutoff`; unsent ones stay."""
        return (tx or self.db).execute("DELETE FROM deliveries WHERE delivered_at < ?", (cutoff,)).rowcount
