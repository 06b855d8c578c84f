"""Topics on Elasticsearch: a percolator index of the topic queries, translated as searches
are (index.es.translate), that says which topics a new article matches. On a cluster without
the percolator module, topics are matched here as the embedded backend does (index.matching)."""
from __future__ import annotations

from typing import Callable

from elasticsearch import Elasticsearch, helpers

from index.es.layout import SCHEMA_VERSION, es_document, index_body
from index.es.lifecycle import IndexLifecycle
from index.es.translate import topic_query
from index.matching import topics_matching


class Percolator:
    def __init__(self, client: Elasticsearch, lifecycle: IndexLifecycle, reader: Callable[[], Elasticsearch]):
        self.client, self.lifecycle = client, lifecycle
        self._reader = reader  # the client for reads, asked for only when the cluster is
        self.index = f"{lifecycle.prefix}topics-v{SCHEMA_VERSION}"
        self._synced: dict | None = None  # the topics last sent (by identity)

    def sync(self, topics: dict) -> None:
        """The topics as percolator queries, in an index with the articles' mapping."""
        lifecycle = self.lifecycle
        body = index_body(lifecycle.shards, lifecycle.replicas, set(lifecycle.modules()))
        body["mappings"]["properties"].update(query={"type": "percolator"}, topic={"type": "keyword"})
        lifecycle.create_index(self.index, settings=body["settings"], mappings=body["mappings"])
        actions = [{"_op_type": "index", "_index": self.index, "_id": key,
                    "_source": {"topic": key, "query": self.topic_query(topic)}} for key, topic in topics.items()]
        helpers.bulk(self.client, actions, refresh=True)
        self.client.delete_by_query(index=self.index, refresh=True,
                                    query={"bool": {"must_not": [{"terms": {"topic": sorted(topics)}}]}})
        self._synced = topics

    def topic_query(self, topic) -> dict:
        return topic_query(topic, self.lifecycle.alias, self.lifecycle.analysed_here)

    def match(self, article: dict, topics: dict) -> list[str]:
        """The keys of the topics `article` matches."""
        if not topics:
            return []
        if "percolator" not in self.lifecycle.modules():  # matched here, exactly as the embedded backend does
            return topics_matching(article, topics)
        if self._synced is not topics:
            self.sync(topics)
        document = es_document(article, self.lifecycle.analysed_here)
        response = self._reader().search(index=self.index, size=len(topics), source=["topic"],
                                        query={"percolate": {"field": "query", "document": document}})
        return sorted(hit["_source"]["topic"] for hit in response["hits"]["hits"])
