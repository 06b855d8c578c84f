"""Topics end to end: a local webhook receiver and a real local SMTP server (aiosmtpd)."""
import json
import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from core.statedb import StateDB
from core.volume import Notices
from crawler.alerts.topic_alerts import Alerts
from core.dates import utcnow
from crawler.config.topics import TopicsError, parse_topics


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    yield mailbox
    controller.stop()


def topics_file(server, digest: str = "") -> str:
    return f"""
[nk-troops-russia]
name = "North Korean troops in Russia"
query = '"north korea" OR "north korean" OR pyongyang'
entities = ["place:Kursk"]
notify = ["webhook:{server.base}/hook", "email:analyst@example.org"]
{digest}
"""


def test_a_new_matching_story_alerts_once_by_webhook_and_mail(sample_outlets, smtp_server):
    ws, server = sample_outlets, sample_outlets.server
    server.serve("/hook", "")
    (ws.root / "topics.toml").write_text(topics_file(server))
    env = {"NEWSWATCH_TOPICS": str(ws.root / "topics.toml"), "NEWSWATCH_SMTP_URL": smtp_server.url,
           "NEWSWATCH_MAIL_FROM": "newswatch@example.org"}
    ws.newswatch("crawl", "rfa-english", "rfa-korean", "newsweek", **env)
    [(path, headers, body)] = server.posts
    payload = json.loads(body)
    assert path == "/hook" and payload["topic"] == "nk-troops-russia" and payload["name"].startswith("North Korean")
    assert {a["outlet"] for a in payload["articles"]} == {"rfa-english", "newsweek"}
    assert all("text" not in a and a["snippet"] for a in payload["articles"])
    assert headers["X-Newswatch-Delivery"]
    [mail] = smtp_server.messages
    assert mail["To"] == "analyst@example.org" and "North Korean troops in Russia" in mail["Subject"]
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in mail.walk()
             if part.get_content_type() in ("text/plain", "text/html")}
    assert "war certificates" in parts["text/plain"].lower() and "<li>" in parts["text/html"]
    # Matches are searchable and kept; a re-crawl (a restart) sends nothing again.
    found = ws.json("search", "--topic", "nk-troops-russia", "--json", **env)
    assert {h["outlet"] for h in found["hits"]} == {"rfa-english", "newsweek"}
    assert found["facets"]["topic"] == [{"value": "nk-troops-russia", "count": 3}]  # the Zelensky story too
    server.serve_fixture("/arc/outboundfeeds/english/rss/", "rfa_english_rss.xml", etag='"changed"')
    ws.newswatch("crawl", "rfa-english", "newsweek", **env)
    assert len(server.posts) == 1 and len(smtp_server.messages) == 1


def test_a_copy_of_an_alerted_story_does_not_alert_again(sample_outlets, smtp_server):
    ws, server = sample_outlets, sample_outlets.server
    server.serve("/hook", "")
    (ws.root / "topics.toml").write_text(topics_file(server).replace(', "email:analyst@example.org"', ""))
    env = {"NEWSWATCH_TOPICS": str(ws.root / "topics.toml")}
    ws.newswatch("crawl", "newsweek", **env)
    assert len(server.posts) == 1
    copy = server.fixture("newsweek_article.html").replace(b"10987654", b"copy-10987654")
    server.serve("/mirror/story", copy)
    server.serve("/mirror.xml", f"<rss version='2.0'><channel><title>m</title><item><title>x</title>"
                                f"<link>{server.base}/mirror/story</link></item></channel></rss>",
                 content_type="application/rss+xml")
    with open(ws.outlets, "a") as outlets:
        outlets.write(f'\n[mirror]\nname = "Mirror"\nlanguage = "en"\nfeeds = ["{server.base}/mirror.xml"]\n')
    ws.newswatch("crawl", "mirror", **env)
    copies = ws.json("search", "--outlet", "mirror", "--duplicates", "--json", **env)["hits"]
    assert len(copies) == 1 and copies[0]["duplicate_of"] and copies[0]["topics"] == []
    assert len(server.posts) == 1


def test_a_failing_receiver_gets_the_alert_on_the_fourth_try_and_only_then(tmp_path, outlet_server):
    server = outlet_server
    server.serve("/hook", "", fail_first=3)
    topics = parse_topics(topics_file(server).replace(', "email:analyst@example.org"', ""))
    article = {"id": "a1", "outlet": "rfa-english", "title": "Kursk", "description": "d", "text": "t",
               "url": "https://www.rfa.org/a1", "published_at": "2025-11-05T00:00:00Z"}
    alerts = Alerts(StateDB(tmp_path / "s.sqlite3"), topics, {"a1": article}.get, None, None)
    assert alerts.record("nk-troops-russia", "a1") and not alerts.record("nk-troops-russia", "a1")
    assert alerts.enqueue() == 1 and alerts.enqueue() == 0
    now = utcnow()
    for minutes in (0, 1, 3):
        assert alerts.deliver_pending(now + timedelta(minutes=minutes)) == 0
    [status] = alerts.status()
    assert status["pending_deliveries"] == 1 and "500" in status["last_delivery_error"]
    assert alerts.deliver_pending(now + timedelta(minutes=10)) == 1
    assert alerts.deliver_pending(now + timedelta(hours=5)) == 0
    ids = {headers["X-Newswatch-Delivery"] for _, headers, _ in server.posts}
    assert len(server.posts) == 4 and len(ids) == 1  # one delivery id across retries
    assert alerts.status()[0]["pending_deliveries"] == 0


def test_an_admin_notice_goes_out_by_mail_through_the_alert_outbox(tmp_path, smtp_server):
    db = StateDB(tmp_path / "s.sqlite3")
    alerts = Alerts(db, {}, {}.get, smtp_server.url, "newswatch@example.org")
    notices = Notices(db, (("email", "ops@example.org"),), alerts.deliveries.add)
    assert notices.raise_once("volume_drop", "rfa-english", "RFA English: 0 new articles in the last 24 hours")
    assert not notices.raise_once("volume_drop", "rfa-english", "again")
    assert alerts.deliver_pending() == 1 and alerts.deliver_pending() == 0
    [mail] = smtp_server.messages
    assert mail["Subject"] == "newswatch notice: volume drop (rfa-english)" and mail["To"] == "ops@example.org"
    body = mail.get_payload(decode=True).decode().replace("\r\n", "\n")  # line ends as sent over SMTP
    assert body.startswith("RFA English: 0 new articles in the last 24 hours\n\nRaised at ") and body.endswith(".\n")


def test_daily_digest_topics_wait_for_the_digest(tmp_path, outlet_server):
    server = outlet_server
    server.serve("/hook", "")
    topics = parse_topics(topics_file(server, 'digest = "daily"').replace(', "email:analyst@example.org"', ""))
    article = {"id": "a1", "outlet": "x", "title": "t", "text": "t", "url": "u", "published_at": "2025-11-05T00:00:00Z"}
    alerts = Alerts(StateDB(tmp_path / "s.sqlite3"), topics, {"a1": article}.get, None, None)
    alerts.record("nk-troops-russia", "a1")
    assert alerts.enqueue() == 0 and alerts.deliver_pending() == 0
    assert alerts.enqueue(digest=True) == 1 and alerts.deliver_pending() == 1


@pytest.mark.parametrize("change, key", [
    (('query = \'"north korea" OR "north korean" OR pyongyang\'', 'query = "(kursk"'), "query"),
    (('entities = ["place:Kursk"]', 'entities = ["city:Kursk"]'), "entities"),
    (('notify = [', 'notify = ["pager:123", '), "notify"),
    (('name = "North Korean troops in Russia"', 'name = ""'), "name"),
    (('entities = ["place:Kursk"]', 'entities = ["place:Kursk"]\ncolour = "red"'), "colour"),
    (('entities = ["place:Kursk"]', 'entities = ["place:Kursk"]\ndigest = "hourly"'), "digest"),
])
def test_bad_topic_entries_name_the_topic_and_key(outlet_server, change, key):
    with pytest.raises(TopicsError) as raised:
        parse_topics(topics_file(outlet_server).replace(*change))
    assert "[nk-troops-russia]" in str(raised.value) and key in str(raised.value)


def test_topics_api(sample_outlets):
    ws, server = sample_outlets, sample_outlets.server
    server.serve("/hook", "")
    (ws.root / "topics.toml").write_text(topics_file(server).replace(', "email:analyst@example.org"', ""))
    env = {"NEWSWATCH_TOPICS": str(ws.root / "topics.toml")}
    ws.newswatch("crawl", "rfa-english", "newsweek", **env)
    from fastapi.testclient import TestClient

    from crawler.config.outlets import load_outlets
    from crawler.state import CrawlState
    from crawler.config.topics import load_topics
    from web.api import create_app
    from web.context import ApiContext
    from index.tantivy.backend import TantivyBackend

    backend = TantivyBackend(ws.data_dir / "index", writable=False)
    alerts = Alerts(StateDB(ws.data_dir / "state.sqlite3"), load_topics(ws.root / "topics.toml"), backend.get, None, None)
    client = TestClient(create_app(ApiContext(backend=backend, state=CrawlState(StateDB(ws.data_dir / "state.sqlite3")),
                                              outlets=lambda: load_outlets(ws.outlets), alerts=alerts)))
    [topic] = client.get("/topics").json()
    assert topic["key"] == "nk-troops-russia" and topic["matches"] == 3 and topic["pending_deliveries"] == 0
    assert topic["last_match_at"] and topic["last_delivery_error"] is None
    first = client.get("/topics/nk-troops-russia/matches", params={"size": 1}).json()
    assert first["total"] == 3 and len(first["matches"]) == 1 and first["matches"][0]["matched_at"]
    second = client.get("/topics/nk-troops-russia/matches", params={"size": 1, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] and second["matches"][0]["id"] != first["matches"][0]["id"]
    assert client.get("/topics/nope/matches").status_code == 404
    assert client.get("/topics/nk-troops-russia/matches", params={"since": "soon"}).status_code == 400


def test_two_deliverers_and_a_slow_webhook_never_send_a_delivery_twice(tmp_path, outlet_server, monkeypatch):
    """A batch that takes longer than a claim's lease: the second deliverer (the daemon's timer,
    a poll's end) must not take over deliveries the first is still working through."""
    import threading
    import time

    import crawler.alerts.delivery
    from tests_support import wait_until

    server = outlet_server
    server.serve("/hook", "", delay=0.5)
    monkeypatch.setattr(crawler.alerts.delivery, "CLAIM_LEASE", timedelta(seconds=3))  # 5 minutes in production
    topics = parse_topics(topics_file(server).replace(', "email:analyst@example.org"', ""))
    articles = {f"a{n}": {"id": f"a{n}", "outlet": "rfa-english", "title": f"Kursk {n}", "text": "t",
                          "url": f"https://www.rfa.org/a{n}", "published_at": "2025-11-05T00:00:00Z"}
                for n in range(10)}
    first = Alerts(StateDB(tmp_path / "s.sqlite3"), topics, articles.get, None, None)
    for article_id in articles:  # ten deliveries, one per enqueue: together ~5 s, longer than the lease
        first.record("nk-troops-russia", article_id)
        assert first.enqueue() == 1
    second = Alerts(StateDB(tmp_path / "s.sqlite3"), topics, articles.get, None, None)
    sent = {"first": 0, "second": 0}

    def deliver_all():
        sent["first"] = first.deliver_pending()

    worker = threading.Thread(target=deliver_all)
    worker.start()
    wait_until(lambda: server.posts, "the first deliverer's first post")  # it is sending
    deadline = time.monotonic() + 120
    while worker.is_alive():  # the other deliverer keeps coming back, as the daemon's timer does
        assert time.monotonic() < deadline, "the first deliverer has not finished ten deliveries in 120 s"
        sent["second"] += second.deliver_pending()
        time.sleep(0.2)
    worker.join()
    sent["second"] += second.deliver_pending()
    ids = [headers["X-Newswatch-Delivery"] for _, headers, _ in server.posts]
    assert len(ids) == 10 and len(set(ids)) == 10, sorted(ids)
    assert sent["first"] + sent["second"] == 10
    assert second.status()[0]["pending_deliveries"] == 0
