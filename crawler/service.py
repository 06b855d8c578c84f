"""The crawl service: one per process, shared by `newswatch crawl` and the daemon. It owns the
crawl state, the page archive, the worker pool and the single index writer, and runs each
outlet's spider through Scrapy's AsyncCrawlerRunner on the running asyncio loop."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from scrapy.crawler import AsyncCrawlerRunner

import settings as settings_module
from crawler.alerts import Alerts
from crawler.archive import PageArchive
from crawler.dates import iso, utcnow
from crawler.dedupe import DuplicateIndex
from crawler.middlewares import BACKOFF_BASE_SECONDS
from crawler.pipelines.store import IndexWriter
from crawler.spiders import OutletSpider
from crawler.state import CrawlState
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


class CrawlService:
    def __init__(self, config, outlets: dict, backend, topics: dict | None = None):
        self.config = config
        self.outlets = outlets
        self.backend = backend
        data_dir = config["NEWSWATCH_DATA_DIR"]
        self.state = CrawlState(data_dir / "state.sqlite3")
        self.archive = PageArchive(data_dir / "pages")
        self.pool = WorkerPool(config["NEWSWATCH_WORKERS"])
        self.writer = IndexWriter(backend, self.state, config["NEWSWATCH_COMMIT_EVERY"])
        self.dedupe = DuplicateIndex(data_dir / "state.sqlite3", config["NEWSWATCH_DEDUPE_WINDOW_DAYS"])
        self.alerts = Alerts(data_dir / "state.sqlite3", topics or {}, self.article_now,
                             config["NEWSWATCH_SMTP_URL"], config["NEWSWATCH_MAIL_FROM"])
        scrapy_values = settings_module.scrapy_settings(config)
        scrapy_values["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"] = config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"]
        self.runner = AsyncCrawlerRunner(scrapy_values)
        self.running: set[str] = set()
        self.tasks: set[asyncio.Task] = set()
        self.stopping = False

    def article_now(self, article_id: str) -> dict | None:
        """The newest version of an article: waiting for the next commit, else the index's."""
        pending = self.writer.pending(article_id)
        return dict(pending) if pending is not None else self.backend.get(article_id)

    def update_article(self, article: dict) -> None:
        """Rewrites another article (its story links changed) through the same writer."""
        self.writer.add(article, [], None)

    def back_off(self, outlet, retry_after: float | None):
        return self.state.back_off(outlet.key, retry_after, max(BACKOFF_BASE_SECONDS, outlet.interval))

    async def crawl(self, keys) -> list[CrawlReport]:
        """One crawl of the named outlets; its topic matches become one alert per topic and channel."""
        reports = list(await asyncio.gather(*(self.crawl_outlet(self.outlets[k]) for k in keys)))
        self.alerts.enqueue()  # after the commits: alerts only for articles in the index
        return reports

    async def crawl_outlet(self, outlet) -> CrawlReport:
        report = CrawlReport(outlet.key)
        until = self.state.backoff_until(outlet.key)
        if until is not None:
            report.skipped = f"backed off until {iso(until)}"
            logger.info("%s: skipped, %s", outlet.key, report.skipped)
            return report
        if outlet.key in self.running:
            report.skipped = "a crawl of this outlet is already running"
            return report
        self.running.add(outlet.key)
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            await self.runner.crawl(OutletSpider.for_outlet(outlet), outlet=outlet, service=self, report=report)
        except Exception as exc:  # a crawl must never take the daemon down
            logger.exception("%s: crawl failed", outlet.key)
            report.errors += 1
            self.state.record_error(outlet.key, None, f"crawl failed: {type(exc).__name__}: {exc}")
            report.sources_ok = 0
        finally:
            self.running.discard(outlet.key)
            self.tasks.discard(task)
            self.writer.flush()
        # Feed validators are saved only now, after the commit of what those feeds brought, and
        # only when no page of this poll failed transiently (else a 304 would hide it next time).
        if not report.transient_failures:
            for url, (etag, last_modified) in report.validators.items():
                if etag or last_modified:
                    self.state.save_validators(url, etag, last_modified)
        if report.ok and not self.state.backoff_until(outlet.key):
            self.state.clear_backoff(outlet.key)
        if self.stopping:
            # Cut short by shutdown: not a poll that succeeded or failed. What it committed is
            # recorded; the rest is fetched at the next poll.
            logger.info("%s: stopped by shutdown: %s", outlet.key, report.summary())
            return report
        self.state.record_poll(outlet.key, report.ok, report.new_articles, report.filtered)
        logger.info("%s: %s", outlet.key, report.summary())
        return report

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

    def close(self) -> None:
        self.writer.flush()
        self.pool.shutdown()
        self.dedupe.close()
        self.alerts.close()
        self.state.close()
