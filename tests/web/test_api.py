import pytest
from fastapi.testclient import TestClient

from core.statedb import StateDB
from crawler.entities.names import load_names
from crawler.config.outlets import parse_outlets
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext

OUTLETS = parse_outlets("""
[rfa-english]
name = "Radio Free Asia"
language = "en"
feeds = ["https://www.rfa.org/arc/outboundfeeds/english/rss/"]
interval = "1h"
[newsweek]
name = "Newsweek"
language = "en"
feeds = ["https://www.newsweek.com/rss"]
""")


@pytest.fixture
def client(backend, tmp_path):
    state = CrawlState(StateDB(tmp_path / "state.sqlite3"))
    triggered = []
    context = ApiContext(backend=backend, state=state, outlets=lambda: OUTLETS, trigger_crawl=triggered.append,
                         reload=lambda: (False, "kept the current outlets: outlet [x] interval: at least 1m"),
                         names=load_names())
    client = TestClient(create_app(context))
    client.triggered = triggered
    client.state = state
    client.backend = backend
    return client


def test_search_answers_the_contract_shape(client):
    response = client.get("/search", params={"q": "certificates", "size": 1})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"total", "total_approximate", "hits", "facets", "facets_approximate", "next_cursor"}
    assert body["total"] == 2 and len(body["hits"]) == 1 and body["next_cursor"]
    assert set(body["facets"]) == {"outlet", "person", "org", "place", "topic"}
    following = client.get("/search", params={"q": "certificates", "size": 1, "cursor": body["next_cursor"]}).json()
    assert following["next_cursor"] is None and following["hits"][0]["id"] != body["hits"][0]["id"]


def test_repeated_parameters_combine(client):
    response = client.get("/search?outlet=rfa-english&outlet=newsweek&entity=place:North+Korea")
    assert {h["id"] for h in response.json()["hits"]} == {"rfa1", "nw1"}


@pytest.mark.parametrize("query, parameter", [
    ("q=%22unclosed", "q"), ("q=(kursk", "q"), ("size=-3", "size"), ("size=many", "size"), ("since=last+week", "since"),
    ("until=2025-02-30", "until"), ("sort=random", "sort"), ("cursor=xyz", "cursor"), ("entity=Kursk", "entity"),
    ("duplicates=maybe", "duplicates"), ("bogus=1", "bogus"), ("outlet=nope", "outlet"), ("topic=nope", "topic"),
    ("language=xx", "language"), ("language=english", "language"), ("q=kurs*", "q"), ("q=kursk~2", "q"),
    ("q=k%3Frsk", "q"),
])
def test_every_invalid_parameter_is_a_400_naming_it(client, query, parameter):
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter and response.json()["error"]


def test_articles_by_id_and_404(client):
    article = client.get("/articles/rfa1").json()
    assert article["title"].startswith("North Korea hands out") and "Storm Corps" in article["text"]
    missing = client.get("/articles/nope")
    assert missing.status_code == 404 and "error" in missing.json()


def test_outlets_health_and_metrics(client):
    outlets = client.get("/outlets").json()
    assert [o["key"] for o in outlets] == ["rfa-english", "newsweek"]
    assert {o["status"] for o in outlets} == {"never"}
    assert set(outlets[0]) >= {"key", "name", "last_poll_at", "status", "articles", "errors", "last_error"}
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["articles"] == 5
    metrics = client.get("/metrics").text
    assert "newswatch_index_documents 5.0" in metrics and 'newswatch_crawl_errors_total{outlet="newsweek"}' in metrics


def test_admin_crawl_and_reload(client):
    assert client.post("/outlets/newsweek/crawl").status_code == 202
    assert client.triggered == ["newsweek"]
    assert client.post("/outlets/nosuch/crawl").status_code == 404
    refused = client.post("/reload")
    assert refused.status_code == 400 and "kept the current outlets" in refused.json()["error"]


def test_unknown_paths_answer_json(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}


def test_entity_filters_go_through_the_alias_table(client):
    hits = client.get("/search", params={"entity": "person:Zelenskyy"}).json()["hits"]
    assert [h["id"] for h in hits] == ["nw1"]
    assert client.get("/search", params={"entity": "place:DPRK"}).json()["total"] == 2


def test_autocomplete_finds_names_by_their_korean_spelling_and_their_english_prefix(client):
    from core.article import new_article

    client.backend.upsert(new_article(
        id="ko2", url="https://www.rfa.org/korean/news/nk/2025/11/06/", outlet="rfa-korean", title="김정은 현지지도",
        text="김정은 국무위원장과 김철수 대좌가 혜산시를 찾았습니다. " * 3, published_at="2025-11-06T02:00:00Z",
        language="ko", entities={"person": ["Kim Jong Un", "김철수"], "org": [], "place": ["혜산시"]}))
    client.backend.commit()
    client.backend.flush_backlog()  # Elasticsearch delivers on its courier thread: now, before asking

    def names(**params):
        return [(e["type"], e["name"], e["count"]) for e in client.get("/entities", params=params).json()["entities"]]

    # Kim Jong Un is stored by his canonical name; 김 is the start of 김정은, his Korean form in the tables.
    assert names(prefix="김") == [("person", "Kim Jong Un", 2), ("person", "김철수", 1)]
    assert names(prefix="김정", type="person") == [("person", "Kim Jong Un", 2)]
    assert names(prefix="김정", type="place") == []
    assert names(prefix="혜산") == [("place", "혜산시", 1)]  # a name kept in Hangul, by its own prefix
    assert names(prefix="kim j") == names(prefix="Jong") == [("person", "Kim Jong Un", 2)]


def test_top_entities_and_autocomplete(client):
    top = client.get("/entities").json()["entities"]
    assert top[0] == {"type": "place", "name": "North Korea", "count": 2}
    assert {"type": "org", "name": "Storm Corps", "count": 1} in top
    assert client.get("/entities", params={"type": "person", "prefix": "zel"}).json() == \
        {"entities": [{"type": "person", "name": "Volodymyr Zelensky", "count": 1}]}
    assert client.get("/entities", params={"since": "2025-11-05"}).json()["entities"] == [
        {"type": "place", "name": "North Korea", "count": 1}, {"type": "org", "name": "Radio Free Asia", "count": 1},
        {"type": "person", "name": "Volodymyr Zelensky", "count": 1}]
    for query, parameter in (("type=city", "type"), ("size=-1", "size"), ("since=soon", "since"), ("q=x", "q")):
        response = client.get(f"/entities?{query}")
        assert response.status_code == 400 and response.json()["parameter"] == parameter


def test_a_known_language_or_outlet_without_articles_is_simply_no_hits(client):
    for query in ("language=fr", "outlet=rfa-english&q=yankees"):
        response = client.get(f"/search?{query}")
        assert response.status_code == 200 and response.json()["total"] == 0, query
    # An outlet gone from outlets.toml whose articles are still kept stays searchable.
    assert client.get("/search?outlet=aggregator&duplicates=include").status_code == 400
    copy = client.backend.get("copy1")
    client.state.record_committed([(copy, [], None)])
    assert client.get("/search?outlet=aggregator&duplicates=include").json()["total"] == 1


def test_health_is_degraded_with_reasons_when_an_outlet_keeps_failing(client):
    from datetime import timedelta

    from core.dates import utcnow

    long_ago = utcnow() - timedelta(hours=4)  # rfa-english polls hourly: failing for 4 intervals
    client.state.record_poll("rfa-english", True, 1, 0, at=long_ago)
    client.state.record_poll("rfa-english", False, 0, 0, at=long_ago + timedelta(hours=1))
    client.state.record_error("rfa-english", "https://www.rfa.org/rss", "HTTP 500")
    client.state.record_poll("newsweek", False, 0, 0)  # failing, but only just: not a reason yet
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    [reason] = health.json()["reasons"]
    assert "rfa-english" in reason and "HTTP 500" in reason
    assert "newswatch_degraded 1.0" in client.get("/metrics").text
    client.state.record_poll("rfa-english", True, 0, 0)
    assert client.get("/health").json()["status"] == "ok" and "newswatch_degraded 0.0" in client.get("/metrics").text


def test_a_repeated_single_parameter_is_a_400_everywhere(client):
    # Found by schemathesis: /entities took the last of two `prefix` values silently.
    for path in ("/entities?prefix=k&prefix=z", "/search?q=a&q=b", "/search.csv?key=a&key=b"):
        response = client.get(path)
        assert response.status_code == 400 and "given once" in response.json()["error"], path


def test_a_feed_of_a_search_with_control_characters_is_still_xml(client):
    # Found by schemathesis: a query or a title with control characters failed the Atom writer.
    import xml.etree.ElementTree as ElementTree

    response = client.get("/search.atom", params={"q": "certificates \x01\x1c", "entity": "person:Kim\x1c"})
    assert response.status_code == 200
    ElementTree.fromstring(response.content)


def test_an_export_the_backend_refuses_is_a_400_before_any_row(client):
    # Found by schemathesis: `q=-` passes the parameter check and fails in the backend's parser.
    response = client.get("/search.csv?q=-")
    assert response.status_code == 400 and response.json()["parameter"] == "q"
