"""One crawl of one outlet, as its Scrapy components see it. `CrawlParts` are the service's parts
(built once, by scheduler/compose.py); `CrawlContext` is this crawl's outlet, what is due and
what it records about its sources; the crawler carries it as `crawler.newswatch` and each
component's `from_crawler` takes from it, by name, the parts it uses (the components import
nothing of this module: it is built above them). `CrawlReport`
sums the crawl's events (crawler/events.py); `PageOutcomes` settles each page that entered the
pipeline: stored, dropped for a reason, or failed (then owed again, or quarantined)."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from core.dates import iso, utcnow
from core.sources import Sources, failure_kind
from core.statedb import StateDB
from core.volume import Notices, Volume
from crawler.alerts.topic_alerts import Alerts
from crawler.archive import PageArchive
from crawler.config.outlets import Outlet, OutletsInUse
from crawler.events import Counted, Emitter, Failed, SourceRead, Tally
from crawler.items import CrawledItem
from crawler.middlewares import BACKOFF_BASE_SECONDS, RobotsCache
from crawler.owed import OwedPages
from crawler.pipelines import PageFailed
from crawler.pipelines.store import IndexWriter
from crawler.serial import SerialThread
from crawler.state import CrawlState
from crawler.stories.copies import DuplicateIndex
from crawler.stories.in_flight import InFlight
from crawler.stories.related import StoryLinker
from crawler.workers import WorkerPool
from index.protocol import BackendUnavailable, SearchBackend

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlParts:
    """The parts every crawl of the process shares."""
    serial: SerialThread
    db: StateDB
    state: CrawlState
    sources: Sources
    notices: Notices
    volume: Volume
    owed: OwedPages
    in_flight: InFlight
    dedupe: DuplicateIndex
    stories: StoryLinker
    writer: IndexWriter
    pool: WorkerPool
    archive: PageArchive
    alerts: Alerts
    backend: SearchBackend
    robots: RobotsCache
    outlets: OutletsInUse
    ner_models: str  # NEWSWATCH_NER_MODELS, as the entity stage's workers take it
    names_file: str | None  # the name tables' file (crawler.entities.names.names_path)
    page_attempts: int  # NEWSWATCH_PAGE_ATTEMPTS: failures before a page is quarantined


@dataclass
class CrawlReport:
    outlet: str
    started_at: str = field(default_factory=lambda: iso(utcnow()))
    counts: Counter = field(default_factory=Counter)
    skipped: str | None = None
    failed: bool = False  # the crawl itself raised (logged); a poll that failed
    validators: dict = field(default_factory=dict)

    def add(self, event: Counted | Failed | SourceRead) -> None:
        """The crawl's events, summed (connected to crawler.events.CRAWL_EVENT)."""
        match event:
            case Counted(tally, n):
                self.counts[tally] += n
            case Failed():
                self.counts[Tally.ERRORS] += 1
            case SourceRead(url, etag, last_modified):
                self.validators[url] = (etag, last_modified)

    def count(self, tally: Tally) -> int:
        return self.counts[tally]

    @property
    def ok(self) -> bool:
        """A poll fails when no feed or sitemap of the outlet could be read."""
        sources = self.counts[Tally.SOURCES]
        return self.skipped is None and not self.failed and (sources == 0 or self.counts[Tally.SOURCES_OK] > 0)

    def summary(self) -> dict:
        return {"outlet": self.outlet, "started_at": self.started_at,
                **{tally.value: self.counts[tally] for tally in Tally}, "skipped": self.skipped}


@dataclass
class CrawlContext:
    """What one crawl of one outlet gives its spider, middlewares and pipeline stages."""
    outlet: Outlet
    parts: CrawlParts
    events: Emitter
    due_sources: list[str]  # core/sources.py: the feeds and sitemaps whose poll is due
    owed: list[str]  # crawler/owed.py: the keys of the pages to take up again
    backed_off: bool = False

    # --- the spider's questions, answered on the serial thread ---
    async def validators(self, url: str) -> tuple[str | None, str | None]:
        return await self.parts.serial.run(self.parts.sources.validators, url)

    async def known(self, url_keys: list[str]) -> dict[str, str | None]:
        """url_key -> marker of the entries not to fetch: committed, or owed (fetched already)."""
        return await self.parts.serial.run(self._known, url_keys)

    def _known(self, url_keys: list[str]) -> dict[str, str | None]:
        return {**self.parts.state.seen_markers(url_keys), **self.parts.owed.markers(url_keys)}

    async def owed_page(self, key: str) -> CrawledItem | None:
        return await self.parts.serial.run(self.parts.owed.load, key)

    # --- what the crawl records about its sources ---
    def source_polled(self, url: str, new_items: int, duration: float | None) -> None:
        def record():
            if self.parts.sources.record_success(url, self.outlet, new_items, duration):
                self.parts.notices.clear("source_paused", url)
        self.parts.serial.later(record)

    async def source_not_modified(self, url: str, sent_validators: bool, duration: float | None) -> bool:
        """Whether the 304 counts as a success (core/sources.py)."""
        return await self.parts.serial.run(self._not_modified, url, sent_validators, duration)

    def _not_modified(self, url: str, sent_validators: bool, duration: float | None) -> bool:
        ok, changed = self.parts.sources.record_not_modified(url, self.outlet, sent_validators, duration)
        if ok and changed:
            self.parts.notices.clear("source_paused", url)
        elif changed:
            self._paused_notice(url, "304 Not Modified, but the last answer could not be read")
        return ok

    def _paused_notice(self, url: str, message: str) -> None:
        self.parts.notices.raise_once("source_paused", url, f"{self.outlet.name} ({self.outlet.key}): "
                                      f"{url} paused after repeated failures: {message}")

    def source_failed(self, url: str, status: int | None, message: str, kind: str | None = None) -> None:
        def record():
            if self.parts.sources.record_failure(url, self.outlet, kind or failure_kind(status, message), message,
                                                 status):
                self._paused_notice(url, message)
        self.parts.serial.later(record)

    async def back_off(self, url: str, status: int, retry_after: float | None) -> None:
        """A 403, 429 or 5xx: the outlet is backed off, once per crawl (core: crawler/state.py)."""
        if self.backed_off:
            return
        self.backed_off = True
        until: datetime = await self.parts.serial.run(
            self.parts.state.back_off, self.outlet.key, retry_after, max(BACKOFF_BASE_SECONDS, self.outlet.interval))
        self.events.error(url, f"HTTP {status}: backing off {self.outlet.key} until {iso(until)}")


class ErrorLog:
    """Each error of a crawl (crawler.events.Failed): logged with its URL and kept in the outlet's
    health (crawler/state.py)."""

    def __init__(self, outlet: str, state: CrawlState, serial: SerialThread):
        self.outlet, self.state, self.serial = outlet, state, serial

    def add(self, event: Counted | Failed | SourceRead) -> None:
        if isinstance(event, Failed):
            logger.warning("%s: %s: %s", self.outlet, event.url, event.message)
            self.serial.later(self.state.record_error, self.outlet, event.url, event.message)


class PageOutcomes:
    """What becomes of a page that entered the pipeline but did not reach its end (Scrapy's
    `item_dropped` and `item_error`). One that reaches it stays owed until the commit that holds
    its article (crawler/commits.py)."""

    def __init__(self, parts: CrawlParts, events: Emitter):
        self.parts = parts
        self.events = events

    async def dropped(self, item: CrawledItem) -> None:
        """Dropped for a reason the stage recorded (not an article, unchanged): settled."""
        await self.parts.serial.run(self._settle, item)

    def _settle(self, item: CrawledItem) -> None:
        if item.article is not None:
            self.parts.stories.forget(item.article["id"])
        self.parts.owed.settle([item.key])

    async def failed(self, item: CrawledItem, failure) -> None:
        """A stage raised: the page stays owed. An index that cannot be reached spends no
        attempt (crawler/owed.py); any other failure is the page's own, logged with its URL,
        counted, and after NEWSWATCH_PAGE_ATTEMPTS of them the page is quarantined."""
        error = failure.value
        message = str(error) if isinstance(error, PageFailed) else f"processing failed: {type(error).__name__}: {error}"
        if isinstance(error, BackendUnavailable):
            await self.parts.serial.run(self._postpone, item, f"the index cannot be reached: {error}")
            logger.warning("%s: %s: the index cannot be reached; kept for a later try", item.outlet, item.url)
            self.events.count(Tally.OWED)
            return
        quarantined = await self.parts.serial.run(self._fail, item, message)
        self.events.error(item.url, message + (" (quarantined)" if quarantined else " (kept for a later try)"))
        self.events.count(Tally.QUARANTINED if quarantined else Tally.OWED)

    def _postpone(self, item: CrawledItem, message: str) -> None:
        if item.article is not None:
            self.parts.stories.forget(item.article["id"])
        self.parts.owed.postpone(item.key, message)

    def _fail(self, item: CrawledItem, message: str) -> bool:
        if item.article is not None:
            self.parts.stories.forget(item.article["id"])
        return self.parts.owed.failed(item.key, message, self.parts.page_attempts)
