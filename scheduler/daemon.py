"""`newswatch run`: the scheduler, the crawler and the search API on one asyncio loop."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timedelta, timezone

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from dataclasses import replace
from typing import Callable

from crawler.config.outlets import OutletsError
from crawler.config.topics import TopicsError
from crawler.service import CrawlService
from web.api import create_app
from web.context import ApiContext

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 600  # a poll delayed by a busy loop still runs (APScheduler's default: 1 s)
ALERT_SECONDS = 30  # how often pending alerts (new, or waiting for a retry) are sent
RESCHEDULE_GAP_SECONDS = 30  # the least time between an outlet's polls the scheduler sets itself


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the daemon has one shutdown path, which stops the
    crawls and commits the index before the server goes."""

    def capture_signals(self):
        return contextlib.nullcontext()


class _Unwatched:
    """A progress bar nobody watches (reprocess.run reports to one)."""

    def reset(self, total=None) -> None:
        pass

    def update(self, n=1) -> None:
        pass


class Daemon:
    def __init__(self, config, service: CrawlService, api: ApiContext, read_files: Callable[[], tuple[dict, dict]],
                 close_index: Callable[[], None], api_socket=None):
        """Built by scheduler/compose.py: `api` is what the API reads (the daemon adds its own
        hooks: crawl now, reload, prune, reprocess); `read_files` reads the outlets and topics
        files again (a reload); `close_index` commits and closes the index."""
        self.config = config
        self.read_files = read_files
        self.api_socket = api_socket  # bound by the CLI before start-up: a busy port is refused first
        self.service = service
        self.close_index = close_index
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
        self.stopping = asyncio.Event()
        self.forced: set[str] = set()
        self.reprocessing: asyncio.Future | None = None
        self.taking_up: set[asyncio.Future] = set()  # replayed pages' crawls
        self.api = replace(api, trigger_crawl=self.trigger_crawl, reload=self.reload,
                           running=lambda: set(self.service.running), prune=self.prune_now,
                           reprocess=self.start_reprocess, replay=self.replay)

    # --- jobs ---
    async def poll(self, key: str) -> None:
        if key in self.service.outlets and not self.service.stopping:
            force = key in self.forced  # asked for through the API: every source, due or not
            self.forced.discard(key)
            await self.service.crawl([key], force=force)
            if not self.service.stopping:
                await self.deliver_alerts()
                await self._reschedule(key)

    async def _reschedule(self, key: str) -> None:
        """The outlet's next run is when its next source or owed page is due (each source's
        interval adapts, core/sources.py; an owed page waits its retry, crawler/owed.py); the
        trigger's own interval is only the fallback."""
        outlet = self.service.outlets.get(key)
        if outlet is None:
            return
        due = await self.service.next_due(outlet)
        # Never sooner than a back-off allows, nor at once (a skipped poll would spin).
        backed_off = await self.service.backoff_until(key)
        due = max(due, backed_off or due, datetime.now(timezone.utc) + timedelta(seconds=RESCHEDULE_GAP_SECONDS))
        if self.scheduler.get_job(key) is not None and key not in self.forced:
            self.scheduler.modify_job(key, next_run_time=due)

    def _schedule(self, outlet, first_run: datetime) -> None:
        # The trigger's interval is the ceiling: after each poll the next run is set to when the
        # outlet's next source is due (_reschedule).
        self.scheduler.add_job(
            self.poll, IntervalTrigger(seconds=max(outlet.interval, self.config["NEWSWATCH_MAX_INTERVAL"]),
                                       jitter=min(60, outlet.interval // 10)),
            args=[outlet.key], id=outlet.key, name=f"poll {outlet.key}", replace_existing=True,
            next_run_time=first_run,
            # A crawl asked for (POST /outlets/{key}/crawl) while the last poll is still handing
            # over its alerts must run, not be skipped as a second instance; two crawls of one
            # outlet never overlap all the same (CrawlService.crawl_outlet refuses the second).
            max_instances=2)

    def schedule_all(self) -> None:
        """Every outlet is polled soon after start-up, staggered, each of its sources whether due
        or not (a restart is no reason to wait out intervals counted before it); then as its
        sources come due."""
        now = datetime.now(timezone.utc)
        for n, outlet in enumerate(self.service.outlets.values()):
            self.forced.add(outlet.key)
            self._schedule(outlet, now + timedelta(seconds=1 + n * self.config["NEWSWATCH_START_STAGGER"]))

    async def deliver_alerts(self) -> None:
        await self.service.deliver_alerts()

    async def daily_digest(self) -> None:
        await self.service.enqueue_digest()
        await self.deliver_alerts()

    async def daily_prune(self) -> None:
        await self.service.prune()

    # --- maintenance asked for through the API (`newswatch prune` / `reprocess` while the daemon runs) ---
    async def prune_now(self) -> dict:
        return await self.service.prune_now()

    def start_reprocess(self, since, outlet: str | None, outdated: bool) -> dict:
        """Starts a reprocess on the serial thread (the one that writes the index): crawls wait
        behind it, the API serves meanwhile. Its counts are logged when it ends."""
        if self.reprocessing is not None and not self.reprocessing.done():
            raise LookupError("a reprocess is already running")
        self.reprocessing = asyncio.ensure_future(self._reprocess(since, outlet, outdated))
        return {"status": "started", "since": since.isoformat() if since else None, "outlet": outlet,
                "outdated": outdated}

    async def _reprocess(self, since, outlet, outdated) -> None:
        try:
            counts = await self.service.reprocess(since, outlet, outdated, _Unwatched())
            logger.info("reprocess finished: %s", counts)
        except Exception:
            logger.exception("reprocess failed")

    async def replay(self, outlet: str | None) -> dict[str, int]:
        """The quarantined pages owed again; their outlets take up their owed pages now (not
        their feeds: those wait for their own time)."""
        replayed = await self.service.replay(outlet)
        for key in replayed:
            if key in self.service.outlets:
                task = asyncio.ensure_future(self._take_up_owed(key))
                self.taking_up.add(task)  # a reference until it ends (the loop keeps only weak ones)
                task.add_done_callback(self.taking_up.discard)
        return replayed

    async def _take_up_owed(self, key: str) -> None:
        await self.service.crawl([key], force=False, poll_sources=False)
        if not self.service.stopping:
            await self.deliver_alerts()
            await self._reschedule(key)  # a poll running meanwhile skipped this: its next run takes them

    def trigger_crawl(self, key: str) -> None:
        self.forced.add(key)
        self.scheduler.modify_job(key, next_run_time=datetime.now(timezone.utc))

    def reload(self) -> tuple[bool, str]:
        """Re-reads the outlets and topics files; an invalid file keeps the ones in use and says why."""
        try:
            outlets, topics = self.read_files()
        except (OutletsError, TopicsError) as exc:
            logger.error("reload refused, keeping the current outlets and topics: %s", exc)
            return False, f"kept the current outlets and topics: {exc}"
        old = self.service.use(outlets, topics)
        now = datetime.now(timezone.utc)
        for key in set(old) - set(outlets):
            self.scheduler.remove_job(key)
        for n, (key, outlet) in enumerate(outlets.items()):
            if key not in old:
                self.forced.add(key)
                self._schedule(outlet, now + timedelta(seconds=1 + n * self.config["NEWSWATCH_START_STAGGER"]))
            elif old[key] != outlet:
                job = self.scheduler.get_job(key)
                self._schedule(outlet, job.next_run_time if job else now)
        logger.info("reloaded %d outlets", len(outlets))
        return True, "reloaded"

    # --- life cycle ---
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        loop.add_signal_handler(signal.SIGINT, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        server = QuietServer(uvicorn.Config(
            create_app(self.api), host=self.config["NEWSWATCH_API_HOST"], port=self.config["NEWSWATCH_API_PORT"],
            log_config=None, access_log=False, lifespan="off"))
        self.schedule_all()
        self.scheduler.add_job(self.deliver_alerts, IntervalTrigger(seconds=ALERT_SECONDS), id="_alerts",
                               name="deliver alerts")
        self.scheduler.add_job(self.daily_digest, CronTrigger(hour=self.config["NEWSWATCH_DIGEST_HOUR"], minute=0),
                               id="_digest", name="daily digest")  # "_": never an outlet slug
        self.scheduler.add_job(self.daily_prune, CronTrigger(hour=self.config["NEWSWATCH_PRUNE_HOUR"], minute=17),
                               id="_prune", name="daily pruning")
        self.scheduler.start()
        # Crawls wait behind it on the serial thread; the API serves meanwhile.
        preparing = asyncio.ensure_future(self.service.prepare())
        serving = asyncio.ensure_future(server.serve(sockets=[self.api_socket] if self.api_socket else None))
        logger.info("newswatch is running: %d outlets, API on http://%s:%s", len(self.service.outlets),
                    self.config["NEWSWATCH_API_HOST"], self.config["NEWSWATCH_API_PORT"])
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait([serving, stop], return_when=asyncio.FIRST_COMPLETED)
        if serving.done() and serving.exception() is not None:
            logger.error("the API server failed: %s", serving.exception())
        await self.shutdown(server, serving, preparing)

    async def shutdown(self, server, serving, preparing) -> None:
        """The one shutdown path: no new polls, running crawls stopped, index committed, then the
        API closes."""
        logger.info("shutting down")
        # Paused, not shut down yet: APScheduler's shutdown cancels the jobs still running, and a
        # poll must get to record what it committed.
        self.scheduler.pause()
        await self.service.stop()
        self.scheduler.shutdown(wait=False)
        logger.info("crawls stopped")
        with contextlib.suppress(Exception):
            await preparing
        await self.service.close()
        await asyncio.to_thread(self.close_index)
        logger.info("index committed and closed")
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            asyncio.get_running_loop().remove_signal_handler(sig)
