from datetime import datetime, timezone

import pytest

from index.query import MAX_SIZE, QueryError, parse_search_params


def test_parameters_parse_into_the_query_model():
    query = parse_search_params([("q", " kursk "), ("entity", "person:Kim  Jong Un"), ("entity", "place:Kursk"),
                                 ("outlet", "rfa-english"), ("outlet", "newsweek"), ("since", "2025-11-01"),
                                 ("until", "2025-11-05T12:00:00+09:00"), ("sort", "newest"), ("size", "5")])
    assert query.q == "kursk"
    assert query.entities == (("person", "Kim Jong Un"), ("place", "Kursk"))
    assert query.outlets == ("rfa-english", "newsweek")
    assert query.since == datetime(2025, 11, 1, tzinfo=timezone.utc)
    assert query.until == datetime(2025, 11, 5, 3, tzinfo=timezone.utc)
    assert (query.sort, query.size) == ("newest", 5)


def test_size_is_clamped_and_relevance_without_words_sorts_newest():
    assert parse_search_params([("size", "5000")]).size == MAX_SIZE
    assert parse_search_params([]).effective_sort == "newest"


@pytest.mark.parametrize("params, parameter", [
    ([("size", "-1")], "size"), ([("size", "ten")], "size"), ([("since", "yesterday")], "since"),
    ([("until", "2025-13-01")], "until"), ([("sort", "oldest")], "sort"), ([("entity", "city:Kursk")], "entity"),
    ([("entity", "Kursk")], "entity"), ([("cursor", "not-a-cursor")], "cursor"), ([("duplicates", "yes")], "duplicates"),
    ([("language", "english")], "language"), ([("colour", "red")], "colour"), ([("q", "a"), ("q", "b")], "q"),
    ([("since", "2025-11-05"), ("until", "2025-11-01")], "until"),
])
def test_every_invalid_parameter_is_named(params, parameter):
    with pytest.raises(QueryError) as raised:
        parse_search_params(params)
    assert raised.value.parameter == parameter and raised.value.message


def test_q_may_name_only_the_searchable_fields():
    assert parse_search_params([("q", 'title:kursk "note: quoted" outlet:newsweek')]).q
    with pytest.raises(QueryError, match="unknown field 'secret'"):
        parse_search_params([("q", "kursk -secret:x")])
