"""The source rules on their own: failure weights, pausing, retries, resuming, status."""
from datetime import datetime, timedelta, timezone

import pytest

from core.sources import (FAILURE_WEIGHTS, PAUSE_SCORE, SLOW_SECONDS, Sources, failure_kind, next_interval,
                          settled_share)
from core.statedb import StateDB
from crawler.outlet_config import Outlet

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
