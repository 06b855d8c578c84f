"""The wiring the commands and the daemon share, built in one place: the settings (with the checks
only the crawler can make), the outlets and topics files, the name tables, the state database,
the index and the data dir's writer lock; and the crawl service with every part it hands its
crawls (`crawl_service`), and the daemon with its API (`daemon`). `newswatch crawl`, `run`,
`search`... and the daemon's reload read the same files the same way because they read them
here, and nothing else builds a part of the crawl."""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import settings
from core.statedb import StateDB, state_path
from crawler.config.crawler_settings import check_crawler_settings
from crawler.config.outlets import Outlet, load_outlets
from crawler.config.topics import Topic, check_topics, load_topics
from crawler.entities.names import NameTable, cached_names, names_path
from crawler.state import CrawlState
from index.backends import open_backend
from index.protocol import SearchBackend
from scheduler.lock import DataDirLock

def load_config(environ: dict[str, str] | None = None, env_file: str | Path = ".env") -> settings.Config:
    """The settings every command starts from; a bad value is a `SettingsError` naming it."""
    config = settings.load(environ, env_file)
    check_crawler_settings(config)
    return config


def configured_names(config) -> NameTable:
    return cached_names(names_path(config))


def configured_outlets(config) -> dict[str, Outlet]:
    return load_outlets(config["NEWSWATCH_OUTLETS"])


def configured_topics(config, outlets: dict[str, Outlet]) -> dict[str, Topic]:
    """The topics, checked against the outlets and the mail settings (an unknown outlet or an
    e-mail alert without a mail server is refused at start-up, not when an alert fails)."""
    topics = load_topics(config["NEWSWATCH_TOPICS"], configured_names(config))
    check_topics(topics, outlets, bool(config["NEWSWATCH_SMTP_URL"] and config["NEWSWATCH_MAIL_FROM"]))
    return topics


def configured_files(config) -> tuple[dict[str, Outlet], dict[str, Topic]]:
    """The outlets and topics files, read and checked (at start-up, and at each reload)."""
    outlets = configured_outlets(config)
    return outlets, configured_topics(config, outlets)


def state_db(config) -> StateDB:
    return StateDB(state_path(config["NEWSWATCH_DATA_DIR"]))


def writer_lock(config) -> DataDirLock:
    """The data dir's writer lock, not yet taken (`with writer_lock(config):` takes it, or raises
    IndexLocked naming the process that holds it)."""
    return DataDirLock(config["NEWSWATCH_DATA_DIR"])


@dataclass
class Wiring:
    """What a command or the daemon works with: the configuration files as read, the state
    database and the index opened on it."""
    config: settings.Config
    db: StateDB
    backend: SearchBackend | None  # None once close_index has closed it
    writable: bool
    outlets: dict[str, Outlet] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)

    @property
    def names(self) -> NameTable:
        return configured_names(self.config)

    @property
    def state(self) -> CrawlState:
        return CrawlState(self.db)

    def close_index(self) -> None:
        """Commits and closes a writable index, once (the daemon does it before its API stops).
        A reader's index is left alone: closing an Elasticsearch backend delivers its outbox,
        which is the writer's."""
        if self.writable and self.backend is not None:
            backend, self.backend = self.backend, None
            backend.close()


@contextlib.contextmanager
def wired(config, *, writable: bool, outlets: dict[str, Outlet] | None = None,
          topics: dict[str, Topic] | None = None) -> Iterator[Wiring]:
    """The state database and the index opened on it (writable only under the writer lock, which
    the caller holds), closed on the way out: the index committed first, then the database."""
    db = state_db(config)
    try:
        wiring = Wiring(config, db, open_backend(config, writable=writable, db=db), writable,
                        outlets or {}, topics or {})
        try:
            yield wiring
        finally:
            wiring.close_index()
    finally:
        db.close()


# Scrapy, and everything that imports it, is imported inside the two functions below: they run on
# the loop of scheduler/loop.py, after the twisted reactor is installed.
def crawl_service(wiring: Wiring):
    """The crawl service (crawler.service.CrawlService) on the wiring's state and index, with its
    parts (crawler.crawl.CrawlParts)."""
    from scrapy.crawler import AsyncCrawlerRunner

    from core.sources import Sources
    from core.volume import Notices, Volume
    from crawler import reprocess
    from crawler.alerts.topic_alerts import Alerts
    from crawler.archive import PageArchive
    from crawler.commits import CommitRecord
    from crawler.config.outlets import OutletsInUse
    from crawler.crawl import CrawlParts
    from crawler.entities.stage import warm_worker
    from crawler.middlewares import PublicAddressResolver, RobotsCache
    from crawler.owed import OwedPages
    from crawler.pipelines.store import IndexWriter
    from crawler.retention import prune
    from crawler.serial import SerialThread
    from crawler.service import CrawlService
    from crawler.stories.copies import DuplicateIndex
    from crawler.stories.in_flight import InFlight
    from crawler.stories.related import StoryLinker
    from crawler.workers import WorkerPool

    config, db, backend = wiring.config, wiring.db, wiring.backend
    names = names_path(config)
    state, owed, in_flight = CrawlState(db), OwedPages(db), InFlight(db)
    writer = IndexWriter(backend, CommitRecord(db, state, in_flight, owed), config["NEWSWATCH_COMMIT_EVERY"])
    dedupe = DuplicateIndex(db)
    outlets = OutletsInUse(wiring.outlets)
    alerts = Alerts(db, wiring.topics, backend.get, config["NEWSWATCH_SMTP_URL"], config["NEWSWATCH_MAIL_FROM"])
    parts = CrawlParts(
        serial=SerialThread(), db=db, state=state,
        sources=Sources(db, config["NEWSWATCH_MIN_INTERVAL"], config["NEWSWATCH_MAX_INTERVAL"],
                        timedelta(seconds=config["NEWSWATCH_PAUSE_RETRY"])),
        notices=Notices(db, config["NEWSWATCH_ADMIN_NOTIFY"], alerts.deliveries.add), volume=Volume(db),
        owed=owed, in_flight=in_flight, dedupe=dedupe,
        stories=StoryLinker(state, dedupe, in_flight, backend, writer, cached_names(names).countries,
                            config["NEWSWATCH_RELATED_WINDOW_DAYS"], outlets),
        writer=writer,
        pool=WorkerPool(config["NEWSWATCH_WORKERS"], config["NEWSWATCH_WORKER_MAX_TASKS"],
                        warm=(warm_worker, config["NEWSWATCH_NER_MODELS"], names)),
        archive=PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages"), alerts=alerts, backend=backend,
        robots=RobotsCache(), outlets=outlets, ner_models=config["NEWSWATCH_NER_MODELS"], names_file=names,
        page_attempts=config["NEWSWATCH_PAGE_ATTEMPTS"])
    if not config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"]:
        PublicAddressResolver.install()
    return CrawlService(parts, AsyncCrawlerRunner(settings.scrapy_settings(config)),
                        retention=functools.partial(prune, config),
                        reprocessing=functools.partial(reprocess.run, config))


def daemon(wiring: Wiring, api_socket=None):
    """The daemon (scheduler.daemon.Daemon): the crawl service, and the API reading its state."""
    from index.cursors import Cursors, load_key
    from scheduler.daemon import Daemon
    from web.access import AccessControl
    from web.context import ApiContext

    config = wiring.config
    service = crawl_service(wiring)
    parts = service.parts
    # The API's handlers run in threads; each reads the state through its own connection.
    api = ApiContext(backend=wiring.backend, state=parts.state, outlets=parts.outlets.current,
                     index_kind=config["NEWSWATCH_INDEX"], names=wiring.names, alerts=parts.alerts,
                     cursors=Cursors(load_key(config["NEWSWATCH_DATA_DIR"], config["NEWSWATCH_CURSOR_KEY"])),
                     access=AccessControl(config["NEWSWATCH_API_KEYS"], config["NEWSWATCH_ADMIN_KEYS"],
                                          config["NEWSWATCH_SEARCH_RATE"]))
    return Daemon(config, service, api, functools.partial(configured_files, config), wiring.close_index, api_socket)
