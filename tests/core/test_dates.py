import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import dates
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
    from core.dates import duration_text
    from core.dates import parse_duration

    assert [duration_text(s) for s in (90, 900, 5400, 3600, 129600, 86400, 1234.8)] == \
        ["90s", "15m", "90m", "1h", "36h", "1d", "1235s"]

    @given(st.integers(min_value=1, max_value=30 * 86400))
    def round_trip(seconds):
        assert parse_duration(duration_text(seconds)) == seconds

    round_trip()
    for seconds in range(1, 3 * 86400, 7):  # every unit boundary region, deterministically
        assert parse_duration(duration_text(seconds)) == seconds


# ISO 8601 first through the standard library (issue 24): the same answers as dateutil gave.
SHAPES = ["2025-11-05", "2025-11-05T15:15", "2025-11-05T15:15:00", "2025-11-05T15:15:00Z", "2025-11-05 15:15:00",
          "2025-11-05T15:15:00.5Z", "2025-11-05T15:15:00.123456+09:00", "2025-11-05T15:15:00-0500",
          "2025-11-05T15:15:00+05:30", "2025-11-05T23:59:59-12:00", "2025-02-30T10:00:00Z", "2025-11-05T24:00:00Z",
          "2025-11-05T15:15:00.1234567Z", "2025-11-05Z", "20251105", "2025-W45-3", "Wed, 05 Nov 2025 15:15:00 GMT",
          "Wed, 05 Nov 2025 15:15:00 +0900", "November 5, 2025 3:15 PM", "5 Nov 2025", "2025/11/05 15:15",
          " 2025-11-05T15:15:00Z ", "1989-12-31T23:59:59Z", "2999-01-01T00:00:00Z", "not a date", "2025-13-01"]


@pytest.mark.parametrize("text", SHAPES)
def test_iso_dates_parse_as_dateutil_parsed_them(text, monkeypatch):
    now = datetime(2025, 12, 1, tzinfo=timezone.utc)
    fast = parse_date(text, now)
    monkeypatch.setattr(dates, "ISO_SHAPE", re.compile(r"(?!)"))  # never matches: the old way only
    assert fast == parse_date(text, now)


@given(st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2025, 11, 30)),
       st.sampled_from(["Z", "+00:00", "+09:00", "-05:30", ""]), st.sampled_from(["T", " "]),
       st.sampled_from(["seconds", "milliseconds", "microseconds", "minutes"]))
def test_generated_iso_dates_parse_as_dateutil_parsed_them(moment, offset, separator, timespec):
    now = datetime(2025, 12, 1, tzinfo=timezone.utc)
    text = moment.isoformat(sep=separator, timespec=timespec) + offset
    fast = parse_date(text, now)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dates, "ISO_SHAPE", re.compile(r"(?!)"))
        assert fast == parse_date(text, now), text


def test_iso_dates_do_not_need_dateutil(monkeypatch):
    def refuse(text, *args, **kwargs):
        raise ValueError("dateutil was asked")

    monkeypatch.setattr(dates.dateutil_parser, "parse", refuse)
    assert parse_date("2025-11-05T15:15:00Z") == datetime(2025, 11, 5, 15, 15, tzinfo=timezone.utc)
    assert parse_date("2025-11-05T15:15:00.250+09:00") == datetime(2025, 11, 5, 6, 15, 0, 250000, tzinfo=timezone.utc)
    assert parse_date("November 5, 2025") is None  # other shapes still go to dateutil
