"""Totals and facets of a result set: exact while that is cheap, else estimated from a fixed
share of the articles, scaled and marked approximate (as Elasticsearch's random_sampler, and its
track_total_hits, which counts exactly only up to a bound).

Every article has a `sample` value, a hash of its id in [0, SAMPLE_SPACE): the articles of a
query whose sample is below k are an even share k/SAMPLE_SPACE of its result set, and as a union
of k short posting lists they cost what the share holds. A `Share` is such a query for any k:
`query_share` for any query, `word_share` for a word alone. `Counter.counted` sizes a result
set on a small pilot share, then counts its total and facets in full or on a share sized for
`facet_sample` articles: the cost of neither grows with the matches.
"""
from __future__ import annotations

from typing import Callable

import tantivy

from index.analysis import rewrite_query
from index.query import SearchQuery
from index.tantivy.schema import DEFAULT_FIELDS, FACET_FIELDS, SAMPLE_SPACE, article_of, facet_values_of, value_id

# Facets of a result set larger than FACETS_EXACT_UP_TO are counted over the articles whose
# `sample` is below a bound chosen for about FACET_SAMPLE of them (docs/benchmarks.md: the cost of
# counting five facets per 1,000 articles). 2,000 puts a value the share names 20 times (the
# 20th place, typically) within about a fifth.
FACETS_EXACT_UP_TO = 10_000
FACET_SAMPLE = 2_000
PILOT_VALUES = 2  # the sample values (2 of 1024) that size a result set when its total is not known
FILTER_PILOT_VALUES = 64  # of queries other than a word alone (1/16)
PILOT_MARGIN = 3  # a pilot's estimate up to this many times totals_exact_up_to is counted exactly
SHARE_UNION_UP_TO = 64  # shares of up to this many sample values are unions of their posting lists
# Totals up to this many matches are exact (at least: see Counter.counted); larger ones are
# estimated from a share of the articles and marked approximate.
TOTALS_EXACT_UP_TO = 10_000
FACET_SIZE = 20
FACET_CANDIDATES = 40  # counted per facet, so that values tied at the 20th place are cut by name
REMEMBERED_VALUES = 100_000  # facet values known by their number (schema.value_id)

Share = Callable[[int], tantivy.Query]  # k -> the articles of a query whose sample is below k


def sample_below(schema: tantivy.Schema, share: int) -> tantivy.Query:
    """Sample values below `share`: a few as a union of their posting lists (a third cheaper
    beside a word's union of terms than the set query, which builds a bitset per segment),
    many as a set."""
    Q, Occur = tantivy.Query, tantivy.Occur
    if share > SHARE_UNION_UP_TO:
        return Q.term_set_query(schema, "sample", list(range(share)))
    return Q.boolean_query([(Occur.Should, Q.term_query(schema, "sample", v)) for v in range(share)])


def query_share(schema: tantivy.Schema, combined: tantivy.Query) -> Share:
    Q, Occur = tantivy.Query, tantivy.Occur
    return lambda share: Q.boolean_query([(Occur.Must, combined), (Occur.Must, sample_below(schema, share))])


def word_share(index: tantivy.Index, schema: tantivy.Schema, query: SearchQuery) -> Share:
    """For a word alone: the union over the default fields of (the word in the field and the
    share) — the same articles as the share of the word's union, whose seeks cost a pass over
    the union (several times slower for a common word: docs/benchmarks.md)."""
    rewritten = rewrite_query(query.q)
    by_field = [index.parse_query(rewritten, [name]) for name in DEFAULT_FIELDS]
    Q, Occur = tantivy.Query, tantivy.Occur

    def share_of(share: int) -> tantivy.Query:
        values = sample_below(schema, share)
        clauses = [(Occur.Must, Q.boolean_query([(Occur.Should, Q.boolean_query(
            [(Occur.Must, word), (Occur.Must, values)])) for word in by_field]))]
        if not query.include_duplicates:
            clauses.append((Occur.MustNot, Q.term_query(schema, "is_copy", 1)))
        return Q.boolean_query(clauses)
    return share_of


class Counter:
    def __init__(self, schema: tantivy.Schema, facets_exact_up_to: int = FACETS_EXACT_UP_TO,
                 facet_sample: int = FACET_SAMPLE, totals_exact_up_to: int = TOTALS_EXACT_UP_TO):
        self.schema = schema
        self.facets_exact_up_to, self.facet_sample = facets_exact_up_to, facet_sample
        self.totals_exact_up_to = totals_exact_up_to
        self._facet_values: dict[tuple[str, int], str] = {}  # (field, value_id) -> value

    def counted(self, searcher, combined: tantivy.Query, query: SearchQuery, total: int | None,
                with_facets: bool, needs_total: bool, word: Share | None = None) -> tuple[int, bool, dict | None, float]:
        """(total, whether it is an estimate, facet buckets, their scale) — engine calls only, so
        that the thread this runs on never waits for the GIL (the page's thread turns buckets
        into names with `facets`).

        With `total` unknown (a first page), a pilot share of the articles sizes the result set.
        When the page does not count (`needs_total`), the total is counted here while the pilot
        says up to PILOT_MARGIN times totals_exact_up_to (20 of 10,000 articles in the pilot
        share: it says 30,000 five times in 10^13) and estimated from a share above, as facets are
        counted from one. `word` is the share of a word alone (`word_share`)."""
        # A word's pilot is small, cheap and its facets are kept when it holds enough; other
        # queries (a filter's articles are cheap to intersect) take a larger pilot, whose
        # estimate only chooses between counting facets in full and on a share.
        pilot_values = PILOT_VALUES if word else FILTER_PILOT_VALUES
        share_of = word or query_share(self.schema, combined)
        approximate = False
        pilot = None
        if total is None:
            pilot = self.count(searcher, share_of(pilot_values),
                               query if with_facets and pilot_values == PILOT_VALUES else None)
            total = round(pilot[0] * SAMPLE_SPACE / pilot_values)
            if total <= PILOT_MARGIN * self.totals_exact_up_to:
                if needs_total:
                    total = self.count(searcher, combined, None)[0]
                if total <= self.facets_exact_up_to:
                    pilot = None  # facets counted in full
            else:
                approximate = needs_total
        if not with_facets or not query.facets:
            if approximate and pilot[0] < self.facet_sample // 2:  # sized more closely on a larger share
                share = self._sample_values(total)
                total = round(self.count(searcher, share_of(share), None)[0] * SAMPLE_SPACE / share)
            return total, approximate, None, 1.0
        if pilot is not None and (pilot[0] < self.facet_sample // 2 or pilot_values != PILOT_VALUES):
            # Too few articles of the pilot share for facets: a share sized for facet_sample,
            # which sizes the result set more closely too.
            share = self._sample_values(total)
            pilot = self.count(searcher, share_of(share), query)
            if approximate:
                total = round(pilot[0] * SAMPLE_SPACE / share)
            return total, approximate, pilot[1], SAMPLE_SPACE / share
        if pilot is not None:
            return total, approximate, pilot[1], SAMPLE_SPACE / pilot_values
        return (total, approximate, *self.facet_counts(searcher, combined, query, total, share_of))

    def count(self, searcher, scope: tantivy.Query, query: SearchQuery | None) -> tuple:
        """(articles of `scope`, their facet buckets when `query` asks for facets) in one
        aggregation, without scores (counting beside a ranking costs about twice as much)."""
        aggregation = {"copy": {"terms": {"field": "is_copy", "size": 2}}}
        if query is not None:
            aggregation.update(_facet_aggregation(query, sampled=True))
        buckets = searcher.aggregate(scope, aggregation)
        return sum(b["doc_count"] for b in buckets["copy"]["buckets"]), buckets

    def facet_counts(self, searcher, combined: tantivy.Query, query: SearchQuery, total: int,
                     share_of: Share) -> tuple[dict, float]:
        """(buckets, scale): exact up to facets_exact_up_to matches, else counted on a share of
        about facet_sample articles, to be scaled."""
        if total > self.facets_exact_up_to:
            share = self._sample_values(total)
            return searcher.aggregate(share_of(share), _facet_aggregation(query, sampled=True)), SAMPLE_SPACE / share
        return searcher.aggregate(combined, _facet_aggregation(query, sampled=False)), 1.0

    def facets(self, searcher, query: SearchQuery, buckets: dict | None, scale: float) -> tuple[dict, bool]:
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

    def _sample_values(self, total: int) -> int:
        """The sample values whose share holds about facet_sample of `total` articles."""
        return max(1, min(SAMPLE_SPACE, -(-SAMPLE_SPACE * self.facet_sample // max(total, 1))))

    def _facet_value(self, searcher, field: str, number: int) -> str | None:
        """The value a facet's number stands for: known from an earlier answer, else read from an
        article that has it (the values that reach facets are few; the memory is bounded)."""
        value = self._facet_values.get((field, number))
        if value is None:
            found = searcher.search(tantivy.Query.term_query(self.schema, f"{field}_id", number), 1).hits
            if not found:
                return None
            value = next((v for v in facet_values_of(article_of(searcher.doc(found[0][1])), field)
                          if value_id(v) == number), None)
            if value is not None:
                if len(self._facet_values) >= REMEMBERED_VALUES:
                    self._facet_values.clear()
                self._facet_values[(field, number)] = value
        return value


def _facet_aggregation(query: SearchQuery, sampled: bool) -> dict:
    # A sample's counts are estimates anyway: each segment offers fewer candidates (turning a
    # segment's top names back into text is much of a facet's cost on many segments).
    per_segment = {"segment_size": 2 * FACET_CANDIDATES} if sampled else {}
    return {name: {"terms": {"field": f"{FACET_FIELDS[name]}_id", "size": FACET_CANDIDATES, **per_segment}}
            for name in query.facets}
