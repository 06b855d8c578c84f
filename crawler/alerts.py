"""Topics: matching new articles, and delivering alerts (webhook, e-mail) through a durable
outbox. At-least-once with a stable delivery id; once acknowledged, never sent again; a failure
is retried with backoff and never blocks crawling."""
from __future__ import annotations

import json
import logging
import smtplib
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from html import escape
from urllib.parse import unquote, urlsplit

from crawler.dates import iso, utcnow
from crawler.feed_filter import queries_matching
from crawler.locking import locked
from index.article import without_text

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
SNIPPET_CHARS = 240

SCHEMA = """
CREATE TABLE IF NOT EXISTS topic_matches (
    topic TEXT NOT NULL,
    article_id TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    delivery_group TEXT,              -- set once the match is in a delivery (or has no channel)
    PRIMARY KEY (topic, article_id)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,              -- sent as X-Newswatch-Delivery: receivers dedupe on it
    topic TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    articles TEXT NOT NULL,           -- JSON list of article ids
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT
);
"""


def topics_matching(article: dict, topics: dict) -> list[str]:
    """The topics a new article matches: its query (the search syntax), all its entities, any of its outlets."""
    names = {(kind, name.lower()) for kind, values in (article.get("entities") or {}).items() for name in values}
    candidates = {key: topic.query for key, topic in topics.items()
                  if (not topic.outlets or article["outlet"] in topic.outlets)
                  and all((kind, name.lower()) in names for kind, name in topic.entities)}
    return sorted(queries_matching(candidates, article))


def snippet(article: dict) -> str:
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = " ".join((article.get("text") or "").split())
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text


class Alerts:
    """Used from the crawl (record, enqueue) and from a delivery thread: its own connection to the
    crawl-state database, one lock."""

    def __init__(self, path, topics: dict, get_article, smtp_url: str | None, mail_from: str | None):
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self.topics = topics
        self.get_article = get_article
        self.smtp_url, self.mail_from = smtp_url, mail_from

    # --- matching ---
    @locked
    def record(self, topic: str, article_id: str) -> bool:
        """A new match (True), or one already recorded (a re-crawl, a restart: never re-alerted)."""
        cursor = self.db.execute("INSERT OR IGNORE INTO topic_matches(topic, article_id, matched_at) VALUES (?, ?, ?)",
                                 (topic, article_id, iso(utcnow())))
        return cursor.rowcount == 1

    # --- grouping matches into deliveries ---
    @locked
    def enqueue(self, digest: bool = False, now: datetime | None = None) -> int:
        """Instant topics: every match not yet in a delivery, one delivery per topic and channel.
        `digest=True`: the same for daily-digest topics (run once a day)."""
        created = 0
        now = now or utcnow()
        with self.db:
            for key, topic in self.topics.items():
                if (topic.digest == "daily") != digest:
                    continue
                ids = [r[0] for r in self.db.execute(
                    "SELECT article_id FROM topic_matches WHERE topic = ? AND delivery_group IS NULL ORDER BY matched_at",
                    (key,))]
                if not ids:
                    continue
                group = uuid.uuid4().hex
                for n, (channel, target) in enumerate(topic.notify):
                    self.db.execute(
                        "INSERT INTO deliveries(id, topic, channel, target, articles, created_at, next_attempt_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (f"{group}-{n}", key, channel, target, json.dumps(ids), iso(now), iso(now)))
                    created += 1
                self.db.execute(f"UPDATE topic_matches SET delivery_group = ? WHERE topic = ? AND article_id IN "
                                f"({','.join('?' * len(ids))})", (group, key, *ids))
        return created

    # --- sending ---
    @locked
    def deliver_pending(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        rows = self.db.execute("SELECT id, topic, channel, target, articles, attempts FROM deliveries "
                               "WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at",
                               (iso(now),)).fetchall()
        sent = 0
        for delivery_id, key, channel, target, article_ids, attempts in rows:
            topic = self.topics.get(key)
            articles = [a for a in (self.get_article(i) for i in json.loads(article_ids)) if a is not None]
            payload = {"topic": key, "name": topic.name if topic else key,
                       "articles": [{**without_text(a), "snippet": snippet(a)} for a in articles]}
            try:
                if channel == "webhook":
                    self._post(target, delivery_id, payload)
                else:
                    self._mail(target, delivery_id, payload, topic)
            except Exception as exc:  # any failure: retried later, logged, visible in /topics
                wait = min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** attempts))
                logger.warning("delivery %s of topic %s to %s failed (attempt %d): %s", delivery_id, key, channel,
                               attempts + 1, exc)
                self.db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                                "WHERE id = ?", (f"{type(exc).__name__}: {exc}"[:500], iso(now + wait), delivery_id))
                continue
            self.db.execute("UPDATE deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL "
                            "WHERE id = ?", (iso(utcnow()), delivery_id))
            sent += 1
        return sent

    def _post(self, url: str, delivery_id: str, payload: dict) -> None:
        request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "X-Newswatch-Delivery": delivery_id,
                                                                 "User-Agent": "newswatch-alerts"})
        with urllib.request.urlopen(request, timeout=15) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")

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
        parts = urlsplit(self.smtp_url)
        with smtplib.SMTP(parts.hostname, parts.port or 25, timeout=15) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)

    # --- reporting ---
    @locked
    def status(self) -> list[dict]:
        report = []
        for key, topic in self.topics.items():
            last = self.db.execute("SELECT MAX(matched_at), COUNT(*) FROM topic_matches WHERE topic = ?", (key,)).fetchone()
            pending, error = self.db.execute(
                "SELECT COUNT(*), (SELECT last_error FROM deliveries WHERE topic = ? AND last_error IS NOT NULL "
                "ORDER BY next_attempt_at DESC LIMIT 1) FROM deliveries WHERE topic = ? AND delivered_at IS NULL",
                (key, key)).fetchone()
            report.append({"key": key, "name": topic.name, "query": topic.query,
                           "entities": [f"{k}:{n}" for k, n in topic.entities], "outlets": list(topic.outlets),
                           "notify": [c for c, _ in topic.notify], "digest": topic.digest,
                           "matches": last[1], "last_match_at": last[0], "pending_deliveries": pending,
                           "last_delivery_error": error})
        return report

    @locked
    def matches(self, key: str, since: str | None, offset: int, size: int) -> tuple[int, list[tuple[str, str]]]:
        where, args = "topic = ?", [key]
        if since:
            where, args = where + " AND matched_at >= ?", args + [since]
        total = self.db.execute(f"SELECT COUNT(*) FROM topic_matches WHERE {where}", args).fetchone()[0]
        rows = self.db.execute(f"SELECT article_id, matched_at FROM topic_matches WHERE {where} "
                               "ORDER BY matched_at DESC, article_id LIMIT ? OFFSET ?", (*args, size, offset)).fetchall()
        return total, [(r[0], r[1]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self.db.close()
