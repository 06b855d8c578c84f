"""The one interface the crawler and the API use to reach an index."""
from __future__ import annotations

from typing import Protocol

from index.query import EntitiesQuery, SearchQuery


class BackendUnavailable(RuntimeError):
    """The index cannot be reached now (the API answers 503)."""


class SearchBackend(Protocol):
    """An article index.

    Contract, for every implementation:
    - `upsert` adds or replaces the article with the same `id` (a full article dict of
      `core.article.ARTICLE_FIELDS`); nothing is visible to `search`/`get` before `commit`.
    - `commit` makes every upsert so far durable and visible; after it returns, a crash loses
      none of them. The crawl state marks articles known only after it.
    - `search` answers a `SearchQuery` with `{"total", "hits", "facets", "next"}`: hits are
      articles without `text`, plus `snippet`, in the query's order; `total` counts every match
      (copies left out unless the query includes them; a backend that estimated the total of a
      result set larger than 10,000 from a share adds `"total_approximate": True`); `facets`
      maps each facet name of the query to `[{"value", "count"}]`, largest first (a backend that counted them over a share of
      a large result set and scaled them adds `"facets_approximate": True`); `next` is a small
      JSON-able dict telling the same backend where the next page starts (it comes back as
      `query.after`), or None on the last page. A query the backend cannot parse raises
      `index.query.QueryError` naming parameter `q`.
    - `entities` answers an `EntitiesQuery` with `[{"type", "name", "count"}]` (articles per
      canonical name, copies left out), most frequent first.
    - `match_topics` says which topics (crawler.config.topics.Topic by key) a new article
      matches, as `/search` would with the topic's query, entities and outlets.
    - `delete` removes articles by id (visible after `commit`); `articles()` yields
      (position, whole article) for every article held.
    - `get` returns the whole article, or None; on a remote index, one still waiting to be
      written is returned as it will be.
    - `count` is the number of articles held.
    - `flush_backlog` retries writes that could not be made yet (a remote index that was down);
      `backlog` describes what is waiting, for `/health` (empty when nothing can wait).
    - `reduced_mode` lists, one line each, what this index cannot do that a full one can (a
      cluster without some optional modules); empty when nothing is missing or it cannot be asked.
    - `close` commits nothing by itself; callers commit first.
    Reads of a remote index that cannot be reached raise `BackendUnavailable`.
    """

    def upsert(self, article: dict) -> None: ...

    def commit(self) -> None: ...

    def search(self, query: SearchQuery) -> dict: ...

    def entities(self, query: EntitiesQuery) -> list[dict]: ...

    def match_topics(self, article: dict, topics: dict) -> list[str]: ...

    def delete(self, article_ids: list[str]) -> None: ...

    def articles(self, start: int = 0): ...

    def get(self, article_id: str) -> dict | None: ...

    def count(self) -> int: ...

    def flush_backlog(self) -> int: ...

    def backlog(self) -> dict: ...

    def reduced_mode(self) -> list[str]: ...

    def close(self) -> None: ...
