"""Attention over time: counts of a search's articles per day, week (from Monday) or month of
publication, in a time zone. Both backends answer with the same buckets: Elasticsearch by its
calendar date_histogram in the zone; tantivy, whose date_histogram has fixed intervals only, by
hour (or quarter-hour) buckets in UTC, gathered here into the zone's calendar periods."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

PERIODS = ("day", "week", "month")
# Read once: available_timezones() walks the tz database on disk at every call.
ZONES = frozenset(available_timezones()) | {"UTC"}


def zone(name: str) -> ZoneInfo:
    """An IANA zone, or ValueError. Only names of the tz database: no file paths."""
    if name not in ZONES:
        raise ValueError(f"{name!r} is not an IANA time zone such as UTC or Asia/Seoul")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone such as UTC or Asia/Seoul") from None


def fine_interval(zone_name: str) -> str:
    """The UTC bucket that never straddles a local period boundary of this zone: an hour, or a
    quarter-hour for zones off the hour (Asia/Kolkata, Asia/Kathmandu)."""
    tz = zone(zone_name)
    now = datetime.now(timezone.utc)
    offsets = {now.astimezone(tz).utcoffset(), (now + timedelta(days=182)).astimezone(tz).utcoffset()}
    return "1h" if all(offset.total_seconds() % 3600 == 0 for offset in offsets) else "15m"


def period_start(moment: datetime, period: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz).date()
    if period == "week":
        local -= timedelta(days=local.weekday())
    elif period == "month":
        local = local.replace(day=1)
    return local.isoformat()


def gather(buckets: Iterable[tuple[float, int]], period: str, zone_name: str) -> list[dict]:
    """(start in epoch milliseconds, count) of fine UTC buckets -> the zone's periods, oldest first."""
    tz = zone(zone_name)
    counts: Counter = Counter()
    for start_ms, count in buckets:
        if count:
            counts[period_start(datetime.fromtimestamp(start_ms / 1000, timezone.utc), period, tz)] += count
    return [{"value": value, "count": counts[value]} for value in sorted(counts)]
