"""Writing the embedded index: an article as a tantivy document, and the index's one writer
(the daemon's, or `newswatch crawl`'s: the data-dir lock keeps it one)."""
from __future__ import annotations

import json

import tantivy

from core.article import ENTITY_TYPES, without_text
from index.analysis import analysed_field_values
from index.tantivy.schema import (DATE_FIELDS, FACET_FIELDS, as_datetime, completion_keys, facet_values_of,
                                  sample_of, sort_key, value_id)

WRITER_HEAP = 64_000_000


def document(article: dict) -> tantivy.Document:
    fields: dict = {
        "id": article["id"],
        "source": json.dumps(without_text(article), ensure_ascii=False).encode("utf-8"),
        "is_copy": 1 if article.get("duplicate_of") else 0,
        "sort_key": sort_key(article),
        "sample": sample_of(article["id"]),
    }
    for name in ("title", "description", "text", "outlet", "language", "story_id", "duplicate_of",
                 "content_hash", "url", "canonical_url", "published_at_zone"):
        if article.get(name):
            fields[name] = article[name]
    for name in ("authors", "tags", "topics"):
        if article.get(name):
            fields[name] = list(article[name])
    fields.update(analysed_field_values(article))
    for kind in ENTITY_TYPES:
        names = (article.get("entities") or {}).get(kind) or []
        if names:
            fields[kind] = list(names)
            fields[f"{kind}_key"] = [n.lower() for n in names]
            if not article.get("duplicate_of"):
                fields[f"{kind}_complete"] = [key for n in names for key in completion_keys(n)]
    for name in DATE_FIELDS:
        value = as_datetime(article.get(name))
        if value is not None:
            fields[name] = value
    for field in FACET_FIELDS.values():
        values = facet_values_of(article, field)
        if values:
            fields[f"{field}_id"] = [value_id(v) for v in values]
    return tantivy.Document(**fields)


class ArticleWriter:
    """Upserts and deletions by id, visible to searchers after `commit`."""

    def __init__(self, index: tantivy.Index):
        self.index = index
        self._writer = index.writer(WRITER_HEAP, 1)

    def upsert(self, article: dict) -> None:
        self._writer.delete_documents_by_term("id", article["id"])
        self._writer.add_document(document(article))

    def delete(self, article_ids: list[str]) -> None:
        for article_id in article_ids:
            self._writer.delete_documents_by_term("id", article_id)

    def commit(self) -> None:
        self._writer.commit()
        self.index.reload()

    def close(self) -> None:
        self._writer.wait_merging_threads()
