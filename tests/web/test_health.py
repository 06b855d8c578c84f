from datetime import datetime, timedelta, timezone

from core.statedb import StateDB
from web.health import outlet_status
from crawler.config.outlets import Outlet
from crawler.state import CrawlState

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
HOURLY = Outlet(key="rfa", name="RFA", language="en", feeds=("https://www.rfa.org/rss",), interval=3600)


def iso(delta: timedelta) -> str:
    return (NOW - delta).isoformat().replace("+00:00", "Z")


def test_statuses():
    assert outlet_status(HOURLY, {"polls": 0}, NOW) == "never"
    assert outlet_status(HOURLY, {"polls": 3, "last_poll_ok": 0}, NOW) == "error"
    fresh = {"polls": 3, "last_poll_ok": 1, "last_new_at": iso(timedelta(hours=5)), "typical_gap": 3 * 3600}
    assert outlet_status(HOURLY, fresh, NOW) == "ok"
    assert outlet_status(HOURLY, {**fresh, "last_new_at": iso(timedelta(days=2))}, NOW) == "stale"
    # An outlet that publishes every ten days is not stale after two quiet days.
    slow = {**fresh, "last_new_at": iso(timedelta(days=2)), "typical_gap": 10 * 86400}
    assert outlet_status(HOURLY, slow, NOW) == "ok"
    never_new = {"polls": 30, "last_poll_ok": 1, "first_poll_at": iso(timedelta(days=3))}
    assert outlet_status(HOURLY, never_new, NOW) == "stale"


def test_polls_learn_the_usual_gap_and_back_off_grows(tmp_path):
    state = CrawlState(StateDB(tmp_path / "s.sqlite3"))
    state.record_poll("rfa", ok=True, new_articles=2, filtered=0, at=NOW - timedelta(hours=10))
    state.record_poll("rfa", ok=True, new_articles=0, filtered=1, at=NOW - timedelta(hours=5))
    state.record_poll("rfa", ok=True, new_articles=1, filtered=0, at=NOW)
    row = state.outlet("rfa")
    assert row["polls"] == 3 and row["filtered"] == 1 and row["typical_gap"] == 10 * 3600
    first = state.back_off("rfa", retry_after=None, base=300)
    second = state.back_off("rfa", retry_after=None, base=300)
    assert second - first >= timedelta(seconds=290)
    assert state.back_off("rfa", retry_after=7200, base=1) - datetime.now(timezone.utc) > timedelta(seconds=7000)
    state.clear_backoff("rfa")
    assert state.backoff_until("rfa") is None
