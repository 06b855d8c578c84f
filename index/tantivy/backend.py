"""The embedded backend: a tantivy index under the data dir, composed of its parts by job —
schema and upgrade (schema.py, upgrade.py), writing (writing.py), searching (searching.py, with
the query translation in translate.py), counting (counting.py: totals and facets, estimated on
a share of huge result sets) and entity lists and autocomplete (completion.py).

One process owns the writer (the daemon, or `newswatch crawl`, guarded by the data-dir lock);
readers (`newswatch search`, the API of another process) open it read-only at any time. A
writer upgrades an index of an older schema version when it opens it.
"""
from __future__ import annotations

from pathlib import Path

import tantivy

from index.matching import topics_matching
from index.protocol import BackendUnavailable
from index.query import EntitiesQuery, SearchQuery
from index.tantivy.completion import Completion
from index.tantivy.counting import FACET_SAMPLE, FACETS_EXACT_UP_TO, TOTALS_EXACT_UP_TO, Counter
from index.tantivy.schema import SCHEMA_VERSION, VERSION_FILE, article_of, build_schema, stored_version
from index.tantivy.searching import ArticleSearch
from index.tantivy.translate import text_query
from index.tantivy.upgrade import recover_upgrade, upgrade
from index.tantivy.writing import ArticleWriter


class TantivyBackend:
    def __init__(self, path: Path, writable: bool = True, facets_exact_up_to: int = FACETS_EXACT_UP_TO,
                 facet_sample: int = FACET_SAMPLE, totals_exact_up_to: int = TOTALS_EXACT_UP_TO):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise BackendUnavailable(f"{self.path} is not a directory")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        recover_upgrade(self.path)
        version = stored_version(self.path)
        if version is not None and version != SCHEMA_VERSION:
            if not writable:
                raise BackendUnavailable(f"the index in {self.path} is of an older newswatch (schema {version}); "
                                         "`newswatch run` or `newswatch crawl` upgrades it")
            upgrade(self.path, version)
        self.path.mkdir(exist_ok=True)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        if writable:
            (self.path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        self._writer = ArticleWriter(self.index) if writable else None
        self.counter = Counter(self.schema, facets_exact_up_to, facet_sample, totals_exact_up_to)
        self.searching = ArticleSearch(self.index, self.schema, self.path, self.counter)
        self.completion = Completion(self.index, self.schema, self.path)

    # --- writing ---
    def upsert(self, article: dict) -> None:
        self._writable().upsert(article)

    def delete(self, article_ids: list[str]) -> None:
        self._writable().delete(article_ids)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()

    def _writable(self) -> ArticleWriter:
        if self._writer is None:
            raise RuntimeError("this index was opened read-only")
        return self._writer

    def flush_backlog(self) -> int:
        return 0  # writes go straight to the local index: nothing ever waits

    def backlog(self) -> dict:
        return {}

    def reduced_mode(self) -> list[str]:
        return []  # the embedded index has every feature

    def close(self) -> None:
        self.searching.close()
        self.completion.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

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
        return article_of(searcher.doc(result.hits[0][1]), with_text=True)

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
                yield position, article_of(searcher.doc(address), with_text=True)

    def parse_text_query(self, q: str) -> tantivy.Query:
        return text_query(self.index, q)

    def search(self, query: SearchQuery) -> dict:
        return self.searching.search(query)

    def entities(self, query: EntitiesQuery) -> list[dict]:
        return self.completion.entities(query)

    def entities_by_aggregation(self, query: EntitiesQuery, searcher=None) -> list[dict]:
        """The list as counted over every article (what the autocomplete tables must equal)."""
        return self.completion.by_aggregation(query, searcher)

    @property
    def completion_job(self):
        """The last autocomplete table build (a Future), for whoever must wait for it."""
        return self.completion.job

    def match_topics(self, article: dict, topics: dict) -> list[str]:
        """The topics a new article matches, without the index (index.matching)."""
        return topics_matching(article, topics)
