"""Feed and sitemap entries, as the dicts the spiders and the extraction stage share.

An entry: `url`, `title`, `description`, `text` (from `content:encoded`/Atom content), `authors`,
`published_at` (UTC), `published_text` (a feed's date as written), `modified_at`, `tags`,
`image_url`, `language`, and `marker` (what must change for a known article to be fetched again)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree

from core.dates import iso, parse_date
from crawler.extraction.extract import html_fragment_text, language_code
from crawler.state import marker_json


class FeedError(ValueError):
    """Not a feed or sitemap, or too broken to read; the message says what was found."""


class BadItem(ValueError):
    """One item of a feed or sitemap that cannot be used; the others still are."""


@dataclass(frozen=True)
class Rejected:
    """An item left out, and why: its position in the feed (1-based), the value at fault."""
    position: int
    value: str
    reason: str

    def message(self) -> str:
        return f"item {self.position} skipped: {self.reason}: {self.value[:200]!r}"


@dataclass
class FeedRead:
    """What a feed or sitemap gave: its usable entries (each with its `position`), the items left
    out, and what was wrong with the document as a whole when it was malformed but readable."""
    entries: list[dict]
    rejected: list[Rejected] = field(default_factory=list)
    problem: str | None = None
    kind: str = "feed"  # or a sitemap's 'urlset' / 'sitemapindex'


def article_link(base: str, value) -> str:
    """An item's link as an absolute http(s) URL, resolved against the feed's URL; BadItem when
    it is none (`javascript:`, `mailto:`, words with spaces, a malformed host...)."""
    text = str(value or "").strip()
    if not text:
        raise BadItem("no link")
    if any(c.isspace() for c in text) or any(ord(c) < 32 for c in text):
        raise BadItem("not a URL")
    try:
        link = urljoin(base, text)
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise BadItem(f"not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise BadItem(f"not an http(s) link ({parts.scheme or 'no'} scheme)")
    if not parts.hostname:
        raise BadItem("not a URL (no host)")
    return link


def _strip_html(value: str | None) -> str | None:
    if not value:
        return None
    text = html_fragment_text(value) if "<" in value else " ".join(value.split())
    return text.replace("\n", " ").strip() or None


# feedparser's complaints about the HTTP content type or a declared charset are not problems of
# the feed itself.
BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> tuple[list[dict], str | None]:
    """The feed's entries, and what was wrong with it (its items left out included)."""
    read = read_feed(body, url, content_type)
    problem = read.problem
    if problem is None and read.rejected:
        problem = f"{len(read.rejected)} items skipped: " + "; ".join(r.message() for r in read.rejected[:3])
    return [{k: v for k, v in e.items() if k != "position"} for e in read.entries], problem


def read_feed(body: bytes, url: str, content_type: str | None = None) -> FeedRead:
    """Item by item: an item whose values cannot be used is rejected (with its position and the
    value at fault), the others are read. FeedError when the document is no feed at all."""
    if not body.strip():
        raise FeedError("empty response")
    # feedparser parses from bytes we already fetched (it never touches the network here).
    parsed = feedparser.parse(body, response_headers={"content-location": url,
                                                      "content-type": content_type or "application/xml"})
    if not parsed.entries:
        if not parsed.get("version"):
            if re.match(rb"\s*(<!doctype html|<html)", body[:200], re.IGNORECASE):
                raise FeedError("not a feed: an HTML page")
            raise FeedError(f"not a feed: {parsed.get('bozo_exception') or 'unrecognised format'}")
    bozo = parsed.get("bozo_exception")
    problem = str(bozo or "malformed") if parsed.get("bozo") and not isinstance(bozo, BENIGN_BOZO) else None
    try:
        language = language_code(parsed.feed.get("language"))
    except Exception:  # a feed-level value never costs the items
        language = None
    read = FeedRead([], problem=problem)
    for position, item in enumerate(parsed.entries, 1):
        try:
            entry = _feed_entry(item, url, language)
        except Exception as exc:  # any value of one item: that item only
            value = item.get("link") or item.get("id") or item.get("title") or ""
            reason = str(exc) if isinstance(exc, BadItem) else f"{type(exc).__name__}: {exc}"
            read.rejected.append(Rejected(position, str(value), reason))
            continue
        entry["position"] = position
        read.entries.append(entry)
    return read


def _feed_entry(item, url: str, language: str | None) -> dict:
    link = item.get("link") or (item.get("id") if str(item.get("id", "")).startswith("http") else None)
    link = article_link(url, link)
    content = ""
    for part in item.get("content") or []:
        if len(part.get("value") or "") > len(content):
            content = part["value"]
    text = html_fragment_text(content) if content else ""
    authors = [a.get("name") for a in item.get("authors") or [] if a.get("name")]
    if not authors and item.get("author"):
        authors = [item["author"]]
    authors = [n.strip() for a in authors for n in re.split(r"\s*,\s*|\s+and\s+", str(a)) if n.strip()]
    # dict.get: FeedParserDict.get maps missing keys onto each other (deprecated, warns).
    published = _date(dict.get(item, "published_parsed")) or _date(dict.get(item, "published"))
    updated = _date(dict.get(item, "updated_parsed")) or _date(dict.get(item, "updated"))
    published = published or updated
    image = None
    for media in (item.get("media_content") or []) + (item.get("media_thumbnail") or []):
        if media.get("url"):
            image = media["url"]
            break
    if image is None:
        for enclosure in item.get("enclosures") or []:
            if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
                image = enclosure["href"]
                break
    return {
        "url": link,
        "title": _strip_html(item.get("title")),
        "description": _strip_html(item.get("summary")) if item.get("summary") != content else None,
        "text": text,
        "authors": authors,
        "published_at": iso(published),
        # as the feed wrote it: a date without a zone is read in the outlet's (crawler.extraction.extract)
        "published_text": dict.get(item, "published") or dict.get(item, "updated"),
        "modified_at": iso(updated) if updated and updated != published else None,
        "tags": [str(t.get("term")) for t in item.get("tags") or [] if t.get("term")],
        "image_url": _optional_link(url, image),
        "language": language,
        "marker": marker_json(
            date=iso(updated or published),
            content=hashlib.blake2b(text.encode(), digest_size=8).hexdigest() if text else None),
    }


def _date(value):
    """A date value an item gives; one that cannot be read is no date (the page's, or the crawl
    time, stands in), never the end of the item."""
    try:
        return parse_date(value)
    except Exception:
        return None


def _optional_link(base: str, value) -> str | None:
    """A secondary link (an image): a bad one is dropped, the item kept."""
    try:
        return article_link(base, value) if value else None
    except BadItem:
        return None


SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
IMAGE_NS = "{http://www.google.com/schemas/sitemap-image/1.1}"


def _child_text(element, tag: str) -> str | None:
    found = element.find(tag)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _local_name(tag: str) -> str:
    # Not lxml's QName: a recovering parser keeps undeclared prefixes ("news:news"), which QName refuses.
    return tag.rsplit("}", 1)[-1]


def parse_sitemap(body: bytes, url: str) -> tuple[str, list[dict]]:
    """('urlset' | 'sitemapindex', entries); index entries carry only `url` and `lastmod`."""
    read = read_sitemap(body, url)
    return read.kind, [{k: v for k, v in e.items() if k != "position"} for e in read.entries]


def read_sitemap(body: bytes, url: str) -> FeedRead:
    """A sitemap item by item, as read_feed: a <url> or <sitemap> whose values cannot be used is
    rejected with its position; FeedError when the document is no sitemap."""
    # Entities are not resolved and the network is off: a sitemap is untrusted input.
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False,
                                  remove_comments=True)
    try:
        root = lxml.etree.fromstring(body.strip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"not a sitemap: {exc}") from None
    if root is None:
        raise FeedError("not a sitemap: empty document")
    kind = _local_name(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap: root element <{kind}>")
    read = FeedRead([], kind=kind)
    child_tag = "url" if kind == "urlset" else "sitemap"
    position = 0
    for element in root:
        if not isinstance(element.tag, str) or _local_name(element.tag) != child_tag:
            continue
        position += 1
        loc = None
        try:
            loc = _child_text(element, f"{SITEMAP_NS}loc") or _child_text(element, "loc")
            entry = _sitemap_entry(element, kind, url, loc)
        except Exception as exc:  # any value of one entry: that entry only
            reason = str(exc) if isinstance(exc, BadItem) else f"{type(exc).__name__}: {exc}"
            read.rejected.append(Rejected(position, str(loc or ""), reason))
            continue
        entry["position"] = position
        read.entries.append(entry)
    return read


def _sitemap_entry(element, kind: str, url: str, loc: str | None) -> dict:
    loc = article_link(url, loc)
    lastmod = _date(_child_text(element, f"{SITEMAP_NS}lastmod") or _child_text(element, "lastmod"))
    entry = {"url": loc, "lastmod": iso(lastmod)}
    if kind == "urlset":
        news = element.find(f"{NEWS_NS}news")
        published = _date(_child_text(news, f"{NEWS_NS}publication_date")) if news is not None else None
        language = None
        if news is not None:
            language = language_code(_child_text(news, f"{NEWS_NS}publication/{NEWS_NS}language"))
        image = element.find(f"{IMAGE_NS}image/{IMAGE_NS}loc")
        entry.update({
            "title": _child_text(news, f"{NEWS_NS}title") if news is not None else None,
            "description": None,
            "text": "",
            "authors": [],
            "published_at": iso(published),
            "modified_at": None,
            "tags": [k.strip() for k in (_child_text(news, f"{NEWS_NS}keywords") or "").split(",") if k.strip()]
                    if news is not None else [],
            "image_url": _optional_link(url, image.text) if image is not None and image.text else None,
            "language": language,
            "marker": marker_json(date=iso(lastmod or published)),
        })
    return entry


def slug_words(url: str) -> str:
    """The words of a URL's last path segment, standing in for a title the sitemap does not give."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment)
    return " ".join(w for w in re.split(r"[-_]+", segment) if w and not w.isdigit())
