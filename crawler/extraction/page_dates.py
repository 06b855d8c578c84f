"""The publication time among a page's date candidates, with its time zone.

A stated offset or zone abbreviation ("CEST", "KST") is honoured. A naive timestamp is read in
the outlet's time zone (outlets.toml `timezone`), else in the zone the page's other dates state,
else as UTC; `zone` says which one was used. A date without its time takes the time of another
candidate for the same day. A published time after the fetch is the fetch time."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser
from dateutil.tz import tzoffset

from core.dates import EARLIEST, FUTURE_TOLERANCE

HOUR = 3600
# Abbreviations as news pages print them; the ambiguous ones (IST, CST) as the press most often
# means them (India, US Central).
ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": HOUR, "BST": HOUR, "CET": HOUR, "CEST": 2 * HOUR,
    "MEZ": HOUR, "MESZ": 2 * HOUR, "EET": 2 * HOUR, "EEST": 3 * HOUR, "MSK": 3 * HOUR, "TRT": 3 * HOUR,
    "IST": 5 * HOUR + 1800, "PKT": 5 * HOUR, "ICT": 7 * HOUR, "WIB": 7 * HOUR, "HKT": 8 * HOUR, "SGT": 8 * HOUR,
    "PHT": 8 * HOUR, "AWST": 8 * HOUR, "CST": -6 * HOUR, "CDT": -5 * HOUR, "KST": 9 * HOUR, "JST": 9 * HOUR,
    "ACST": 9 * HOUR + 1800, "AEST": 10 * HOUR, "AEDT": 11 * HOUR, "NZST": 12 * HOUR, "NZDT": 13 * HOUR,
    "EST": -5 * HOUR, "EDT": -4 * HOUR, "MST": -7 * HOUR, "MDT": -6 * HOUR, "PST": -8 * HOUR, "PDT": -7 * HOUR,
    "AKST": -9 * HOUR, "AKDT": -8 * HOUR, "HST": -10 * HOUR, "SAST": 2 * HOUR, "CAT": 2 * HOUR, "EAT": 3 * HOUR,
    "WAT": HOUR, "ART": -3 * HOUR, "BRT": -3 * HOUR,
}
TZINFOS = {name: tzoffset(name, seconds) for name, seconds in ZONE_ABBREVIATIONS.items()}
HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
ISO_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
# The outlet parser first, then the publisher's explicit statements, microdata, <time> elements,
# the generic "date" metas; a WebPage's date is about the page, so it comes after the article's.
SOURCE_ORDER = ["parser", "ld:article:datePublished", "meta:article:published_time", "microdata:datePublished",
                "meta:og:article:published_time", "meta:datePublished", "ld:article:dateCreated",
                "meta:parsely-pub-date", "meta:sailthru.date", "meta:pubdate", "meta:publish-date",
                "meta:publishdate", "meta:publish_date", "meta:article.published", "meta:dc.date.issued",
                "meta:DC.date.issued", "meta:dcterms.created", "meta:citation_publication_date",
                "ld:webpage:datePublished", "ld:article:uploadDate", "time", "meta:date", "meta:dc.date",
                "meta:DC.date", "ld:webpage:dateCreated", "feed", "extractor"]


@dataclass
class Reading:
    source: str
    value: datetime  # aware once resolved
    has_time: bool
    stated_zone: bool


def read(value) -> Reading | None:
    """One candidate as written: aware when it states its zone, naive otherwise."""
    if isinstance(value, datetime):
        return Reading("", value, True, value.tzinfo is not None)
    if hasattr(value, "tm_year"):  # feedparser's *_parsed fields (already UTC)
        return Reading("", datetime(*value[:6], tzinfo=timezone.utc), True, True)
    if isinstance(value, date):
        return Reading("", datetime(value.year, value.month, value.day), False, False)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if ISO_DATE_ONLY.match(text):
        parsed = datetime.fromisoformat(text.strip())
        return Reading("", parsed, False, False)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dateutil_parser.parse(text, tzinfos=TZINFOS)
        except (ValueError, OverflowError, TypeError, dateutil_parser.ParserError):
            return None
    return Reading("", parsed, bool(HAS_TIME.search(text)), parsed.tzinfo is not None)


def _localise(naive: datetime, zone: tzinfo) -> datetime:
    return naive.replace(tzinfo=zone)


@dataclass
class Published:
    at: datetime | None
    zone: str | None  # "stated", "outlet", "page", "utc" (assumed), "date" (a day, no time)


def choose_published(candidates: list[tuple[str, object]], outlet_zone: str | None = None,
                     now: datetime | None = None) -> Published:
    now = now or datetime.now(timezone.utc)
    readings = []
    for source, value in candidates:
        reading = read(value)
        if reading is not None:
            reading.source = source
            readings.append(reading)
    stated = [r.value.utcoffset() for r in readings if r.stated_zone and r.has_time]
    page_zone = timezone(max(set(stated), key=stated.count)) if stated else None
    resolved = []
    for reading in readings:
        if not reading.has_time:  # a day: kept as that day, whatever the zone
            reading.value, reading.stated_zone = reading.value.replace(tzinfo=timezone.utc), True
        if reading.stated_zone:
            zone_kind = "stated"
        elif outlet_zone:
            reading.value, zone_kind = _localise(reading.value, ZoneInfo(outlet_zone)), "outlet"
        elif page_zone is not None:
            reading.value, zone_kind = _localise(reading.value, page_zone), "page"
        else:
            reading.value, zone_kind = reading.value.replace(tzinfo=timezone.utc), "utc"
        if not reading.has_time:
            zone_kind = "date"
        utc = reading.value.astimezone(timezone.utc)
        if utc < EARLIEST or utc > now + FUTURE_TOLERANCE:
            continue
        resolved.append((reading, zone_kind))
    if not resolved:
        return Published(None, None)
    order = {source: index for index, source in enumerate(SOURCE_ORDER)}
    resolved.sort(key=lambda r: order.get(r[0].source, len(order) - 1))
    best, zone_kind = resolved[0]
    if not best.has_time:
        # the same day with its time elsewhere on the page (a <time>, the WebPage's JSON-LD)
        day = best.value.date()
        for other, other_kind in resolved[1:]:
            if other.has_time and other.value.date() == day:
                best, zone_kind = other, other_kind
                break
    at = best.value.astimezone(timezone.utc)
    if at > now:
        at = now
    return Published(at, zone_kind)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True

