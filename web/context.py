"""What the web application is given: `ApiContext`, built by the daemon (or a test) and passed to
every router, and the threads its blocking handlers run on."""
from __future__ import annotations

import asyncio
import functools
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable

from crawler.config.outlets import Outlet
from index.cursors import Cursors
from index.protocol import BackendUnavailable, SearchBackend
from index.query import QueryError, SearchQuery, parse_search_params
from web.access import AccessControl
from web.health import health_reasons, outlets_report
from web.protocols import CrawlStateReader, NameLookup, TopicAlerts

API_THREADS = 8


def off_loop(executor: ThreadPoolExecutor):
    """Runs a blocking handler on the API's own threads. Not Starlette's default (anyio's thread
    pool): under Scrapy's reactor no task was started by run_until_complete, so anyio takes each
    connection's task for the root, scans every task of the loop to find it, and starts a thread
    per connection that dies with it — and each new thread opens its own state connection."""
    def decorate(function):
        @functools.wraps(function)
        async def run(*args, **kwargs):
            return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(function, *args, **kwargs))
        return run
    return decorate


@dataclass
class ApiContext:
    backend: SearchBackend
    state: CrawlStateReader
    outlets: Callable[[], dict[str, Outlet]]
    index_kind: str = "embedded"
    # Set by the daemon; absent when the API is served without a crawler in the process.
    trigger_crawl: Callable[[str], None] | None = None
    reload: Callable[[], tuple[bool, str]] | None = None
    # Retention now, through the daemon: its counts (web.routes.admin).
    prune: Callable[[], Awaitable[dict]] | None = None
    # A background reprocess (since, outlet, outdated), through the daemon: its status, or
    # LookupError when one already runs (web.routes.admin).
    reprocess: Callable[[datetime | None, str | None, bool], dict] | None = None
    # The quarantined pages (of one outlet, or all) tried again, through the daemon: how many per
    # outlet (web.routes.admin).
    replay: Callable[[str | None], Awaitable[dict[str, int]]] | None = None
    running: Callable[[], set] = field(default=lambda: set())
    names: NameLookup | None = None
    alerts: TopicAlerts | None = None
    access: AccessControl | None = None  # None: an open API (loopback only, see settings)
    # Signs and checks cursors; the daemon's key is the data directory's (index.cursors.load_key).
    cursors: Cursors = field(default_factory=lambda: Cursors(secrets.token_bytes(32)))
    # The threads the handlers run on (see `off_loop`).
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(API_THREADS, thread_name_prefix="newswatch-api"))

    def topics(self) -> dict:
        return self.alerts.topics if self.alerts is not None else {}

    def threaded(self, function):
        """`function`, a blocking handler, run on the API's threads (see `off_loop`)."""
        return off_loop(self.threads)(function)

    def parse_search(self, params) -> SearchQuery:
        """A search's parameters (the API's, the page's), through the one model: an outlet or
        topic nobody configured is a 400 too."""
        # `key` is the API key of exports and feeds (web.access), not a search parameter.
        params = list(params)
        if sum(1 for name, _ in params if name == "key") > 1:
            raise QueryError("key", "key may be given once")
        params = [(name, value) for name, value in params if name != "key"]
        return parse_search_params(params, names=self.names, cursors=self.cursors, outlets=set(self.outlets()),
                                   topics=set(self.topics()), kept_outlets=self.state.articles_by_outlet)

    def outlets_report(self) -> list[dict]:
        return outlets_report(self.outlets(), self.state, self.backend.backlog())

    def health(self) -> dict:
        # Serving is what /health reports: an index that cannot be reached shows as such, not 500.
        try:
            articles, index_status = self.backend.count(), "ok"
        except BackendUnavailable:
            articles, index_status = None, "unavailable"
        backlog = self.backend.backlog()
        reasons = health_reasons(self.outlets(), self.state, backlog)
        if index_status != "ok":
            reasons.insert(0, "the index cannot be reached")
        return {"status": "degraded" if reasons else "ok", "reasons": reasons, "index": self.index_kind,
                "index_status": index_status, "articles": articles, "outlets": len(self.outlets()),
                "crawling": sorted(self.running()), "backlog": backlog}
