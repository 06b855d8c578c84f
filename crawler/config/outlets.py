"""outlets.toml: one table per outlet, keyed by a stable slug (see README, "Outlets"). Each table
is validated by `OutletTable` (pydantic; unknown keys refused) and becomes an `Outlet`; a problem
is one line naming the outlet and the key (crawler/config/problems.py)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Optional

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints,
                      ValidationError, ValidationInfo, field_validator)

from core.dates import parse_duration
from crawler.config.problems import Refusal, Wording, first_problem
from crawler.extraction.page_dates import valid_zone
from crawler.extraction.parsers import PARSERS
from crawler.urls import identity_url
from index.matching import validate_query

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
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


class OutletsInUse:
    """The outlets the process polls now: one holder shared by the parts that read them (the
    crawl, story linking, the API), so a reload replaces them for all at once."""

    def __init__(self, outlets: dict[str, Outlet]):
        self._outlets = outlets

    def current(self) -> dict[str, Outlet]:
        return self._outlets

    def replace(self, outlets: dict[str, Outlet]) -> dict[str, Outlet]:
        """Returns the outlets replaced."""
        old, self._outlets = self._outlets, outlets
        return old


def _url(url: str) -> str:
    if not URL.match(url):
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def _interval(value) -> int:
    # Read as text whatever its type: `interval = 5` is refused as a duration, not taken as seconds.
    seconds = parse_duration(str(value))
    if seconds < MIN_INTERVAL:
        raise ValueError("at least 1m")
    if seconds > MAX_INTERVAL:
        raise ValueError("at most 30d")
    return seconds


def _parser(parser: str) -> str:
    if parser not in PARSERS:
        raise ValueError(_unknown_parser(parser))
    return parser


def _unknown_parser(parser) -> str:
    return f"unknown parser {parser!r} (known: {', '.join(sorted(PARSERS))})"


def _filter(query: str) -> str:
    # A filter is a search query and is checked as one (the rules that refuse it in /search and
    # topics.toml), so that what is refused there is refused here, not accepted to match nothing.
    if not query.strip():
        raise ValueError("expected a search query")
    validate_query(query)
    return query


def _timezone(zone: str) -> str:
    if not valid_zone(zone):
        raise ValueError(_not_a_zone(zone))
    return zone


def _not_a_zone(zone) -> str:
    return f"{zone!r} is not an IANA time zone such as 'Europe/Berlin'"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, AfterValidator(_url)]
Seconds = Annotated[int, Field(ge=0, le=MAX_DELAY)] | Annotated[float, Field(ge=0, le=MAX_DELAY)]


class OutletTable(BaseModel):
    """One outlet's table as outlets.toml writes it; the fields in the order they are checked."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Text
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
    feeds: list[Url] = []
    sitemaps: list[Url] = Field(default=[], validate_default=True)
    interval: Annotated[int, BeforeValidator(_interval)] = 900
    parser: Optional[Annotated[str, AfterValidator(_parser)]] = None
    filter: Optional[Annotated[str, AfterValidator(_filter)]] = None
    delay: Optional[Seconds] = None
    aliases: list[Text] = []
    timezone: Optional[Annotated[str, AfterValidator(_timezone)]] = None

    @field_validator("sitemaps")
    @classmethod
    def _some_source(cls, sitemaps: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("feeds") == [] and not sitemaps:
            raise Refusal("an outlet needs at least one feed or sitemap", key="feeds")
        return sitemaps


# How pydantic's own errors (a wrong type, a missing key) read, per key.
WORDING: Wording = {
    "name": "required, a non-empty string",
    "language": "required, an ISO 639-1 code such as 'en'",
    "feeds": "expected a list of URLs",
    "sitemaps": "expected a list of URLs",
    "interval": "expected a duration such as 90s, 15m, 1h or 1d",
    "parser": _unknown_parser,
    "filter": "expected a search query",
    "delay": f"expected a number of seconds from 0 to {MAX_DELAY:.0f}",
    "aliases": "expected a list of names",
    "timezone": _not_a_zone,
}


def _outlet(key: str, table) -> Outlet:
    if not SLUG.match(key):
        raise OutletsError(f"outlet [{key}]: the key must be a slug (a-z, 0-9, '-', '_')")
    try:
        checked = OutletTable.model_validate(table)
    except ValidationError as error:
        name, problem = first_problem(error, OutletTable, WORDING)
        raise OutletsError(f"outlet [{key}]{f' {name}' if name else ''}: {problem}") from None
    return Outlet(key=key, name=checked.name, language=checked.language, feeds=tuple(checked.feeds),
                  sitemaps=tuple(checked.sitemaps), interval=checked.interval, parser=checked.parser,
                  filter=checked.filter, delay=checked.delay, aliases=tuple(checked.aliases),
                  timezone=checked.timezone)


def parse_outlets(text: str, source: str = "outlets.toml") -> dict[str, Outlet]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutletsError(f"{source}: not valid TOML: {exc}") from None
    if not data:
        raise OutletsError(f"{source}: no outlets defined")
    outlets = {key: _outlet(key, table) for key, table in data.items()}
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
