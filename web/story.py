"""One story as an analyst reads it: who reported first, who followed and when, who copied whom
and who cited whom, and the names it is about. Built from the index (the members share a
`story_id`), so it reads the same on both backends. And one article's place in it: its copies and
the other outlets' reports (the API's `/articles/{id}/related` and the article page)."""
from __future__ import annotations

from collections import Counter

from core.article import ENTITY_TYPES
from index.protocol import SearchBackend
from index.query import SearchQuery
from web.exports import pages
from web.protocols import CrawlStateReader

MAX_MEMBERS = 2000  # reports and copies read for one story; a larger one says it was cut
TOP_NAMES = 15


def _order(article: dict):
    return article.get("published_at") or "", article.get("crawled_at") or "", article["id"]


def story_view(backend: SearchBackend, story_id: str) -> dict | None:
    members: list[dict] = []
    for page in pages(backend, SearchQuery(story=story_id, include_duplicates=True)):
        members += page
        if len(members) >= MAX_MEMBERS:
            break
    if not members:
        return None
    truncated = len(members) >= MAX_MEMBERS
    members = members[:MAX_MEMBERS]
    copies: dict[str, list[dict]] = {}
    for member in members:
        if member.get("duplicate_of"):
            copies.setdefault(member["duplicate_of"], []).append(member)
    reports = sorted((m for m in members if not m.get("duplicate_of")), key=_order)
    names = {kind: Counter() for kind in ENTITY_TYPES}
    for report in reports:
        for kind in ENTITY_TYPES:
            names[kind].update(set((report.get("entities") or {}).get(kind, [])))

    def entry(article: dict) -> dict:
        return {"id": article["id"], "outlet": article["outlet"], "title": article.get("title"),
                "url": article["url"], "published_at": article.get("published_at"),
                "cites": article.get("cites") or [], "cited_by": article.get("cited_by") or [],
                "copies": [{"id": c["id"], "outlet": c["outlet"], "title": c.get("title"), "url": c["url"],
                            "published_at": c.get("published_at")} for c in sorted(copies.get(article["id"], []), key=_order)]}

    # Copies whose original is not in the story any more (pruned) still show, as reports.
    orphans = sorted((m for key, group in copies.items() if key not in {r["id"] for r in reports} for m in group),
                     key=_order)
    timeline = [entry(r) for r in sorted([*reports, *orphans], key=_order)]
    dates = [m["published_at"] for m in members if m.get("published_at")]
    return {
        "story_id": story_id,
        "first_report": entry(reports[0]) if reports else None,
        "reports": timeline,
        "outlets": sorted({m["outlet"] for m in members}),
        "articles": len(members),
        "copies": sum(1 for m in members if m.get("duplicate_of")),
        "entities": {kind: [{"name": n, "count": c} for n, c in sorted(names[kind].items(), key=lambda p: (-p[1], p[0]))
                            [:TOP_NAMES]] for kind in ENTITY_TYPES},
        "first_seen": min(dates) if dates else None,
        "last_seen": max(dates) if dates else None,
        "truncated": truncated,
    }


def related_articles(backend: SearchBackend, state: CrawlStateReader, article: dict) -> dict:
    original = article["duplicate_of"] or article["id"]
    duplicates = [] if original == article["id"] else [(original, state.copy_score(article["id"], original))]
    duplicates += [(c, score) for c, score in state.copies_of(original) if c != article["id"]]
    related = state.related(original)

    def hits(pairs):
        found = []
        for other_id, score in sorted(pairs, key=lambda p: -p[1]):
            other = backend.get(other_id)
            if other is not None:
                other.pop("text", None)
                found.append({**other, "score": min(1.0, max(0.0, score))})
        return found

    answer = {"duplicates": hits(duplicates), "related": hits(related)}
    if original != article["id"]:
        # A copy says whose copy it is (the page: "copy of ..."); the original also leads `duplicates`.
        answer["original"] = next((hit for hit in answer["duplicates"] if hit["id"] == original), None)
    return answer
