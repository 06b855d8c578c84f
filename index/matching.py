"""Matching items against a search query (the `/search` syntax) without the index: an outlet's
`filter` (feed items before their pages are fetched) and topics (new articles). Items are put in
a throw-away in-memory tantivy index, so a query means exactly what it means in search."""
from __future__ import annotations

import tantivy

from index.analysis import all_analysed_fields, analysed_field_values, rewrite_query
from index.query_syntax import QueryError, check_fields

FIELDS = ["title", "description", "text"] + all_analysed_fields()  # searched when the query names no field
RAW_FIELDS = ["outlet", "language", "tags", "url"]


def _schema() -> tantivy.Schema:
    # The fields `q` may name (index.query_syntax.QUERY_FIELDS), tokenised as in the embedded index.
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("n", stored=True, indexed=True)
    for name in FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace" if name in all_analysed_fields() else "en_stem")
    sb.add_text_field("authors", tokenizer_name="default")
    for name in RAW_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw")
    return sb.build()


SCHEMA = _schema()


def _parse(index: tantivy.Index, query: str) -> tantivy.Query:
    return index.parse_query(rewrite_query(query), FIELDS, conjunction_by_default=True)


def validate_filter(query: str) -> None:
    """Raises ValueError with the parser's message when the query is malformed."""
    _parse(tantivy.Index(SCHEMA), query)


def validate_query(query: str) -> None:
    """The check a search's `q` gets (index.query_syntax.check_fields: known fields, no wildcards...),
    then the parser's: one rule for searches, topics and outlet filters. ValueError (a QueryError
    is one) with the message a 400 gives."""
    try:
        check_fields(query)
    except QueryError as exc:
        raise ValueError(exc.message) from None
    validate_filter(query)


def _index(items: list[dict]) -> tantivy.Index:
    index = tantivy.Index(SCHEMA)
    writer = index.writer(15_000_000, 1)
    for n, item in enumerate(items):
        fields = {f: item.get(f) or "" for f in FIELDS}
        fields.update(analysed_field_values(item))
        for name in ["authors", *RAW_FIELDS]:
            value = item.get(name)
            if value:
                fields[name] = list(value) if isinstance(value, (list, tuple)) else value
        writer.add_document(tantivy.Document(n=n, **fields))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def _hits(index: tantivy.Index, query: str, limit: int) -> set[int]:
    searcher = index.searcher()
    result = searcher.search(_parse(index, query), limit)
    return {searcher.doc(address)["n"][0] for _, address in result.hits}


def matching(query: str, items: list[dict]) -> set[int]:
    """Indexes of the items (dicts with title/description/text...) that the query matches."""
    return _hits(_index(items), query, len(items)) if items else set()


def queries_matching(queries: dict[str, str], item: dict) -> set[str]:
    """The keys of the queries one item matches (one throw-away index for all of them)."""
    if not queries:
        return set()
    index = _index([item])
    return {key for key, query in queries.items() if _hits(index, query, 1)}


def topics_matching(article: dict, topics: dict) -> list[str]:
    """The topics (crawler.config.topics.Topic by key) a new article matches, as `/search` would:
    the topic's query, all its entities, any of its outlets."""
    names = {(kind, name.lower()) for kind, values in (article.get("entities") or {}).items() for name in values}
    candidates = {key: topic.query for key, topic in topics.items()
                  if (not topic.outlets or article["outlet"] in topic.outlets)
                  and all((kind, name.lower()) in names for kind, name in topic.entities)}
    return sorted(queries_matching(candidates, article))
