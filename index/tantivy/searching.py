"""Searching the embedded index: a page of hits with snippets, its total, facets and histogram,
and where the next page starts."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tantivy

from index.analysis import ANALYSERS, query_terms, snippet
from index.histogram import fine_interval, gather
from index.query import MAX_RESULT_WINDOW, SearchQuery
from index.tantivy.counting import Counter, query_share, word_share
from index.tantivy.schema import article_of, generation
from index.tantivy.translate import filters, scope, text_query

SNIPPET_CHARS = 240
I64_MIN = -(2 ** 63)
ONE_WORD = re.compile(r"^\w[\w'’-]*$")  # a query of one word: a union of its terms in the default fields
ASIDE_THREADS = 2  # the counting (total, facets) and the histogram, beside the page
COPY_MARGIN = 8  # hits asked for beyond a relevance page, for the copies dropped from it
RANKED_TAKES = 4  # doublings of that take before copies are excluded by the query instead
REMEMBERED_WALKS = 64  # searches being paged whose facets are kept for their later pages


class ArticleSearch:
    def __init__(self, index: tantivy.Index, schema: tantivy.Schema, path: Path, counter: Counter):
        self.index, self.schema, self.path, self.counter = index, schema, path, counter
        self._threads: ThreadPoolExecutor | None = None
        self._remembered_facets: dict = {}  # (search, facets, index generation) -> the first page's facets
        self._lock = threading.Lock()  # the API's threads search at once

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None

    def search(self, query: SearchQuery) -> dict:
        words = text_query(self.index, query.q) if query.q else None
        combined = scope(self.schema, query, words)
        current = generation(self.path)  # before the reload: never newer than what is read
        self.index.reload()
        searcher = self.index.searcher()
        after = query.after or {}
        hits: list[dict] = []
        next_page = None
        # The result set is sized and its facets and histogram counted on threads of their own
        # while this one finds the page: tantivy releases the GIL, so on two cores they overlap.
        # A later page of a walk has the facets of its first page, counted on the same index.
        remembered_key = (query.fingerprint(), query.facets, current)
        with self._lock:
            remembered = self._remembered_facets.get(remembered_key) if after and remembered_key[2] else None
        # A word alone is ranked by the engine's block-max pruning, which counting beside the
        # ranking would defeat: its total is the counting thread's. Otherwise the page counts.
        pruned = query.effective_sort != "newest" and words is not None and not filters(self.schema, query) and \
            ONE_WORD.match(query.q.strip()) is not None
        word = word_share(self.index, self.schema, query) if pruned else None
        counting = self._aside().submit(self.counter.counted, searcher, combined, query, after.get("t"),
                                        not remembered, pruned, word)
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
                page = self._ranked(searcher, words, combined, offset + size, query.include_duplicates)[offset:]
                total = None
            else:
                result = searcher.search(combined, max(size, 1), offset=offset)
                total, total_approximate, page = result.count, False, result.hits[:size]
        hits = self._hits(searcher, query, words, page)
        if total is None:
            total, total_approximate = counting.result()[:2]
        if query.effective_sort != "newest":
            end = offset + size
            if size and end < total and end < MAX_RESULT_WINDOW:
                next_page = {"o": end}
        if remembered:
            facets, approximate = remembered
        else:
            facets, approximate = self.counter.facets(searcher, query, *counting.result()[2:])
            if approximate and total <= self.counter.facets_exact_up_to and not total_approximate:
                # The pilot's estimate was off: counted in full.
                counted = self.counter.facet_counts(searcher, combined, query, total,
                                                    query_share(self.schema, combined))
                facets, approximate = self.counter.facets(searcher, query, *counted)
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

    def _hits(self, searcher, query: SearchQuery, words: tantivy.Query | None, page: list) -> list[dict]:
        """The page's articles, each with a snippet."""
        snippets = None
        if words is not None and page:
            snippets = tantivy.SnippetGenerator.create(searcher, words, self.schema, "text")
            snippets.set_max_num_chars(SNIPPET_CHARS)
        analysed_terms = query_terms(query.q) if words is not None else []
        hits = []
        for _, address in page:
            doc = searcher.doc(address)
            article = article_of(doc)
            found = snippets.snippet_from_doc(doc).fragment().strip() if snippets else ""
            if not found and analysed_terms and article.get("language") in ANALYSERS:
                # The engine's snippets see the text's own tokens, not the analysed terms.
                found = snippet((doc.to_dict().get("text") or [""])[0], analysed_terms, SNIPPET_CHARS)
            article["snippet"] = found or _lead(article, doc)
            hits.append(article)
        return hits

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
        range filter "older than" costs as much again as the ranking; articles indexed since
        the first page may push the page down, so the take grows until it holds enough. Deeper,
        and for cursors of older versions, the range."""
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

    @staticmethod
    def _histogram(searcher, combined: tantivy.Query, query: SearchQuery) -> list[dict]:
        fine = searcher.aggregate(combined, {"published": {"date_histogram": {
            "field": "published_at", "fixed_interval": fine_interval(query.timezone), "min_doc_count": 1}}})
        return gather(((b["key"], b["doc_count"]) for b in fine["published"]["buckets"]), query.histogram,
                      query.timezone)


def _lead(article: dict, doc: tantivy.Document) -> str:
    """A snippet for hits found by filters alone: the description, else the opening of the text."""
    if article.get("description"):
        return article["description"][:SNIPPET_CHARS]
    text = (doc.to_dict().get("text") or [""])[0]
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(text) > SNIPPET_CHARS else text
