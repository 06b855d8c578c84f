"""`newswatch reindex`, `search` and `migrate` as a user runs them, against a live node
(ELASTICSEARCH_URL; `make test-es` starts one)."""
import os
import uuid

import pytest

pytestmark = [pytest.mark.elasticsearch,
              pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="ELASTICSEARCH_URL is not set")]


def test_an_embedded_index_copied_into_elasticsearch_answers_the_same(sample_outlets):
    from elasticsearch import Elasticsearch

    ws = sample_outlets
    ws.newswatch("crawl", "rfa-english", "rfa-korean", "newsweek")
    prefix = f"newswatch-cli-{uuid.uuid4().hex[:8]}-"
    es = {k: v for k, v in os.environ.items() if k.startswith("ELASTICSEARCH_")}
    es.update(NEWSWATCH_INDEX="elasticsearch", ELASTICSEARCH_INDEX_PREFIX=prefix, ELASTICSEARCH_REPLICAS="0")
    try:
        copied = ws.json("reindex", **es)
        embedded = ws.json("search", "", "--duplicates", "--size", "100", "--json")
        assert copied == {"copied": embedded["total"], "index": f"{prefix}articles"} and embedded["total"] >= 4
        live = ws.json("search", "", "--duplicates", "--size", "100", "--json", **es)
        assert [h["id"] for h in live["hits"]] == [h["id"] for h in embedded["hits"]]
        assert live["facets"] == embedded["facets"]
        for query in ("certificates", "북한", '"storm corps"'):
            mine = ws.json("search", query, "--json", **es)
            theirs = ws.json("search", query, "--json")
            assert {h["id"] for h in mine["hits"]} == {h["id"] for h in theirs["hits"]}, query
        assert ws.json("migrate", **es) == {"index": f"{prefix}articles-v2", "migrated": False}
        assert ws.json("reindex", **es)["copied"] == embedded["total"]  # again: upserts, no duplicates
        assert ws.json("search", "", "--duplicates", "--json", **es)["total"] == embedded["total"]
    finally:
        auth = {"api_key": es["ELASTICSEARCH_API_KEY"]} if es.get("ELASTICSEARCH_API_KEY") else \
            {"basic_auth": (es["ELASTICSEARCH_USERNAME"], es["ELASTICSEARCH_PASSWORD"])} \
            if es.get("ELASTICSEARCH_USERNAME") else {}
        with Elasticsearch(es["ELASTICSEARCH_URL"], **auth) as client:
            client.indices.delete(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)
            client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}articles")
