"""Downloader middlewares for politeness and safety (their order is in settings.DOWNLOADER_MIDDLEWARES)."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.dates import utcnow
from crawler.urls import is_public_address

logger = logging.getLogger(__name__)

BACKOFF_STATUSES = {403, 429, 503}
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
    the scheduler skips it until the back-off (Retry-After, else exponential) ends."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        spider = self.crawler.spider
        if getattr(spider, "backed_off", False) and not request.meta.get("dont_obey_robotstxt"):
            raise IgnoreRequest(f"outlet {spider.outlet.key} is backed off")
        return None

    def process_response(self, request: Request, response: Response):
        # robots.txt statuses mean something else (RFC 9309): Rfc9309RobotsTxtMiddleware decides.
        if response.status in BACKOFF_STATUSES and not request.meta.get("dont_obey_robotstxt"):
            self.crawler.spider.back_off(response.url, response.status, retry_after_seconds(response))
        return response


class Rfc9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt handling, with the status codes RFC 9309 gives meaning to: a 4xx
    robots.txt means no rules (Scrapy parses whatever body came, often an error page); a 5xx
    means the site is unreachable for now, so everything is disallowed and the outlet backs off."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 400 <= response.status < 500:
            response = response.replace(body=b"")
        elif response.status >= 500:
            spider = self.crawler.spider
            if hasattr(spider, "back_off"):
                spider.back_off(response.url, response.status, retry_after_seconds(response))
            response = response.replace(body=b"User-agent: *\nDisallow: /\n")
        await super()._parse_robots(response, netloc, request)
