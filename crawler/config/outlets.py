"""outlets.toml: one table per outlet, keyed by a stable slug (see README, "Outlets")."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.dates import parse_duration
from crawler.extraction.page_dates import valid_zone
from crawler.extraction.parsers import PARSERS
from crawler.urls import identity_url

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
KNOWN_KEYS = {"name", "language", "feeds", "sitemaps", "interval", "parser", "filter", "delay", "aliases",
              "timezone"}
MIN_INTERVAL = 60
MAX_INTERVAL = 30 * 86400  # a poll a month; beyond, the scheduler's arithmetic overflows
MAX_DELAY = 3600.0


class OutletsError(ValueError):
    """A bad outlets file; the message names the outlet and key."""


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    language: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    interval: int = 900
    parser: str | None = None
    filter: str | None = None
    delay: float | None = None
    # Other names the outlet goes by in other outlets' text ("RFA"): how citations are recognised.
    aliases: tuple[str, ...] = ()
    # IANA zone a page's timestamp without an offset is read in (else the page's other dates' zone, else UTC).
    timezone: str | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)


def _urls(key: str, name: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise OutletsError(f"outlet [{key}] {name}: expected a list of URLs")
    for url in value:
        if not URL.match(url):
            raise OutletsError(f"outlet [{key}] {name}: {url!r} is not an http(s) URL")
    return tuple(value)


def _outlet(key: str, table, validate_filter) -> Outlet:
    if not SLUG.match(key):
        raise OutletsError(f"outlet [{key}]: the key must be a slug (a-z, 0-9, '-', '_')")
    if not isinstance(table, dict):
        raise OutletsError(f"outlet [{key}]: expected a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise OutletsError(f"outlet [{key}] {unknown[0]}: unknown key")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise OutletsError(f"outlet [{key}] name: required, a non-empty string")
    language = table.get("language")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise OutletsError(f"outlet [{key}] language: required, an ISO 639-1 code such as 'en'")
    feeds = _urls(key, "feeds", table.get("feeds", []))
    sitemaps = _urls(key, "sitemaps", table.get("sitemaps", []))
    if not feeds and not sitemaps:
        raise OutletsError(f"outlet [{key}] feeds: an outlet needs at least one feed or sitemap")
    try:
        interval = parse_duration(str(table.get("interval", "15m")))
    except ValueError as exc:
        raise OutletsError(f"outlet [{key}] interval: {exc}") from None
    if interval < MIN_INTERVAL:
        raise OutletsError(f"outlet [{key}] interval: at least 1m")
    if interval > MAX_INTERVAL:
        raise OutletsError(f"outlet [{key}] interval: at most 30d")
    parser = table.get("parser")
    if parser is not None and parser not in PARSERS:
        raise OutletsError(f"outlet [{key}] parser: unknown parser {parser!r} (known: {', '.join(sorted(PARSERS))})")
    filter_query = table.get("filter")
    if filter_query is not None:
        if not isinstance(filter_query, str) or not filter_query.strip():
            raise OutletsError(f"outlet [{key}] filter: expected a search query")
        try:
            validate_filter(filter_query)
        except ValueError as exc:
            raise OutletsError(f"outlet [{key}] filter: {exc}") from None
    delay = table.get("delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                              or not 0 <= delay <= MAX_DELAY):
        raise OutletsError(f"outlet [{key}] delay: expected a number of seconds from 0 to {MAX_DELAY:.0f}")
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise OutletsError(f"outlet [{key}] aliases: expected a list of names")
    zone = table.get("timezone")
    if zone is not None and not (isinstance(zone, str) and valid_zone(zone)):
        raise OutletsError(f"outlet [{key}] timezone: {zone!r} is not an IANA time zone such as 'Europe/Berlin'")
    return Outlet(key=key, name=name.strip(), language=language, feeds=feeds, sitemaps=sitemaps,
                  interval=interval, parser=parser, filter=filter_query, delay=delay,
                  aliases=tuple(a.strip() for a in aliases), timezone=zone)


def parse_outlets(text: str, source: str = "outlets.toml") -> dict[str, Outlet]:
    # A filter is a search query and is checked as one (the rules that refuse it in /search and
    # topics.toml), so that what is refused there is refused here, not accepted to match nothing.
    from index.matching import validate_query

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutletsError(f"{source}: not valid TOML: {exc}") from None
    if not data:
        raise OutletsError(f"{source}: no outlets defined")
    outlets = {key: _outlet(key, table, validate_query) for key, table in data.items()}
    _refuse_shared_sources(outlets)
    return outlets


def _refuse_shared_sources(outlets: dict[str, Outlet]) -> None:
    """A feed or sitemap belongs to one outlet: its polling state, interval and articles are that
    outlet's. The same URL twice (a `discover` table appended for a site already there) is refused,
    naming both."""
    owner: dict[str, tuple[str, str]] = {}
    for key, outlet in outlets.items():
        for name, urls in (("feeds", outlet.feeds), ("sitemaps", outlet.sitemaps)):
            for url in urls:
                same = identity_url(url)  # www., scheme, trailing slash: still the same feed
                if same in owner:
                    other, other_name = owner[same]
                    where = f"[{other}] {other_name}" if other != key else f"[{key}] {other_name} already"
                    raise OutletsError(f"outlet [{key}] {name}: {url} is also in {where}; "
                                       "a feed or sitemap belongs to one outlet")
                owner[same] = (key, name)


def load_outlets(path: Path) -> dict[str, Outlet]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OutletsError(f"{path}: cannot read the outlets file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise OutletsError(f"{path}: not UTF-8 text") from None
    return parse_outlets(text, str(path))
