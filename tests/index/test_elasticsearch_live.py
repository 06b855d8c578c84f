"""The Elasticsearch backend against a live node (ELASTICSEARCH_URL; `make test-es` starts one):
both backends on one corpus, the cluster's modules, a rejected document, `migrate` from a v1
index, and — only on a node this run started (ES_NODE_DIR) — a node killed during bulk
writes and down while the API serves."""
from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid

import pytest
from elasticsearch import AuthenticationException, helpers
from fastapi.testclient import TestClient

import settings
from core.article import new_article
from core.statedb import StateDB
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext
from index.cursors import Cursors
from index.es.backend import ElasticsearchBackend, make_client
from index.es.layout import TWIN_FIELDS, index_body
from index.outbox import Outbox
from index.query import EntitiesQuery, parse_search_params
from index.search import run_search
from index.tantivy.backend import TantivyBackend

pytestmark = [pytest.mark.elasticsearch,
              pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"), reason="ELASTICSEARCH_URL is not set")]

CURSORS = Cursors(b"live")
WORDS = ("troops border sanctions missile talks shelling drone strike officials front region village ministry "
         "report army corps soldiers families certificates war ceasefire police court election market "
         "price river bridge winter storm harvest").split()
PEOPLE = [f"{first} {last}" for first in ("Ann", "Boris", "Chen", "Eun") for last in ("Kim", "Lee", "Novak")]
KOREAN = ["북한이 러시아에 병력을 보냈습니다", "참전 증서를 가족들에게 발급했습니다", "국경 지역에서 훈련이 있었습니다"]


def corpus(count: int, seed: int = 24, words: int = 60) -> list[dict]:
    rng = random.Random(seed)
    articles = []
    for n in range(count):
        korean = n % 9 == 0
        text = " ".join(rng.choice(KOREAN) for _ in range(6)) if korean else \
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(words // 2, words)))
        articles.append(new_article(
            id=f"a{n:05d}", url=f"https://outlet{n % 5}.example/{n}", outlet=f"outlet{rng.randrange(5)}",
            title=text[:60], text=text, language="ko" if korean else "en",
            published_at=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                         f"{rng.randint(0, 59):02d}:00Z",
            entities={"person": sorted(set(rng.sample(PEOPLE, rng.randint(0, 2)))), "org": [],
                      "place": ["Kursk"] if rng.random() < 0.3 else []},
            # one in ten a copy of the one before: hidden from hits and counts unless included
            duplicate_of=f"a{n - 1:05d}" if n % 10 == 5 else None, story_id=f"a{n - 1:05d}" if n % 10 == 5 else None))
    return articles


def live_backend(tmp_path) -> ElasticsearchBackend:
    config = settings.load(env_file="/nonexistent")
    prefix = f"newswatch-live-{uuid.uuid4().hex[:8]}-"
    return ElasticsearchBackend(make_client(config), Outbox(StateDB(tmp_path / "state.sqlite3")), prefix=prefix,
                                replicas=0)


def remove(backend: ElasticsearchBackend) -> None:
    backend.client.indices.delete(index=f"{backend.prefix}*", ignore_unavailable=True, allow_no_indices=True)
    backend.client.options(ignore_status=404).indices.delete_index_template(name=backend.alias)
    backend.close()


@pytest.fixture
def es(tmp_path):
    backend = live_backend(tmp_path)
    backend.ensure_index()
    yield backend
    remove(backend)


def search(backend, *params):
    return run_search(backend, parse_search_params(list(params), cursors=CURSORS), CURSORS)


def every_hit(backend, *params) -> list[str]:
    found, page = [], search(backend, *params, ("size", "37"))
    while True:
        found += [hit["id"] for hit in page["hits"]]
        if not page["next_cursor"]:
            return found
        page = search(backend, *params, ("size", "37"), ("cursor", page["next_cursor"]))


COMPARED = [
    (), (("q", "troops"),), (("q", "border sanctions"),), (("q", '"missile talks"'),), (("q", "drone OR storm"),),
    (("q", "court -police"),), (("q", "title:harvest"),), (("q", "참전"),), (("q", "북한"),),
    (("outlet", "outlet3"),), (("outlet", "outlet1"), ("outlet", "outlet4")), (("entity", "person:ann kim"),),
    (("entity", "person:Chen Lee"), ("entity", "place:Kursk")), (("since", "2025-03-01"), ("until", "2025-06-01")),
    (("language", "ko"),), (("q", "war"), ("since", "2025-07-01")), (("duplicates", "include"),),
    (("q", "troops"), ("duplicates", "include"), ("outlet", "outlet2")),
]


def test_both_backends_give_the_same_answers_on_one_corpus(es, tmp_path):
    embedded = TantivyBackend(tmp_path / "index")
    for article in corpus(600):
        embedded.upsert(article)
        es.upsert(article)
    embedded.commit()
    assert es.flush_backlog() == 600
    for params in COMPARED:
        newest = (*params, ("sort", "newest"))
        mine, theirs = search(es, *newest), search(embedded, *newest)
        assert mine["total"] == theirs["total"], params
        # Newest first is one order in both (published_at, then id): every page, through the cursors.
        assert every_hit(es, *newest) == every_hit(embedded, *newest), params
        for name, values in theirs["facets"].items():
            counts = {v["value"]: v["count"] for v in mine["facets"][name]}
            assert sorted(counts.values(), reverse=True) == [v["count"] for v in values], (params, name)
            assert all(counts[v["value"]] == v["count"] for v in values if v["value"] in counts), (params, name)
        if params and params[0][0] == "q":  # by relevance: the same set of hits
            assert set(every_hit(es, *params)) == set(every_hit(embedded, *params)), params
    for tz in ("UTC", "Asia/Seoul", "America/New_York"):
        histogram = (("histogram", "week"), ("tz", tz), ("q", "troops"))
        assert search(es, *histogram)["histogram"] == search(embedded, *histogram)["histogram"], tz
    people = EntitiesQuery(kinds=("person",), prefix="an", size=20)
    assert es.entities(people) == embedded.entities(people)
    embedded.close()


def test_the_backend_reports_what_this_cluster_lacks_and_still_indexes(es):
    modules = es.modules()
    reduced = es.reduced_mode()
    for name in ("analysis-common", "percolator", "lang-painless", "reindex"):
        assert (name in modules) != any(line.startswith(f"no {name}:") for line in reduced)
    es.upsert(new_article(id="x1", url="https://x.example/1", outlet="x", title="Drone strike", text="A drone.",
                          published_at="2025-01-01T00:00:00Z", language="en"))
    es.commit()
    assert es.flush_backlog() == 1 and es.count() == 1
    assert es.backlog().get("elasticsearch_reduced_mode", []) == reduced
    api = TestClient(create_app(ApiContext(backend=es, state=CrawlState(es.outbox.db), outlets=dict,
                                           index_kind="elasticsearch")))
    health = api.get("/health").json()
    assert health["index_status"] == "ok" and health["backlog"].get("elasticsearch_reduced_mode", []) == reduced


def test_a_document_the_cluster_refuses_is_parked_with_its_id_and_not_retried(es, caplog):
    good = new_article(id="good", url="https://x.example/good", outlet="x", title="fine", text="fine",
                       published_at="2025-01-01T00:00:00Z", language="en")
    es.upsert(good)
    es.outbox.put({**good, "id": "bad", "revision": "not a number"})  # the mapping says integer
    with caplog.at_level(logging.ERROR, logger="index.es.courier"):
        assert es.flush_backlog() == 1
    assert "bad" in caplog.text and "rejected" in caplog.text
    backlog = es.outbox.backlog()
    assert backlog["waiting"] == 0 and backlog["rejected"] == 1
    assert es.flush_backlog() == 0  # parked: not sent again
    assert es.outbox.db.one("SELECT attempts FROM es_outbox WHERE id = 'bad'")[0] == 1
    assert es.count() == 1


def test_wrong_credentials_are_refused_with_a_clear_error(tmp_path):
    if os.environ.get("ELASTICSEARCH_API_KEY"):
        wrong = {"ELASTICSEARCH_API_KEY": "d3Jvbmc6a2V5"}
    elif os.environ.get("ELASTICSEARCH_USERNAME"):
        wrong = {"ELASTICSEARCH_USERNAME": os.environ["ELASTICSEARCH_USERNAME"], "ELASTICSEARCH_PASSWORD": "wrong"}
    else:
        pytest.skip("the node has security off (no ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME)")
    config = settings.load({**os.environ, "ELASTICSEARCH_API_KEY": "", **wrong}, env_file="/nonexistent")
    backend = ElasticsearchBackend(make_client(config), Outbox(StateDB(tmp_path / "s.sqlite3")), replicas=0)
    with pytest.raises(AuthenticationException):
        backend.ensure_index()


def test_migrate_moves_a_v1_index_behind_the_alias_with_every_article_once(tmp_path):
    backend = live_backend(tmp_path)
    try:
        articles = corpus(1200, seed=5)
        v1 = f"{backend.prefix}articles-v1"
        body = index_body(1, 0, set(backend.modules()))
        body["mappings"]["properties"] = {k: v for k, v in body["mappings"]["properties"].items()
                                          if k not in TWIN_FIELDS}
        backend.client.indices.create(index=v1, settings=body["settings"], mappings=body["mappings"])
        backend.client.indices.update_aliases(actions=[{"add": {"index": v1, "alias": backend.alias}}])
        helpers.bulk(backend.client, ({"_index": v1, "_id": a["id"], "_source": a} for a in articles), refresh=True)
        backend.ensure_index()  # an older index: documents go without twins until migrated

        totals, errors, stop = [], [], threading.Event()

        def keep_searching():
            while not stop.is_set():
                try:
                    totals.append(search(backend, ("duplicates", "include"))["total"])
                except Exception as exc:  # noqa: BLE001 - any failure is what the test reports
                    errors.append(exc)

        searcher = threading.Thread(target=keep_searching)
        searcher.start()
        try:
            result = backend.migrate()
        finally:
            stop.set()
            searcher.join()
        assert result["migrated"] and result["from"] == [v1] and result["copied"] == 1200
        assert errors == [] and totals and set(totals) == {1200}  # searches answered throughout, all of it
        assert backend.alias_target() == [backend.index_name]
        ids = [hit["_id"] for hit in helpers.scan(backend.client, index=backend.alias, _source=False)]
        assert len(ids) == len(set(ids)) == 1200 and set(ids) == {a["id"] for a in articles}
        korean = {a["id"] for a in articles if a["language"] == "ko" and "참전" in a["text"]}
        assert set(every_hit(backend, ("q", "참전"), ("duplicates", "include"))) == korean  # the twins exist now
        assert backend.migrate() == {"index": backend.index_name, "migrated": False}
    finally:
        remove(backend)


# --- a node this run started: killed and restarted ---

def test_a_node_killed_during_bulk_writes_loses_nothing_and_the_api_recovers(es_node_control, tmp_path):
    backend = live_backend(tmp_path)
    articles = corpus(4000, seed=9, words=400)
    state = CrawlState(StateDB(tmp_path / "api.sqlite3"))
    api = TestClient(create_app(ApiContext(backend=backend, state=state, outlets=dict, trigger_crawl=None,
                                           reload=lambda: (False, ""), names=None)))
    try:
        backend.ensure_index()
        for article in articles:
            backend.upsert(article)
        delivering = threading.Thread(target=backend.flush_backlog)
        delivering.start()
        deadline = time.monotonic() + 120
        while backend.outbox.backlog()["waiting"] == len(articles) and time.monotonic() < deadline:
            time.sleep(0.05)
        es_node_control.kill()  # in the middle of the bulk requests: some acknowledged, one in flight
        delivering.join()
        waiting = backend.outbox.backlog()["waiting"]
        assert 0 < waiting < len(articles)
        revised = [{**a, "revision": 2, "title": f"revised {a['id']}"} for a in articles[:50]]
        for article in revised:  # newer versions while the node is down replace what waits
            backend.upsert(article)

        down = api.get("/search", params={"q": "troops"})
        assert down.status_code == 503 and "unavailable" in down.json()["error"]
        health = api.get("/health").json()
        assert health["status"] == "degraded" and health["index_status"] == "unavailable"

        es_node_control.start()  # the same backend, no restart of it: the courier delivers the rest
        for _ in range(20):
            backend.flush_backlog()
            if backend.outbox.backlog()["waiting"] == 0:
                break
            time.sleep(1)
        assert backend.outbox.backlog() | {"by_outlet": {}} == backend.outbox.backlog() | {
            "waiting": 0, "rejected": 0, "by_outlet": {}}
        backend.client.indices.refresh(index=backend.alias)
        ids = [hit["_id"] for hit in helpers.scan(backend.client, index=backend.alias, _source=False)]
        assert len(ids) == len(set(ids)) == len(articles) and set(ids) == {a["id"] for a in articles}
        for article in revised[:5]:
            stored = backend.client.get(index=backend.alias, id=article["id"])["_source"]
            assert stored["revision"] == 2 and stored["title"] == article["title"]
        deadline = time.monotonic() + 60
        while api.get("/search", params={"q": "troops"}).status_code == 503 and time.monotonic() < deadline:
            time.sleep(1)  # reads fail fast for a while after the cluster stopped answering
        assert api.get("/search", params={"q": "troops"}).status_code == 200
        assert api.get("/health").json()["index_status"] == "ok"
    finally:
        if not es_node_control.running():
            es_node_control.start()
        remove(backend)


def test_every_article_is_read_back_whole_for_reprocessing(es):
    articles = corpus(30, seed=3)
    for article in articles:
        es.upsert(article)
    assert es.flush_backlog() == 30
    read = dict((a["id"], a) for _, a in es.articles())
    assert sorted(read) == [a["id"] for a in articles]
    assert read["a00001"]["text"] == articles[1]["text"] and not set(read["a00000"]) & set(TWIN_FIELDS)
