"""Downloader middlewares for politeness and safety (their order is in settings.DOWNLOADER_MIDDLEWARES)."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from email.utils import parsedate_to_datetime

from scrapy import signals
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from core.dates import utcnow
from crawler.urls import is_public_address

logger = logging.getLogger(__name__)

BACKOFF_STATUSES = {403, 429, 503}
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"  # the IgnoreRequest a disallowed request fails with
BACKED_OFF = "deferred, the outlet is backed off"  # a request the back-off holds for a later poll
BACKOFF_BASE_SECONDS = 300.0


class PrivateAddressMiddleware:
    """Refuses URLs whose host is or resolves to a loopback, private, link-local or otherwise
    non-public address, unless NEWSWATCH_ALLOW_PRIVATE_ADDRESSES is on: an outlet file or a
    redirect must not turn newswatch into a probe of its own network."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.allow = crawler.settings.getbool("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request):
        if self.allow:
            return None
        host = urlparse_cached(request).hostname or ""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            except OSError:
                return None  # unresolvable: the download itself fails and is counted
            addresses = [info[4][0] for info in infos]
        if not all(is_public_address(a) for a in addresses):
            raise IgnoreRequest(f"refused: {host} is a private or loopback address "
                                "(set NEWSWATCH_ALLOW_PRIVATE_ADDRESSES=true to allow)")
        return None


def retry_after_seconds(response: Response) -> float | None:
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, (parsedate_to_datetime(text) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


class BackoffMiddleware:
    """On 403, 429 or 503 the outlet is backed off: the rest of this crawl sends it nothing and
    the scheduler skips it until the back-off (Retry-After, else exponential) ends. `crawl` is
    the crawl (crawler.crawl.CrawlContext): its `backed_off` flag and `back_off`."""

    def __init__(self, crawl):
        self.crawl = crawl

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.newswatch)

    def process_request(self, request: Request):
        if self.crawl.backed_off and not request.meta.get("dont_obey_robotstxt"):
            raise IgnoreRequest(f"{BACKED_OFF}: {self.crawl.outlet.key}")
        return None

    async def process_response(self, request: Request, response: Response):
        # robots.txt statuses mean something else (RFC 9309): Rfc9309RobotsTxtMiddleware decides.
        if response.status in BACKOFF_STATUSES and not request.meta.get("dont_obey_robotstxt"):
            await self.crawl.back_off(response.url, response.status, retry_after_seconds(response))
        return response


ROBOTS_TTL_SECONDS = 24 * 3600  # RFC 9309 2.4: a crawler should not use a cached robots.txt longer


class RobotsCache:
    """Parsed robots.txt files by host, kept across crawls for ROBOTS_TTL_SECONDS: the daemon
    builds a new crawler for every poll, and would otherwise fetch robots.txt every time. A 5xx
    (stay away for now) and a failed download are not kept: the next poll asks again."""

    def __init__(self, ttl: float = ROBOTS_TTL_SECONDS):
        self.ttl = ttl
        self._entries: dict[str, tuple[object, float]] = {}
        self.fetching: dict[str, asyncio.Future] = {}  # hosts whose robots.txt a crawl is fetching now

    def get(self, netloc: str):
        entry = self._entries.get(netloc)
        if entry is None or time.monotonic() > entry[1]:
            self._entries.pop(netloc, None)
            return None
        return entry[0]

    def put(self, netloc: str, parser) -> None:
        self._entries[netloc] = (parser, time.monotonic() + self.ttl)


class Rfc9309RobotsTxtMiddleware:
    """robots.txt as RFC 9309 says, through Scrapy's public API only (the engine's
    `download_async`, the ROBOTSTXT_PARSER class, the `robots_parsed` signal), so a Scrapy
    release cannot change it underneath: a 2xx robots.txt is parsed; a 4xx means no rules (Scrapy
    would parse whatever body came, often an error page); a 5xx means the site is unreachable for
    now, so everything is disallowed and the outlet backs off; a failed download decides nothing
    (the request it guarded fails the same way and is counted). Parsed files are shared by every
    crawl of the process (RobotsCache); a 5xx or a failed download is remembered for this crawl
    only."""

    PRIORITY = 1000  # robots.txt goes before the requests waiting for it

    def __init__(self, crawler, cache: RobotsCache, back_off):
        """`cache`: the process's parsed robots.txt files; `back_off(url, status, retry_after)`:
        the crawl's (crawler.crawl.CrawlContext.back_off), for a 5xx robots.txt."""
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.cache = cache
        self.back_off = back_off
        self.this_crawl: dict[str, object] = {}  # netloc -> parser or None, when not for the shared cache

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        return cls(crawler, crawl.parts.robots, crawl.back_off)

    async def process_request(self, request: Request):
        if request.meta.get("dont_obey_robotstxt") or not request.url.startswith(("http://", "https://")):
            return None
        rules = await self.robot_parser(request)
        if rules is not None and not rules.allowed(request.url, request.headers.get(b"User-Agent") or self.user_agent):
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(ROBOTS_FORBIDDEN)
        return None

    async def robot_parser(self, request: Request):
        url = urlparse_cached(request)
        netloc = url.netloc
        while True:
            cached = self.cache.get(netloc)
            if cached is not None:
                return cached
            if netloc in self.this_crawl:
                return self.this_crawl[netloc]
            fetching = self.cache.fetching.get(netloc)
            if fetching is None:
                break
            await asyncio.shield(fetching)  # this crawl or another is fetching it right now
        done = self.cache.fetching[netloc] = asyncio.get_running_loop().create_future()
        try:
            rules, cacheable = await self._fetch(f"{url.scheme}://{netloc}/robots.txt", request)
            if cacheable:
                self.cache.put(netloc, rules)
            else:
                self.this_crawl[netloc] = rules
            return rules
        finally:
            self.cache.fetching.pop(netloc, None)
            done.set_result(None)

    async def _fetch(self, robots_url: str, request: Request):
        """(parser or None, whether the shared cache may keep it)."""
        robots_request = Request(robots_url, priority=self.PRIORITY, meta={"dont_obey_robotstxt": True},
                                 callback=NO_CALLBACK)
        self.crawler.stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except Exception as exc:
            logger.debug("robots.txt %s: %s", robots_url, exc)
            return None, False
        self.crawler.stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        body, cacheable = response.body, True
        if 400 <= response.status < 500:
            body = b""
        elif response.status >= 500:
            cacheable = False
            await self.back_off(response.url, response.status, retry_after_seconds(response))
            body = b"User-agent: *\nDisallow: /\n"
        rules = build_from_crawler(self.parser_class, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=rules,
                                                        request=request)
        return rules, cacheable


@implementer(IHostnameResolver)
class PublicAddressResolver:
    """The reactor's own name resolver, handing on only public addresses. The middleware above
    checks a host before its request is sent, with a lookup of its own; a name can resolve to
    another address a moment later (DNS rebinding). This resolver is what the connection itself
    uses, so the address checked is the address connected to."""

    def __init__(self, original):
        self.original = original

    @classmethod
    def install(cls) -> None:
        from twisted.internet import reactor

        if not isinstance(reactor.nameResolver, cls):
            reactor.installNameResolver(cls(reactor.nameResolver))

    def resolveHostName(self, resolutionReceiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        return self.original.resolveHostName(_PublicOnly(resolutionReceiver, hostName), hostName, portNumber,
                                             addressTypes, transportSemantics)


class _PublicOnly:
    def __init__(self, receiver, host: str):
        self.receiver, self.host = receiver, host
        self.refused: list[str] = []

    def resolutionBegan(self, resolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        if is_public_address(address.host):
            self.receiver.addressResolved(address)
        else:
            self.refused.append(address.host)

    def resolutionComplete(self) -> None:
        if self.refused:
            logger.warning("refused to connect to %s at %s: not a public address", self.host, ", ".join(self.refused))
        self.receiver.resolutionComplete()
