"""The embedded backend: a tantivy index under the data dir.

One process owns the writer (the daemon, or `newswatch crawl`, guarded by the data-dir lock);
readers (`newswatch search`, the API of another process) open it read-only at any time.

The schema has a version (SCHEMA_VERSION, recorded beside the index). The writer upgrades an
index of an older version when it opens it: every article is read back (the article without its
text is stored as JSON, the text as a stored field) and written into a new index beside it, which
then replaces the old one.
"""
from __future__ import annotations

import json
import logging
import shutil
import zlib
from datetime import datetime
from pathlib import Path

import tantivy

from core.dates import parse_date
from core.article import ENTITY_TYPES, completed, without_text
from index.analysis import ANALYSERS, all_analysed_fields, analysed_field_values, query_terms, rewrite_query, snippet
from index.matching import topics_matching
from index.protocol import BackendUnavailable
from index.histogram import fine_interval, gather
from index.query import MAX_RESULT_WINDOW, EntitiesQuery, QueryError, SearchQuery, top_entities

logger = logging.getLogger(__name__)

# 1: newswatch 0.1. 2: `sort_key`, for paging by sort position. 3: `<field>_<language>` fields
# of the analysed languages (index.analysis: Korean morphemes).
SCHEMA_VERSION = 3
VERSION_FILE = "newswatch-schema-version"
I64_MIN = -(2 ** 63)

# q searches these when it names no field; the title counts double.
DEFAULT_FIELDS = ["title", "description", "text", "authors"] + all_analysed_fields()
FIELD_BOOSTS = {"title": 2.0, **{f"title_{language}": 2.0 for language in ANALYSERS}}
FACET_FIELDS = {"outlet": "outlet", "person": "person", "org": "org", "place": "place", "topic": "topics"}
DATE_FIELDS = ("published_at", "modified_at", "crawled_at")
SNIPPET_CHARS = 240
WRITER_HEAP = 64_000_000


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    # The article without its text, as JSON: what hits are built from.
    sb.add_bytes_field("source", stored=True, indexed=False)
    for name in ("title", "description", "text"):
        sb.add_text_field(name, stored=(name == "text"), tokenizer_name="en_stem")
    for name in all_analysed_fields():
        # The analyser's terms joined by spaces (index.analysis): white space is all that splits them.
        sb.add_text_field(name, tokenizer_name="whitespace")
    sb.add_text_field("authors", tokenizer_name="default")
    for name in ("outlet", "language", "tags", "topics", "story_id", "duplicate_of", "content_hash",
                 "url", "canonical_url", "entities_model"):
        sb.add_text_field(name, tokenizer_name="raw", fast=name in ("outlet", "language", "tags", "topics"))
    for kind in ENTITY_TYPES:
        # Canonical names for facets, and a lower-cased copy for case-insensitive filters.
        sb.add_text_field(kind, tokenizer_name="raw", fast=True)
        sb.add_text_field(f"{kind}_key", tokenizer_name="raw")
    for name in DATE_FIELDS:
        sb.add_date_field(name, indexed=True, fast=True)
    sb.add_integer_field("is_copy", indexed=True, fast=True)
    # Publication second and 20 bits of the id in one number: the order of sort=newest, unique
    # enough that "after this key" is where the next page starts.
    sb.add_integer_field("sort_key", indexed=True, fast=True)
    return sb.build()


def sort_key(article: dict) -> int:
    published = _as_datetime(article.get("published_at"))
    seconds = int(published.timestamp()) if published is not None else 0
    return (seconds << 20) | (zlib.crc32(article["id"].encode("utf-8")) & 0xFFFFF)


def _representable(value: datetime | None) -> datetime | None:
    """A date filter within what tantivy's dates can hold (1677-2262): no article lies beyond."""
    return None if value is None else min(max(value, tantivy.MIN_DATETIME), tantivy.MAX_DATETIME)


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_date(value)


def stored_version(path: Path) -> int | None:
    """The schema version of the index at `path`; None where there is no index yet."""
    if not (path / "meta.json").exists():
        return None
    try:
        return int((path / VERSION_FILE).read_text().strip())
    except FileNotFoundError:
        return 1  # newswatch 0.1 recorded no version
    except ValueError:
        return 0


class TantivyBackend:
    def __init__(self, path: Path, writable: bool = True):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise BackendUnavailable(f"{self.path} is not a directory")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._recover_upgrade()
        version = stored_version(self.path)
        if version is not None and version != SCHEMA_VERSION:
            if not writable:
                raise BackendUnavailable(f"the index in {self.path} is of an older newswatch (schema {version}); "
                                         "`newswatch run` or `newswatch crawl` upgrades it")
            self._upgrade(version)
        self.path.mkdir(exist_ok=True)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        if writable:
            (self.path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        self._writer = self.index.writer(WRITER_HEAP, 1) if writable else None

    # --- schema upgrades ---
    def _recover_upgrade(self) -> None:
        """A crash between the two renames of an upgrade left the new index beside no old one."""
        upgraded = self.path.with_name(self.path.name + ".upgrading")
        if not self.path.exists() and stored_version(upgraded) == SCHEMA_VERSION:
            upgraded.rename(self.path)
        elif upgraded.exists():
            shutil.rmtree(upgraded)

    def _upgrade(self, version: int) -> None:
        logger.info("upgrading the index in %s from schema %s to %s", self.path, version, SCHEMA_VERSION)
        old = tantivy.Index.open(str(self.path))
        searcher = old.searcher()
        target = self.path.with_name(self.path.name + ".upgrading")
        target.mkdir()
        new = tantivy.Index(build_schema(), path=str(target))
        writer = new.writer(WRITER_HEAP, 1)
        count = 0
        for _, address in searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs)).hits:
            writer.add_document(self._document(self._article(searcher.doc(address), with_text=True)))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        (target / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        retired = self.path.with_name(self.path.name + f".v{version}")
        self.path.rename(retired)
        target.rename(self.path)
        shutil.rmtree(retired)
        logger.info("upgraded %d articles", count)

    # --- writing ---
    def upsert(self, article: dict) -> None:
        if self._writer is None:
            raise RuntimeError("this index was opened read-only")
        self._writer.delete_documents_by_term("id", article["id"])
        self._writer.add_document(self._document(article))

    def delete(self, article_ids: list[str]) -> None:
        if self._writer is None:
            raise RuntimeError("this index was opened read-only")
        for article_id in article_ids:
            self._writer.delete_documents_by_term("id", article_id)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self.index.reload()

    def flush_backlog(self) -> int:
        return 0  # writes go straight to the local index: nothing ever waits

    def backlog(self) -> dict:
        return {}

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _document(self, article: dict) -> tantivy.Document:
        fields: dict = {
            "id": article["id"],
            "source": json.dumps(without_text(article), ensure_ascii=False).encode("utf-8"),
            "is_copy": 1 if article.get("duplicate_of") else 0,
            "sort_key": sort_key(article),
        }
        for name in ("title", "description", "text", "outlet", "language", "story_id", "duplicate_of",
                     "content_hash", "url", "canonical_url"):
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
        for name in DATE_FIELDS:
            value = _as_datetime(article.get(name))
            if value is not None:
                fields[name] = value
        return tantivy.Document(**fields)

    # --- reading ---
    def count(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    def get(self, article_id: str) -> dict | None:
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(tantivy.Query.term_query(self.schema, "id", article_id), 1)
        if not result.hits:
            return None
        return self._article(searcher.doc(result.hits[0][1]), with_text=True)

    def articles(self, start: int = 0, batch: int = 500):
        """Every article, whole, oldest crawled first, from position `start` (for copying out)."""
        self.index.reload()
        searcher = self.index.searcher()
        position = start
        while True:
            result = searcher.search(tantivy.Query.all_query(), batch, offset=position, order_by_field="crawled_at",
                                     order=tantivy.Order.Asc)
            if not result.hits:
                return
            for _, address in result.hits:
                position += 1
                yield position, self._article(searcher.doc(address), with_text=True)

    def _article(self, doc: tantivy.Document, with_text: bool = False) -> dict:
        values = doc.to_dict()
        article = completed(json.loads(bytes(values["source"][0]).decode("utf-8")))
        if with_text:
            article["text"] = (values.get("text") or [""])[0]
        return article

    def parse_text_query(self, q: str) -> tantivy.Query:
        try:
            return self.index.parse_query(rewrite_query(q), DEFAULT_FIELDS, field_boosts=FIELD_BOOSTS,
                                          conjunction_by_default=True)
        except ValueError as exc:
            raise QueryError("q", f"malformed query {q!r}: {exc}") from None

    def _filters(self, query: SearchQuery) -> list[tantivy.Query]:
        Q, schema = tantivy.Query, self.schema
        filters = []
        for kind, name in query.entities:
            filters.append(Q.term_query(schema, f"{kind}_key", name.lower()))
        if query.outlets:
            filters.append(Q.term_set_query(schema, "outlet", list(query.outlets)))
        if query.topics:
            filters.append(Q.term_set_query(schema, "topics", list(query.topics)))
        if query.language:
            filters.append(Q.term_query(schema, "language", query.language))
        if query.story:
            filters.append(Q.term_query(schema, "story_id", query.story))
        if query.since or query.until:
            filters.append(Q.range_query(schema, "published_at", tantivy.FieldType.Date,
                                         _representable(query.since), _representable(query.until),
                                         include_lower=True, include_upper=query.until is None))
        if not query.include_duplicates:
            filters.append(Q.term_query(schema, "is_copy", 0))
        return filters

    def entities(self, query: EntitiesQuery) -> list[dict]:
        clauses = [(tantivy.Occur.Must, f) for f in self._filters(query.as_search())]
        self.index.reload()
        buckets = self.index.searcher().aggregate(
            tantivy.Query.boolean_query(clauses),
            {kind: {"terms": {"field": kind, "size": ENTITY_BUCKETS}} for kind in query.kinds})
        return top_entities({kind: [(b["key"], b["doc_count"]) for b in buckets.get(kind, {}).get("buckets", [])]
                             for kind in query.kinds}, query)

    def match_topics(self, article: dict, topics: dict) -> list[str]:
        """The topics a new article matches, without the index (index.matching)."""
        return topics_matching(article, topics)

    def search(self, query: SearchQuery) -> dict:
        text_query = self.parse_text_query(query.q) if query.q else None
        clauses = [(tantivy.Occur.Must, f) for f in self._filters(query)]
        if text_query is not None:
            clauses.append((tantivy.Occur.Must, text_query))
        combined = tantivy.Query.boolean_query(clauses) if clauses else tantivy.Query.all_query()
        self.index.reload()
        searcher = self.index.searcher()
        after = query.after or {}
        hits: list[dict] = []
        next_page = None
        if query.effective_sort == "newest":
            # Paging by sort position: the next page is the hits after the last one's key, so a
            # deep page costs what the first does.
            page_query = combined
            if after.get("a"):
                page_query = tantivy.Query.boolean_query([(tantivy.Occur.Must, combined), (
                    tantivy.Occur.Must, tantivy.Query.range_query(self.schema, "sort_key", tantivy.FieldType.Integer,
                                                                  I64_MIN, int(after["a"][0]), include_lower=True,
                                                                  include_upper=False))])
            result = searcher.search(page_query, max(query.size, 1), order_by_field="sort_key",
                                     order=tantivy.Order.Desc)
            total = after.get("t", result.count)
            page = result.hits[:query.size]
            if query.size and result.count > len(page):
                next_page = {"a": [page[-1][0]], "t": total}
        else:
            offset = min(query.offset, MAX_RESULT_WINDOW)
            size = max(0, min(query.size, MAX_RESULT_WINDOW - offset))
            result = searcher.search(combined, max(size, 1), offset=offset)
            total = result.count
            page = result.hits[:size]
            end = offset + size
            if size and end < total and end < MAX_RESULT_WINDOW:
                next_page = {"o": end}
        snippets = None
        if text_query is not None and page:
            snippets = tantivy.SnippetGenerator.create(searcher, text_query, self.schema, "text")
            snippets.set_max_num_chars(SNIPPET_CHARS)
        analysed_terms = query_terms(query.q) if text_query is not None else []
        for _, address in page:
            doc = searcher.doc(address)
            article = self._article(doc)
            found = snippets.snippet_from_doc(doc).fragment().strip() if snippets else ""
            if not found and analysed_terms and article.get("language") in ANALYSERS:
                # The engine's snippets see the text's own tokens, not the analysed terms.
                found = snippet((doc.to_dict().get("text") or [""])[0], analysed_terms, SNIPPET_CHARS)
            article["snippet"] = found or _lead(article, doc)
            hits.append(article)
        facets = {name: [] for name in query.facets}
        if query.facets and total:
            aggregation = {name: {"terms": {"field": FACET_FIELDS[name], "size": 20}} for name in query.facets}
            buckets = searcher.aggregate(combined, aggregation)
            for name in query.facets:
                facets[name] = [{"value": b["key"], "count": b["doc_count"]}
                                for b in buckets.get(name, {}).get("buckets", [])]
        result = {"total": total, "hits": hits, "facets": facets, "next": next_page}
        if query.histogram:
            fine = searcher.aggregate(combined, {"published": {"date_histogram": {
                "field": "published_at", "fixed_interval": fine_interval(query.timezone), "min_doc_count": 1}}})
            result["histogram"] = gather(((b["key"], b["doc_count"]) for b in fine["published"]["buckets"]),
                                         query.histogram, query.timezone)
        return result


ENTITY_BUCKETS = 10_000  # names per type considered before the prefix and size cut


def _lead(article: dict, doc: tantivy.Document) -> str:
    """A snippet for hits found by filters alone: the description, else the opening of the text."""
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = (doc.to_dict().get("text") or [""])[0]
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text
