from datetime import datetime, timezone

from core.dates import first_date, iso, parse_date

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def test_dates_of_every_shape_become_utc():
    assert iso(parse_date("Tue, 04 Nov 2025 18:30:00 +0000", NOW)) == "2025-11-04T18:30:00Z"
    assert iso(parse_date("2025-11-05T10:15:00-05:00", NOW)) == "2025-11-05T15:15:00Z"
    assert iso(parse_date("2025-11-05", NOW)) == "2025-11-05T00:00:00Z"
    assert iso(parse_date("2025-11-05T10:15:00", NOW)) == "2025-11-05T10:15:00Z"


def test_insane_dates_are_rejected():
    assert parse_date("1989-12-31T23:59:59Z", NOW) is None
    assert parse_date("2026-11-28T00:00:00Z", NOW) is None
    assert parse_date("2026-11-27T11:00:00Z", NOW) is not None  # within a day ahead: time zones
    assert parse_date("not a date", NOW) is None
    assert parse_date("", NOW) is None


def test_first_sane_date_wins():
    assert iso(first_date("0001-01-01", None, "garbage", "2025-01-02T03:04:05Z", now=NOW)) == "2025-01-02T03:04:05Z"
    assert first_date(None, "2099-01-01", now=NOW) is None


def test_a_duration_printed_is_one_outlets_toml_reads_back():
    from hypothesis import given, strategies as st

    from core.dates import duration_text
    from crawler.outlet_config import parse_duration

    assert [duration_text(s) for s in (90, 900, 5400, 3600, 129600, 86400, 1234.8)] == \
        ["90s", "15m", "90m", "1h", "36h", "1d", "1235s"]

    @given(st.integers(min_value=1, max_value=30 * 86400))
    def round_trip(seconds):
        assert parse_duration(duration_text(seconds)) == seconds

    round_trip()
    for seconds in range(1, 3 * 86400, 7):  # every unit boundary region, deterministically
        assert parse_duration(duration_text(seconds)) == seconds
