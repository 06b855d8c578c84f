"""Topics: recording matches, and grouping them into alerts (one delivery per topic and channel)
that delivery.py sends through the outbox in the state database."""
from __future__ import annotations

import uuid
from datetime import datetime

from core.dates import utcnow
from core.statedb import StateDB
from crawler.alerts.delivery import Deliverer
from crawler.alerts.store import DeliveryStore, MatchStore
from crawler.alerts.transports import SmtpMailer


class Alerts:
    """Used from the crawl's serial thread (record, enqueue), a delivery thread and the API's
    threads; each has its own connection to the state database. `topics` may be replaced while
    running (a reload)."""

    def __init__(self, db: StateDB, topics: dict, get_article, smtp_url: str | None, mail_from: str | None):
        self.db = db
        self.topics = topics
        self.get_article = get_article
        self.match_store = MatchStore(db)
        self.deliveries = DeliveryStore(db)
        self.deliverer = Deliverer(self.deliveries, lambda key: self.topics.get(key), get_article,
                                   SmtpMailer(smtp_url, mail_from))

    # --- matching ---
    def record(self, topic: str, article_id: str, copies: list[str] = ()) -> bool:
        """A new match (True), or one already recorded (a re-crawl, a restart: never re-alerted).
        A copy that arrived before its original and matched already hands its match over: a
        story alerts once."""
        return self.match_store.record(topic, article_id, copies, utcnow())

    # --- grouping matches into deliveries ---
    def enqueue(self, digest: bool = False, now: datetime | None = None) -> int:
        """Instant topics: every match not yet in a delivery, one delivery per topic and channel.
        `digest=True`: the same for daily-digest topics (run once a day). A match whose article
        has become a copy is closed without a delivery: its original alerts for the story."""
        created = 0
        now = now or utcnow()
        for key, topic in self.topics.items():
            if (topic.digest == "daily") != digest:
                continue
            ids = self.match_store.undelivered(key)
            if not ids:
                continue
            copies = {i for i in ids if (self.get_article(i) or {}).get("duplicate_of")}
            send = [i for i in ids if i not in copies]
            group = uuid.uuid4().hex
            with self.db.transaction("enqueue") as tx:
                if send:
                    created += self.deliveries.add(tx, key, topic.notify, now, group=group, articles=send)
                self.match_store.close(key, ids, group, tx)
        return created

    # --- sending ---
    def deliver_pending(self, now: datetime | None = None) -> int:
        return self.deliverer.deliver_pending(now)

    # --- reporting ---
    def status(self) -> list[dict]:
        report = []
        for key, topic in self.topics.items():
            last_match_at, matches = self.match_store.summary(key)
            pending, error = self.deliveries.pending(key)
            report.append({"key": key, "name": topic.name, "query": topic.query,
                           "entities": [f"{k}:{n}" for k, n in topic.entities], "outlets": list(topic.outlets),
                           "notify": [c for c, _ in topic.notify], "digest": topic.digest,
                           "matches": matches, "last_match_at": last_match_at, "pending_deliveries": pending,
                           "last_delivery_error": error})
        return report

    def matches(self, key: str, since: str | None, offset: int, size: int) -> tuple[int, list[tuple[str, str]]]:
        return self.match_store.page(key, since, offset, size)
