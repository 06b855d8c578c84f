"""Dates as the contract wants them: timezone-aware UTC, and sane (not before 1990, not more than a
day in the future), else None so the caller falls back to the next source."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_TOLERANCE = timedelta(days=1)
# The ISO 8601 shapes newswatch writes and most pages give: parsed by the standard library, far
# faster than dateutil, which dominated an embedded upsert (docs/benchmarks.md). Anything
# else, or anything fromisoformat refuses, goes the old way, so the answers are the same.
# A duration as outlets.toml and the interval settings write one: 90s, 15m, 1h, 1d.
DURATION = re.compile(r"^(\d+)\s*([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def parse_date(value, now: datetime | None = None) -> datetime | None:
    """Any date a page, feed or sitemap gives (ISO 8601, RFC 822, a struct_time, a datetime)."""
    if value is None or value == "":
        return None
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif hasattr(value, "tm_year"):  # feedparser's *_parsed fields (already UTC)
        parsed = datetime(*value[:6], tzinfo=timezone.utc)
    else:
        text = str(value).strip()
        parsed = _iso(text) if ISO_SHAPE.fullmatch(text) else None
        if parsed is None:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                try:
                    parsed = dateutil_parser.parse(text)
                except (ValueError, OverflowError, TypeError):
                    return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    now = now or datetime.now(timezone.utc)
    if parsed < EARLIEST or parsed > now + FUTURE_TOLERANCE:
        return None
    return parsed


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def first_date(*values, now: datetime | None = None) -> datetime | None:
    for value in values:
        parsed = parse_date(value, now)
        if parsed is not None:
            return parsed
    return None


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def stored_date(text: str | None) -> datetime | None:
    """A date newswatch wrote itself (ISO 8601, UTC): no sanity window, unlike dates from the web."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def parse_duration(text: str) -> int:
    """Seconds of a duration such as 90s, 15m, 1h or 1d; ValueError names the text."""
    match = DURATION.match(text.strip())
    if not match or len(match.group(1)) > 9:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 1h or 1d")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def duration_text(seconds: float) -> str:
    """A duration as outlets.toml writes one, so what is shown can be pasted back: the largest
    unit that holds it whole (90s, 15m, 90m, 36h, 2d); an adapted interval is rounded to the
    second first."""
    whole = max(0, round(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"