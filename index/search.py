"""One search function behind the JSON API, the CLI's `--json` and the search page."""
from __future__ import annotations

from index.protocol import SearchBackend
from index.query import SearchQuery


def run_search(backend: SearchBackend, query: SearchQuery) -> dict:
    result = backend.search(query)
    return {
        "total": result["total"],
        "hits": result["hits"],
        "facets": result["facets"],
        "next_cursor": query.cursor(result.get("next")),
    }
