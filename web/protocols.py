"""What the web application uses of the crawler's objects, as protocols: the crawl state, the
alias table and the topic alerts (crawler.state.CrawlState, crawler.entities.names.NameTable and
crawler.alerts.topic_alerts.Alerts satisfy them). Web reads nothing else of them."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from core.statedb import StateDB
from crawler.config.topics import Topic


@runtime_checkable
class CrawlStateReader(Protocol):
    """The crawl state as web reads it (crawler.state.CrawlState)."""
    db: StateDB  # web.health reads the sources, volume and notices of the same database

    def outlet(self, key: str) -> dict: ...

    def backoff_until(self, key: str) -> datetime | None: ...

    def articles_by_outlet(self) -> dict[str, int]: ...

    def copies_of(self, original: str) -> list[tuple[str, float]]: ...

    def copy_score(self, copy: str, original: str) -> float: ...

    def related(self, article_id: str) -> list[tuple[str, float]]: ...


@runtime_checkable
class NameLookup(Protocol):
    """The alias table (crawler.entities.names.NameTable): entity filters and autocomplete go through it."""

    def canonical(self, kind: str, name: str) -> str: ...

    def spelled(self, prefix: str, limit: int = 1000) -> list[tuple[str, str]]: ...


@runtime_checkable
class TopicAlerts(Protocol):
    """The topics and their matches (crawler.alerts.topic_alerts.Alerts)."""
    topics: dict[str, Topic]

    def status(self) -> list[dict]: ...

    def matches(self, key: str, since: str | None, offset: int, size: int) -> tuple[int, list[tuple[str, str]]]: ...
