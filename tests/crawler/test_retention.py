"""Pruning: what a months-long run forgets, and what it must keep."""
import os
from datetime import timedelta

from tests_support import article_paragraphs

import settings
from core.article import new_article
from core.dates import iso, utcnow
from core.sources import SourceRecords
from core.statedb import StateDB
from crawler.alerts.topic_alerts import Alerts
from crawler.archive import PageArchive
from crawler.stories.copies import DuplicateIndex, fingerprint
from crawler.retention import prune
from crawler.state import CrawlState
from crawler.config.topics import Topic
from index.tantivy.backend import TantivyBackend


def world(tmp_path, **settings_values):
    config = settings.load({"NEWSWATCH_DATA_DIR": str(tmp_path), **settings_values}, env_file="/nonexistent")
    db = StateDB(tmp_path / "state.sqlite3")
    backend, archive, dedupe, state = TantivyBackend(tmp_path / "index"), PageArchive(tmp_path / "pages"), \
        DuplicateIndex(db), CrawlState(db)
    now = utcnow()
    articles = []
    for n, age in enumerate((400, 10)):
        text = article_paragraphs(f"place {n}")
        article = new_article(id=f"a{n}", url=f"https://x.org/{n}", outlet="x", title=f"Story {n}", text=text,
                              published_at=iso(now - timedelta(days=age)), content_hash=f"h{n}")
        backend.upsert(article)
        articles.append(article)
        archive.save(article["id"], {"url": article["url"]})
        dedupe.add(article["id"], fingerprint(text))
    backend.commit()
    state.record_committed([(a, [f"x.org/{a['id']}"], None) for a in articles])
    state.link("a1", "a0", "related", 0.5)
    return config, db, backend, archive, dedupe, state, now


def test_old_articles_go_with_everything_that_describes_them(tmp_path):
    config, db, backend, archive, dedupe, state, now = world(tmp_path, NEWSWATCH_KEEP_ARTICLES_DAYS="365")
    counts = prune(config, db, backend, archive, dedupe, now)
    assert counts["articles"] == 1 and counts["bands"] > 0
    assert backend.get("a0") is None and backend.get("a1") is not None
    assert [r[0] for r in db.all("SELECT id FROM articles")] == ["a1"]
    assert [r[0] for r in db.all("SELECT article_id FROM seen")] == ["a1"]
    assert db.all("SELECT * FROM links") == [] and archive.load("a0") is None
    assert [r[0] for r in db.all("SELECT article_id FROM lsh_docs")] == ["a1"]
    assert db.one("SELECT COUNT(*) FROM lsh_bands WHERE doc NOT IN (SELECT doc FROM lsh_docs)")[0] == 0
    # Copy detection still spans what is kept.
    assert [m.id for m in dedupe.find("copy", fingerprint(article_paragraphs("place 1")))] == ["a1"]


def test_articles_are_kept_by_default_and_old_pages_go(tmp_path):
    config, db, backend, archive, dedupe, state, now = world(tmp_path, NEWSWATCH_KEEP_PAGES_DAYS="30")
    old = (now - timedelta(days=60)).timestamp()
    os.utime(archive.path("a0"), (old, old))
    counts = prune(config, db, backend, archive, dedupe, now)
    assert counts["articles"] == 0 and counts["pages"] == 1
    assert backend.get("a0") is not None and archive.load("a0") is None and archive.load("a1") is not None


def test_sent_deliveries_and_old_matches_go_pending_ones_stay(tmp_path):
    config, db, backend, archive, dedupe, state, now = world(tmp_path)
    topics = {"t": Topic(key="t", name="T", query="story", notify=(("webhook", "http://127.0.0.1:9/hook"),))}
    alerts = Alerts(db, topics, backend.get, None, None)
    alerts.record("t", "a0")
    alerts.enqueue()
    db.execute("UPDATE deliveries SET delivered_at = ?", (iso(now),))
    alerts.record("t", "a1")  # not yet in a delivery: kept whatever its age
    later = now + timedelta(days=400)
    counts = prune(config, db, backend, archive, dedupe, later)
    assert counts["deliveries"] == 1 and counts["matches"] == 1
    assert [r[0] for r in db.all("SELECT article_id FROM topic_matches")] == ["a1"]


def test_stale_bookkeeping_goes(tmp_path):
    config, db, backend, archive, dedupe, state, now = world(tmp_path, NEWSWATCH_KEEP_PAGES_DAYS="30")
    SourceRecords(db).save_validators({"https://x.org/feed": ('"e1"', None)})
    db.execute("INSERT INTO seen(url_key, article_id, marker, seen_at) VALUES ('x.org/video', 'v', NULL, ?)",
               (iso(now - timedelta(days=40)),))
    counts = prune(config, db, backend, archive, dedupe, now + timedelta(days=31))
    assert counts["validators"] == 1 and counts["seen"] == 1
    assert db.one("SELECT COUNT(*) FROM seen")[0] == 2  # the articles' own URLs stay
