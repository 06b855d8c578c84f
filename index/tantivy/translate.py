"""The query model (index.query) as tantivy queries: `q`, the filters, and their scope."""
from __future__ import annotations

from datetime import datetime

import tantivy

from index.analysis import rewrite_query
from index.query import QueryError, SearchQuery
from index.tantivy.schema import DEFAULT_FIELDS, FIELD_BOOSTS


def text_query(index: tantivy.Index, q: str) -> tantivy.Query:
    try:
        return index.parse_query(rewrite_query(q), DEFAULT_FIELDS, field_boosts=FIELD_BOOSTS,
                                 conjunction_by_default=True)
    except ValueError as exc:
        raise QueryError("q", f"malformed query {q!r}: {exc}") from None


def scope(schema: tantivy.Schema, query: SearchQuery, text: tantivy.Query | None = None) -> tantivy.Query:
    """The query's filters and words, copies left out unless asked for: excluded (MustNot
    is_copy:1, a tenth of the articles), which costs half of requiring is_copy:0 of each match."""
    clauses = [(tantivy.Occur.Must, f) for f in filters(schema, query)]
    if text is not None:
        clauses.append((tantivy.Occur.Must, text))
    if not clauses:
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    if not query.include_duplicates:
        clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "is_copy", 1)))
    return tantivy.Query.boolean_query(clauses)


def filters(schema: tantivy.Schema, query: SearchQuery) -> list[tantivy.Query]:
    Q = tantivy.Query
    found = []
    for kind, name in query.entities:
        found.append(Q.term_query(schema, f"{kind}_key", name.lower()))
    if query.outlets:
        found.append(Q.term_set_query(schema, "outlet", list(query.outlets)))
    if query.topics:
        found.append(Q.term_set_query(schema, "topics", list(query.topics)))
    if query.language:
        found.append(Q.term_query(schema, "language", query.language))
    if query.story:
        found.append(Q.term_query(schema, "story_id", query.story))
    if query.since or query.until:
        found.append(Q.range_query(schema, "published_at", tantivy.FieldType.Date,
                                   _representable(query.since), _representable(query.until),
                                   include_lower=True, include_upper=query.until is None))
    return found


def _representable(value: datetime | None) -> datetime | None:
    """A date filter within what tantivy's dates can hold (1677-2262): no article lies beyond."""
    return None if value is None else min(max(value, tantivy.MIN_DATETIME), tantivy.MAX_DATETIME)
