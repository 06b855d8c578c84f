"""The crawl service: one per process, shared by `newswatch crawl` and the daemon. It owns the
state database, the page archive, the worker pool and the single index writer, and runs each
outlet's spider through Scrapy's AsyncCrawlerRunner on the running asyncio loop.

The event loop only schedules. CPU work runs in the worker processes (`pool`); everything that
blocks on a disk, a lock or the network — SQLite, the index writer and its commits, searches of a
remote index, the page archive's gzip — runs on one serial thread (`serial`), in the order the
loop hands it over. One thread is also what makes the dedupe decisions deterministic: they are
taken one article at a time, in arrival order, across every crawl running at once."""
from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner

from settings import scrapy_settings
from core.dates import iso, utcnow
from core.sources import Sources, failure_kind
from core.statedb import StateDB
from core.volume import Notices, Volume
from crawler.alerts.topic_alerts import Alerts
from crawler.archive import PageArchive
from crawler.config.outlets import Outlet
from crawler.entities.names import cached_names, names_path
from crawler.entities.stage import warm_worker
from crawler.middlewares import BACKOFF_BASE_SECONDS, PublicAddressResolver, RobotsCache
from crawler.pipelines.store import IndexWriter
from crawler.retention import prune
from crawler.spiders import OutletSpider
from crawler.state import CrawlState
from crawler.stories.copies import DuplicateIndex
from crawler.stories.related import StoryLinker
from crawler.workers import WorkerPool

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 5


@dataclass
class CrawlReport:
    outlet: str
    started_at: str = field(default_factory=lambda: iso(utcnow()))
    sources: int = 0
    sources_ok: int = 0
    sources_failed: int = 0
    not_modified: int = 0
    pages: int = 0
    known: int = 0
    filtered: int = 0
    bad_items: int = 0  # feed or sitemap items whose link or values could not be used: logged, skipped
    robots_skipped: int = 0  # pages robots.txt disallows: skipped, not errors
    deferred: int = 0  # pages the outlet's back-off held back: fetched at the poll after it
    new_articles: int = 0
    errors: int = 0
    transient_failures: int = 0
    skipped: str | None = None
    validators: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """A poll fails when no feed or sitemap of the outlet could be read."""
        return self.skipped is None and (self.sources == 0 or self.sources_ok > 0)

    def summary(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "validators"}


@dataclass
class CrawlContext:
    """What one crawl of one outlet gives its spider, middlewares and pipeline stages (Scrapy
    builds those from the crawler, which carries this as `crawler.newswatch`)."""
    service: "CrawlService"
    outlet: Outlet
    report: CrawlReport
    backed_off: bool = False
    due_sources: list = field(default_factory=list)

    def source_polled(self, url: str, new_items: int, duration: float | None, not_modified: bool = False) -> None:
        def record():
            if self.service.sources.record_success(url, self.outlet, new_items, duration, not_modified):
                self.service.notices.clear("source_paused", url)
        self.service.later(record)

    def source_not_modified(self, url: str, sent_validators: bool, duration: float | None) -> bool:
        """Runs on the serial thread: whether the 304 counts as a success (core/sources.py)."""
        ok, changed = self.service.sources.record_not_modified(url, self.outlet, sent_validators, duration)
        if ok and changed:
            self.service.notices.clear("source_paused", url)
        elif changed:
            self._paused_notice(url, "304 Not Modified, but the last answer could not be read")
        return ok

    def _paused_notice(self, url: str, message: str) -> None:
        self.service.notices.raise_once("source_paused", url, f"{self.outlet.name} ({self.outlet.key}): "
                                        f"{url} paused after repeated failures: {message}")

    def source_failed(self, url: str, status: int | None, message: str, kind: str | None = None) -> None:
        def record():
            if self.service.sources.record_failure(url, self.outlet, kind or failure_kind(status, message), message,
                                                   status):
                self._paused_notice(url, message)
        self.service.later(record)

    def __getattr__(self, name):
        # The service's shared parts (state, dedupe, stories, writer, pool, archive, alerts,
        # backend, config, serial, later) are this crawl's too.
        return getattr(self.service, name)

    def item_abandoned(self, item, **_) -> None:
        """A dropped or failed item leaves the in-flight set of the dedupe decisions."""
        if item.article is not None:
            self.service.later(self.service.stories.forget, item.article["id"])

    def item_failed(self, item, failure=None, **_) -> None:
        """A stage raised on one item (not a DropItem): that item is logged with its URL and
        counted; the crawl goes on with the others."""
        error = getattr(failure, "value", failure)
        self.record_error(getattr(item, "url", None), f"processing failed: {type(error).__name__}: {error}")
        self.item_abandoned(item)

    def record_error(self, url: str | None, message: str) -> None:
        logger.warning("%s: %s: %s", self.outlet.key, url, message)
        self.report.errors += 1
        self.service.later(self.service.state.record_error, self.outlet.key, url, message)


class CrawlService:
    def __init__(self, config, outlets: dict, backend, topics: dict, db: StateDB):
        """Wired by scheduler/compose.py: the state database and the index are the caller's to
        open and close."""
        self.config = config
        self.outlets = outlets
        self.backend = backend
        self.db = db
        self.state = CrawlState(self.db)
        self.archive = PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages")
        self.pool = WorkerPool(config["NEWSWATCH_WORKERS"], config["NEWSWATCH_WORKER_MAX_TASKS"],
                               warm=(warm_worker, config["NEWSWATCH_NER_MODELS"], names_path(config)))
        self.writer = IndexWriter(backend, self.state, config["NEWSWATCH_COMMIT_EVERY"])
        self.dedupe = DuplicateIndex(self.db)
        self.stories = StoryLinker(self.state, self.dedupe, backend, self.writer,
                                   cached_names(names_path(config)).countries,
                                   config["NEWSWATCH_RELATED_WINDOW_DAYS"], outlets=lambda: self.outlets)
        self.alerts = Alerts(self.db, topics, backend.get,
                             config["NEWSWATCH_SMTP_URL"], config["NEWSWATCH_MAIL_FROM"])
        self.robots = RobotsCache()
        self.sources = Sources(self.db, config["NEWSWATCH_MIN_INTERVAL"], config["NEWSWATCH_MAX_INTERVAL"],
                               timedelta(seconds=config["NEWSWATCH_PAUSE_RETRY"]))
        self.volume = Volume(self.db)
        self.notices = Notices(self.db, config["NEWSWATCH_ADMIN_NOTIFY"], self.alerts.deliveries.add)
        self._serial = ThreadPoolExecutor(1, thread_name_prefix="newswatch-serial")
        scrapy_values = scrapy_settings(config)
        scrapy_values["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"] = config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"]
        self.runner = AsyncCrawlerRunner(scrapy_values)
        if not config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"]:
            PublicAddressResolver.install()
        self.running: set[str] = set()
        self.tasks: set[asyncio.Task] = set()
        self.stopping = False

    # --- the serial thread ---
    async def serial(self, function, *args, **kwargs):
        """Runs `function` on the serial thread and waits for it without blocking the loop."""
        return await asyncio.get_running_loop().run_in_executor(
            self._serial, functools.partial(function, *args, **kwargs))

    def later(self, function, *args) -> None:
        """Queues `function` on the serial thread without waiting (bookkeeping: errors, counts)."""
        def run():
            try:
                function(*args)
            except Exception:
                logger.exception("background write %s failed", getattr(function, "__name__", function))
        self._serial.submit(run)

    def article_now(self, article_id: str) -> dict | None:
        return self.stories.article_now(article_id)

    def back_off(self, outlet, retry_after: float | None):
        return self.state.back_off(outlet.key, retry_after, max(BACKOFF_BASE_SECONDS, outlet.interval))

    async def prepare(self) -> None:
        """Before the first crawl: the workers start and load their models, and dedupe
        signatures made by another scheme (or an older newswatch) are rebuilt from the index's
        texts."""
        self.pool.start()
        if await self.serial(self.dedupe.needs_rebuild):
            logger.info("rebuilding the dedupe signatures from the index")
            count = await self.serial(self.dedupe.rebuild, self._index_texts())
            logger.info("rebuilt the dedupe signatures of %d articles", count)

    def _index_texts(self):
        if hasattr(self.backend, "articles"):
            for _, article in self.backend.articles():
                yield article["id"], article.get("text") or ""

    # --- crawling ---
    async def crawl(self, keys, force: bool = True) -> list[CrawlReport]:
        """One crawl of the named outlets; its topic matches become one alert per topic and channel.
        `force`: every source not paused (a crawl asked for); else only the sources that are due
        (the scheduler's polls, core/sources.py)."""
        task = asyncio.current_task()
        self.tasks.add(task)  # until its alerts are queued: shutdown waits for all of it
        try:
            reports = list(await asyncio.gather(*(self.crawl_outlet(self.outlets[k], force) for k in keys)))
            await self.serial(self.alerts.enqueue)  # after the commits: alerts only for articles in the index
            return reports
        finally:
            self.tasks.discard(task)

    async def crawl_outlet(self, outlet, force: bool = True) -> CrawlReport:
        report = CrawlReport(outlet.key)
        until = await self.serial(self.state.backoff_until, outlet.key)
        if until is not None:
            report.skipped = f"backed off until {iso(until)}"
            logger.info("%s: skipped, %s", outlet.key, report.skipped)
            return report
        if outlet.key in self.running:
            report.skipped = "a crawl of this outlet is already running"
            return report
        due = await self.serial(self.sources.due, outlet, None, force)
        if not due:
            report.skipped = "no source is due"
            return report
        self.running.add(outlet.key)
        context = CrawlContext(self, outlet, report, due_sources=due)
        crawler = self.runner.create_crawler(OutletSpider.for_outlet(outlet))
        crawler.newswatch = context
        crawler.signals.connect(context.item_abandoned, signal=signals.item_dropped, weak=False)
        crawler.signals.connect(context.item_failed, signal=signals.item_error, weak=False)
        try:
            await self.runner.crawl(crawler, context=context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a crawl must never take the daemon down
            logger.exception("%s: crawl failed", outlet.key)
            report.errors += 1
            self.later(self.state.record_error, outlet.key, None, f"crawl failed: {type(exc).__name__}: {exc}")
            report.sources_ok = 0
        finally:
            self.running.discard(outlet.key)
        await self.serial(self._finish, outlet, report)
        if self.stopping:
            # Cut short by shutdown: not a poll that succeeded or failed. What it committed is
            # recorded; the rest is fetched at the next poll.
            logger.info("%s: stopped by shutdown: %s", outlet.key, report.summary())
            return report
        await self.serial(self.state.record_poll, outlet.key, report.ok, report.new_articles, report.filtered)
        await self.serial(self._watch_volume, outlet, report)
        logger.info("%s: %s", outlet.key, report.summary())
        return report

    def _watch_volume(self, outlet, report: CrawlReport) -> None:
        """Counts the poll's new articles; a drop far below the outlet's usual rate raises one
        admin notice (core/volume.py), cleared when the rate recovers."""
        self.volume.count(outlet.key, report.new_articles)
        volume = self.volume.check(outlet.key)
        if volume["dropping"]:
            if self.notices.raise_once("volume_drop", outlet.key, (
                    f"{outlet.name} ({outlet.key}): {volume['last_day']} new articles in the last 24 hours, "
                    f"usually {volume['usual']:g} (median of the same day over the last 4 weeks)")):
                logger.warning("%s: volume drop: %s", outlet.key, volume)
        elif volume["recovered"]:
            self.notices.clear("volume_drop", outlet.key)

    def _finish(self, outlet, report: CrawlReport) -> None:
        for article_id, article in list(self.stories.in_flight.items()):
            if article["outlet"] == outlet.key:  # never reached the end of the pipeline
                self.stories.forget(article_id)
        self.writer.flush()
        # Feed validators are saved only now, after the commit of what those feeds brought, and
        # only when no page of this poll failed transiently or was deferred by a back-off (else a
        # 304 would hide it next time).
        if not (report.transient_failures or report.deferred):
            self.sources.save_validators(report.validators)
        if report.ok and not self.state.backoff_until(outlet.key):
            self.state.clear_backoff(outlet.key)

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

    async def prune(self) -> dict:
        return await self.serial(prune, self.config, self.db, self.backend, self.archive, self.dedupe)

    async def close(self) -> None:
        """Commits what waits, then stops the serial thread and the workers. The state database
        belongs to whoever opened it."""
        await self.serial(self.writer.flush)
        self._serial.shutdown(wait=True)
        self.pool.shutdown()
