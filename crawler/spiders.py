"""One spider class for every outlet: feeds (RSS/Atom through feedparser), news sitemaps and
plain sitemaps, all driven by the outlet's entry in outlets.toml."""
from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number

from core.dates import iso, parse_date, utcnow
from crawler.extract import carries_full_text
from index.matching import matching
from crawler.feeds import FeedError, parse_feed, parse_sitemap, slug_words
from crawler.items import CrawledItem
from crawler.urls import canonical_url, identity_url

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 2
MAX_SITEMAP_CHILDREN = 10


class OutletSpider(Spider):
    name = "outlet"

    def __init__(self, context, *args, **kwargs):
        super().__init__(*args, name=f"outlet:{context.outlet.key}", **kwargs)
        self.context = context
        self.outlet = context.outlet
        self.report = context.report
        self.config = context.config
        self.claimed: set[str] = set()

    @classmethod
    def for_outlet(cls, outlet) -> type["OutletSpider"]:
        """A spider class carrying the outlet's own Scrapy settings (its `delay`)."""
        settings = {"DOWNLOAD_DELAY": outlet.delay, "AUTOTHROTTLE_START_DELAY": outlet.delay} \
            if outlet.delay is not None else {}
        return type(f"OutletSpider[{outlet.key}]", (cls,), {"custom_settings": settings})

    # --- start ---
    async def start(self):
        due = set(self.context.due_sources)  # crawler/sources.py: the sources whose poll is due
        for url in self.outlet.feeds:
            if url in due:
                yield await self._source_request(url, self.parse_feed, root=url)
        for url in self.outlet.sitemaps:
            if url in due:
                yield await self._source_request(url, self.parse_sitemap, depth=0, root=url)

    async def _source_request(self, url: str, callback, **meta) -> Request:
        headers = {}
        etag, last_modified = await self.context.serial(self.context.state.validators, url)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.report.sources += 1
        return Request(url, callback=callback, errback=self.on_source_error, headers=headers,
                       dont_filter=True, meta={"source_url": url, "handle_httpstatus_list": [304],
                                               "download_maxsize": self.config["NEWSWATCH_MAX_PAGE_BYTES"],
                                               **meta})

    # --- feeds and sitemaps ---
    def _source_fetched(self, response) -> bool:
        self.report.sources_ok += 1
        if response.status == 304:
            self.report.not_modified += 1
            if response.meta.get("root"):
                self.context.source_polled(response.meta["root"], 0, response.meta.get("download_latency"), True)
            # The validators sent are still good: saved again, so pruning sees them in use.
            sent = response.request.headers
            self.report.validators[response.meta["source_url"]] = (
                _decoded(sent.get(b"If-None-Match")), _decoded(sent.get(b"If-Modified-Since")))
            return False
        # Saved only after this crawl's articles are committed, so a crash before that refetches.
        self.report.validators[response.meta["source_url"]] = (
            _header(response, b"ETag"), _header(response, b"Last-Modified"))
        return True

    async def parse_feed(self, response):
        if not self._source_fetched(response):
            return
        try:
            entries, problem = parse_feed(_body(response), response.url, _header(response, b"Content-Type"))
        except FeedError as exc:
            self._source_failed(response.url, str(exc), response.meta.get("root"))
            return
        if problem:
            # Still read what could be read: a half-broken feed keeps its good items.
            self.record_error(response.url, f"malformed feed ({len(entries)} items read): {problem}")
        requests = await self._follow(entries)
        self._polled(response, len(requests))
        for request in requests:
            yield request

    def _polled(self, response, new_items: int) -> None:
        if response.meta.get("root"):
            self.context.source_polled(response.meta["root"], new_items, response.meta.get("download_latency"))

    async def parse_sitemap(self, response):
        if not self._source_fetched(response):
            return
        try:
            kind, entries = parse_sitemap(_body(response), response.url)
        except FeedError as exc:
            self._source_failed(response.url, str(exc), response.meta.get("root"))
            return
        oldest = utcnow().timestamp() - self.config["NEWSWATCH_SITEMAP_MAX_AGE_DAYS"] * 86400
        recent = [e for e in entries
                  if not (parse_date(e.get("lastmod") or e.get("published_at")) or utcnow()).timestamp() < oldest]
        if kind == "sitemapindex":
            self._polled(response, len(recent))  # an index's news: its recently changed sitemaps
            depth = response.meta.get("depth", 0) + 1
            if depth <= MAX_SITEMAP_DEPTH:
                recent.sort(key=lambda e: e.get("lastmod") or "", reverse=True)
                for entry in recent[:MAX_SITEMAP_CHILDREN]:
                    yield await self._source_request(entry["url"], self.parse_sitemap, depth=depth)
            return
        for entry in recent:
            if not entry.get("title"):
                entry["title"] = slug_words(entry["url"])
        requests = await self._follow(recent)
        self._polled(response, len(requests))
        for request in requests:
            yield request

    async def _follow(self, entries: list[dict]) -> list:
        """The requests (or, for full-text feed items, the items) for entries not known yet."""
        language = self.outlet.language
        for entry in entries:
            entry["language"] = entry.get("language") or language
        if self.outlet.filter:
            keep = matching(self.outlet.filter, entries)
            self.report.filtered += len(entries) - len(keep)
            entries = [e for n, e in enumerate(entries) if n in keep]
        known = await self.context.serial(self.context.state.seen_markers, [identity_url(e["url"]) for e in entries])
        follow = []
        for entry in entries:
            key = identity_url(entry["url"])
            if key in self.claimed:
                continue
            self.claimed.add(key)
            if key in known and (entry.get("marker") is None or known[key] == entry["marker"]):
                self.report.known += 1
                continue
            marker = entry.pop("marker", None)
            # Tracking parameters are dropped before fetching: they only multiply URLs.
            entry["url"] = canonical_url(entry["url"])
            if carries_full_text(entry.get("text")):
                # The feed carries the full text (RFA's Arc feeds): no page fetch.
                follow.append(CrawledItem(outlet=self.outlet.key, url=entry["url"], feed=entry,
                                          fetched_at=iso(utcnow()), url_keys=[key], marker=marker))
            else:
                # dont_filter: `claimed` already dedupes, and Scrapy's duplicate filter would
                # silently swallow a redirect loop instead of reporting it.
                follow.append(Request(entry["url"], callback=self.parse_page, errback=self.on_page_error,
                                      dont_filter=True, meta={"feed": entry, "url_keys": [key], "marker": marker}))
        return follow

    # --- article pages ---
    def parse_page(self, response):
        content_type = _header(response, b"Content-Type")
        if content_type and not any(t in content_type.lower() for t in ("html", "xml", "text/plain")):
            self.record_error(response.url, f"not an HTML page ({content_type})")
            return
        keys = list(response.meta["url_keys"]) + [identity_url(response.url)]
        self.report.pages += 1
        yield CrawledItem(outlet=self.outlet.key, url=response.url, feed=response.meta["feed"],
                          fetched_at=iso(utcnow()), body=response.body, content_type=content_type,
                          url_keys=keys, marker=response.meta["marker"])

    # --- failures ---
    def record_error(self, url: str | None, message: str) -> None:
        self.context.record_error(url, message)

    def _source_failed(self, url: str, message: str, root: str | None = None) -> None:
        self.report.sources_failed += 1
        self.report.sources_ok -= 1
        self.record_error(url, message)
        if root:
            self.context.source_failed(root, None, f"unreadable: {message}")

    def on_source_error(self, failure):
        url = failure.request.url
        self.report.sources_failed += 1
        message = _failure_message(failure)
        self.record_error(url, message)
        root = failure.request.meta.get("root")
        if root and not (isinstance(failure.value, IgnoreRequest) and "backed off" in str(failure.value)):
            status = failure.value.response.status if isinstance(failure.value, HttpError) else None
            self.context.source_failed(root, status, message)

    def on_page_error(self, failure):
        if _transient(failure):
            self.report.transient_failures += 1
        request = failure.request
        # Name the URL the feed gave, not the last hop of its redirects.
        self.record_error((request.meta.get("redirect_urls") or [request.url])[0], _failure_message(failure))

    async def back_off(self, url: str, status: int, retry_after: float | None) -> None:
        if self.context.backed_off:
            return
        self.context.backed_off = True
        until = await self.context.serial(self.context.service.back_off, self.outlet, retry_after)
        self.record_error(url, f"HTTP {status}: backing off {self.outlet.key} until {iso(until)}")


def _decoded(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


def _header(response, name: bytes) -> str | None:
    return _decoded(response.headers.get(name))


def _body(response) -> bytes:
    body = response.body
    if gzip_magic_number(response):
        # A .xml.gz sitemap (not Content-Encoding, which Scrapy already undid).
        body = gunzip(body, max_size=response.meta.get("download_maxsize") or 0)
    return body


def _transient(failure) -> bool:
    """Worth trying again at the next poll: timeouts, refused connections, 5xx, 408, 429."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return status >= 500 or status in (408, 429)
    return not isinstance(exc, IgnoreRequest)


def _failure_message(failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
