"""The article record of the contract: the same fields in every backend and in the API."""
from __future__ import annotations

ENTITY_TYPES = ("person", "org", "place")

# name -> kind; every backend maps each of these (tests hold both backends to this list).
ARTICLE_FIELDS: dict[str, str] = {
    "id": "keyword",
    "url": "keyword",
    "canonical_url": "keyword",
    "outlet": "keyword",
    "title": "text",
    "description": "text",
    "text": "text",
    "authors": "keyword[]",
    "published_at": "date",
    # How published_at's zone was known: "stated" (the source gave its offset or zone), "outlet"
    # (a naive time read in outlets.toml's timezone), "page" (in the zone the page's other dates
    # state), "utc" (no zone known: assumed UTC), "date" (a day, no time), "crawled" (no date).
    "published_at_zone": "keyword",
    "modified_at": "date",
    "crawled_at": "date",
    "language": "keyword",
    "tags": "keyword[]",
    "image_url": "keyword",
    "entities": "entities",
    "entities_model": "keyword",
    "story_id": "keyword",
    "duplicate_of": "keyword",
    "duplicate_count": "integer",
    "revision": "integer",
    "content_hash": "keyword",
    "topics": "keyword[]",
    # Provenance: ids of the reports this one names as its source, and of those naming it.
    "cites": "keyword[]",
    "cited_by": "keyword[]",
}


def empty_entities() -> dict[str, list[str]]:
    return {kind: [] for kind in ENTITY_TYPES}


def new_article(**values) -> dict:
    """An article with every field present; unknown names are an error, so a typo fails fast."""
    unknown = set(values) - set(ARTICLE_FIELDS)
    if unknown:
        raise KeyError(f"not article fields: {sorted(unknown)}")
    article = {
        name: ([] if kind == "keyword[]" else empty_entities() if kind == "entities" else None)
        for name, kind in ARTICLE_FIELDS.items()
    }
    article.update(duplicate_count=0, revision=1)
    article.update(values)
    if article["story_id"] is None:
        article["story_id"] = article["id"]
    return article


def completed(article: dict) -> dict:
    """A stored article with the fields added since it was written, at their defaults."""
    for name, kind in ARTICLE_FIELDS.items():
        if name not in article and name != "text":
            article[name] = [] if kind == "keyword[]" else empty_entities() if kind == "entities" else None
    return article


def without_text(article: dict) -> dict:
    return {k: v for k, v in article.items() if k != "text"}
