"""The crawl service: one per process, shared by `newswatch crawl`, `newswatch replay` and the
daemon. It runs each outlet's spider through Scrapy's AsyncCrawlerRunner on the running asyncio
loop, with the parts scheduler/compose.py built for it (crawler/crawl.py: `CrawlParts`).

The event loop only schedules. CPU work runs in the worker processes (`pool`); everything that
blocks on a disk, a lock or the network runs on the serial thread (crawler/serial.py), which also
takes the dedupe decisions one article at a time, in arrival order, across every crawl running
at once. What must outlive the process — pages fetched and not yet stored, articles past their
dedupe decision and not yet committed — is in the state database (crawler/owed.py,
crawler/stories/in_flight.py), never only in memory."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner

from core.dates import iso
from crawler.config.outlets import Outlet
from crawler.crawl import CrawlContext, CrawlParts, CrawlReport, ErrorLog, PageOutcomes
from crawler.events import CRAWL_EVENT, Emitter, Tally
from crawler.retention import storage_report
from crawler.spiders import OutletSpider

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 5


class CrawlService:
    def __init__(self, parts: CrawlParts, runner: AsyncCrawlerRunner, retention: Callable[..., dict],
                 reprocessing: Callable[..., dict]):
        """`retention` and `reprocessing`: crawler.retention.prune and crawler.reprocess.run with
        the settings bound; they take the rest from `parts`."""
        self.parts = parts
        self.runner = runner
        self.retention = retention
        self.reprocessing = reprocessing
        self.running: set[str] = set()
        self.tasks: set[asyncio.Task] = set()
        self.stopping = False

    @property
    def outlets(self) -> dict[str, Outlet]:
        return self.parts.outlets.current()

    async def serial(self, function, *args, **kwargs):
        return await self.parts.serial.run(function, *args, **kwargs)

    async def prepare(self) -> None:
        """Before the first crawl: the workers start and load their models; the decisions a
        killed process left in flight are void (their pages are still owed, and decided again);
        dedupe signatures made by another scheme (or an older newswatch) are rebuilt from the
        index's texts."""
        self.parts.pool.start()
        cleared = await self.serial(self.parts.in_flight.clear)
        if cleared:
            logger.info("%d articles were in flight when the last run ended; their pages are taken up again", cleared)
        if await self.serial(self.parts.dedupe.needs_rebuild):
            logger.info("rebuilding the dedupe signatures from the index")
            count = await self.serial(self.parts.dedupe.rebuild, self._index_texts())
            logger.info("rebuilt the dedupe signatures of %d articles", count)

    def _index_texts(self):
        for _, article in self.parts.backend.articles():
            yield article["id"], article.get("text") or ""

    # --- crawling ---
    async def crawl(self, keys, force: bool = True, poll_sources: bool = True) -> list[CrawlReport]:
        """One crawl of the named outlets; its topic matches become one alert per topic and channel.
        `force`: every source not paused and every owed page (a crawl asked for); else only the
        sources and owed pages that are due (the scheduler's polls). `poll_sources` False: only
        the owed pages (`newswatch replay`)."""
        task = asyncio.current_task()
        self.tasks.add(task)  # until its alerts are queued: shutdown waits for all of it
        try:
            reports = list(await asyncio.gather(*(self.crawl_outlet(self.outlets[k], force, poll_sources)
                                                  for k in keys)))
            await self.serial(self.parts.alerts.enqueue)  # after the commits: alerts only for articles in the index
            return reports
        finally:
            self.tasks.discard(task)

    async def crawl_outlet(self, outlet: Outlet, force: bool = True, poll_sources: bool = True) -> CrawlReport:
        report = CrawlReport(outlet.key)
        until = await self.serial(self.parts.state.backoff_until, outlet.key)
        if until is not None:
            report.skipped = f"backed off until {iso(until)}"
            logger.info("%s: skipped, %s", outlet.key, report.skipped)
            return report
        if outlet.key in self.running:
            report.skipped = "a crawl of this outlet is already running"
            return report
        due = await self.serial(self.parts.sources.due, outlet, None, force) if poll_sources else []
        owed = await self.serial(self.parts.owed.due, outlet.key, None, force)
        if not due and not owed:
            report.skipped = "no source is due" if poll_sources else "no page is owed"
            return report
        self.running.add(outlet.key)
        crawler = self.runner.create_crawler(OutletSpider.for_outlet(outlet))
        events = Emitter(crawler.signals)
        context = CrawlContext(outlet, self.parts, events, due, owed)
        crawler.newswatch = context  # what each component's from_crawler takes its parts from
        crawler.signals.connect(report.add, signal=CRAWL_EVENT, weak=False)
        crawler.signals.connect(ErrorLog(outlet.key, self.parts.state, self.parts.serial).add, signal=CRAWL_EVENT,
                                weak=False)
        outcomes = PageOutcomes(self.parts, events)
        crawler.signals.connect(outcomes.dropped, signal=signals.item_dropped, weak=False)
        crawler.signals.connect(outcomes.failed, signal=signals.item_error, weak=False)
        try:
            await self.runner.crawl(crawler, crawl=context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a crawl must never take the daemon down
            logger.exception("%s: crawl failed", outlet.key)
            events.error(None, f"crawl failed: {type(exc).__name__}: {exc}")
            report.failed = True
        finally:
            self.running.discard(outlet.key)
        await self.serial(self._finish, outlet, report, self.stopping)
        if self.stopping:
            # Cut short by shutdown: not a poll that succeeded or failed. What it committed is
            # recorded; the pages it fetched are owed; the rest is fetched at the next poll.
            logger.info("%s: stopped by shutdown: %s", outlet.key, report.summary())
            return report
        if due:
            await self.serial(self.parts.state.record_poll, outlet.key, report.ok, report.count(Tally.NEW_ARTICLES),
                              report.count(Tally.FILTERED))
        await self.serial(self._watch_volume, outlet, report)
        logger.info("%s: %s", outlet.key, report.summary())
        return report

    def _watch_volume(self, outlet: Outlet, report: CrawlReport) -> None:
        """Counts the poll's new articles; a drop far below the outlet's usual rate raises one
        admin notice (core/volume.py), cleared when the rate recovers."""
        volume, notices = self.parts.volume, self.parts.notices
        volume.count(outlet.key, report.count(Tally.NEW_ARTICLES))
        found = volume.check(outlet.key)
        if found["dropping"]:
            if notices.raise_once("volume_drop", outlet.key, (
                    f"{outlet.name} ({outlet.key}): {found['last_day']} new articles in the last 24 hours, "
                    f"usually {found['usual']:g} (median of the same day over the last 4 weeks)")):
                logger.warning("%s: volume drop: %s", outlet.key, found)
        elif found["recovered"]:
            notices.clear("volume_drop", outlet.key)

    def _finish(self, outlet: Outlet, report: CrawlReport, stopped: bool) -> None:
        self.parts.in_flight.release_unstored(outlet.key)  # never reached the end of the pipeline
        self.parts.writer.flush()
        # Feed validators: every page the feeds led to was fetched and is owed until its article
        # is committed (crawler/owed.py), so a 304 next time hides nothing — unless a page could
        # not be fetched (a transient failure, the outlet's back-off) or the crawl was cut short
        # with requests still waiting: then they are not kept, and the next poll reads the feed.
        if not (stopped or report.failed or report.count(Tally.TRANSIENT_FAILURES) or report.count(Tally.DEFERRED)):
            self.parts.sources.save_validators(report.validators)
        if report.ok and not self.parts.state.backoff_until(outlet.key):
            self.parts.state.clear_backoff(outlet.key)

    async def next_due(self, outlet: Outlet):
        """When the outlet next needs a crawl: its next source due, or its next owed page."""
        due = await self.serial(self.parts.sources.next_due, outlet)
        owed = await self.serial(self.parts.owed.next_attempt, outlet.key)
        return min(due, owed) if owed is not None else due

    async def backoff_until(self, key: str):
        return await self.serial(self.parts.state.backoff_until, key)

    async def replay(self, outlet: str | None = None) -> dict[str, int]:
        """The quarantined pages (of one outlet) owed again, with their attempts back."""
        return await self.serial(self.parts.owed.replay, outlet)

    # --- alerts ---
    async def deliver_alerts(self) -> None:
        # Off the loop and the serial thread: a slow webhook or mail server stalls nothing.
        await asyncio.to_thread(self.parts.alerts.deliver_pending)

    async def enqueue_digest(self) -> None:
        await self.serial(self.parts.alerts.enqueue, digest=True)

    def use(self, outlets: dict[str, Outlet], topics: dict) -> dict[str, Outlet]:
        """A reload: these outlets and topics from now on; returns the outlets replaced."""
        self.parts.alerts.topics = topics
        return self.parts.outlets.replace(outlets)

    # --- life cycle ---
    async def stop(self) -> None:
        """Stops the running crawls; returns once each has committed what it had."""
        tasks = set(self.tasks)
        self.stopping = True
        stopping = asyncio.ensure_future(self.runner.stop())
        await asyncio.gather(*tasks, return_exceptions=True)
        # Every crawl has committed what reached the end of the pipeline; downloads still in
        # flight (a DNS lookup that hangs, a slow server) get a grace period, then are abandoned:
        # what they would have brought is fetched at the next poll.
        done, _ = await asyncio.wait([stopping], timeout=SHUTDOWN_GRACE_SECONDS)
        if not done:
            logger.warning("abandoning downloads still in flight after %d s", SHUTDOWN_GRACE_SECONDS)

    # --- maintenance, on the serial thread (the one that writes the index): crawls wait behind it ---
    async def prune(self) -> dict:
        parts = self.parts
        return await self.serial(self.retention, parts.db, parts.backend, parts.archive, parts.dedupe)

    async def prune_now(self) -> dict:
        """Retention now, committed, with the storage it leaves (what `newswatch prune` prints)."""
        counts = await self.prune()
        await self.serial(self.parts.backend.commit)
        storage = await self.serial(storage_report, self.parts.db, self.parts.archive)
        return {"pruned": counts, **storage}

    async def reprocess(self, since, outlet: str | None, outdated: bool, progress) -> dict:
        parts = self.parts
        return await self.serial(self.reprocessing, self.outlets, parts.backend, parts.state, parts.archive, since,
                                 outlet, progress, outdated)

    async def close(self) -> None:
        """Commits what waits, then stops the serial thread and the workers. The state database
        belongs to whoever opened it."""
        await self.serial(self.parts.writer.flush)
        self.parts.serial.shutdown()
        self.parts.pool.shutdown()
