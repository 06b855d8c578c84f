"""`newswatch discover URL`: what a site offers to poll, and a ready `outlets.toml` table.

Politely: robots.txt is read first (with newswatch's User-Agent) and obeyed for every request;
requests are spaced by NEWSWATCH_DOWNLOAD_DELAY; at most MAX_CANDIDATES are fetched. Candidates:
the homepage's `<link rel="alternate">` feeds, the sitemaps robots.txt names, and common feed
and news-sitemap paths. Each is fetched and read by the crawl's own parsers (crawler.feeds), so
what discover calls a feed is what a crawl can read."""
from __future__ import annotations

import ipaddress
import re
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import lxml.html
from protego import Protego

from core.dates import iso, parse_date, utcnow
from crawler.feeds import FeedError, parse_feed, parse_sitemap

COMMON_PATHS = ("/feed", "/feed/", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/rss/",
                "/feeds/posts/default", "/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml",
                "/news_sitemap.xml", "/sitemap.xml")
MAX_CANDIDATES = 24
MAX_BYTES = 10 * 1024 * 1024
FEED_TYPES = ("rss", "atom", "xml", "feed")


class DiscoveryError(RuntimeError):
    pass


class Fetcher:
    def __init__(self, user_agent: str, delay: float, allow_private: bool, timeout: float = 20):
        self.user_agent, self.delay, self.allow_private, self.timeout = user_agent, delay, allow_private, timeout
        self._last = 0.0
        self.robots: Protego | None = None

    def _check_address(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        if self.allow_private:
            return
        for info in socket.getaddrinfo(host, None):
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise DiscoveryError(f"{host} is a private or loopback address "
                                     "(NEWSWATCH_ALLOW_PRIVATE_ADDRESSES=true allows it)")

    def get(self, url: str) -> tuple[int, bytes, str | None]:
        """(status, body, content type); robots.txt is obeyed, requests are spaced."""
        if self.robots is not None and not self.robots.can_fetch(url, self.user_agent):
            return 0, b"", "disallowed by robots.txt"
        self._check_address(url)
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read(MAX_BYTES), response.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            return exc.code, b"", None
        except (urllib.error.URLError, OSError) as exc:
            return 0, b"", str(getattr(exc, "reason", exc))
        finally:
            self._last = time.monotonic()


def describe(url: str, status: int, body: bytes, content_type: str | None) -> dict:
    """What a candidate is: a feed (rss/atom) or a (news) sitemap, its items and freshness."""
    result = {"url": url, "status": status, "kind": None, "items": 0, "newest": None, "recent": 0, "problem": None}
    if status != 200 or not body:
        result["problem"] = f"HTTP {status}" if status else (content_type or "no answer")
        return result
    now = utcnow()
    try:
        kind, entries = parse_sitemap(body, url)
        news = any(e.get("published_at") or e.get("title") for e in entries)
        result["kind"] = "sitemap index" if kind == "sitemapindex" else ("news sitemap" if news else "sitemap")
        dates = [parse_date(e.get("published_at") or e.get("lastmod")) for e in entries]
    except FeedError:
        try:
            entries, _ = parse_feed(body, url, content_type)
        except FeedError as exc:
            result["problem"] = str(exc)
            return result
        head = body[:2000].lower()
        result["kind"] = "atom" if b"<feed" in head and b"http://www.w3.org/2005/atom" in head else "rss"
        dates = [parse_date(e.get("published_at") or e.get("modified_at")) for e in entries]
    dates = [d for d in dates if d is not None]
    result["items"] = len(entries)
    result["newest"] = iso(max(dates)) if dates else None
    result["recent"] = sum(1 for d in dates if d >= now - timedelta(days=7))
    return result


def candidates(home: str, html: bytes, robots: Protego | None) -> tuple[list[str], dict]:
    """Candidate URLs in the order they are tried, and what the homepage says of the site."""
    found: list[str] = []
    site = {"name": None, "language": None}
    if html:
        try:
            tree = lxml.html.document_fromstring(html)
        except (lxml.etree.ParserError, ValueError):
            tree = None
        if tree is not None:
            for link in tree.xpath('//link[@rel="alternate" or @rel="feed"][@href]'):
                kind = (link.get("type") or "").lower()
                if any(t in kind for t in FEED_TYPES) or link.get("rel") == "feed":
                    found.append(urljoin(home, link.get("href").strip()))
            name = tree.xpath('//meta[@property="og:site_name"]/@content') or tree.xpath("//title/text()")
            site["name"] = " ".join(name[0].split())[:80] if name else None
            lang = tree.xpath("/html/@lang")
            site["language"] = lang[0].split("-")[0].lower()[:2] if lang else None
    found += list(robots.sitemaps) if robots is not None else []
    found += [urljoin(home, path) for path in COMMON_PATHS]
    unique = list(dict.fromkeys(u for u in found if u.startswith(("http://", "https://"))))
    return unique[:MAX_CANDIDATES], site


def suggested_interval(results: list[dict]) -> str:
    per_day = sum(r["recent"] for r in results) / 7
    return "15m" if per_day >= 40 else "1h" if per_day >= 4 else "6h" if per_day >= 0.5 else "1d"


def discover(home: str, fetcher: Fetcher) -> dict:
    if not re.match(r"^https?://", home):
        raise DiscoveryError(f"{home!r} is not an http(s) URL")
    status, body, _ = fetcher.get(urljoin(home, "/robots.txt"))
    # RFC 9309, as the crawl: 4xx means no rules; 5xx or no answer means stay away.
    if status >= 500 or status == 0:
        raise DiscoveryError(f"robots.txt did not answer ({status or 'no answer'}): not fetching anything else")
    fetcher.robots = Protego.parse(body.decode("utf-8", "replace")) if status == 200 else None
    status, html, _ = fetcher.get(home)
    urls, site = candidates(home, html if status == 200 else b"", fetcher.robots)
    results = [describe(url, *fetcher.get(url)) for url in urls]
    # The same feed under two paths (/feed and /feed/) is listed once.
    seen, usable = set(), []
    for result in results:
        signature = (result["kind"], result["items"], result["newest"])
        if result["kind"] and result["items"] and signature not in seen:
            seen.add(signature)
            usable.append(result)
    feeds = [r for r in usable if r["kind"] in ("rss", "atom")]
    sitemaps = [r for r in usable if r["kind"] in ("news sitemap", "sitemap index")]
    return {"home": home, "site": site, "candidates": results, "feeds": feeds, "sitemaps": sitemaps,
            "interval": suggested_interval(feeds or sitemaps)}


def outlets_table(found: dict) -> str:
    host = urlsplit(found["home"]).hostname or "site"
    key = re.sub(r"[^a-z0-9]+", "-", host.lower().removeprefix("www.")).strip("-")
    name = (found["site"]["name"] or host).replace('"', "'")
    lines = [f"[{key}]", f'name = "{name}"', f'language = "{found["site"]["language"] or "en"}"']
    if found["feeds"]:
        lines.append("feeds = [" + ", ".join(f'"{r["url"]}"' for r in found["feeds"]) + "]")
    # News sitemaps always (they list what feeds drop); a sitemap index only when there is no feed.
    sitemaps = [r for r in found["sitemaps"] if r["kind"] == "news sitemap" or not found["feeds"]]
    if sitemaps:
        lines.append("sitemaps = [" + ", ".join(f'"{r["url"]}"' for r in sitemaps) + "]")
    lines.append(f'interval = "{found["interval"]}"')
    return "\n".join(lines) + "\n"
