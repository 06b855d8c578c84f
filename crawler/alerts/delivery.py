"""Sending what is due from the outbox (store.py's `deliveries`). At-least-once with a stable
delivery id; once acknowledged, never sent again; a failure is retried with backoff and never
blocks crawling. No lock or transaction is held while a webhook or mail server is talked to: a
due delivery is claimed (leased) in one transaction, sent, and its outcome recorded in another,
one delivery at a time."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from core.article import without_text
from core.dates import utcnow
from crawler.alerts.mail import notice_mail, topic_mail
from crawler.alerts.store import Delivery, DeliveryStore
from crawler.alerts.transports import SmtpMailer, post_webhook

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)  # a deliverer that dies mid-send frees its claim after this
SNIPPET_CHARS = 240


def snippet(article: dict) -> str:
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = " ".join((article.get("text") or "").split())
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text


class Deliverer:
    """`topic_of(key)` is the topic as configured now (topics are reloaded while running)."""

    def __init__(self, deliveries: DeliveryStore, topic_of: Callable, get_article: Callable, mailer: SmtpMailer):
        self.deliveries = deliveries
        self.topic_of = topic_of
        self.get_article = get_article
        self.mailer = mailer

    def deliver_pending(self, now: datetime | None = None) -> int:
        """Sends what is due. Several deliverers may run at once (the daemon's timer, a crawl's
        end, `newswatch crawl`): each claims one delivery at a time with a lease, sends it and
        records the outcome before it claims the next, so a claim never has to outlive more than
        one send (SEND_TIMEOUT_SECONDS, far below CLAIM_LEASE) whatever the batch size and the
        target's latency, and no delivery is sent twice."""
        sent = 0
        while True:
            at = now or utcnow()
            delivery = self.deliveries.claim(at, CLAIM_LEASE)
            if delivery is None:
                return sent
            sent += self._deliver(delivery, at)

    def _deliver(self, delivery: Delivery, now: datetime) -> int:
        topic = self.topic_of(delivery.topic)
        notice = delivery.payload  # an admin notice (core/volume.py Notices): its own payload
        if notice is not None:
            payload = notice
        else:
            articles = [a for a in (self.get_article(i) for i in delivery.articles)
                        if a is not None and not a.get("duplicate_of")]
            if not articles:  # every article became a copy: its original alerts for the story
                self.deliveries.dropped(delivery.id, utcnow(), "not sent: only copies")
                return 0
            payload = {"topic": delivery.topic, "name": topic.name if topic else delivery.topic,
                       "articles": [{**without_text(a), "snippet": snippet(a)} for a in articles]}
        try:
            self._send(delivery, payload, topic)
        except Exception as exc:  # any failure: retried later, logged, visible in /topics
            wait = min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** delivery.attempts))
            logger.warning("delivery %s of topic %s to %s failed (attempt %d): %s", delivery.id, delivery.topic,
                           delivery.channel, delivery.attempts + 1, exc)
            self.deliveries.failed(delivery.id, f"{type(exc).__name__}: {exc}"[:500], now + wait)
            return 0
        self.deliveries.sent(delivery.id, utcnow())
        return 1

    def _send(self, delivery: Delivery, payload: dict, topic) -> None:
        if delivery.channel == "webhook":
            post_webhook(delivery.target, delivery.id, payload)
            return
        self.mailer.check()
        if delivery.payload is not None:
            message = notice_mail(payload, self.mailer.mail_from, delivery.target, delivery.id)
        else:
            digest = topic is not None and topic.digest == "daily"
            message = topic_mail(payload, digest, self.mailer.mail_from, delivery.target, delivery.id)
        self.mailer.send(message)
