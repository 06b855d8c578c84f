"""One search function behind the JSON API, the CLI's `--json` and the search page."""
from __future__ import annotations

from index.protocol import SearchBackend
from index.query import SearchQuery


def run_search(backend: SearchBackend, query: SearchQuery, cursors) -> dict:
    """`cursors` (index.cursors.Cursors) signs the position of the next page."""
    result = backend.search(query)
    answer = {
        "total": result["total"],
        # Estimated from a share of a very large result set (the embedded backend, by relevance).
        "total_approximate": result.get("total_approximate", False),
        "hits": result["hits"],
        "facets": result["facets"],
        # Counted over a share of a very large result set and scaled (the embedded backend).
        "facets_approximate": result.get("facets_approximate", False),
        "next_cursor": cursors.encode(query, result.get("next")),
    }
    if query.histogram:
        answer["histogram"] = result["histogram"]
    return answer
