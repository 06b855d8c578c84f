"""What a crawl's parts tell the rest: small typed events on one Scrapy signal (`CRAWL_EVENT`) of
the crawl's own signal manager. The spider, the middlewares and the stages emit them; the crawl's
report sums them (crawler.crawl.CrawlReport.add) and the service records the errors. No part
bumps another's counter, and a new listener (metrics, a peer daemon's heartbeat) only connects."""
from __future__ import annotations

import enum
from dataclasses import dataclass

# The signal; Scrapy's own are plain objects too (scrapy.signals).
CRAWL_EVENT = object()


class Tally(enum.Enum):
    """The counts of one crawl of one outlet, in the order `newswatch crawl` prints them."""
    SOURCES = "sources"  # feeds and sitemaps asked for
    SOURCES_OK = "sources_ok"
    SOURCES_FAILED = "sources_failed"
    NOT_MODIFIED = "not_modified"
    PAGES = "pages"  # article pages fetched
    KNOWN = "known"  # feed items already indexed, not fetched
    FILTERED = "filtered"  # feed items the outlet's filter left out
    BAD_ITEMS = "bad_items"  # feed or sitemap items whose link or values could not be used
    ROBOTS_SKIPPED = "robots_skipped"  # pages robots.txt disallows: skipped, not errors
    DEFERRED = "deferred"  # pages the outlet's back-off held back: fetched at the poll after it
    NEW_ARTICLES = "new_articles"
    ERRORS = "errors"
    TRANSIENT_FAILURES = "transient_failures"  # page downloads worth trying again at the next poll
    RETRIED = "retried"  # owed pages (fetched earlier, not stored yet) taken up again
    OWED = "owed"  # pages fetched and kept for a later try (crawler/owed.py)
    QUARANTINED = "quarantined"  # pages that failed NEWSWATCH_PAGE_ATTEMPTS times


@dataclass(frozen=True)
class Counted:
    tally: Tally
    n: int = 1


@dataclass(frozen=True)
class Failed:
    """An error of this crawl: logged with its URL, counted, kept in the outlet's health."""
    url: str | None
    message: str


@dataclass(frozen=True)
class SourceRead:
    """A feed or sitemap read (or a 304 that stands for one): its validators, kept once the crawl
    ends (crawler.service)."""
    url: str
    etag: str | None
    last_modified: str | None


class Emitter:
    """Sends a crawl's events on its crawler's signal manager (`crawler.signals`). Called on the
    event loop only: the listeners are plain functions that add to the report."""

    def __init__(self, signals):
        self.signals = signals

    def emit(self, event: Counted | Failed | SourceRead) -> None:
        self.signals.send_catch_log(signal=CRAWL_EVENT, event=event)

    def count(self, tally: Tally, n: int = 1) -> None:
        if n:
            self.emit(Counted(tally, n))

    def error(self, url: str | None, message: str) -> None:
        self.emit(Failed(url, message))
