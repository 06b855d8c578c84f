"""An outlet's `filter`: a search query (the `/search` syntax) that a feed item's title, summary
and feed text must match before its page is fetched. Items are matched in a throw-away in-memory
tantivy index, so the filter means exactly what the same query means in search."""
from __future__ import annotations

import tantivy

FIELDS = ["title", "description", "text"]


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("n", stored=True, indexed=True)
    for name in FIELDS:
        sb.add_text_field(name, tokenizer_name="en_stem")
    return sb.build()


SCHEMA = _schema()


def _parse(index: tantivy.Index, query: str) -> tantivy.Query:
    return index.parse_query(query, FIELDS, conjunction_by_default=True)


def validate_filter(query: str) -> None:
    """Raises ValueError with the parser's message when the query is malformed."""
    _parse(tantivy.Index(SCHEMA), query)


def matching(query: str, items: list[dict]) -> set[int]:
    """Indexes of the items (dicts with title/description/text) that the query matches."""
    if not items:
        return set()
    index = tantivy.Index(SCHEMA)
    writer = index.writer(15_000_000, 1)
    for n, item in enumerate(items):
        writer.add_document(tantivy.Document(n=n, **{f: item.get(f) or "" for f in FIELDS}))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    result = searcher.search(_parse(index, query), len(items))
    return {searcher.doc(address)["n"][0] for _, address in result.hits}
