"""Sources that look after themselves, against a local outlet server whose feeds change pace,
fail, recover and go quiet: intervals move by the documented rule, a dead feed is paused (one
admin notice) and resumes by itself, a volume drop raises one admin notice and shows in /health
and on the sources page."""
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from core.dates import iso, stored_date
from core.sources import FASTER, SLOWER, bounds, next_interval
from core.volume import hour_of

# Nothing here is about entities: the crawls skip loading a spaCy model (seconds a CLI run).
NO_NER = {"NEWSWATCH_NER_MODELS": ""}


def feed(server, path: str, items: list[str]) -> None:
    server.serve(path, "<rss version='2.0'><channel><title>x</title>" + "".join(
        f"<item><title>Story {link}</title><link>{server.base}{link}</link></item>" for link in items)
        + "</channel></rss>", content_type="application/rss+xml")


def article(server, path: str, n: int) -> None:
    server.serve(path, f"<html lang='en'><head><title>Report {n}</title></head><body><article><h1>Report {n}</h1>"
                       + "".join(f"<p>Paragraph {p} of report {n} says something about the front near Kursk, "
                                 f"and officials in Kyiv answered questions about it at length.</p>"
                                 for p in range(4)) + "</article></body></html>")


def sources_of(ws) -> dict:
    return {s["url"].rsplit("/", 1)[-1]: s for o in ws.json("outlets", "--json") for s in o["sources"]}


def test_intervals_adapt_a_dead_feed_pauses_and_resumes(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/hook", b"")
    for n in range(12):
        article(server, f"/a/{n}", n)
    feed(server, "/quiet.xml", ["/a/0"])
    ws.outlets.write_text(
        f'[wire]\nname = "Wire"\nlanguage = "en"\ninterval = "1h"\n'
        f'feeds = ["{server.base}/busy.xml", "{server.base}/quiet.xml", "{server.base}/dead.xml"]\n')
    env = {"NEWSWATCH_ADMIN_NOTIFY": f"webhook:{server.base}/hook", "NEWSWATCH_MIN_INTERVAL": "15m",
           "NEWSWATCH_PAUSE_RETRY": "15s", **NO_NER}
    server.serve("/dead.xml", b"gone", status=404)
    expected = {"busy.xml": 3600.0, "quiet.xml": 3600.0}
    for poll in range(3):
        feed(server, "/busy.xml", [f"/a/{n}" for n in range(1 + poll * 3, 4 + poll * 3)])  # new items every poll
        ws.newswatch("crawl", "wire", check=False, **env)
        expected["busy.xml"] = next_interval(expected["busy.xml"], 3, *bounds(3600, 900, 86400))
        expected["quiet.xml"] = next_interval(expected["quiet.xml"], 1 if poll == 0 else 0, *bounds(3600, 900, 86400))
        sources = sources_of(ws)
        assert sources["busy.xml"]["interval"] == expected["busy.xml"]
        assert sources["quiet.xml"]["interval"] == expected["quiet.xml"]
    # Paused by the third poll: not asked again before its retry (asked at once, as the checks
    # below take seconds of CLI runs on a slow machine).
    hits = server.hits.get("/dead.xml")
    ws.newswatch("crawl", "wire", **env)
    assert server.hits.get("/dead.xml") == hits
    assert expected["busy.xml"] == pytest.approx(max(900, 3600 * FASTER ** 3))
    assert expected["quiet.xml"] == pytest.approx(3600 * FASTER * SLOWER ** 2)
    assert sources["busy.xml"]["status"] == sources["quiet.xml"]["status"] == "ok"
    assert sources["busy.xml"]["new_items_per_day"] > sources["quiet.xml"]["new_items_per_day"]

    # Three 404s (weight 3 each) pause the dead feed, with its reason; one notice goes out.
    dead = sources["dead.xml"]
    assert dead["status"] == "paused" and dead["paused_reason"].startswith("not_found: HTTP 404")
    assert dead["last_error"] == "HTTP 404" and dead["last_error_at"]
    notices = [json.loads(body) for path, _, body in server.posts if path == "/hook"]
    assert [(n["notice"], n["outlet"]) for n in notices] == [("source_paused", f"{server.base}/dead.xml")]
    health = ws.json("outlets", "--json")  # the outlet still polls its other feeds, and names the dead one
    assert health[0]["status"] == "degraded"
    assert [(s["url"], s["status"]) for s in health[0]["failing_sources"]] == [(f"{server.base}/dead.xml", "paused")]

    # Its retry is NEWSWATCH_PAUSE_RETRY after the failure that paused it.
    assert stored_date(dead["next_poll_at"]) - stored_date(dead["last_error_at"]) == timedelta(seconds=15)

    # It answers again: once the retry time has passed the next poll resumes it at the outlet's
    # interval. The retry time is moved into the past in the state rather than waited for.
    feed(server, "/dead.xml", ["/a/11"])
    db = sqlite3.connect(ws.data_dir / "state.sqlite3")
    db.execute("UPDATE sources SET paused_until = ? WHERE url = ?",
               (iso(datetime.now(timezone.utc) - timedelta(seconds=1)), f"{server.base}/dead.xml"))
    db.commit()
    db.close()
    ws.newswatch("crawl", "wire", **env)
    assert server.hits.get("/dead.xml") == hits + 1
    dead = sources_of(ws)["dead.xml"]
    assert dead["status"] == "ok" and dead["interval"] == 3600 and dead["paused_reason"] is None
    assert dead["failure_score"] == 0 and dead["last_success_at"] > dead["last_error_at"]


def test_a_volume_drop_raises_one_notice_and_shows_in_health_and_on_the_page(outlet_server, workspace):
    from fastapi.testclient import TestClient

    from core.statedb import StateDB
    from crawler.entities.names import load_names
    from crawler.config.outlets import load_outlets
    from crawler.state import CrawlState
    from web.api import create_app
    from web.context import ApiContext
    from index.cursors import Cursors, load_key
    from index.tantivy.backend import TantivyBackend

    ws, server = workspace, outlet_server
    server.serve("/hook", b"")
    article(server, "/a/1", 1)
    feed(server, "/news.xml", ["/a/1"])
    ws.outlets.write_text(f'[daily]\nname = "Daily"\nlanguage = "en"\nfeeds = ["{server.base}/news.xml"]\n')
    env = {"NEWSWATCH_ADMIN_NOTIFY": f"webhook:{server.base}/hook", **NO_NER}
    ws.newswatch("crawl", "daily", **env)
    # Four weeks of history: 12 articles a day, spread over the hours; then nothing new today.
    db = sqlite3.connect(ws.data_dir / "state.sqlite3")
    now = datetime.now(timezone.utc)
    db.execute("DELETE FROM outlet_hours")
    for hours_ago in range(24, 24 * 30):
        if hours_ago % 2 == 0:
            db.execute("INSERT INTO outlet_hours(outlet, hour, articles) VALUES ('daily', ?, 1)",
                       (hour_of(now - timedelta(hours=hours_ago)),))
    db.commit()
    db.close()
    ws.newswatch("crawl", "daily", **env)
    ws.newswatch("crawl", "daily", **env)  # still down: no second notice
    notices = [json.loads(body) for path, _, body in server.posts if path == "/hook"]
    assert [n["notice"] for n in notices] == ["volume_drop"]
    assert "0 new articles in the last 24 hours, usually 12" in notices[0]["message"]
    report = ws.json("outlets", "--json")[0]
    assert report["volume_drop"] and report["articles_per_day"][-1] == 0 and sum(report["articles_per_day"][:-1]) > 0

    backend = TantivyBackend(ws.data_dir / "index", writable=False)
    context = ApiContext(backend=backend, state=CrawlState(StateDB(ws.data_dir / "state.sqlite3")), names=load_names(),
                         cursors=Cursors(load_key(ws.data_dir)), outlets=lambda: load_outlets(ws.outlets))
    client = TestClient(create_app(context))
    health = client.get("/health").json()
    assert health["status"] == "degraded" and any(r.startswith("volume drop since") for r in health["reasons"])
    page = client.get("/page/sources").text
    assert "volume drop" in page and "<svg class=\"spark\"" in page and f"{server.base}/news.xml" in page
    assert client.get("/outlets").json()[0]["sources"][0]["status"] == "ok"
