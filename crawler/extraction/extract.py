"""The extraction stage: a fetched page (or a feed item carrying the full text) in, the article's
fields out. The outlet parser speaks first; otherwise the page's own statements are gathered as
evidence (crawler.extraction.metadata) and each field chosen from it (crawler.extraction.headline, crawler.extraction.page_dates,
crawler.extraction.bylines); the body is trafilatura's, checked against what the page says of its text
(crawler.extraction.body); the feed entry and trafilatura's metadata search fill what is left.

Pure functions of their input (no network, no index): `newswatch extract` and the crawl's
worker processes run exactly this code."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from trafilatura.metadata import extract_metadata
from w3lib.encoding import html_to_unicode

from core.dates import first_date, iso, utcnow
from crawler.extraction.boilerplate import clean_body
from crawler.extraction.body import body_text, with_standfirst
from crawler.extraction.bylines import choose_authors
from crawler.extraction.headline import STATED_HEADLINES, choose_title, site_keys, strip_site_name
from crawler.extraction.language import article_language, weighted_length
from crawler.extraction.metadata import clean_text, page_metadata
from crawler.extraction.page_dates import Published, choose_published
from crawler.extraction.parsers import PARSERS
from crawler.extraction.parsers.base import OutletParser, Page
from crawler.urls import canonical_url

# Lengths are Latin-script characters (crawler.extraction.language.weighted_length): a Hangul or Han
# character counts as SCRIPT_WEIGHTS says, so a short Korean report is not "no article body".
MIN_TEXT_CHARS = 200  # shorter than this, a page is not an article (an index, a video, a stub)
FEED_FULL_TEXT_CHARS = 600  # a feed item with this much text, or MIN_FEED_PARAGRAPHS paragraphs,
MIN_FEED_PARAGRAPHS = 3     # carries the full text (a teaser is one or two)
MAX_ZONE_OFFSET = timedelta(hours=14)
BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")


class NotAnArticle(ValueError):
    """The page holds no article body; the message says why."""


def decode_html(body: bytes | str, content_type: str | None = None) -> str:
    if isinstance(body, str):
        return body
    if not content_type or "charset" not in content_type.lower():
        # Bytes that are valid UTF-8 with non-ASCII in them are UTF-8, whatever <meta charset>
        # claims (a page saved or re-served after conversion); legacy encodings almost never are.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not text.isascii():
                return text.removeprefix("\ufeff")
    # w3lib weighs the HTTP header, the BOM and <meta charset> as browsers do.
    _, text = html_to_unicode(content_type, body)
    return text


def language_code(value: str | None) -> str | None:
    if not value:
        return None
    match = re.match(r"^\s*([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*\s*$", value)
    return match.group(1).lower() if match else None


def _parser_for(name: str | None, page: Page) -> OutletParser:
    for version in PARSERS.get(name, ()) if name else ():
        parser = version()
        if parser.applies(page):
            return parser
    return OutletParser()


def html_fragment_text(fragment: str) -> str:
    """The text of a feed's HTML content (`content:encoded`): one line per block element."""
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    blocks = [" ".join(el.text_content().split()) for el in root.iter(*BLOCK_TAGS)
              if not any(a.tag in BLOCK_TAGS for a in el.iterancestors())]
    blocks = [b for b in blocks if b]
    return "\n".join(blocks) if blocks else " ".join(root.text_content().split())


def carries_full_text(text: str | None) -> bool:
    length = weighted_length(text or "")
    if length < MIN_TEXT_CHARS:
        return False
    return length >= FEED_FULL_TEXT_CHARS or text.count("\n") + 1 >= MIN_FEED_PARAGRAPHS


def _strings(values) -> list[str]:
    seen, out = set(), []
    for value in values or []:
        value = " ".join(str(value).split())
        if value and value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out


def extract_page(body: bytes | str, url: str | None = None, feed: dict | None = None,
                 parser: str | None = None, outlet_language: str | None = None,
                 content_type: str | None = None, now: datetime | None = None, outlet_name: str | None = None,
                 outlet_zone: str | None = None) -> dict:
    """Raises NotAnArticle when the page has no article body. `outlet_zone` (an IANA name) is
    the zone a timestamp without one is read in."""
    feed = feed or {}
    now = now or utcnow()
    html = decode_html(body, content_type)
    if not html.strip():
        raise NotAnArticle("empty page")
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnArticle(f"unparseable HTML: {exc}") from None
    page = Page(url=url or "", html=html, tree=tree)
    outlet_parser = _parser_for(parser, page)
    meta = page_metadata(tree)
    evidence = meta["evidence"]
    site_names = evidence.site_names + ([outlet_name] if outlet_name else [])
    keys = site_keys(site_names, url)
    title = _clean(outlet_parser.title(page)) or choose_title(evidence.titles, keys, url)
    authors = _strings(outlet_parser.authors(page)) or choose_authors(evidence.authors, evidence.organisations, keys)
    parser_date = outlet_parser.published_at(page)
    date_candidates = ([("parser", parser_date)] if parser_date else []) + evidence.dates
    published = choose_published(date_candidates, outlet_zone, now)
    extracted: dict = {}
    if not (title and published.at and authors):
        # trafilatura's own metadata search (htmldate and friends) only when the publisher's
        # statements left a gap: it costs about a third of the extraction time.
        found = extract_metadata(tree, default_url=url)
        extracted = found.as_dict() if found is not None else {}
        if published.at is None and extracted.get("date"):
            published = choose_published([("extractor", extracted["date"])], outlet_zone, now)
    text = outlet_parser.text(page) or with_standfirst(body_text(html, url, tree, evidence.article_body), tree,
                                                      meta["description"])
    if weighted_length(text) < MIN_TEXT_CHARS:
        feed_text = feed.get("text") or ""
        if weighted_length(feed_text) >= MIN_TEXT_CHARS:
            text = feed_text
        else:
            raise NotAnArticle(f"no article body ({len(text)} characters of text)")
    canonical = outlet_parser.canonical_url(page) or meta["canonical_url"]
    if canonical and url:
        canonical = urljoin(url, canonical)
    if not (canonical and canonical.startswith(("http://", "https://"))):
        canonical = url or feed.get("url")
    if published.at is None and feed.get("published_at"):
        published = feed_published(feed, outlet_zone, now)
    title = title or _clean(feed.get("title") or extracted.get("title"))
    # the feed's and htmldate's guesses pass the same test as the page's own credits
    authors = authors or choose_authors([("feed", feed.get("authors") or []),
                                         ("extractor", _split_authors(extracted.get("author")))],
                                        evidence.organisations, keys)
    headlines = [strip_site_name(value, keys) for source, value in evidence.titles if source in STATED_HEADLINES]
    text = clean_body(text, title, authors, headlines) or text
    return {
        "url": url or feed.get("url"),
        "canonical_url": canonical_url(canonical) if canonical else None,
        "title": title,
        "description": clean_text(outlet_parser.description(page) or meta["description"] or feed.get("description")
                              or extracted.get("description")),
        "text": text,
        "authors": authors,
        "published_at": iso(published.at),
        "published_at_zone": published.zone,
        "modified_at": iso(first_date(outlet_parser.modified_at(page), *(v for _, v in evidence.modified),
                                      feed.get("modified_at"), now=now)),
        "language": article_language([language_code(outlet_parser.language(page)), language_code(meta["language"]),
                                      language_code(feed.get("language"))], text, title, outlet_language),
        "tags": _strings(outlet_parser.tags(page) or meta["tags"] or feed.get("tags")
                         or extracted.get("tags") or extracted.get("categories")),
        "image_url": outlet_parser.image_url(page) or meta["image_url"] or feed.get("image_url"),
    }


def feed_published(feed: dict, outlet_zone: str | None, now: datetime) -> Published:
    """The feed's date as the feed wrote it (`published_text`), so that one without a zone is read
    in the outlet's; else the date feedparser normalised (a naive one already taken as UTC)."""
    normalised = choose_published([("feed", feed.get("published_at"))], None, now)
    as_written = choose_published([("feed", feed.get("published_text"))], outlet_zone, now)
    # the two readings differ by a zone's offset at most; more means they read the text differently
    if as_written.at is None or (normalised.at and abs(as_written.at - normalised.at) > MAX_ZONE_OFFSET):
        return normalised
    return as_written


def extract_feed_item(feed: dict, outlet_language: str | None = None, now: datetime | None = None,
                      outlet_zone: str | None = None) -> dict:
    """An article from a feed item whose `content:encoded` carries the full text (RFA's Arc feeds)."""
    now = now or utcnow()
    text = feed.get("text") or ""
    if weighted_length(text) < MIN_TEXT_CHARS:
        raise NotAnArticle(f"feed item has no article body ({len(text)} characters of text)")
    text = clean_body(text, feed.get("title"), feed.get("authors")) or text
    published = feed_published(feed, outlet_zone, now)
    return {
        "url": feed["url"],
        "canonical_url": canonical_url(feed["url"]),
        "title": _clean(feed.get("title")),
        "description": _clean(feed.get("description")),
        "text": text,
        "authors": _strings(feed.get("authors")),
        "published_at": iso(published.at),
        "published_at_zone": published.zone,
        "modified_at": iso(first_date(feed.get("modified_at"), now=now)),
        "language": article_language([language_code(feed.get("language"))], text, feed.get("title"), outlet_language),
        "tags": _strings(feed.get("tags")),
        "image_url": feed.get("image_url"),
    }


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(str(value).split()) or None


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [a.strip() for a in re.split(r";|,|\band\b", value) if a.strip()]
