"""The Elasticsearch backend without a cluster: the mapping itself, and layout and outbox
behaviour against a recording stand-in of the HTTP API."""
import json
import socket

import pytest
from elasticsearch import Elasticsearch
from es_standin import ElasticsearchStandIn

from core.statedb import StateDB
from core.article import ARTICLE_FIELDS, ENTITY_TYPES, new_article
from index.cursors import Cursors
from index.es.backend import ElasticsearchBackend
from index.es.layout import MAPPING_FILE
from index.outbox import Outbox
from index.query import parse_search_params


def test_the_mapping_covers_every_article_field_and_nothing_is_dynamic():
    mapping = json.loads(MAPPING_FILE.read_text())["mappings"]
    assert mapping["dynamic"] == "strict"
    assert set(mapping["properties"]) == set(ARTICLE_FIELDS)
    assert set(mapping["properties"]["entities"]["properties"]) == set(ENTITY_TYPES)
    for name in ("title", "text"):
        assert mapping["properties"][name]["analyzer"] == "english"
    kinds = {"keyword": "keyword", "keyword[]": "keyword", "date": "date", "integer": "integer", "text": "text"}
    for name, kind in ARTICLE_FIELDS.items():
        if kind in kinds:
            assert mapping["properties"][name]["type"] == kinds[kind], name


def article(n: int, outlet: str = "rfa-english") -> dict:
    return new_article(id=f"a{n}", url=f"https://www.rfa.org/{n}/", outlet=outlet, title=f"Story {n}",
                       text=f"Body of story {n}", published_at="2025-11-05T00:00:00Z")


@pytest.fixture
def standin():
    with ElasticsearchStandIn() as server:
        yield server


def backend_for(url: str, tmp_path) -> ElasticsearchBackend:
    client = Elasticsearch(url, max_retries=1, retry_on_status=(429, 502, 503, 504), request_timeout=5)
    return ElasticsearchBackend(client, Outbox(StateDB(tmp_path / "state.sqlite3")), prefix="nw-", replicas=0)


def test_template_index_and_alias_set_up_idempotently(standin, tmp_path):
    first = backend_for(standin.url, tmp_path)
    first.ensure_index()
    first.ensure_index()
    backend_for(standin.url, tmp_path).ensure_index()  # another process, same cluster
    assert standin.aliases == {"nw-articles": "nw-articles-v2"}
    assert list(standin.indices) == ["nw-articles-v2"]
    assert [r for r in standin.requests if r == ("PUT", "/nw-articles-v2")] == [("PUT", "/nw-articles-v2")]
    template = standin.templates["nw-articles"]
    assert template["index_patterns"] == ["nw-articles-v*"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert template["template"]["settings"]["index"]["number_of_replicas"] == 0


def test_articles_wait_in_the_outbox_through_failures_and_are_delivered_once(standin, tmp_path):
    backend = backend_for(standin.url, tmp_path)
    for n in range(3):
        backend.upsert(article(n))
    standin.bulk_status = 503
    assert backend.flush_backlog() == 0
    assert backend.backlog()["elasticsearch_outbox"]["waiting"] == 3
    assert backend.backlog()["elasticsearch_outbox"]["by_outlet"] == {"rfa-english": 3}
    standin.bulk_status = None
    backend.upsert(article(1))  # a newer version of a waiting article replaces it
    assert backend.flush_backlog() == 3
    assert sorted(standin.acknowledged) == ["a0", "a1", "a2"]
    assert backend.backlog()["elasticsearch_outbox"]["waiting"] == 0
    assert backend.flush_backlog() == 0 and len(standin.acknowledged) == 3
    assert backend.get("a2")["title"] == "Story 2" and backend.count() == 3


def test_articles_survive_an_unreachable_cluster_and_a_restart(standin, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = backend_for(dead, tmp_path)
    down.upsert(article(7))
    down.upsert(article(8, outlet="newsweek"))
    assert down.flush_backlog() == 0
    down.outbox.db.close()
    back = backend_for(standin.url, tmp_path)  # a new process finds them in the outbox
    assert back.backlog()["elasticsearch_outbox"]["waiting"] == 2
    assert back.flush_backlog() == 2 and sorted(standin.acknowledged) == ["a7", "a8"]


def test_a_rejected_article_is_set_aside_not_retried_forever(standin, tmp_path):
    backend = backend_for(standin.url, tmp_path)
    standin.reject_ids = {"a1"}
    for n in range(3):
        backend.upsert(article(n))
    assert backend.flush_backlog() == 2
    backlog = backend.backlog()["elasticsearch_outbox"]
    assert (backlog["waiting"], backlog["rejected"]) == (0, 1) and "strict mapping" in backlog["last_error"]
    assert backend.flush_backlog() == 0 and standin.acknowledged.count("a1") == 0


def test_the_courier_delivers_after_commit_without_blocking(standin, tmp_path):
    import time

    backend = backend_for(standin.url, tmp_path)
    backend.upsert(article(5))
    backend.commit()
    deadline = time.monotonic() + 10
    while not standin.acknowledged and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.acknowledged == ["a5"]
    backend.close()


def test_reindex_copies_the_embedded_index_and_resumes(standin, tmp_path):
    import subprocess

    from tests_support import NEWSWATCH

    from index.tantivy.backend import TantivyBackend

    embedded = TantivyBackend(tmp_path / "data" / "index")
    for n in range(1203):
        embedded.upsert(article(n))
    embedded.commit()
    embedded.close()
    env = {"PATH": "/usr/bin:/bin", "NEWSWATCH_DATA_DIR": str(tmp_path / "data"), "ELASTICSEARCH_URL": standin.url,
           "ELASTICSEARCH_INDEX_PREFIX": "nw-", "ELASTICSEARCH_REPLICAS": "0"}
    standin.bulk_budget = 1  # the cluster goes down after the first batch
    failed = subprocess.run([NEWSWATCH, "reindex"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert failed.returncode == 1 and "run `newswatch reindex` again" in failed.stderr
    assert len(standin.acknowledged) == 500
    standin.bulk_budget = None
    done = subprocess.run([NEWSWATCH, "reindex"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"copied": 1203, "index": "nw-articles"}
    assert len(standin.indices["nw-articles-v2"]) == 1203
    # Resumed after the first batch: nothing copied twice except the batch that failed.
    assert len(standin.acknowledged) == 1203
    assert standin.indices["nw-articles-v2"]["a7"]["text"] == "Body of story 7"


def test_search_responses_become_the_contract_shape_and_pages_use_a_point_in_time(standin, tmp_path):
    from index.query import parse_search_params
    from index.search import run_search

    backend = backend_for(standin.url, tmp_path)
    for n in range(3):
        values = article(n, outlet="newsweek" if n else "rfa-english")
        values.update(published_at=f"2025-11-0{n + 1}T00:00:00Z", entities={"person": ["Kim Jong Un"], "org": [],
                                                                          "place": ["Kursk"]})
        backend.upsert(values)
    assert backend.flush_backlog() == 3
    cursors = Cursors(b"test key")
    params = [("size", "2"), ("outlet", "newsweek"), ("outlet", "rfa-english")]
    first = run_search(backend, parse_search_params(params, cursors=cursors), cursors)
    assert first["total"] == 3 and [h["id"] for h in first["hits"]] == ["a2", "a1"]
    assert set(first["hits"][0]) == (set(ARTICLE_FIELDS) - {"text"}) | {"snippet"}
    assert first["hits"][0]["snippet"] == "Body of story 2"
    assert first["facets"]["outlet"] == [{"value": "newsweek", "count": 2}, {"value": "rfa-english", "count": 1}]
    assert first["facets"]["person"] == [{"value": "Kim Jong Un", "count": 3}]
    path, body = standin.searches[-1]
    assert path == ["nw-articles", "_search"] and body["size"] == 2 and body["track_total_hits"] is True
    assert {"terms": {"outlet": ["newsweek", "rfa-english"]}} in body["query"]["bool"]["filter"]
    second = run_search(backend, parse_search_params(params + [("cursor", first["next_cursor"])], cursors=cursors),
                        cursors)
    assert [h["id"] for h in second["hits"]] == ["a0"] and second["next_cursor"] is None
    path, body = standin.searches[-1]
    assert path == ["_search"] and body["pit"]["id"] == "pit-1"
    assert body["search_after"] == ["2025-11-02T00:00:00Z", "a1"]
    # The last page closes its point in time.
    assert ("DELETE", "/_pit") in standin.requests


def test_stories_histograms_and_exports_are_built_as_documented(standin, tmp_path):
    from web.exports import pages
    from index.query import SearchQuery, parse_search_params
    from index.search import run_search

    backend = backend_for(standin.url, tmp_path)
    for n in range(3):
        backend.upsert({**article(n), "published_at": f"2025-11-0{n + 1}T00:00:00Z", "story_id": "s1"})
    assert backend.flush_backlog() == 3
    cursors = Cursors(b"test key")
    standin.histogram_buckets = [("2025-10-27", 2), ("2025-11-03", 1)]
    result = run_search(backend, parse_search_params([("histogram", "week"), ("tz", "Asia/Seoul")], cursors=cursors),
                        cursors)
    assert result["histogram"] == [{"value": "2025-10-27", "count": 2}, {"value": "2025-11-03", "count": 1}]
    _, body = standin.searches[-1]
    assert body["aggs"]["published"] == {"date_histogram": {
        "field": "published_at", "calendar_interval": "week", "time_zone": "Asia/Seoul", "min_doc_count": 1,
        "format": "yyyy-MM-dd"}}
    # A story's members are one term filter on story_id, copies included.
    backend.search(SearchQuery(story="s1", include_duplicates=True))
    _, body = standin.searches[-1]
    assert {"term": {"story_id": "s1"}} in body["query"]["bool"]["filter"]
    # Exports page by sort position through a point in time, 100 at a time, never an offset.
    assert [h["id"] for page in pages(backend, SearchQuery(q="story")) for h in page] == ["a2", "a1", "a0"]
    _, body = standin.searches[-1]
    assert body["size"] == 100 and "from" not in body and body["sort"][0] == {"published_at": "desc"}
    # An index made before cites/cited_by existed gets them added to its mapping at start.
    backend.ensure_index()
    [(index, mapping)] = standin.mapping_updates
    assert index == "nw-articles" and {"cites", "cited_by"} <= set(mapping["properties"])


def test_topics_become_percolator_queries_translated_like_searches(standin, tmp_path):
    from crawler.config.topics import parse_topics

    backend = backend_for(standin.url, tmp_path)
    backend.ensure_index()
    topics = parse_topics('[nk]\nname = "NK"\nquery = \'"north korea" OR pyongyang\'\nentities = ["place:Kursk"]\n'
                          'outlets = ["newsweek"]\n[other]\nname = "Other"\nquery = "baseball"\n')
    standin.percolate_matches = {"nk"}
    assert backend.match_topics(article(1, outlet="newsweek"), topics) == ["nk"]
    mapping = standin.created_bodies["nw-topics-v2"]["mappings"]
    assert mapping["properties"]["query"] == {"type": "percolator"} and mapping["dynamic"] == "strict"
    stored = standin.indices["nw-topics-v2"]["nk"]["query"]["bool"]
    assert stored["must"] == [{"query_string": {"query": '"north korea" OR pyongyang', "default_operator": "AND",
                                                "fields": stored["must"][0]["query_string"]["fields"]}}]
    assert {"term": {"entities.place.key": "kursk"}} in stored["filter"]
    assert {"terms": {"outlet": ["newsweek"]}} in stored["filter"]
    path, body = standin.searches[-1]
    assert path == ["nw-topics-v2", "_search"] and body["query"]["percolate"]["document"]["id"] == "a1"
    backend.match_topics(article(2), topics)  # the same topics are not sent again
    assert sum(1 for r in standin.requests if r[1] == "/nw-topics-v2") == 1


def test_korean_fields_use_nori_when_the_cluster_has_it_and_cjk_otherwise(standin, tmp_path):
    backend_for(standin.url, tmp_path).ensure_index()
    analysis = standin.templates["nw-articles"]["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["text_ko"] == {"type": "cjk"}  # the official image: no plugins
    mappings = standin.templates["nw-articles"]["template"]["mappings"]["properties"]
    assert {mappings[f"{name}_ko"]["analyzer"] for name in ("title", "description", "text")} == {"text_ko"}

    standin.plugins = ["analysis-nori"]
    backend_for(standin.url, tmp_path).ensure_index()
    analysis = standin.templates["nw-articles"]["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["text_ko"]["tokenizer"] == "nori_mixed"
    assert analysis["tokenizer"]["nori_mixed"]["decompound_mode"] == "mixed"
    assert "nori_part_of_speech" in analysis["analyzer"]["text_ko"]["filter"]


def test_korean_articles_are_indexed_with_their_twins_and_read_back_without(standin, tmp_path):
    backend = backend_for(standin.url, tmp_path)
    korean = article(1, "rfa-korean") | {"language": "ko", "title": "북한당국이 발표", "text": "북한이 미사일을 발사했습니다."}
    english = article(2)
    backend.upsert(korean)
    backend.upsert(english)
    assert backend.flush_backlog() == 2
    stored = standin.indices["nw-articles-v2"]
    assert stored[korean["id"]]["text_ko"] == korean["text"] and stored[korean["id"]]["title_ko"] == korean["title"]
    assert not any(key.endswith("_ko") for key in stored[english["id"]])
    assert "text_ko" not in backend.get(korean["id"]) and backend.get(korean["id"])["text"] == korean["text"]
    body = backend.build_search(parse_search_params([("q", "title:북한이 미사일")])).to_dict()
    query = body["query"]["bool"]["must"][0]["query_string"]
    assert query["query"] == "(title:북한이 OR title_ko:북한이) 미사일"
    assert "text_ko" in query["fields"] and "title_ko^2" in query["fields"]
    assert {"text", "text_ko"} <= set(body["highlight"]["fields"]) and "text_ko" in body["_source"]["excludes"]


def test_autocomplete_asks_for_the_articles_naming_such_a_name_and_counts_only_those_names(standin, tmp_path):
    from index.query import EntitiesQuery

    backend = backend_for(standin.url, tmp_path)
    for n, names in enumerate((["Volodymyr Zelensky", "Kim Jong Un"], ["Zelda Fitzgerald"], ["Kim Yo Jong"])):
        values = article(n)
        values.update(entities={"person": names, "org": [], "place": []})
        backend.upsert(values)
    assert backend.flush_backlog() == 3
    found = backend.entities(EntitiesQuery(kinds=("person",), prefix="Zel"))
    assert [row["name"] for row in found] == ["Volodymyr Zelensky", "Zelda Fitzgerald"]
    _, body = standin.searches[-1]
    should = body["query"]["bool"]["filter"][-1]["bool"]["should"]
    assert {"prefix": {"entities.person.key": {"value": "zel"}}} in should
    assert {"wildcard": {"entities.person.key": {"value": "* zel*"}}} in should
    assert body["aggs"]["person"]["terms"]["include"] == "([zZ][eE][lL]|.* [zZ][eE][lL]).*"
    backend.entities(EntitiesQuery(kinds=("person",), prefix="kim y*"))
    _, body = standin.searches[-1]
    assert body["aggs"]["person"]["terms"]["include"] == "[kK][iI][mM] [yY]\\*.*"
    assert {"wildcard": {"entities.person.key": {"value": "* kim y\\**"}}} in body["query"]["bool"]["filter"][-1]["bool"]["should"]


def test_a_cluster_without_the_optional_modules_gets_analysers_it_has_and_says_so(standin, tmp_path):
    from crawler.config.topics import parse_topics

    standin.modules = []  # as the integration-test distribution: no analysis-common, percolator, painless, reindex
    backend = backend_for(standin.url, tmp_path)
    backend.ensure_index()
    template = standin.templates["nw-articles"]["template"]
    properties = template["mappings"]["properties"]
    assert properties["title"]["analyzer"] == properties["text"]["analyzer"] == "standard"
    assert template["settings"]["analysis"]["normalizer"]["folded"]["filter"] == ["lowercase"]
    assert properties["text_ko"]["analyzer"] == "whitespace" and "analyzer" not in template["settings"]["analysis"]
    reduced = backend.backlog()["elasticsearch_reduced_mode"]
    assert [line.split(":")[0] for line in reduced] == [
        "no analysis-common", "no analysis-nori", "no percolator", "no lang-painless", "no reindex"]
    # Korean twins are analysed here (mecab-ko), as the embedded index does; queries likewise.
    backend.upsert(article(1, "rfa-korean") | {"language": "ko", "text": "북한이 미사일을 발사했습니다."})
    assert backend.flush_backlog() == 1
    assert standin.indices["nw-articles-v2"]["a1"]["text_ko"] == "북한 미사일 발사"
    query = backend.build_search(parse_search_params([("q", "북한은")], cursors=Cursors(b"k"))).to_dict()
    assert query["query"]["bool"]["must"][0]["query_string"]["query"] == "북한"
    # Topics are matched here, not by a percolator the cluster does not have.
    topics = parse_topics('[nk]\nname = "NK"\nquery = "missile"\n[other]\nname = "Other"\nquery = "baseball"\n')
    assert backend.match_topics(article(2) | {"text": "A missile test."}, topics) == ["nk"]
    assert "nw-topics-v2" not in standin.indices and not standin.searches


def test_query_translation_is_pure_request_bodies_without_a_client():
    from index.es.translate import search_request, topic_query
    from index.query import SearchQuery

    query = parse_search_params([("q", "kursk"), ("outlet", "newsweek"), ("since", "2025-11-01"), ("sort", "newest"),
                                 ("size", "5")])
    search = search_request(query, "nw-articles")
    body = search.to_dict()
    assert search._index == ["nw-articles"] and search._using == "default"  # no client chosen
    assert body["query"]["bool"]["filter"][:2] == [
        {"terms": {"outlet": ["newsweek"]}}, {"range": {"published_at": {"gte": "2025-11-01T00:00:00+00:00"}}}]
    assert {"bool": {"must_not": [{"exists": {"field": "duplicate_of"}}]}} in body["query"]["bool"]["filter"]
    assert body["sort"] == [{"published_at": "desc"}, {"id": "asc"}] and body["size"] == 5
    # A later page of a walk reads its point in time, not the alias.
    later = search_request(SearchQuery(q="kursk", after={"a": ["2025-11-02T00:00:00Z", "a1"], "p": "pit-1"}), "nw-articles")
    assert later._index is None and later.to_dict()["pit"] == {"id": "pit-1", "keep_alive": "5m"}
    # Twins analysed here: the words of q are analysed here too, and not highlighted in the twin.
    korean = search_request(parse_search_params([("q", "북한은")]), "nw-articles", frozenset({"ko"})).to_dict()
    assert korean["query"]["bool"]["must"][0]["query_string"]["query"] == "북한"
    assert set(korean["highlight"]["fields"]) == {"text"}

    class Topic:
        query, entities, outlets = "baseball", (("place", "Kursk"),), ("newsweek",)
    stored = topic_query(Topic, "nw-articles")["bool"]
    assert stored["must"][0]["query_string"]["query"] == "baseball"
    assert {"term": {"entities.place.key": "kursk"}} in stored["filter"]
