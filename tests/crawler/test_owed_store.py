"""The stores that keep a crawl's unfinished work in the state database: owed pages (attempts,
back-off, quarantine, replay) and articles in flight (crawler/owed.py,
crawler/stories/in_flight.py), on a real state file."""
from datetime import timedelta

from core.article import new_article
from core.dates import utcnow
from core.statedb import StateDB
from crawler.commits import CommitRecord
from crawler.items import CrawledItem
from crawler.owed import INDEX_RETRY, RETRY_FIRST, OwedPages, retry_after
from crawler.state import CrawlState
from crawler.stories.in_flight import InFlight


def item(n: int, outlet: str = "wire", marker: str | None = None) -> CrawledItem:
    url = f"https://wire.example/{n}"
    return CrawledItem(outlet=outlet, url=url, feed={"url": url, "title": f"Story {n}"}, fetched_at="2025-11-05T10:00:00Z",
                       body=b"<html>\xff\x00 raw bytes</html>", content_type="text/html", url_keys=[f"wire.example/{n}", url],
                       marker=marker)


def test_a_kept_page_comes_back_as_it_was_fetched(tmp_path):
    owed = OwedPages(StateDB(tmp_path / "state.sqlite3"))
    owed.keep(item(1, marker='{"date": "x"}'))
    back = owed.load("wire.example/1")
    assert back == CrawledItem(**{**item(1, marker='{"date": "x"}').__dict__, "owed": True})
    assert owed.markers(["wire.example/1", "wire.example/2"]) == {"wire.example/1": '{"date": "x"}'}
    assert owed.due("wire") == ["wire.example/1"] and owed.due("other") == []


def test_failures_back_off_then_quarantine_and_replay_gives_the_attempts_back(tmp_path):
    owed = OwedPages(StateDB(tmp_path / "state.sqlite3"))
    owed.keep(item(1))
    now = utcnow()
    assert owed.failed("wire.example/1", "extraction failed: boom", allowed=3, now=now) is False
    assert owed.due("wire", now) == [] and owed.due("wire", now + RETRY_FIRST) == ["wire.example/1"]
    assert owed.due("wire", now, waiting_too=True) == ["wire.example/1"]  # a crawl asked for takes it now
    assert owed.next_attempt("wire") == now + RETRY_FIRST
    assert retry_after(2) == 2 * RETRY_FIRST and retry_after(30) == timedelta(hours=1)
    # The index being away is not the page's failure: no attempt spent.
    owed.postpone("wire.example/1", "the index cannot be reached", now)
    assert owed.next_attempt("wire") == now + INDEX_RETRY
    assert owed.failed("wire.example/1", "boom", allowed=3, now=now) is False
    assert owed.failed("wire.example/1", "boom again", allowed=3, now=now) is True
    assert owed.due("wire", now + timedelta(days=1), waiting_too=True) == [] and owed.load("wire.example/1") is None
    assert owed.counts() == {"wire": {"owed": 0, "quarantined": 1}}
    [parked] = owed.quarantined("wire")
    assert (parked["attempts"], parked["last_error"]) == (3, "boom again")
    assert owed.markers(["wire.example/1"]) == {"wire.example/1": None}  # not fetched again either
    assert owed.replay("elsewhere") == {} and owed.replay() == {"wire": 1}
    assert owed.counts() == {"wire": {"owed": 1, "quarantined": 0}} and owed.due("wire") == ["wire.example/1"]
    assert owed.failed("wire.example/1", "boom", allowed=3, now=now) is False  # its attempts are back


def test_a_page_fetched_again_replaces_the_quarantined_copy(tmp_path):
    owed = OwedPages(StateDB(tmp_path / "state.sqlite3"))
    owed.keep(item(1))
    assert owed.failed("wire.example/1", "boom", allowed=1)
    owed.keep(item(1, marker="changed"))
    assert owed.counts() == {"wire": {"owed": 1, "quarantined": 0}}
    assert owed.load("wire.example/1").marker == "changed"


def test_a_commit_settles_its_articles_in_one_transaction(tmp_path):
    db = StateDB(tmp_path / "state.sqlite3")
    state, owed, in_flight = CrawlState(db), OwedPages(db), InFlight(db)
    page = item(1)
    owed.keep(page)
    article = new_article(id="a1", outlet="wire", url=page.url, text="t", content_hash="h1",
                          published_at="2025-11-05T10:00:00Z")
    in_flight.hold(article)
    assert in_flight.by_hash("h1", other_than="a2") == "a1" and in_flight.by_hash("h1", other_than="a1") is None
    article["story_id"] = "s1"
    assert in_flight.save(article) is False  # held, not stored yet
    in_flight.stored(article)
    assert in_flight.save(article) is True and in_flight.get("a1")["story_id"] == "s1"
    CommitRecord(db, state, in_flight, owed).record_committed([(article, page.url_keys, None)])
    assert state.article("a1") is not None and not in_flight.holds("a1") and owed.counts() == {}
    assert in_flight.save(article) is None  # committed: a rewrite goes to the writer
