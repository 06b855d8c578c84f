"""The embedded backend: a tantivy index under the data dir.

One process owns the writer (the daemon, or `newswatch crawl`, guarded by the data-dir lock);
readers (`newswatch search`, the API of another process) open it read-only at any time.

The schema has a version (SCHEMA_VERSION, recorded beside the index). The writer upgrades an
index of an older version when it opens it: every article is read back (the article without its
text is stored as JSON, the text as a stored field) and written into a new index beside it, which
then replaces the old one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import tantivy

from core.dates import parse_date
from core.article import ENTITY_TYPES, completed, without_text
from index.completion import CompletionTable
from index.analysis import ANALYSERS, all_analysed_fields, analysed_field_values, query_terms, rewrite_query, snippet
from index.matching import topics_matching
from index.protocol import BackendUnavailable
from index.histogram import fine_interval, gather
from index.query import MAX_RESULT_WINDOW, EntitiesQuery, QueryError, SearchQuery, top_entities

logger = logging.getLogger(__name__)

# 1: newswatch 0.1. 2: `sort_key`, for paging by sort position. 3: `<field>_<language>` fields
# of the analysed languages (index.analysis: Korean morphemes). 4: `sample` (facets of huge result
# sets from a fixed share of the articles) and `<type>_complete` (autocomplete from the term
# dictionary). 5: `<facet field>_id`, the facet values as numbers. 6: `published_at_zone`.
SCHEMA_VERSION = 6
VERSION_FILE = "newswatch-schema-version"
I64_MIN = -(2 ** 63)

# q searches these when it names no field; the title counts double.
DEFAULT_FIELDS = ["title", "description", "text", "authors"] + all_analysed_fields()
FIELD_BOOSTS = {"title": 2.0, **{f"title_{language}": 2.0 for language in ANALYSERS}}
FACET_FIELDS = {"outlet": "outlet", "person": "person", "org": "org", "place": "place", "topic": "topics"}
DATE_FIELDS = ("published_at", "modified_at", "crawled_at")
SNIPPET_CHARS = 240
WRITER_HEAP = 64_000_000
# Facets of a result set larger than FACETS_EXACT_UP_TO are counted over the articles whose
# `sample` is below a bound chosen for about FACET_SAMPLE of them, scaled up and marked
# approximate (as Elasticsearch's random_sampler): their cost then stops growing with the matches.
# Counting five facets costs about 1.8 ms per 1,000 articles at a million (docs/benchmarks.md):
# 2,000 puts a value the share names 20 times (the 20th place, typically) within about a fifth.
SAMPLE_SPACE = 1024
FACETS_EXACT_UP_TO = 10_000
FACET_SAMPLE = 2_000
ONE_WORD = re.compile(r"^\w[\w'’-]*$")  # a query of one word: a union of its terms in the default fields
PILOT_VALUES = 2  # the sample values (2 of 1024) that size a result set when its total is not known
FILTER_PILOT_VALUES = 64  # of queries other than a word alone (1/16)
PILOT_MARGIN = 3  # a pilot's estimate up to this many times totals_exact_up_to is counted exactly
SHARE_UNION_UP_TO = 64  # shares of up to this many sample values are unions of their posting lists
# Totals up to this many matches are exact (at least: see TantivyBackend._counted); larger ones
# are estimated from a share of the articles and marked approximate, as Elasticsearch counts
# exactly only up to track_total_hits.
TOTALS_EXACT_UP_TO = 10_000
ASIDE_THREADS = 2  # the counting (total, facets) and the histogram, beside the page
COPY_MARGIN = 8  # hits asked for beyond a relevance page, for the copies dropped from it
RANKED_TAKES = 4  # doublings of that take before copies are excluded by the query instead
FACET_SIZE = 20
FACET_CANDIDATES = 40  # counted per facet, so that values tied at the 20th place are cut by name
REMEMBERED_VALUES = 100_000  # facet values known by their number (index.tantivy_backend.value_id)
REMEMBERED_WALKS = 64  # searches being paged whose facets are kept for their later pages
# An autocomplete table is built again at most once per this many times its last build took
# (the crawl commits often; the walk answers meanwhile): a tenth of a core at most.
COMPLETION_REBUILD_PAUSE = 10


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
                 "url", "canonical_url", "entities_model", "published_at_zone"):
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
    # A hash of the id in [0, SAMPLE_SPACE): "sample in 0..k-1" is a fixed, even share of any
    # result set, and as a union of k short posting lists it costs what the share holds.
    sb.add_integer_field("sample", indexed=True)
    for field in FACET_FIELDS.values():
        # Facet values as numbers (value_id): counting numbers costs a segment a fraction of
        # what counting text does, whose top values must be looked up in its dictionary.
        sb.add_integer_field(f"{field}_id", indexed=True, fast=True)
    for kind in ENTITY_TYPES:
        # Autocomplete keys of the article's names (completion_keys), in originals only: the term
        # dictionary is then a prefix index of every name with its number of articles.
        sb.add_text_field(f"{kind}_complete", tokenizer_name="raw")
    return sb.build()


def completion_keys(name: str) -> list[str]:
    """"Volodymyr Zelensky" -> "volodymyr zelensky\x1fVolodymyr Zelensky", "zelensky\x1f…":
    the lower-cased name and each of its later words, each followed by the name itself, so a
    prefix of the name or of one of its words finds it (EntitiesQuery.matches)."""
    lowered = name.lower()
    words = lowered.split()
    return [f"{key}{KEY_END}{name}" for key in dict.fromkeys([lowered, *words[1:]])]


def value_id(value: str) -> int:
    """53 bits of a hash of a facet value: aggregation results carry numbers as doubles."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big") >> 11


KEY_END = "\x1f"
COMPLETION_KEYS_PER_NAME = 3


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
    def __init__(self, path: Path, writable: bool = True, facets_exact_up_to: int = FACETS_EXACT_UP_TO,
                 facet_sample: int = FACET_SAMPLE, totals_exact_up_to: int = TOTALS_EXACT_UP_TO):
        self.path = Path(path)
        self.facets_exact_up_to, self.facet_sample = facets_exact_up_to, facet_sample
        self.totals_exact_up_to = totals_exact_up_to
        self._threads: ThreadPoolExecutor | None = None
        self._builder: ThreadPoolExecutor | None = None
        self._deletions: tuple = (None, True)  # (index generation, whether it holds deleted articles)
        self._remembered_facets: dict = {}  # (search, facets, index generation) -> the first page's facets
        self._facet_values: dict[tuple[str, int], str] = {}  # (field, value_id) -> value
        self._completion: tuple | None = None  # (index generation, {type: CompletionTable})
        self.completion_job = None  # the last table built or being built (a Future), for whoever must wait
        self._completion_next = 0.0  # time.monotonic() before which no table is built again
        self._lock = threading.Lock()
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
        for pool in (self._threads, self._builder):
            if pool is not None:
                pool.shutdown(wait=True)
        self._threads = self._builder = None
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _document(self, article: dict) -> tantivy.Document:
        fields: dict = {
            "id": article["id"],
            "source": json.dumps(without_text(article), ensure_ascii=False).encode("utf-8"),
            "is_copy": 1 if article.get("duplicate_of") else 0,
            "sort_key": sort_key(article),
            "sample": zlib.crc32(article["id"].encode("utf-8")) % SAMPLE_SPACE,
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
            value = _as_datetime(article.get(name))
            if value is not None:
                fields[name] = value
        for field in FACET_FIELDS.values():
            values = _facet_values_of(article, field)
            if values:
                fields[f"{field}_id"] = [value_id(v) for v in values]
        return tantivy.Document(**fields)

    def _facet_value(self, searcher, field: str, number: int) -> str | None:
        """The value a facet's number stands for: known from an earlier answer, else read from an
        article that has it (the values that reach facets are few; the memory is bounded)."""
        value = self._facet_values.get((field, number))
        if value is None:
            found = searcher.search(tantivy.Query.term_query(self.schema, f"{field}_id", number), 1).hits
            if not found:
                return None
            value = next((v for v in _facet_values_of(self._article(searcher.doc(found[0][1])), field)
                          if value_id(v) == number), None)
            if value is not None:
                if len(self._facet_values) >= REMEMBERED_VALUES:
                    self._facet_values.clear()
                self._facet_values[(field, number)] = value
        return value

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

    def _scope(self, query: SearchQuery, text_query: tantivy.Query | None = None) -> tantivy.Query:
        """The query's filters and words, copies left out unless asked for: excluded (MustNot
        is_copy:1, a tenth of the articles), which costs half of requiring is_copy:0 of each match."""
        clauses = [(tantivy.Occur.Must, f) for f in self._filters(query)]
        if text_query is not None:
            clauses.append((tantivy.Occur.Must, text_query))
        if not clauses:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        if not query.include_duplicates:
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "is_copy", 1)))
        return tantivy.Query.boolean_query(clauses)

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
        return filters

    def entities(self, query: EntitiesQuery) -> list[dict]:
        generation = self._generation()  # before the reload: never newer than what is read
        self.index.reload()
        searcher = self.index.searcher()
        if query.prefix:
            return self._complete(searcher, query, generation)
        listed = None if query.since or query.until else self._listed(searcher, query, generation)
        return listed if listed is not None else self.entities_by_aggregation(query, searcher)

    def _listed(self, searcher, query: EntitiesQuery, generation) -> list[dict] | None:
        """The most frequent names from the generation's autocomplete tables (None until they
        are built): every key counted at least as much as the last one taken, so names tied at
        the cut are all there for `top_entities` to order by name, as the aggregation's are."""
        if not query.size:
            return []
        live = tantivy.Query.all_query() if self._deleted(searcher, generation) else None
        tables = self._completion_tables(searcher, generation, live)
        if tables is None:
            return None
        buckets = {}
        for kind in query.kinds:
            limit = COMPLETION_KEYS_PER_NAME * query.size
            while True:
                found = tables[kind].top("", limit, ties=True)
                counts = {term.partition(KEY_END)[2]: count for term, count in found}
                counts.pop("", None)
                # A name has a key per word: with long names the keys taken may hold too few.
                if len(counts) >= query.size or limit >= len(tables[kind]):
                    break
                limit *= 4
            buckets[kind] = list(counts.items())
        return top_entities(buckets, query)

    def entities_by_aggregation(self, query: EntitiesQuery, searcher=None) -> list[dict]:
        """Counting the ENTITY_BUCKETS most frequent names of each type over every article: the
        top of the list, and, before issue 15, autocomplete (which missed the rarer names)."""
        searcher = searcher or self.index.searcher()
        buckets = searcher.aggregate(
            self._scope(query.as_search()),
            {kind: {"terms": {"field": kind, "size": ENTITY_BUCKETS}} for kind in query.kinds})
        return top_entities({kind: [(b["key"], b["doc_count"]) for b in buckets.get(kind, {}).get("buckets", [])]
                             for kind in query.kinds}, query)

    def _complete(self, searcher, query: EntitiesQuery, generation) -> list[dict]:
        """Names by prefix from the term dictionary of `<type>_complete` (originals only): every
        name, however rare. The counts are taken against a filter — the dates, else every live
        article — because a term's document frequency still counts replaced and deleted articles
        until a merge. Without dates, from the generation's autocomplete tables once built (a
        binary search); before, or with dates, by walking the keys that start so."""
        if not query.size:
            return []
        prefix = " ".join(query.prefix.lower().replace(KEY_END, " ").split())
        dates = self._filters(SearchQuery(since=query.since, until=query.until, include_duplicates=True))
        live = None
        if dates:
            live = tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in dates])
        elif self._deleted(searcher, generation):
            live = tantivy.Query.all_query()
        # A name has a key per word: the most frequent keys, with room for a name found twice.
        # (Names tied at the cut are taken in their keys' order, not their own.)
        limit = COMPLETION_KEYS_PER_NAME * query.size
        tables = None if dates else self._completion_tables(searcher, generation, live)
        buckets = {}
        for kind in query.kinds:
            if tables is not None:
                found = tables[kind].top(prefix, limit)
            else:
                found = searcher.terms_with_prefix(f"{kind}_complete", prefix, filter_query=live, limit=limit)
            for canonical in (name for spelled_kind, name in query.spelled if spelled_kind == kind):
                # A name found by another form of it: its own key, looked up whole.
                key = completion_keys(canonical)[0]
                exact = tables[kind].top(key, 1) if tables is not None else \
                    searcher.terms_with_prefix(f"{kind}_complete", key, filter_query=live, limit=1)
                found += [(term, count) for term, count in exact if term == key]
            counts: dict[str, int] = {}
            for term, count in found:
                name = term.partition(KEY_END)[2]
                if count and name:
                    counts[name] = count  # each key of one name counts the same articles
            buckets[kind] = list(counts.items())
        return top_entities(buckets, query)

    def _completion_tables(self, searcher, generation, live) -> dict[str, CompletionTable] | None:
        """This generation's autocomplete tables, or None while they are being built (started
        here, on a thread of its own, unless a build runs or the last one was too recent)."""
        if generation is None:
            return None
        with self._lock:
            if self._completion is not None and self._completion[0] == generation:
                return self._completion[1]
            building = self.completion_job is not None and not self.completion_job.done()
            if not building and time.monotonic() >= self._completion_next:
                if self._builder is None:  # its own thread: a build must not hold searches' facets back
                    self._builder = ThreadPoolExecutor(1, thread_name_prefix="newswatch-autocomplete")
                self.completion_job = self._builder.submit(self._build_completion, searcher, generation, live)
        return None

    def _build_completion(self, searcher, generation, live) -> None:
        started = time.monotonic()
        try:
            tables = {kind: CompletionTable(searcher.terms_with_prefix(f"{kind}_complete", "", filter_query=live))
                      for kind in ENTITY_TYPES}
        except Exception:
            logger.exception("building the autocomplete tables failed; the term dictionary answers")
            tables = None
        with self._lock:
            if tables is not None:
                self._completion = (generation, tables)
            ended = time.monotonic()
            self._completion_next = ended + COMPLETION_REBUILD_PAUSE * (ended - started)
        logger.debug("autocomplete tables: %d keys in %.0f ms", sum(map(len, (tables or {}).values())),
                     (ended - started) * 1000)

    def match_topics(self, article: dict, topics: dict) -> list[str]:
        """The topics a new article matches, without the index (index.matching)."""
        return topics_matching(article, topics)

    def search(self, query: SearchQuery) -> dict:
        text_query = self.parse_text_query(query.q) if query.q else None
        combined = self._scope(query, text_query)
        generation = self._generation()  # before the reload: never newer than what is read
        self.index.reload()
        searcher = self.index.searcher()
        after = query.after or {}
        hits: list[dict] = []
        next_page = None
        # The result set is sized and its facets and histogram counted on threads of their own
        # while this one finds the page: tantivy releases the GIL, so on two cores they overlap.
        # A later page of a walk has the facets of its first page, counted on the same index.
        remembered_key = (query.fingerprint(), query.facets, generation)
        with self._lock:
            remembered = self._remembered_facets.get(remembered_key) if after and remembered_key[2] else None
        # A word alone is ranked by the engine's block-max pruning, which counting beside the
        # ranking would defeat: its total is the counting thread's. Otherwise the page counts.
        pruned = query.effective_sort != "newest" and text_query is not None and not self._filters(query) and \
            ONE_WORD.match(query.q.strip()) is not None
        share_of = self._word_share(query) if pruned else None
        counting = self._aside().submit(self._counted, searcher, combined, query, after.get("t"), not remembered,
                                        pruned, share_of)
        histogram_job = self._aside().submit(self._histogram, searcher, combined, query) if query.histogram else None
        if query.effective_sort == "newest":
            # Paging by sort position: the next page is the hits after the last one's key, so
            # what was indexed meanwhile neither repeats nor skips a hit.
            found, count = self._newest_after(searcher, combined, after, query.size + 1)
            # A later page knows the total from the first; one more hit than the page says if
            # there is a next.
            total, total_approximate = (after["t"] if "t" in after else count), False
            page = found[:query.size]
            if query.size and len(found) > len(page):
                next_page = {"a": [page[-1][0]], "t": total, "n": int(after.get("n", 0)) + len(page)}
        else:
            offset = min(query.offset, MAX_RESULT_WINDOW)
            size = max(0, min(query.size, MAX_RESULT_WINDOW - offset))
            if pruned:
                # Ranked on the word's own query (copies dropped from the hits by their `is_copy`
                # value, as MustNot would keep it from pruning), without counting; the total is
                # taken once the page's articles are read.
                page = self._ranked(searcher, text_query, combined, offset + size, query.include_duplicates)[offset:]
                total = None
            else:
                result = searcher.search(combined, max(size, 1), offset=offset)
                total, total_approximate, page = result.count, False, result.hits[:size]
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
        if total is None:
            total, total_approximate = counting.result()[:2]
        if query.effective_sort != "newest":
            end = offset + size
            if size and end < total and end < MAX_RESULT_WINDOW:
                next_page = {"o": end}
        if remembered:
            facets, approximate = remembered
        else:
            facets, approximate = self._facets(searcher, query, *counting.result()[2:])
            if approximate and total <= self.facets_exact_up_to and not total_approximate:
                # The pilot's estimate was off: counted in full.
                counted = self._facet_counts(searcher, combined, query, total)
                facets, approximate = self._facets(searcher, query, *counted)
            if next_page is not None and remembered_key[2]:
                with self._lock:
                    self._remembered_facets[remembered_key] = (facets, approximate)
                    while len(self._remembered_facets) > REMEMBERED_WALKS:
                        self._remembered_facets.pop(next(iter(self._remembered_facets)))
        result = {"total": total, "total_approximate": total_approximate, "hits": hits, "facets": facets,
                  "facets_approximate": approximate, "next": next_page}
        if histogram_job is not None:
            result["histogram"] = histogram_job.result()
        return result

    def _ranked(self, searcher, with_copies: tantivy.Query, combined: tantivy.Query, wanted: int,
                include_copies: bool) -> list:
        """The `wanted` best hits of `combined`, found among the best of `with_copies` (the same
        query, copies not excluded) less the copies; ties keep the engine's order (the earlier
        article first) either way. Copies of one story can crowd the top: the take doubles, and
        past RANKED_TAKES the excluding query is ranked instead."""
        if not wanted:
            return []
        take = wanted + max(COPY_MARGIN, wanted // 4)
        for _ in range(RANKED_TAKES):
            hits = searcher.search(with_copies, take, count=False).hits
            if include_copies:
                return hits[:wanted]
            copies = searcher.fast_field_values("is_copy", [address for _, address in hits])
            originals = [hit for hit, copy in zip(hits, copies) if not copy]
            if len(originals) >= wanted or len(hits) < take:
                return originals[:wanted]
            take *= 2
        return searcher.search(combined, wanted, count=False).hits

    def _newest_after(self, searcher, combined: tantivy.Query, after: dict, wanted: int) -> tuple[list, int | None]:
        """(hits, their count on a first page) — the `wanted` newest hits older than the cursor's last hit. Within the first
        MAX_RESULT_WINDOW hits, the newest (served + wanted) are taken and those not older than
        the last hit dropped — ranking by a fast field costs the same for 40 as for 400, while a
        range filter "older than" costs as much again as the ranking (27 of 34 ms on a page of a
        word in 744k articles); articles indexed since the first page may push the page down, so
        the take grows until it holds enough. Deeper, and for cursors of older versions, the range."""
        if not after.get("a"):
            first = searcher.search(combined, wanted, count="t" not in after, order_by_field="sort_key",
                                    order=tantivy.Order.Desc)
            return first.hits, first.count
        last = int(after["a"][0])
        take = int(after["n"]) + wanted if "n" in after else None
        while take is not None and take <= MAX_RESULT_WINDOW:
            ranked = searcher.search(combined, take, count=False, order_by_field="sort_key", order=tantivy.Order.Desc)
            older = [hit for hit in ranked.hits if hit[0] < last]
            if len(older) >= wanted or len(ranked.hits) < take:
                return older[:wanted], None
            take *= 2
        older_query = tantivy.Query.boolean_query([(tantivy.Occur.Must, combined), (
            tantivy.Occur.Must, tantivy.Query.range_query(self.schema, "sort_key", tantivy.FieldType.Integer, I64_MIN,
                                                          last, include_lower=True, include_upper=False))])
        return searcher.search(older_query, wanted, count=False, order_by_field="sort_key",
                               order=tantivy.Order.Desc).hits, None

    def _aside(self) -> ThreadPoolExecutor:
        with self._lock:  # the API's threads search at once
            if self._threads is None:
                self._threads = ThreadPoolExecutor(ASIDE_THREADS, thread_name_prefix="newswatch-facets")
            return self._threads

    def _histogram(self, searcher, combined: tantivy.Query, query: SearchQuery) -> list[dict]:
        fine = searcher.aggregate(combined, {"published": {"date_histogram": {
            "field": "published_at", "fixed_interval": fine_interval(query.timezone), "min_doc_count": 1}}})
        return gather(((b["key"], b["doc_count"]) for b in fine["published"]["buckets"]), query.histogram,
                      query.timezone)

    def _counted(self, searcher, combined: tantivy.Query, query: SearchQuery, total: int | None,
                 with_facets: bool, needs_total: bool, share_of=None) -> tuple[int, bool, dict | None, float]:
        """(total, whether it is an estimate, facet buckets, their scale) — engine calls only, so
        that this thread never waits for the GIL (the page's thread turns buckets into names).

        With `total` unknown (a first page), a pilot share of the articles sizes the result set.
        When the page does not count (`needs_total`), the total is counted here while the pilot
        says up to PILOT_MARGIN times totals_exact_up_to (20 of 10,000 articles in the pilot
        share: it says 30,000 five times in 10^13) and estimated from a share above, as facets are
        counted from one: the cost of neither grows with the matches. `share_of(k)` is the
        query's share of k sample values."""
        # A word's pilot is small, cheap and its facets are kept when it holds enough; other
        # queries (a filter's articles are cheap to intersect) take a larger pilot, whose
        # estimate only chooses between counting facets in full and on a share.
        pilot_values = PILOT_VALUES if share_of else FILTER_PILOT_VALUES
        share_of = share_of or (lambda share: self._share(combined, share))
        approximate = False
        pilot = None
        if total is None:
            pilot = self._counts(searcher, share_of(pilot_values),
                                       query if with_facets and pilot_values == PILOT_VALUES else None)
            total = round(pilot[0] * SAMPLE_SPACE / pilot_values)
            if total <= PILOT_MARGIN * self.totals_exact_up_to:
                if needs_total:
                    total = self._counts(searcher, combined, None)[0]
                if total <= self.facets_exact_up_to:
                    pilot = None  # facets counted in full
            else:
                approximate = needs_total
        if not with_facets or not query.facets:
            if approximate and pilot[0] < self.facet_sample // 2:  # sized more closely on a larger share
                share = self._sample_values(total)
                total = round(self._counts(searcher, share_of(share), None)[0] * SAMPLE_SPACE / share)
            return total, approximate, None, 1.0
        if pilot is not None and (pilot[0] < self.facet_sample // 2 or pilot_values != PILOT_VALUES):
            # Too few articles of the pilot share for facets: a share sized for facet_sample,
            # which sizes the result set more closely too.
            share = self._sample_values(total)
            pilot = self._counts(searcher, share_of(share), query)
            if approximate:
                total = round(pilot[0] * SAMPLE_SPACE / share)
            return total, approximate, pilot[1], SAMPLE_SPACE / share
        if pilot is not None:
            return total, approximate, pilot[1], SAMPLE_SPACE / pilot_values
        return (total, approximate, *self._facet_counts(searcher, combined, query, total, share_of))

    def _counts(self, searcher, scope: tantivy.Query, query: SearchQuery | None) -> tuple:
        """(articles of `scope`, their facet buckets when `query` asks for facets) in one
        aggregation, without scores (counting beside a ranking costs about twice as much)."""
        aggregation = {"copy": {"terms": {"field": "is_copy", "size": 2}}}
        if query is not None:
            aggregation.update(self._facet_aggregation(query, sampled=True))
        buckets = searcher.aggregate(scope, aggregation)
        return sum(b["doc_count"] for b in buckets["copy"]["buckets"]), buckets

    def _sample_values(self, total: int) -> int:
        return max(1, min(SAMPLE_SPACE, -(-SAMPLE_SPACE * self.facet_sample // max(total, 1))))

    @staticmethod
    def _facet_aggregation(query: SearchQuery, sampled: bool) -> dict:
        # A sample's counts are estimates anyway: each segment offers fewer candidates (turning a
        # segment's top names back into text is much of a facet's cost on many segments).
        per_segment = {"segment_size": 2 * FACET_CANDIDATES} if sampled else {}
        return {name: {"terms": {"field": f"{FACET_FIELDS[name]}_id", "size": FACET_CANDIDATES, **per_segment}}
                for name in query.facets}

    def _facet_counts(self, searcher, combined: tantivy.Query, query: SearchQuery, total: int,
                      share_of=None) -> tuple[dict, float]:
        """(buckets, scale): exact up to facets_exact_up_to matches, else counted on a share of
        about facet_sample articles, to be scaled."""
        if total > self.facets_exact_up_to:
            share = self._sample_values(total)
            shared = share_of(share) if share_of else self._share(combined, share)
            return (searcher.aggregate(shared, self._facet_aggregation(query, sampled=True)),
                    SAMPLE_SPACE / share)
        return searcher.aggregate(combined, self._facet_aggregation(query, sampled=False)), 1.0

    def _facets(self, searcher, query: SearchQuery, buckets: dict | None, scale: float) -> tuple[dict, bool]:
        """Facet buckets as names and counts, scaled when counted on a share."""
        facets = {name: [] for name in query.facets}
        for name in query.facets if buckets is not None else ():
            field = FACET_FIELDS[name]
            candidates = buckets.get(name, {}).get("buckets", [])  # largest first
            # Only values that can make the first FACET_SIZE are looked up (ties at the last place
            # included); ties go in the order of the values, as text facets came, whatever the
            # numbers' order.
            least = candidates[FACET_SIZE - 1]["doc_count"] if len(candidates) >= FACET_SIZE else 0
            counted = [(self._facet_value(searcher, field, int(b["key"])), b["doc_count"])
                       for b in candidates if b["doc_count"] >= least]
            counted = sorted((pair for pair in counted if pair[0] is not None), key=lambda pair: (-pair[1], pair[0]))
            facets[name] = [{"value": value, "count": round(count * scale)} for value, count in counted[:FACET_SIZE]]
        return facets, scale != 1.0

    def _generation(self) -> bytes | None:
        """Changes with every commit or merge (each rewrites meta.json, with a new opstamp or a
        new list of segments). Its content, not its stat: two quick commits can leave a file of
        the same size and time on a reused inode."""
        try:
            return hashlib.blake2b((self.path / "meta.json").read_bytes(), digest_size=16).digest()
        except FileNotFoundError:
            return None

    def _deleted(self, searcher, generation) -> bool:
        """Whether some segment still holds deleted or replaced articles: every article has one
        `sample` term, whose document frequencies count those too until a merge drops them."""
        if generation is None or self._deletions[0] != generation:
            counted = sum(searcher.doc_freq("sample", value) for value in range(SAMPLE_SPACE))
            self._deletions = (generation, counted != searcher.num_docs)
        return self._deletions[1]

    def _word_share(self, query: SearchQuery):
        """For a word alone: its share of k sample values as the union over the default fields of
        (the word in the field and the share) — the same articles as the share of the word's
        union, whose seeks cost a pass over the union (0.8 against 3.5 ms for "the" at 1M)."""
        rewritten = rewrite_query(query.q)
        by_field = [self.index.parse_query(rewritten, [name]) for name in DEFAULT_FIELDS]
        Q, Occur = tantivy.Query, tantivy.Occur

        def share_of(share: int) -> tantivy.Query:
            values = self._share_values(share)
            clauses = [(Occur.Must, Q.boolean_query([(Occur.Should, Q.boolean_query(
                [(Occur.Must, word), (Occur.Must, values)])) for word in by_field]))]
            if not query.include_duplicates:
                clauses.append((Occur.MustNot, Q.term_query(self.schema, "is_copy", 1)))
            return Q.boolean_query(clauses)
        return share_of

    def _share_values(self, share: int) -> tantivy.Query:
        """Sample values below `share`: a few as a union of their posting lists (a third cheaper
        beside a word's union of terms than the set query, which builds a bitset per segment),
        many as a set."""
        Q, Occur = tantivy.Query, tantivy.Occur
        if share > SHARE_UNION_UP_TO:
            return Q.term_set_query(self.schema, "sample", list(range(share)))
        return Q.boolean_query([(Occur.Should, Q.term_query(self.schema, "sample", v)) for v in range(share)])

    def _share(self, combined: tantivy.Query, share: int) -> tantivy.Query:
        """The articles of `combined` whose sample is below `share` (of SAMPLE_SPACE)."""
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, combined),
                                            (tantivy.Occur.Must, self._share_values(share))])


ENTITY_BUCKETS = 10_000  # names per type considered before the prefix and size cut


def _facet_values_of(article: dict, field: str) -> list[str]:
    if field in ENTITY_TYPES:
        return list((article.get("entities") or {}).get(field) or [])
    value = article.get(field)
    return [value] if isinstance(value, str) and value else list(value or [])


def _lead(article: dict, doc: tantivy.Document) -> str:
    """A snippet for hits found by filters alone: the description, else the opening of the text."""
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = (doc.to_dict().get("text") or [""])[0]
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text
