"""The source rules on their own: failure weights, pausing, retries, resuming, status."""
from datetime import datetime, timedelta, timezone

import pytest

from core.sources import (FAILURE_WEIGHTS, PAUSE_SCORE, SLOW_SECONDS, Sources, bounds, failure_kind, next_interval,
                          settled_share)
from core.statedb import StateDB
from crawler.config.outlets import Outlet

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def sources(tmp_path):
    return Sources(StateDB(tmp_path / "state.sqlite3"), floor=300, ceiling=86400, pause_retry=timedelta(hours=6))


OUTLET = Outlet(key="wire", name="Wire", language="en", feeds=("https://wire.example/rss",), interval=3600)
URL = OUTLET.feeds[0]


@pytest.mark.parametrize("status, message, kind", [
    (404, "HTTP 404", "not_found"), (410, "HTTP 410", "not_found"), (403, "HTTP 403", "forbidden"),
    (429, "HTTP 429", "rate_limited"), (503, "HTTP 503", "server"), (None, "TimeoutError: took too long", "timeout"),
    (None, "DNSLookupError: no such host", "network"), (None, "unreadable: not a feed", "unreadable"),
])
def test_failures_are_named_by_kind(status, message, kind):
    assert failure_kind(status, message) == kind


def test_the_interval_rule_and_where_it_settles():
    assert next_interval(3600, 1, 300, 86400) == pytest.approx(2520)
    assert next_interval(3600, 0, 300, 86400) == pytest.approx(4500)
    assert next_interval(310, 5, 300, 86400) == 300 and next_interval(80000, 0, 300, 86400) == 86400
    assert settled_share() == pytest.approx(0.385, abs=0.001)


def test_weighted_failures_pause_a_source_that_retries_and_resumes(sources):
    assert sources.due(OUTLET, T0) == [URL]
    for n in range(2):  # two 404s: 6 of 9
        assert not sources.record_failure(URL, OUTLET, "not_found", "HTTP 404", 404, at=T0 + timedelta(hours=n))
    assert sources.report(OUTLET, T0)[0]["status"] == "failing"
    assert sources.record_failure(URL, OUTLET, "timeout", "timed out", at=T0 + timedelta(hours=2)) is False
    assert sources.record_failure(URL, OUTLET, "forbidden", "HTTP 403", 403, at=T0 + timedelta(hours=3))  # 9: paused
    row = sources.report(OUTLET, T0 + timedelta(hours=3))[0]
    assert row["status"] == "paused" and row["paused_reason"] == "forbidden: HTTP 403"
    assert row["failure_score"] == 2 * FAILURE_WEIGHTS["not_found"] + 1 + 2 == PAUSE_SCORE
    assert row["next_poll_at"] == "2026-01-05T21:00:00Z"  # the first retry: 6 hours
    assert sources.due(OUTLET, T0 + timedelta(hours=8), force=True) == []  # even a forced crawl leaves it
    assert sources.due(OUTLET, T0 + timedelta(hours=9)) == [URL]
    sources.record_failure(URL, OUTLET, "forbidden", "HTTP 403", 403, at=T0 + timedelta(hours=9))
    assert sources.report(OUTLET)[0]["next_poll_at"] == "2026-01-06T09:00:00Z"  # then 12 hours
    assert sources.record_success(URL, OUTLET, 4, 0.2, at=T0 + timedelta(hours=21)) is True
    row = sources.report(OUTLET)[0]
    assert row["status"] == "ok" and row["interval"] == 3600 and row["failure_score"] == 0
    assert row["last_error"] == "HTTP 403" and row["last_error_at"] == "2026-01-05T21:00:00Z"


def test_slow_answers_and_history_by_day(sources):
    sources.record_success(URL, OUTLET, 3, SLOW_SECONDS + 5, at=T0)
    assert sources.report(OUTLET, T0)[0]["status"] == "slow"
    sources.record_success(URL, OUTLET, 4, 0.5, not_modified=False, at=T0 + timedelta(hours=1))
    assert sources.report(OUTLET, T0 + timedelta(hours=2))[0]["new_items_per_day"] == 1.0  # 7 in 7 days
    assert [h["outcome"] for h in sources.history(URL)] == ["ok", "ok"]


def test_an_outlets_own_interval_is_the_centre_and_the_global_floor_never_lengthens_it(sources):
    one_minute = Outlet(key="fast", name="Fast", language="en", feeds=("https://fast.example/rss",), interval=60)
    url = one_minute.feeds[0]
    for n in range(5):  # busy or quiet, the floor (5 minutes) does not push it up
        sources.record_success(url, one_minute, n % 2, 0.1, at=T0 + timedelta(minutes=n))
        assert sources.report(one_minute, T0)[0]["interval"] >= 60
    sources.record_success(url, one_minute, 3, 0.1, at=T0 + timedelta(minutes=9))
    row = sources.report(one_minute, T0)[0]
    assert row["interval"] == 60 and row["next_poll_at"] == "2026-01-05T12:10:00Z"
    # Elsewhere the floor still bounds how far adaptation goes below the configured interval.
    assert bounds(3600, 900, 86400) == (900, 14400)
    assert bounds(60, 300, 86400) == (60, 240)
    assert bounds(7 * 86400, 300, 86400) == (7 * 86400 / 4, 7 * 86400)


def test_a_304_is_a_success_only_for_validators_of_an_answer_that_was_read(sources):
    sources.db.execute("INSERT INTO validators(url, etag) VALUES (?, ?)", (URL, '"e1"'))
    assert sources.record_not_modified(URL, OUTLET, True, 0.1, at=T0) == (True, False)
    assert sources.report(OUTLET, T0)[0]["status"] == "ok"
    # The answer could not be read: its validators go, and a 304 afterwards is that failure going on.
    sources.record_failure(URL, OUTLET, "unreadable", "not a feed: an HTML page", at=T0 + timedelta(hours=1))
    assert sources.db.one("SELECT COUNT(*) FROM validators")[0] == 0
    assert sources.record_not_modified(URL, OUTLET, True, 0.1, at=T0 + timedelta(hours=2)) == (False, False)
    # A 304 to a request without validators (a server that answers it to anything) is no success either.
    assert sources.record_not_modified(URL, OUTLET, False, 0.1, at=T0 + timedelta(hours=3)) == (False, True)
    row = sources.report(OUTLET, T0)[0]
    assert row["status"] == "paused" and row["failure_score"] == 9.0
    assert row["last_success_at"] == "2026-01-05T12:00:00Z"
