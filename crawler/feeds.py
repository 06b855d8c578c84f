"""Feed and sitemap entries, as the dicts the spiders and the extraction stage share.

An entry: `url`, `title`, `description`, `text` (from `content:encoded`/Atom content), `authors`,
`published_at`, `modified_at`, `tags`, `image_url`, `language`, and `marker` (what must change for
a known article to be fetched again)."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree

from core.dates import iso, parse_date
from crawler.extract import html_fragment_text, language_code
from crawler.state import marker_json


class FeedError(ValueError):
    """Not a feed or sitemap, or too broken to read; the message says what was found."""


def _strip_html(value: str | None) -> str | None:
    if not value:
        return None
    text = html_fragment_text(value) if "<" in value else " ".join(value.split())
    return text.replace("\n", " ").strip() or None


# feedparser's complaints about the HTTP content type or a declared charset are not problems of
# the feed itself.
BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> tuple[list[dict], str | None]:
    """The feed's entries, and what was wrong with it when it was malformed but readable."""
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
    language = language_code(parsed.feed.get("language"))
    entries = []
    for item in parsed.entries:
        link = item.get("link") or (item.get("id") if str(item.get("id", "")).startswith("http") else None)
        if not link:
            continue
        link = urljoin(url, link.strip())
        content = ""
        for part in item.get("content") or []:
            if len(part.get("value") or "") > len(content):
                content = part["value"]
        text = html_fragment_text(content) if content else ""
        authors = [a.get("name") for a in item.get("authors") or [] if a.get("name")]
        if not authors and item.get("author"):
            authors = [item["author"]]
        authors = [n.strip() for a in authors for n in re.split(r"\s*,\s*|\s+and\s+", a) if n.strip()]
        # dict.get: FeedParserDict.get maps missing keys onto each other (deprecated, warns).
        published = parse_date(dict.get(item, "published_parsed")) or parse_date(dict.get(item, "published"))
        updated = parse_date(dict.get(item, "updated_parsed")) or parse_date(dict.get(item, "updated"))
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
        entries.append({
            "url": link,
            "title": _strip_html(item.get("title")),
            "description": _strip_html(item.get("summary")) if item.get("summary") != content else None,
            "text": text,
            "authors": authors,
            "published_at": iso(published),
            "modified_at": iso(updated) if updated and updated != published else None,
            "tags": [t.get("term") for t in item.get("tags") or [] if t.get("term")],
            "image_url": image,
            "language": language,
            "marker": marker_json(
                date=iso(updated or published),
                content=hashlib.blake2b(text.encode(), digest_size=8).hexdigest() if text else None),
        })
    if problem is None and len(entries) < len(parsed.entries):
        problem = f"{len(parsed.entries) - len(entries)} items without a link"
    return entries, problem


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
    entries = []
    child_tag = "url" if kind == "urlset" else "sitemap"
    for element in root:
        if not isinstance(element.tag, str) or _local_name(element.tag) != child_tag:
            continue
        loc = _child_text(element, f"{SITEMAP_NS}loc") or _child_text(element, "loc")
        if not loc or not urlsplit(loc).scheme.startswith("http"):
            continue
        lastmod = parse_date(_child_text(element, f"{SITEMAP_NS}lastmod") or _child_text(element, "lastmod"))
        entry = {"url": loc, "lastmod": iso(lastmod)}
        if kind == "urlset":
            news = element.find(f"{NEWS_NS}news")
            published = parse_date(_child_text(news, f"{NEWS_NS}publication_date")) if news is not None else None
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
                "image_url": image.text.strip() if image is not None and image.text else None,
                "language": language,
                "marker": marker_json(date=iso(lastmod or published)),
            })
        entries.append(entry)
    return kind, entries


def slug_words(url: str) -> str:
    """The words of a URL's last path segment, standing in for a title the sitemap does not give."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment)
    return " ".join(w for w in re.split(r"[-_]+", segment) if w and not w.isdigit())
