"""The syntax of `q` on both backends (Elasticsearch when ELASTICSEARCH_URL is set) and in the
Elasticsearch translation offline: entity terms, a lower-case `or`, `url:`, error messages."""
import pytest
from elasticsearch import Elasticsearch

from core.statedb import StateDB
from crawler.entities.names import load_names
from index.cursors import Cursors
from index.es.backend import ElasticsearchBackend
from index.outbox import Outbox
from index.query import QueryError, parse_search_params
from index.search import run_search

CURSORS = Cursors(b"syntax")
NAMES = load_names()


def ids(backend, *params) -> set[str]:
    query = parse_search_params(list(params), names=NAMES, cursors=CURSORS)
    return {hit["id"] for hit in run_search(backend, query, CURSORS)["hits"]}


def test_entity_terms_in_q_are_the_entity_filter(backend):
    # person:Zelenskyy goes through the alias table, as entity=person:Zelenskyy does.
    assert ids(backend, ("q", "person:Zelenskyy")) == ids(backend, ("entity", "person:Zelenskyy")) == {"nw1"}
    assert ids(backend, ("q", 'person:"Kim Jong Un"')) == ids(backend, ("entity", "person:Kim Jong Un")) == {"rfa1"}
    assert ids(backend, ("q", 'certificates Place:"north korea"')) == {"rfa1", "nw1"}
    assert ids(backend, ("q", "org:Storm+Corps")) == set()  # a word: the name is "Storm+Corps"
    assert ids(backend, ("q", 'org:"Storm Corps" place:Kursk')) == {"rfa1"}
    # A filter on the whole query: the words may have alternatives of their own.
    assert ids(backend, ("q", "place:Kursk yankees OR certificates")) == {"rfa1"}
    # Inside a phrase, "person:" is text.
    assert parse_search_params([("q", '"person: Kim"')]).entities == ()


@pytest.mark.parametrize("q", ["-person:Zelenskyy", "NOT person:Zelenskyy", "person:Zelenskyy OR kursk",
                               "kursk or person:Zelenskyy", "(person:Zelenskyy kursk)", "kursk (sumy person:Kim)",
                               "person:", 'place:""', "people:Kim"])
def test_entity_terms_a_filter_cannot_say_are_refused(q):
    with pytest.raises(QueryError) as raised:
        parse_search_params([("q", q)])
    assert raised.value.parameter == "q" and raised.value.message


def test_a_lower_case_or_is_the_operator(backend):
    assert ids(backend, ("q", "yankees or certificates")) == ids(backend, ("q", "yankees OR certificates"))
    assert ids(backend, ("q", "yankees Or certificates")) == {"rfa1", "nw1", "nw2"}
    # In a phrase, or as a field's value, it is a word.
    assert ids(backend, ("q", '"yankees or certificates"')) == set()


def test_url_takes_a_whole_address(backend):
    assert ids(backend, ("q", 'url:"https://www.newsweek.com/yankees-10987000"')) == {"nw2"}
    with pytest.raises(QueryError, match="whole address"):
        parse_search_params([("q", "url:yankees")])


def test_error_messages_quote_the_input_as_typed():
    for name in ("since", "until"):
        with pytest.raises(QueryError) as raised:
            parse_search_params([(name, "yesterday")])
        assert raised.value.message == "'yesterday' is not an ISO date or date-time"


def test_the_elasticsearch_translation_of_entity_terms_and_or(tmp_path):
    # Offline: build_search never calls the cluster.
    backend = ElasticsearchBackend(Elasticsearch("http://127.0.0.1:9"), Outbox(StateDB(tmp_path / "state.sqlite3")))
    body = backend.build_search(parse_search_params([("q", 'person:Zelenskyy kursk or sumy')], names=NAMES)).to_dict()
    query = body["query"]["bool"]
    assert query["must"][0]["query_string"]["query"] == "kursk OR sumy"
    assert {"term": {"entities.person.key": "volodymyr zelensky"}} in query["filter"]
    alone = backend.build_search(parse_search_params([("q", 'person:"Kim Jong Un"')], names=NAMES)).to_dict()
    assert "must" not in alone["query"]["bool"]
    assert {"term": {"entities.person.key": "kim jong un"}} in alone["query"]["bool"]["filter"]


def test_topics_and_outlet_filters_read_a_lower_case_or_the_same_way():
    from index.matching import matching

    items = [{"title": "A dwarf planet"}, {"title": "Hypersonic missile test"}, {"title": "Yankees win"}]
    assert matching("hypersonic or dwarf", items) == matching("hypersonic OR dwarf", items) == {0, 1}
