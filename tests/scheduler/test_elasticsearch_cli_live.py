"""`newswatch reindex`, `search` and `migrate` as a user runs them, against a live node
(ELASTICSEARCH_URL; `make test-es` starts one)."""
import os
import uuid

import pytest
from elasticsearch import Elasticsearch

pytestmark = [pytest.mark.elasticsearch,
              pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="ELASTICSEARCH_URL is not set")]


def auth(env: dict) -> dict:
    if env.get("ELASTICSEARCH_API_KEY"):
        return {"api_key": env["ELASTICSEARCH_API_KEY"]}
    if env.get("ELASTICSEARCH_USERNAME"):
        return {"basic_auth": (env["ELASTICSEARCH_USERNAME"], env.get("ELASTICSEARCH_PASSWORD", ""))}
    return {}


def test_an_embedded_index_copied_into_elasticsearch_answers_the_same(sample_outlets):
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
        outlets = ws.newswatch("outlets", **es).stdout
        with Elasticsearch(es["ELASTICSEARCH_URL"], **auth(es)) as client:
            modules = {m["name"] for node in client.nodes.info(metric="plugins")["nodes"].values()
                       for m in node["modules"] + node["plugins"]}
        for name in ("analysis-common", "percolator", "reindex"):
            assert (f"Elasticsearch reduced mode: no {name}:" in outlets) == (name not in modules), name
        assert ws.json("migrate", **es) == {"index": f"{prefix}articles-v2", "migrated": False}
        assert ws.json("reindex", **es)["copied"] == embedded["total"]  # again: upserts, no duplicates
        assert ws.json("search", "", "--duplicates", "--json", **es)["total"] == embedded["total"]
    finally:
        with Elasticsearch(es["ELASTICSEARCH_URL"], **auth(es)) as client:
            client.indices.delete(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)
            client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}articles")
