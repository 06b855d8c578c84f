"""Topics: recording matches, and delivering alerts (webhook, e-mail) through a durable outbox
in the state database. At-least-once with a stable delivery id; once acknowledged, never sent
again; a failure is retried with backoff and never blocks crawling. No lock or transaction is held
while a webhook or mail server is talked to: a due delivery is claimed (leased) in one
transaction, sent, and its outcome recorded in another, one delivery at a time."""
from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from html import escape
from urllib.parse import unquote, urlsplit

from core.article import without_text
from core.dates import iso, utcnow
from core.statedb import StateDB, in_chunks

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)  # a deliverer that dies mid-send frees its claim after this
SEND_TIMEOUT_SECONDS = 15  # per network operation of one send; a claim covers one send only
SNIPPET_CHARS = 240

def snippet(article: dict) -> str:
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = " ".join((article.get("text") or "").split())
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text


class Alerts:
    """Used from the crawl's serial thread (record, enqueue), a delivery thread and the API's
    threads; each has its own connection to the state database."""

    def __init__(self, db: StateDB, topics: dict, get_article, smtp_url: str | None, mail_from: str | None):
        self.db = db
        self.topics = topics
        self.get_article = get_article
        self.smtp_url, self.mail_from = smtp_url, mail_from

    # --- matching ---
    def record(self, topic: str, article_id: str, copies: list[str] = ()) -> bool:
        """A new match (True), or one already recorded (a re-crawl, a restart: never re-alerted).
        A copy that arrived before its original and matched already hands its match over: a
        story alerts once."""
        now = iso(utcnow())
        with self.db.transaction("topic_record") as tx:
            for chunk in in_chunks(list(copies)):
                earlier = tx.execute(
                    f"SELECT article_id, delivery_group FROM topic_matches WHERE topic = ? AND article_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY matched_at LIMIT 1", (topic, *chunk)).fetchone()
                if earlier is not None:
                    tx.execute("DELETE FROM topic_matches WHERE topic = ? AND article_id = ?", (topic, earlier[0]))
                    tx.execute("INSERT OR IGNORE INTO topic_matches(topic, article_id, matched_at, delivery_group) "
                               "VALUES (?, ?, ?, ?)", (topic, article_id, now, earlier[1]))
                    return False
            cursor = tx.execute("INSERT OR IGNORE INTO topic_matches(topic, article_id, matched_at) VALUES (?, ?, ?)",
                                (topic, article_id, now))
            return cursor.rowcount == 1

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
            ids = [r[0] for r in self.db.all("SELECT article_id FROM topic_matches WHERE topic = ? AND "
                                             "delivery_group IS NULL ORDER BY matched_at, article_id", (key,))]
            if not ids:
                continue
            copies = {i for i in ids if (self.get_article(i) or {}).get("duplicate_of")}
            send = [i for i in ids if i not in copies]
            group = uuid.uuid4().hex
            with self.db.transaction("enqueue") as tx:
                if send:
                    for n, (channel, target) in enumerate(topic.notify):
                        tx.execute(
                            "INSERT INTO deliveries(id, topic, channel, target, articles, created_at, next_attempt_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (f"{group}-{n}", key, channel, target, json.dumps(send), iso(now), iso(now)))
                        created += 1
                for chunk in in_chunks(ids):
                    tx.execute(f"UPDATE topic_matches SET delivery_group = ? WHERE topic = ? AND delivery_group IS NULL "
                               f"AND article_id IN ({','.join('?' * len(chunk))})",
                               (group, key, *chunk))
        return created

    # --- sending ---
    def deliver_pending(self, now: datetime | None = None) -> int:
        """Sends what is due. Several deliverers may run at once (the daemon's timer, a crawl's
        end, `newswatch crawl`): each claims one delivery at a time with a lease, sends it and
        records the outcome before it claims the next, so a claim never has to outlive more than
        one send (SEND_TIMEOUT_SECONDS, far below CLAIM_LEASE) whatever the batch size and the
        target's latency, and no delivery is sent twice."""
        sent = 0
        while True:
            at = now or utcnow()
            row = self._claim(at)
            if row is None:
                return sent
            sent += self._deliver(row, at)

    def _claim(self, now: datetime):
        with self.db.transaction("claim_deliveries") as tx:
            row = tx.execute("SELECT id, topic, channel, target, articles, attempts, payload FROM deliveries "
                             "WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at, id LIMIT 1",
                             (iso(now),)).fetchone()
            if row is not None:
                tx.execute("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?", (iso(now + CLAIM_LEASE), row[0]))
        return row

    def _deliver(self, row, now: datetime) -> int:
        delivery_id, key, channel, target, article_ids, attempts, notice = row
        topic = self.topics.get(key)
        if notice is not None:  # an admin notice (crawler/volume.py Notices): its own payload
            payload = json.loads(notice)
        else:
            articles = [a for a in (self.get_article(i) for i in json.loads(article_ids))
                        if a is not None and not a.get("duplicate_of")]
            if not articles:  # every article became a copy: its original alerts for the story
                self.db.execute("UPDATE deliveries SET delivered_at = ?, last_error = 'not sent: only copies' "
                                "WHERE id = ?", (iso(utcnow()), delivery_id))
                return 0
            payload = {"topic": key, "name": topic.name if topic else key,
                       "articles": [{**without_text(a), "snippet": snippet(a)} for a in articles]}
        try:
            if channel == "webhook":
                self._post(target, delivery_id, payload)
            elif notice is not None:
                self._mail_notice(target, delivery_id, payload)
            else:
                self._mail(target, delivery_id, payload, topic)
        except Exception as exc:  # any failure: retried later, logged, visible in /topics
            wait = min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** attempts))
            logger.warning("delivery %s of topic %s to %s failed (attempt %d): %s", delivery_id, key, channel,
                           attempts + 1, exc)
            self.db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                            "WHERE id = ?", (f"{type(exc).__name__}: {exc}"[:500], iso(now + wait), delivery_id))
            return 0
        self.db.execute("UPDATE deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL "
                        "WHERE id = ?", (iso(utcnow()), delivery_id))
        return 1

    def _post(self, url: str, delivery_id: str, payload: dict) -> None:
        request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "X-Newswatch-Delivery": delivery_id,
                                                                 "User-Agent": "newswatch-alerts"})
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")

    def _mail_notice(self, address: str, delivery_id: str, payload: dict) -> None:
        message = EmailMessage()
        message["Subject"] = f"newswatch notice: {payload['notice'].replace('_', ' ')} ({payload['outlet']})"
        message["From"], message["To"] = self.mail_from, address
        message["Message-ID"] = f"<{delivery_id}@newswatch>"
        message.set_content(f"{payload['message']}\n\nRaised at {payload['raised_at']}.")
        self._send(message)

    def _send(self, message: EmailMessage) -> None:
        if not self.smtp_url or not self.mail_from:
            raise RuntimeError("e-mail needs NEWSWATCH_SMTP_URL and NEWSWATCH_MAIL_FROM")
        parts = urlsplit(self.smtp_url)
        with smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SEND_TIMEOUT_SECONDS) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)

    def _mail(self, address: str, delivery_id: str, payload: dict, topic) -> None:
        if not self.smtp_url or not self.mail_from:
            raise RuntimeError("e-mail needs NEWSWATCH_SMTP_URL and NEWSWATCH_MAIL_FROM")
        message = EmailMessage()
        digest = topic is not None and topic.digest == "daily"
        message["Subject"] = f"newswatch: {len(payload['articles'])} new {'stories' if digest else 'matches'} " \
                             f"for {payload['name']}"
        message["From"], message["To"] = self.mail_from, address
        message["Message-ID"] = f"<{delivery_id}@newswatch>"
        stories: dict[str, list[dict]] = {}
        for article in payload["articles"]:
            stories.setdefault(article.get("story_id") or article["id"], []).append(article)
        text_lines, html_items = [], []
        for members in stories.values():
            lead = members[0]
            names = ", ".join(n for values in (lead.get("entities") or {}).values() for n in values[:3])
            copies = lead.get("duplicate_count") or 0
            also = ", ".join(m["outlet"] for m in members[1:])
            text_lines.append(f"* {lead['title']}\n  {lead['outlet']}, {lead['published_at']}"
                              f"{f', {copies} copies' if copies else ''}\n  {lead['snippet']}\n  {lead['url']}"
                              + (f"\n  Names: {names}" if names else ""))
            html_items.append(
                f"<li><a href=\"{escape(lead['url'])}\"><strong>{escape(lead['title'] or '')}</strong></a><br>"
                f"<small>{escape(lead['outlet'])} · {escape(lead['published_at'] or '')}"
                f"{f' · {copies} copies' if copies else ''}"
                f"{f' · also: {escape(also)}' if also else ''}"
                f"</small><br>{escape(lead['snippet'])}"
                + (f"<br><small>Names: <mark>{escape(names)}</mark></small>" if names else "") + "</li>")
        message.set_content(f"{payload['name']}\n\n" + "\n\n".join(text_lines))
        message.add_alternative(f"<html><body><h2>{escape(payload['name'])}</h2><ul>{''.join(html_items)}</ul>"
                                "</body></html>", subtype="html")
        self._send(message)

    # --- reporting ---
    def status(self) -> list[dict]:
        report = []
        for key, topic in self.topics.items():
            last = self.db.one("SELECT MAX(matched_at), COUNT(*) FROM topic_matches WHERE topic = ?", (key,))
            pending, error = self.db.one(
                "SELECT COUNT(*), (SELECT last_error FROM deliveries WHERE topic = ? AND last_error IS NOT NULL "
                "ORDER BY next_attempt_at DESC LIMIT 1) FROM deliveries WHERE topic = ? AND delivered_at IS NULL",
                (key, key))
            report.append({"key": key, "name": topic.name, "query": topic.query,
                           "entities": [f"{k}:{n}" for k, n in topic.entities], "outlets": list(topic.outlets),
                           "notify": [c for c, _ in topic.notify], "digest": topic.digest,
                           "matches": last[1], "last_match_at": last[0], "pending_deliveries": pending,
                           "last_delivery_error": error})
        return report

    def matches(self, key: str, since: str | None, offset: int, size: int) -> tuple[int, list[tuple[str, str]]]:
        where, args = "topic = ?", [key]
        if since:
            where, args = where + " AND matched_at >= ?", args + [since]
        total = self.db.one(f"SELECT COUNT(*) FROM topic_matches WHERE {where}", args)[0]
        rows = self.db.all(f"SELECT article_id, matched_at FROM topic_matches WHERE {where} "
                           "ORDER BY matched_at DESC, article_id LIMIT ? OFFSET ?", (*args, size, offset))
        return total, [(r[0], r[1]) for r in rows]
