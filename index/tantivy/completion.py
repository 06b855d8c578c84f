"""Entity lists and autocomplete on the embedded index.

Autocomplete tables: every completion key of one entity type with its article count, in key
order, so a prefix is a contiguous range and its most frequent keys a partial sort of that range.
`Completion` builds one per index generation from the term dictionary (as Elasticsearch builds
global ordinals after a refresh) and answers from the dictionary itself until then: the walk
costs the keys under the prefix (11,000 names for a one-digit prefix at a million articles:
~25 ms), the table a binary search and a partial sort in numpy (well under a millisecond).
"""
from __future__ import annotations

import bisect
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tantivy

from core.article import ENTITY_TYPES
from index.query import EntitiesQuery, SearchQuery, top_entities
from index.tantivy.schema import KEY_END, SAMPLE_SPACE, completion_keys, generation
from index.tantivy.translate import filters, scope

logger = logging.getLogger(__name__)

# Above every character a name can hold, so prefix + PAST ends the keys that start with prefix.
PAST = "\U0010ffff"
COMPLETION_KEYS_PER_NAME = 3
ENTITY_BUCKETS = 10_000  # names per type considered before the prefix and size cut
# An autocomplete table is built again at most once per this many times its last build took
# (the crawl commits often; the walk answers meanwhile): a tenth of a core at most.
COMPLETION_REBUILD_PAUSE = 10


class CompletionTable:
    def __init__(self, counted: list[tuple[str, int]]):
        counted = sorted(counted)
        self.keys = [key for key, _ in counted]
        self.counts = np.fromiter((count for _, count in counted), dtype=np.int64, count=len(counted))

    def __len__(self) -> int:
        return len(self.keys)

    def top(self, prefix: str, limit: int, ties: bool = False) -> list[tuple[str, int]]:
        """The `limit` most counted keys starting with `prefix`, ties in key order: what the term
        dictionary's walk (`Searcher.terms_with_prefix(..., limit=)`) answers; with `ties`, also
        every key counted as much as the last. Keys counted 0 are left out (the walk's callers
        drop them)."""
        start = bisect.bisect_left(self.keys, prefix)
        end = bisect.bisect_left(self.keys, prefix + PAST, start)
        counts = self.counts[start:end]
        if limit <= 0 or not len(counts):
            return []
        if len(counts) > limit:
            # Everything counted at least as much as the limit-th: ties at the cut stay in.
            least = np.partition(counts, len(counts) - limit)[len(counts) - limit]
            chosen = np.flatnonzero(counts >= max(least, 1))
        else:
            chosen = np.flatnonzero(counts > 0)
        # A stable sort on the count keeps equal counts in key order.
        chosen = chosen[np.argsort(-counts[chosen], kind="stable")]
        if not ties:
            chosen = chosen[:limit]
        return [(self.keys[start + i], int(counts[i])) for i in chosen]


class Completion:
    """`entities` of the embedded index: the most frequent names, and names by prefix."""

    def __init__(self, index: tantivy.Index, schema: tantivy.Schema, path: Path):
        self.index, self.schema, self.path = index, schema, path
        self.job: Future | None = None  # the last table build, running or done, for whoever must wait
        self._tables: tuple | None = None  # (index generation, {type: CompletionTable})
        self._next_build = 0.0  # time.monotonic() before which no table is built again
        self._deletions: tuple = (None, True)  # (index generation, whether it holds deleted articles)
        self._builder: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()  # the API's threads ask at once

    @property
    def built(self) -> dict[str, CompletionTable] | None:
        """The tables of the last build (of whichever generation)."""
        return self._tables[1] if self._tables is not None else None

    def pause_builds(self, paused: bool) -> None:
        """No new tables while paused (the walk answers): for measuring the walk."""
        self._next_build = float("inf") if paused else 0.0

    def close(self) -> None:
        if self._builder is not None:
            self._builder.shutdown(wait=True)
            self._builder = None

    def entities(self, query: EntitiesQuery) -> list[dict]:
        current = generation(self.path)  # before the reload: never newer than what is read
        self.index.reload()
        searcher = self.index.searcher()
        if query.prefix:
            return self.complete(searcher, query, current)
        listed = None if query.since or query.until else self.listed(searcher, query, current)
        return listed if listed is not None else self.by_aggregation(query, searcher)

    def listed(self, searcher, query: EntitiesQuery, current) -> list[dict] | None:
        """The most frequent names from the generation's autocomplete tables (None until they
        are built): every key counted at least as much as the last one taken, so names tied at
        the cut are all there for `top_entities` to order by name, as the aggregation's are."""
        if not query.size:
            return []
        live = tantivy.Query.all_query() if self._deleted(searcher, current) else None
        tables = self._tables_of(searcher, current, live)
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

    def by_aggregation(self, query: EntitiesQuery, searcher=None) -> list[dict]:
        """Counting the ENTITY_BUCKETS most frequent names of each type over every article: the
        top of the list, and, before issue 15, autocomplete (which missed the rarer names)."""
        searcher = searcher or self.index.searcher()
        buckets = searcher.aggregate(
            scope(self.schema, query.as_search()),
            {kind: {"terms": {"field": kind, "size": ENTITY_BUCKETS}} for kind in query.kinds})
        return top_entities({kind: [(b["key"], b["doc_count"]) for b in buckets.get(kind, {}).get("buckets", [])]
                             for kind in query.kinds}, query)

    def complete(self, searcher, query: EntitiesQuery, current) -> list[dict]:
        """Names by prefix from the term dictionary of `<type>_complete` (originals only): every
        name, however rare. The counts are taken against a filter — the dates, else every live
        article — because a term's document frequency still counts replaced and deleted articles
        until a merge. Without dates, from the generation's autocomplete tables once built (a
        binary search); before, or with dates, by walking the keys that start so."""
        if not query.size:
            return []
        prefix = " ".join(query.prefix.lower().replace(KEY_END, " ").split())
        dates = filters(self.schema, SearchQuery(since=query.since, until=query.until, include_duplicates=True))
        live = None
        if dates:
            live = tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in dates])
        elif self._deleted(searcher, current):
            live = tantivy.Query.all_query()
        # A name has a key per word: the most frequent keys, with room for a name found twice.
        # (Names tied at the cut are taken in their keys' order, not their own.)
        limit = COMPLETION_KEYS_PER_NAME * query.size
        tables = None if dates else self._tables_of(searcher, current, live)
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

    def _deleted(self, searcher, current) -> bool:
        """Whether some segment still holds deleted or replaced articles: every article has one
        `sample` term, whose document frequencies count those too until a merge drops them."""
        if current is None or self._deletions[0] != current:
            counted = sum(searcher.doc_freq("sample", value) for value in range(SAMPLE_SPACE))
            self._deletions = (current, counted != searcher.num_docs)
        return self._deletions[1]

    def _tables_of(self, searcher, current, live) -> dict[str, CompletionTable] | None:
        """This generation's autocomplete tables, or None while they are being built (started
        here, on a thread of its own, unless a build runs or the last one was too recent)."""
        if current is None:
            return None
        with self._lock:
            if self._tables is not None and self._tables[0] == current:
                return self._tables[1]
            building = self.job is not None and not self.job.done()
            if not building and time.monotonic() >= self._next_build:
                if self._builder is None:  # its own thread: a build must not hold searches' facets back
                    self._builder = ThreadPoolExecutor(1, thread_name_prefix="newswatch-autocomplete")
                self.job = self._builder.submit(self._build, searcher, current, live)
        return None

    def _build(self, searcher, current, live) -> None:
        started = time.monotonic()
        try:
            tables = {kind: CompletionTable(searcher.terms_with_prefix(f"{kind}_complete", "", filter_query=live))
                      for kind in ENTITY_TYPES}
        except Exception:
            logger.exception("building the autocomplete tables failed; the term dictionary answers")
            tables = None
        with self._lock:
            if tables is not None:
                self._tables = (current, tables)
            ended = time.monotonic()
            self._next_build = ended + COMPLETION_REBUILD_PAUSE * (ended - started)
        logger.debug("autocomplete tables: %d keys in %.0f ms", sum(map(len, (tables or {}).values())),
                     (ended - started) * 1000)
