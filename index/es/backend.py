"""The Elasticsearch backend (Elasticsearch 9, the official client and its bundled DSL),
composed of its parts by job: the index's life (lifecycle.py, with what it holds in layout.py
and mapping.json), the courier that delivers the outbox (courier.py), query translation
(translate.py: pure functions) and topic percolation (percolate.py).

Writes go through the outbox (index/outbox.py) and reach Elasticsearch by bulk requests, so
nothing is lost while the cluster is down or rejecting."""
from __future__ import annotations

import logging
import time

from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers
from elasticsearch.dsl import Search

from core.statedb import StateDB, state_path
from index.es.courier import Courier
from index.es.layout import from_source
from index.es.lifecycle import READ_TIMEOUT_SECONDS, IndexLifecycle
from index.es.percolate import Percolator
from index.es.translate import (PIT_KEEP_ALIVE, entities_request, entity_buckets_of, facets_of, histogram_of,
                                hits_of, search_request)
from index.outbox import Outbox
from index.protocol import BackendUnavailable
from index.query import EntitiesQuery, QueryError, SearchQuery, top_entities

logger = logging.getLogger(__name__)

# Once the cluster has failed to answer a read, reads fail at once for a while instead of each
# waiting out its own timeout.
UNAVAILABLE_SECONDS = 30


def make_client(config) -> Elasticsearch:
    options: dict = {"retry_on_status": (429, 502, 503, 504), "max_retries": 3, "retry_on_timeout": True,
                     "request_timeout": 30}
    if config["ELASTICSEARCH_API_KEY"]:
        options["api_key"] = config["ELASTICSEARCH_API_KEY"]
    elif config["ELASTICSEARCH_USERNAME"]:
        options["basic_auth"] = (config["ELASTICSEARCH_USERNAME"], config["ELASTICSEARCH_PASSWORD"] or "")
    if config["ELASTICSEARCH_CA_CERT"]:
        options["ca_certs"] = str(config["ELASTICSEARCH_CA_CERT"])
    return Elasticsearch(config["ELASTICSEARCH_URL"], **options)


class ElasticsearchBackend:
    def __init__(self, client: Elasticsearch, outbox: Outbox, prefix: str = "newswatch-", shards: int = 1,
                 replicas: int = 1):
        self.client = client
        self.outbox = outbox
        self.prefix = prefix
        self.lifecycle = IndexLifecycle(client, prefix, shards, replicas)
        self.alias, self.index_name = self.lifecycle.alias, self.lifecycle.index_name
        self.courier = Courier(client, outbox, self.lifecycle)
        self.percolator = Percolator(client, self.lifecycle, lambda: self.reader)
        self._unavailable_until = 0.0
        self._unavailable_reason = ""

    @classmethod
    def from_config(cls, config, db: StateDB | None = None) -> "ElasticsearchBackend":
        return cls(make_client(config), Outbox(db or StateDB(state_path(config["NEWSWATCH_DATA_DIR"]))),
                   prefix=config["ELASTICSEARCH_INDEX_PREFIX"], shards=config["ELASTICSEARCH_SHARDS"],
                   replicas=config["ELASTICSEARCH_REPLICAS"])

    # --- reads that fail fast while the cluster does not answer ---
    @property
    def reader(self) -> Elasticsearch:
        if time.monotonic() < self._unavailable_until:
            raise BackendUnavailable(f"Elasticsearch did not answer a moment ago: {self._unavailable_reason}")
        return self.client.options(request_timeout=READ_TIMEOUT_SECONDS, max_retries=1)

    def _unreachable(self, exc: Exception) -> BackendUnavailable:
        self._unavailable_until = time.monotonic() + UNAVAILABLE_SECONDS
        self._unavailable_reason = str(exc)[:200]
        return BackendUnavailable(str(exc))

    # --- the index's life (lifecycle.py) ---
    def modules(self) -> frozenset[str]:
        return self.lifecycle.modules()

    def reduced_mode(self) -> list[str]:
        return self.lifecycle.reduced_mode()

    def ensure_index(self) -> None:
        self.lifecycle.ensure_index()

    def alias_target(self) -> list[str]:
        return self.lifecycle.alias_target()

    def migrate(self) -> dict:
        return self.lifecycle.migrate()

    # --- writing: the outbox, delivered by the courier (courier.py) ---
    def upsert(self, article: dict) -> None:
        self.outbox.put(article)

    def delete(self, article_ids: list[str]) -> None:
        for article_id in article_ids:
            self.outbox.delete(article_id)

    def commit(self) -> None:
        """Every upsert is already durable in the outbox; delivery happens on the courier thread,
        so a slow or absent cluster never stalls the caller (the daemon's event loop)."""
        self.courier.wake()

    def flush_backlog(self) -> int:
        """Delivers what waits in the outbox; returns how many articles Elasticsearch acknowledged."""
        return self.courier.deliver()

    def backlog(self) -> dict:
        report = {"elasticsearch_outbox": self.outbox.backlog()}
        if self.lifecycle.modules_known and self.reduced_mode():  # known once the cluster was asked
            report["elasticsearch_reduced_mode"] = self.reduced_mode()
        return report

    def close(self) -> None:
        """A last delivery attempt; what still waits stays in the outbox for the next start."""
        self.courier.stop()
        self.flush_backlog()
        self.client.close()

    # --- topics (percolate.py) ---
    def match_topics(self, article: dict, topics: dict) -> list[str]:
        return self.percolator.match(article, topics)

    # --- reading ---
    def get(self, article_id: str) -> dict | None:
        waiting = self.outbox.get(article_id)  # newer than what the cluster holds, or not there yet
        if waiting is not None:
            op, doc = waiting
            return doc if op == "index" else None
        try:
            return from_source(self.reader.get(index=self.alias, id=article_id)["_source"])
        except NotFoundError:
            return None
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def articles(self, start: int = 0, batch: int = 500):
        """Every article, whole (for rebuilding what is derived from the texts)."""
        try:
            for position, hit in enumerate(helpers.scan(self.client, index=self.alias, size=batch,
                                                        query={"query": {"match_all": {}}}), start=1):
                if position > start:
                    yield position, from_source(hit["_source"])
        except NotFoundError:
            return
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def count(self) -> int:
        try:
            return self.reader.count(index=self.alias)["count"]
        except NotFoundError:
            return 0
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def build_search(self, query: SearchQuery) -> Search:
        """The query's request (translate.search_request) for this index."""
        return search_request(query, self.alias, self.lifecycle.analysed_here).using(self.client)

    def entities(self, query: EntitiesQuery) -> list[dict]:
        search = entities_request(query, self.alias, self.lifecycle.analysed_here)
        try:
            response = search.using(self.reader).execute()
        except NotFoundError:
            return []
        except TransportError as exc:
            raise self._unreachable(exc) from None
        return top_entities(entity_buckets_of(response, query), query)

    def search(self, query: SearchQuery) -> dict:
        try:
            response = self.build_search(query).using(self.reader).execute()
            after = query.after or {}
            pit = after.get("p") or None
            total = response.hits.total.value
            end = after.get("n", 0) + len(response.hits)  # hits served so far, this page's included
            more = bool(query.size) and end < total and len(response.hits) == query.size
            if more and pit is None:
                # The following pages read one point in time, whatever is indexed meanwhile.
                pit = self.reader.open_point_in_time(index=self.alias, keep_alive=PIT_KEEP_ALIVE)["id"]
        except BadRequestError as exc:
            raise QueryError("q", f"malformed query {query.q!r}: {_reason(exc)}") from None
        except NotFoundError:
            if (query.after or {}).get("p"):
                raise QueryError("cursor", "the cursor has expired; search again") from None
            return {"total": 0, "hits": [], "facets": {name: [] for name in query.facets}, "next": None}
        except TransportError as exc:
            raise self._unreachable(exc) from None
        next_page = None
        if more:
            next_page = {"n": end, "a": list(response.hits[-1].meta.sort), "p": getattr(response, "pit_id", None) or pit}
        elif pit is not None:
            self._close_pit(pit)  # the last page: the point in time is not needed any more
        result = {"total": total, "hits": hits_of(response, query), "facets": facets_of(response, query),
                  "next": next_page}
        if query.histogram:
            result["histogram"] = histogram_of(response)
        return result

    def _close_pit(self, pit: str) -> None:
        try:
            self.reader.close_point_in_time(id=pit)
        except (ApiError, TransportError, BackendUnavailable) as exc:  # it expires by itself anyway
            logger.info("could not close a point in time: %s", exc)


def _reason(exc: ApiError) -> str:
    try:
        return exc.info["error"]["root_cause"][0]["reason"]
    except (KeyError, IndexError, TypeError):
        return str(exc.message)
