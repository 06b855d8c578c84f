"""One spider class for every outlet: feeds (RSS/Atom through feedparser), news sitemaps and
plain sitemaps, all driven by the outlet's entry in outlets.toml."""
from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number

from core.dates import iso, parse_date, utcnow
from crawler.events import SourceRead, Tally
from crawler.extraction.extract import carries_full_text
from crawler.feeds import FeedError, Rejected, read_feed, read_sitemap, slug_words
from crawler.items import CrawledItem
from crawler.middlewares import BACKED_OFF, ROBOTS_FORBIDDEN
from crawler.urls import canonical_url, identity_url
from index.matching import matching

logger = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 2
MAX_SITEMAP_CHILDREN = 10


class OutletSpider(Spider):
    """`crawl` is the crawl it runs (crawler.crawl.CrawlContext): the outlet, the sources and owed
    pages due, and the questions and records that go through the serial thread; what happens is
    told through the crawl's events (crawler/events.py)."""
    name = "outlet"

    def __init__(self, crawl, *args, **kwargs):
        super().__init__(*args, name=f"outlet:{crawl.outlet.key}", **kwargs)
        self.crawl = crawl
        self.outlet = crawl.outlet
        self.events = crawl.events
        self.claimed: set[str] = set()

    @classmethod
    def for_outlet(cls, outlet) -> type["OutletSpider"]:
        """A spider class carrying the outlet's own Scrapy settings (its `delay`)."""
        settings = {"DOWNLOAD_DELAY": outlet.delay, "AUTOTHROTTLE_START_DELAY": outlet.delay} \
            if outlet.delay is not None else {}
        return type(f"OutletSpider[{outlet.key}]", (cls,), {"custom_settings": settings})

    # --- start ---
    async def start(self):
        # Pages fetched by an earlier crawl and not stored yet: taken up first, from the state.
        for key in self.crawl.owed:
            item = await self.crawl.owed_page(key)
            if item is not None:
                self.claimed.add(key)
                self.events.count(Tally.RETRIED)
                yield item
        due = set(self.crawl.due_sources)  # core/sources.py: the sources whose poll is due
        for url in self.outlet.feeds:
            if url in due:
                yield await self._source_request(url, self.parse_feed, root=url)
        for url in self.outlet.sitemaps:
            if url in due:
                yield await self._source_request(url, self.parse_sitemap, depth=0, root=url)

    async def _source_request(self, url: str, callback, **meta) -> Request:
        headers = {}
        etag, last_modified = await self.crawl.validators(url)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.events.count(Tally.SOURCES)
        return Request(url, callback=callback, errback=self.on_source_error, headers=headers,
                       dont_filter=True, meta={"source_url": url, "handle_httpstatus_list": [304],
                                               "download_maxsize": self.settings.getint("DOWNLOAD_MAXSIZE"),
                                               **meta})

    # --- feeds and sitemaps ---
    # A feed or sitemap counts as read only once its document could be parsed; only then are its
    # validators kept (core/sources.py decides what a 304 is worth). Its items are taken one by
    # one: a bad item is logged with the feed, its position and value, counted and skipped.
    async def _source_answer(self, response) -> bool:
        """Whether the response has a document to read (a 304 is recorded here and has none)."""
        if response.status != 304:
            return True
        source_url, root = response.meta["source_url"], response.meta.get("root")
        sent = response.request.headers
        validators = (_decoded(sent.get(b"If-None-Match")), _decoded(sent.get(b"If-Modified-Since")))
        still_good = True
        if root:
            still_good = await self.crawl.source_not_modified(root, any(validators),
                                                              response.meta.get("download_latency"))
        if still_good:
            self.events.count(Tally.SOURCES_OK)
            self.events.count(Tally.NOT_MODIFIED)
            # The validators sent are still good: saved again, so pruning sees them in use.
            self.events.emit(SourceRead(source_url, *validators))
        else:
            self.events.count(Tally.SOURCES_FAILED)
            self.record_error(source_url, "304 Not Modified, but the last answer could not be read: still failing")
        return False

    def _source_read(self, response) -> None:
        self.events.count(Tally.SOURCES_OK)
        # Saved once the crawl has fetched what the source led to (crawler.service).
        self.events.emit(SourceRead(response.meta["source_url"], _header(response, b"ETag"),
                                    _header(response, b"Last-Modified")))

    def _rejected(self, source_url: str, rejected) -> None:
        for item in rejected:
            self.events.count(Tally.BAD_ITEMS)
            self.record_error(source_url, item.message())

    async def parse_feed(self, response):
        if not await self._source_answer(response):
            return
        try:
            read = read_feed(_body(response), response.url, _header(response, b"Content-Type"))
        except Exception as exc:  # FeedError, or anything else a hostile document provokes
            self._source_failed(response.url, _read_error(exc), response.meta.get("root"))
            return
        self._source_read(response)
        if read.problem:
            # Still read what could be read: a half-broken feed keeps its good items.
            self.record_error(response.url, f"malformed feed ({len(read.entries)} items read): {read.problem}")
        self._rejected(response.url, read.rejected)
        requests = await self._follow(read.entries, response.url)
        self._polled(response, len(requests))
        for request in requests:
            yield request

    def _polled(self, response, new_items: int) -> None:
        if response.meta.get("root"):
            self.crawl.source_polled(response.meta["root"], new_items, response.meta.get("download_latency"))

    async def parse_sitemap(self, response):
        if not await self._source_answer(response):
            return
        try:
            read = read_sitemap(_body(response), response.url)
        except Exception as exc:
            self._source_failed(response.url, _read_error(exc), response.meta.get("root"))
            return
        self._source_read(response)
        self._rejected(response.url, read.rejected)
        oldest = utcnow().timestamp() - self.settings.getint("NEWSWATCH_SITEMAP_MAX_AGE_DAYS") * 86400
        recent = [e for e in read.entries
                  if not (parse_date(e.get("lastmod") or e.get("published_at")) or utcnow()).timestamp() < oldest]
        if read.kind == "sitemapindex":
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
        requests = await self._follow(recent, response.url)
        self._polled(response, len(requests))
        for request in requests:
            yield request

    def _filtered(self, entries: list[dict], source_url: str) -> list[dict]:
        """The entries the outlet's filter lets through; an entry the matcher cannot take is
        rejected alone."""
        try:
            keep = matching(self.outlet.filter, entries)
            return [e for n, e in enumerate(entries) if n in keep]
        except Exception:
            passed = []
            for entry in entries:
                try:
                    if matching(self.outlet.filter, [entry]):
                        passed.append(entry)
                except Exception as exc:
                    self._rejected(source_url, [Rejected(entry.get("position", 0), entry.get("url", ""),
                                                         f"cannot be matched against the filter: {exc}")])
            return passed

    async def _follow(self, entries: list[dict], source_url: str) -> list:
        """The requests (or, for full-text feed items, the items) for entries not known yet."""
        language = self.outlet.language
        keyed = []
        for entry in entries:
            entry["language"] = entry.get("language") or language
            try:
                keyed.append((identity_url(entry["url"]), entry))
            except Exception as exc:
                self._rejected(source_url, [Rejected(entry.get("position", 0), str(entry.get("url")), str(exc))])
        if self.outlet.filter:
            kept = self._filtered([e for _, e in keyed], source_url)
            self.events.count(Tally.FILTERED, len(keyed) - len(kept))
            kept_ids = {id(e) for e in kept}
            keyed = [(k, e) for k, e in keyed if id(e) in kept_ids]
        known = await self.crawl.known([k for k, _ in keyed])
        follow = []
        for key, entry in keyed:
            if key in self.claimed:
                continue
            position = entry.pop("position", 0)
            try:
                request = self._follow_entry(entry, key, known)
            except Exception as exc:  # one item's value: that item only
                self._rejected(source_url, [Rejected(position, str(entry.get("url")), f"{type(exc).__name__}: {exc}")])
                continue
            self.claimed.add(key)
            if request is not None:
                follow.append(request)
        return follow

    def _follow_entry(self, entry: dict, key: str, known: dict):
        if key in known and (entry.get("marker") is None or known[key] == entry["marker"]):
            self.events.count(Tally.KNOWN)
            return None
        marker = entry.pop("marker", None)
        # Tracking parameters are dropped before fetching: they only multiply URLs.
        entry["url"] = canonical_url(entry["url"])
        if carries_full_text(entry.get("text")):
            # The feed carries the full text (RFA's Arc feeds): no page fetch.
            return CrawledItem(outlet=self.outlet.key, url=entry["url"], feed=entry,
                               fetched_at=iso(utcnow()), url_keys=[key], marker=marker)
        # dont_filter: `claimed` already dedupes, and Scrapy's duplicate filter would
        # silently swallow a redirect loop instead of reporting it.
        return Request(entry["url"], callback=self.parse_page, errback=self.on_page_error,
                       dont_filter=True, meta={"feed": entry, "url_keys": [key], "marker": marker})

    # --- article pages ---
    def parse_page(self, response):
        content_type = _header(response, b"Content-Type")
        if content_type and not any(t in content_type.lower() for t in ("html", "xml", "text/plain")):
            self.record_error(response.url, f"not an HTML page ({content_type})")
            return
        keys = list(response.meta["url_keys"]) + [identity_url(response.url)]
        self.events.count(Tally.PAGES)
        yield CrawledItem(outlet=self.outlet.key, url=response.url, feed=response.meta["feed"],
                          fetched_at=iso(utcnow()), body=response.body, content_type=content_type,
                          url_keys=keys, marker=response.meta["marker"])

    # --- failures ---
    def record_error(self, url: str | None, message: str) -> None:
        self.events.error(url, message)

    def _source_failed(self, url: str, message: str, root: str | None = None) -> None:
        self.events.count(Tally.SOURCES_FAILED)
        self.record_error(url, message)
        if root:
            self.crawl.source_failed(root, None, message, kind="unreadable")

    def on_source_error(self, failure):
        url = failure.request.url
        self.events.count(Tally.SOURCES_FAILED)
        message = _failure_message(failure)
        self.record_error(url, message)
        root = failure.request.meta.get("root")
        if root and not (isinstance(failure.value, IgnoreRequest) and "backed off" in str(failure.value)):
            status = failure.value.response.status if isinstance(failure.value, HttpError) else None
            self.crawl.source_failed(root, status, message)

    def on_page_error(self, failure):
        if isinstance(failure.value, IgnoreRequest) and str(failure.value) == ROBOTS_FORBIDDEN:
            # The site asks not to: a choice of the site's, counted as skipped, not an error.
            self.events.count(Tally.ROBOTS_SKIPPED)
            logger.info("%s: %s: skipped, disallowed by robots.txt", self.outlet.key, failure.request.url)
            return
        if isinstance(failure.value, IgnoreRequest) and str(failure.value).startswith(BACKED_OFF):
            # Held back by the outlet's back-off (a 403/429/503 elsewhere in this poll): not seen,
            # and the feed's validators are not kept, so the poll after the back-off fetches it.
            self.events.count(Tally.DEFERRED)
            return
        if _transient(failure):
            self.events.count(Tally.TRANSIENT_FAILURES)
        request = failure.request
        # Name the URL the feed gave, not the last hop of its redirects.
        self.record_error((request.meta.get("redirect_urls") or [request.url])[0], _failure_message(failure))


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


def _read_error(exc: Exception) -> str:
    return str(exc) if isinstance(exc, FeedError) else f"unreadable: {type(exc).__name__}: {exc}"


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
