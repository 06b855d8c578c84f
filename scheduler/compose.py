"""The wiring the commands and the daemon share, built in one place: the settings (with the checks
only the crawler can make), the outlets and topics files, the name tables, the state database,
the index and the data dir's writer lock. `newswatch crawl`, `run`, `search`... and the daemon's
reload read the same files the same way because they read them here."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
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
