"""A search's whole result as CSV or NDJSON, and its newest hits as an Atom feed.

Exports page through the backend by sort position (newest first), one page of MAX_SIZE hits at a
time, so they have no cap and hold one page in memory whatever the result's size. Feeds are the
first page of the same search, newest first: a feed reader polls them."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from typing import Iterator
from urllib.parse import urlencode

from core.dates import stored_date
from index.query import MAX_SIZE, SearchQuery

CSV_COLUMNS = ("id", "published_at", "outlet", "title", "url", "language", "authors", "story_id", "duplicate_of",
               "duplicate_count", "cites", "cited_by", "person", "org", "place", "topics", "snippet")
LIST_SEPARATOR = "; "


def export_query(query: SearchQuery) -> SearchQuery:
    """The search as exports run it: newest first (a position, not an offset: no 10,000 cap),
    no facets, the caller's page size ignored."""
    return replace(query, sort="newest", size=MAX_SIZE, facets=(), after=None, histogram=None)


def pages(backend, query: SearchQuery) -> Iterator[list[dict]]:
    query = export_query(query)
    while True:
        result = backend.search(query)
        if result["hits"]:
            yield result["hits"]
        if not result.get("next"):
            return
        query = replace(query, after=result["next"])


def csv_header() -> str:
    return _csv_line(CSV_COLUMNS)


def csv_rows(hits: list[dict]) -> str:
    lines = []
    for hit in hits:
        entities = hit.get("entities") or {}
        values = {**hit, **{kind: entities.get(kind, []) for kind in ("person", "org", "place")}}
        lines.append(_csv_line([_cell(values.get(column)) for column in CSV_COLUMNS]))
    return "".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    text = str(value)
    # A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def ndjson_rows(hits: list[dict]) -> str:
    return "".join(json.dumps(hit, ensure_ascii=False) + "\n" for hit in hits)


# Characters XML 1.0 cannot carry (control characters a page or a query may contain).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml(text: str | None) -> str:
    return NOT_XML.sub("", text or "")


def atom_feed(result: dict, query: SearchQuery, self_url: str, site_url: str) -> bytes:
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    described = _xml(describe(query))
    self_url, site_url = _xml(self_url), _xml(site_url)
    feed.id(self_url)
    feed.title(f"newswatch: {described}")
    feed.link(href=self_url, rel="self")
    feed.link(href=site_url, rel="alternate")
    feed.subtitle(f"Newest articles matching {described}")
    feed.generator("newswatch")
    newest = None
    for hit in reversed(result["hits"]):  # feedgen puts each added entry first
        entry = feed.add_entry()
        entry.id(f"urn:newswatch:article:{hit['id']}")
        entry.title(_xml(hit.get("title") or hit["url"]))
        entry.link(href=_xml(hit["url"]))
        published = stored_date(hit.get("published_at")) or stored_date(hit.get("crawled_at"))
        updated = stored_date(hit.get("modified_at")) or published
        entry.published(published)
        entry.updated(updated)
        entry.summary(_xml(hit.get("snippet")))
        for author in hit.get("authors") or []:
            entry.author(name=_xml(author))
        entry.category([{"term": _xml(hit["outlet"])}])
        newest = max(newest, updated) if newest else updated
    if newest is not None:
        feed.updated(newest)
    return feed.atom_str(pretty=True)


def describe(query: SearchQuery) -> str:
    parts = [f'"{query.q}"'] if query.q else []
    parts += [f"{kind}:{name}" for kind, name in query.entities]
    parts += [f"outlet:{o}" for o in query.outlets] + [f"topic:{t}" for t in query.topics]
    return ", ".join(parts) or "everything"


def export_links(params: list[tuple[str, str]]) -> dict[str, str]:
    """Links to the exports and the feed of a search, from its parameters (page position dropped)."""
    kept = [(name, value) for name, value in params if name not in ("cursor", "size", "sort", "key") and value]
    query = urlencode(kept)
    return {kind: f"/search.{kind}" + (f"?{query}" if query else "") for kind in ("csv", "ndjson", "atom")}
