"""Autocomplete tables: every completion key of one entity type with its article count, in key
order, so a prefix is a contiguous range and its most frequent keys a partial sort of that range.

The embedded backend builds one per index generation from the term dictionary (as Elasticsearch
builds global ordinals after a refresh) and answers from the dictionary itself until then: the
walk costs the keys under the prefix (11,000 names for a one-digit prefix at a million articles:
~25 ms), the table a binary search and a partial sort in numpy (well under a millisecond).
"""
from __future__ import annotations

import bisect

import numpy as np

# Above every character a name can hold, so prefix + PAST ends the keys that start with prefix.
PAST = "\U0010ffff"


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
