"""The query model (index.query) as Elasticsearch requests, and Elasticsearch's answers as the
contract's shapes: pure functions, built with the client's DSL, that never call a cluster.

`analysed_here` names the languages whose twins newswatch analyses itself (a cluster without
the analysers: index.es.layout); their words in `q` are analysed here too."""
from __future__ import annotations

from elasticsearch.dsl import Search

from index.analysis import rewrite_query
from index.es.layout import LANGUAGE_ANALYZERS, TWIN_FIELDS, from_source
from index.query import EntitiesQuery, SearchQuery

QUERY_FIELDS = ["title^2", "description", "text", "authors.text", "outlet", "language", "tags", "url"] + \
    [f"{name}^2" if name.startswith("title_") else name for name in TWIN_FIELDS]
FACET_FIELDS = {"outlet": "outlet", "person": "entities.person", "org": "entities.org", "place": "entities.place",
                "topic": "topics"}
FACET_SIZE = 20
SNIPPET_CHARS = 240
PIT_KEEP_ALIVE = "5m"
ENTITY_BUCKETS = 10_000  # names per type considered before the prefix and size cut


def search_request(query: SearchQuery, alias: str, analysed_here: frozenset[str] = frozenset()) -> Search:
    """The one translation of the query model into Elasticsearch's query DSL."""
    search = Search()
    if query.q:
        # The cluster analyses each field's words itself; only a field prefix needs its twin.
        # (Except for twins analysed here: their words are analysed here too.)
        search = search.query("query_string", query=rewrite_query(query.q, analyse=bool(analysed_here)),
                              fields=QUERY_FIELDS, default_operator="AND")
    for kind, name in query.entities:
        search = search.filter("term", **{f"entities.{kind}.key": name.lower()})
    if query.outlets:
        search = search.filter("terms", outlet=list(query.outlets))
    if query.story:
        search = search.filter("term", story_id=query.story)
    if query.topics:
        search = search.filter("terms", topics=list(query.topics))
    if query.language:
        search = search.filter("term", language=query.language)
    if query.since or query.until:
        bounds = {}
        if query.since:
            bounds["gte"] = query.since.isoformat()
        if query.until:
            bounds["lt"] = query.until.isoformat()
        search = search.filter("range", published_at=bounds)
    if not query.include_duplicates:
        search = search.exclude("exists", field="duplicate_of")
    # `id` breaks ties so that search_after pages are stable.
    if query.effective_sort == "newest":
        search = search.sort({"published_at": "desc"}, {"id": "asc"})
    else:
        search = search.sort("_score", {"published_at": "desc"}, {"id": "asc"})
    for name in query.facets:
        search.aggs.bucket(name, "terms", field=FACET_FIELDS[name], size=FACET_SIZE)
    if query.histogram:
        search.aggs.bucket("published", "date_histogram", field="published_at", calendar_interval=query.histogram,
                           time_zone=query.timezone, min_doc_count=1, format="yyyy-MM-dd")
    search = search.source(excludes=["text", *TWIN_FIELDS]).highlight(
        "text", *(f"text_{language}" for language in LANGUAGE_ANALYZERS if language not in analysed_here),
        fragment_size=SNIPPET_CHARS, number_of_fragments=1, pre_tags=[""], post_tags=[""],
        no_match_size=SNIPPET_CHARS)
    search = search.extra(size=query.size, track_total_hits=True)
    after = query.after or {}
    if after.get("a") is not None:
        search = search.extra(search_after=after["a"])
    if after.get("p"):
        search = search.extra(pit={"id": after["p"], "keep_alive": PIT_KEEP_ALIVE})
    else:
        search = search.index(alias)
    return search


def entities_request(query: EntitiesQuery, alias: str, analysed_here: frozenset[str] = frozenset()) -> Search:
    """The names of the articles `query` covers, counted per type, without hits."""
    search = search_request(query.as_search(), alias, analysed_here).source(False).extra(size=0)
    include = {}
    if query.prefix:
        # Only the articles naming such a name (a prefix of the name or of one of its words,
        # on the lower-cased keys), and only those names counted: any name, however rare,
        # at the cost of the articles that name one (as the embedded backend's term dictionary).
        prefix = " ".join(query.prefix.lower().split())
        escaped = "".join("\\" + c if c in "*?\\" else c for c in prefix)
        spelled = [name for _, name in query.spelled]  # names found by another form (a Korean spelling)
        search = search.filter("bool", minimum_should_match=1, should=[
            clause for kind in query.kinds for clause in (
                {"prefix": {f"{FACET_FIELDS[kind]}.key": {"value": prefix}}},
                {"wildcard": {f"{FACET_FIELDS[kind]}.key": {"value": f"* {escaped}*"}}},
                *([{"terms": {FACET_FIELDS[kind]: spelled}}] if spelled else []))])
        include = {"include": "|".join([name_pattern(prefix), *map(exact_pattern, spelled)])}
    for kind in query.kinds:
        search.aggs.bucket(kind, "terms", field=FACET_FIELDS[kind], size=ENTITY_BUCKETS, **include)
    return search


def topic_query(topic, alias: str, analysed_here: frozenset[str] = frozenset()) -> dict:
    """A topic (crawler.config.topics.Topic) as the query of a percolator document: translated
    as `/search` with the topic's query, entities and outlets would be."""
    query = SearchQuery(q=topic.query, entities=topic.entities, outlets=topic.outlets, include_duplicates=True,
                        facets=(), size=0)
    return search_request(query, alias, analysed_here).to_dict().get("query", {"match_all": {}})


def name_pattern(prefix: str) -> str:
    """A terms aggregation's `include` (Lucene regular expression, whole term, no flags) for the
    names EntitiesQuery.matches accepts: the name or one of its words starts with the prefix, in
    any case."""
    literal = "".join(f"[{c.lower()}{c.upper()}]" if c.lower() != c.upper() else
                      (c if c.isalnum() or c == " " else "\\" + c) for c in prefix)
    return f"{literal}.*" if " " in prefix else f"({literal}|.* {literal}).*"


def exact_pattern(name: str) -> str:
    """`name` itself as a term's `include` alternative (Lucene regular expression)."""
    return "".join(c if c.isalnum() or c == " " else "\\" + c for c in name)


def hits_of(response, query: SearchQuery) -> list[dict]:
    """A response's hits as articles without text, each with its snippet: the highlighted
    fragment of a match, else the description, else the opening the highlighter gave."""
    hits = []
    for hit in response.hits:
        article = from_source(hit.to_dict())
        highlight = getattr(hit.meta, "highlight", None)
        fragments = getattr(highlight, f"text_{article.get('language')}", None) or getattr(highlight, "text", None)
        matched = bool(query.q) and fragments
        article["snippet"] = (fragments[0].strip() if matched else None) or \
            (article.get("description") or "")[:SNIPPET_CHARS] or (fragments[0].strip() if fragments else "")
        hits.append(article)
    return hits


def facets_of(response, query: SearchQuery) -> dict:
    facets = {}
    for name in query.facets:
        buckets = getattr(response.aggregations, name).buckets if "aggregations" in response else []
        facets[name] = [{"value": b.key, "count": b.doc_count} for b in buckets]
    return facets


def histogram_of(response) -> list[dict]:
    buckets = response.aggregations.published.buckets if "aggregations" in response else []
    return [{"value": b.key_as_string, "count": b.doc_count} for b in buckets]


def entity_buckets_of(response, query: EntitiesQuery) -> dict[str, list[tuple[str, int]]]:
    return {kind: [(b.key, b.doc_count) for b in getattr(response.aggregations, kind).buckets] for kind in query.kinds}
