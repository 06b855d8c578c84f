"""What every SearchBackend does, run against each (see the `backend` fixture)."""
from core.article import ARTICLE_FIELDS, new_article
from index.cursors import Cursors
from index.query import parse_search_params
from index.search import run_search
from index.tantivy.backend import TantivyBackend

CURSORS = Cursors(b"test key")


def search(backend, *params):
    return run_search(backend, parse_search_params(list(params), cursors=CURSORS), CURSORS)


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_words_phrases_or_not_and_fields(backend):
    assert set(ids(search(backend, ("q", "war certificates")))) == {"rfa1", "nw1"}
    assert ids(search(backend, ("q", '"storm corps"'))) == ["rfa1"]
    assert set(ids(search(backend, ("q", "yankees OR zelensky")))) == {"nw1", "nw2"}
    assert ids(search(backend, ("q", "certificates -zelensky"))) == ["rfa1"]
    assert ids(search(backend, ("q", "title:yankees"))) == ["nw2"]
    assert ids(search(backend, ("q", "참전"))) == ["ko1"]


def test_hits_carry_every_field_but_text_plus_a_snippet(backend):
    [hit] = search(backend, ("q", '"storm corps"'))["hits"]
    assert set(hit) == (set(ARTICLE_FIELDS) - {"text"}) | {"snippet"}
    assert "Storm Corps" in hit["snippet"]


def test_filters_outlets_language_dates_and_entities(backend):
    assert set(ids(search(backend, ("outlet", "rfa-english"), ("outlet", "rfa-korean")))) == {"rfa1", "ko1"}
    assert ids(search(backend, ("language", "ko"))) == ["ko1"]
    assert ids(search(backend, ("since", "2025-11-05T14:00:00Z"), ("until", "2025-11-05T15:15:00Z"))) == ["nw2"]
    assert ids(search(backend, ("entity", "person:kim jong un"))) == ["rfa1"]
    assert ids(search(backend, ("entity", "place:North Korea"), ("entity", "org:Storm Corps"))) == ["rfa1"]


def test_copies_are_hidden_and_uncounted_unless_included(backend):
    default = search(backend, ("q", "certificates"))
    assert "copy1" not in ids(default) and default["total"] == 2
    assert "copy1" in ids(search(backend, ("q", "certificates"), ("duplicates", "include")))


def test_newest_first_paging_with_cursors_and_outlet_facets(backend):
    first = search(backend, ("size", "2"))
    assert ids(first) == ["nw1", "nw2"] and first["total"] == 4
    second = search(backend, ("size", "2"), ("cursor", first["next_cursor"]))
    assert ids(second) == ["ko1", "rfa1"] and second["next_cursor"] is None
    assert {"value": "newsweek", "count": 2} in first["facets"]["outlet"]
    assert first["facets"]["place"][0] == {"value": "North Korea", "count": 2}


def test_size_zero_counts_without_hits(backend):
    result = search(backend, ("q", "certificates"), ("size", "0"))
    assert result["total"] == 2 and result["hits"] == [] and result["facets"]["outlet"]


def test_malformed_queries_raise_query_error_on_q(backend):
    import pytest

    from index.query import QueryError

    for q in ['"unclosed', "(kursk", "nosuchfield:x", "AND"]:
        with pytest.raises(QueryError) as raised:
            search(backend, ("q", q))
        assert raised.value.parameter == "q"


def test_get_returns_the_whole_article(backend):
    article = backend.get("rfa1")
    assert set(article) == set(ARTICLE_FIELDS) and "Storm Corps" in article["text"]
    assert backend.get("missing") is None and backend.count() == 5


def test_upsert_replaces_by_id(backend):
    backend.upsert(new_article(id="nw2", url="https://www.newsweek.com/yankees-10987000", outlet="newsweek",
                               title="Yankees lose in extra innings", text="Updated. " * 20, revision=2,
                               published_at="2025-11-05T14:00:00Z", language="en"))
    backend.commit()
    backend.flush_backlog()
    assert backend.count() == 5 and backend.get("nw2")["revision"] == 2
    assert [h["id"] for h in search(backend, ("q", "yankees"))["hits"]] == ["nw2"]


def test_tantivy_upsert_survives_reopening(tmp_path):
    backend = TantivyBackend(tmp_path / "ix")
    backend.upsert(new_article(id="a", url="https://x.org/a", outlet="x", title="First", text="one " * 50))
    backend.upsert(new_article(id="a", url="https://x.org/a", outlet="x", title="Second", text="two " * 50, revision=2))
    backend.commit()
    backend.close()
    reopened = TantivyBackend(tmp_path / "ix", writable=False)
    assert reopened.count() == 1
    assert reopened.get("a")["title"] == "Second" and reopened.get("a")["revision"] == 2
    assert reopened.get("a")["text"].startswith("two")
    assert reopened.get("missing") is None


def test_tantivy_nothing_is_visible_before_commit(tmp_path):
    backend = TantivyBackend(tmp_path / "ix")
    backend.upsert(new_article(id="a", url="https://x.org/a", outlet="x", title="First", text="one " * 50))
    assert TantivyBackend(tmp_path / "ix", writable=False).count() == 0
    backend.commit()
    assert TantivyBackend(tmp_path / "ix", writable=False).count() == 1


def test_topics_match_new_articles_as_search_would(backend):
    from crawler.config.topics import parse_topics

    topics = parse_topics('[nk]\nname = "NK"\nquery = \'"war certificates"\'\nentities = ["place:Kursk"]\n'
                          '[nw]\nname = "Newsweek only"\nquery = "certificates"\noutlets = ["newsweek"]\n'
                          '[other]\nname = "Baseball"\nquery = "yankees"\n')
    story = new_article(id="new1", url="https://www.rfa.org/new1", outlet="rfa-english", language="en",
                        title="More war certificates", text="Families in Kursk receive war certificates. " * 5,
                        published_at="2025-11-06T00:00:00Z",
                        entities={"person": [], "org": [], "place": ["Kursk"]})
    assert backend.match_topics(story, topics) == ["nk"]
    assert backend.match_topics({**story, "outlet": "newsweek"}, topics) == ["nk", "nw"]
    assert backend.match_topics({**story, "entities": {"person": [], "org": [], "place": []}}, topics) == []


def test_paging_visits_every_hit_exactly_once(backend):
    for sort in ("newest", "relevance"):
        seen, cursor, total = [], None, None
        while True:
            page = search(backend, ("q", "certificates OR yankees OR 북한이"), ("sort", sort), ("size", "1"),
                          ("duplicates", "include"), *([("cursor", cursor)] if cursor else []))
            total = total if total is not None else page["total"]
            assert page["total"] == total  # every page answers the first page's total
            seen += ids(page)
            assert len(seen) <= total, f"paging goes past the total: {seen}"  # fails, not loops, if a cursor repeats
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == total == 5, sort


def test_histograms_count_stories_per_period_in_a_time_zone(backend):
    # Published 2025-11-04 18:30Z, 11-05 15:15Z, 11-05 14:00Z, 11-05 02:00Z (+ a copy on the 6th).
    days = search(backend, ("histogram", "day"), ("size", "0"))["histogram"]
    assert days == [{"value": "2025-11-04", "count": 1}, {"value": "2025-11-05", "count": 3}]
    seoul = search(backend, ("histogram", "day"), ("tz", "Asia/Seoul"))["histogram"]  # UTC+9
    assert seoul == [{"value": "2025-11-05", "count": 3}, {"value": "2025-11-06", "count": 1}]
    with_copies = search(backend, ("histogram", "week"), ("duplicates", "include"))["histogram"]
    assert with_copies == [{"value": "2025-11-03", "count": 5}]
    assert search(backend, ("q", "nothingmatches"), ("histogram", "month"))["histogram"] == []
    assert "histogram" not in search(backend, ("q", "kursk"))


def test_a_story_is_its_members_copies_included(backend):
    from web.story import story_view

    story = story_view(backend, "nw1")
    assert story["first_report"]["id"] == "nw1" and story["copies"] == 1
    assert [c["id"] for c in story["reports"][0]["copies"]] == ["copy1"]
    assert story_view(backend, "nothing") is None


def test_exports_page_through_everything_by_position(backend):
    from web.exports import pages
    from index.query import SearchQuery

    if isinstance(backend, TantivyBackend):  # more than a page (100) and more than one offset window's worth
        for n in range(230):
            backend.upsert(new_article(id=f"bulk{n}", url=f"https://x.org/{n}", outlet="bulk", title=f"Bulk {n}",
                                       text="Kursk bulk report.", published_at=f"2024-0{n % 9 + 1}-01T00:{n % 60:02d}:00Z",
                                       language="en"))
        backend.commit()
        backend.flush_backlog()
    seen = [hit["id"] for page in pages(backend, SearchQuery(q="kursk")) for hit in page]
    assert len(seen) == len(set(seen)) == search(backend, ("q", "kursk"), ("size", "0"))["total"]


KOREAN = [
    ("ko-cert", "북한당국, 전사자 가족에 참전증서 발급", "북한당국이 러시아에 파병됐다가 숨진 군인들의 가족에게 참전증서를 발급했습니다. "
     "쿠르스크 지역에 파견된 폭풍군단 병사들의 유가족이 대상입니다."),
    ("ko-missile", "북, 탄도미사일 발사", "북한이 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔습니다. 한미 당국이 분석 중입니다."),
    ("ko-market", "장마당 쌀값 급등", "평양의 장마당에서 쌀값이 한 달 사이 두 배로 올랐다고 주민들이 전했습니다. 당국은 가격 단속에 나섰습니다."),
]


def test_korean_words_match_with_any_particle_phrases_and_compounds(backend):
    """Same query semantics on both backends: morphemes embedded, nori (or cjk) on Elasticsearch."""
    for article_id, title, text in KOREAN:
        backend.upsert(new_article(id=article_id, url=f"https://www.rfa.org/korean/{article_id}", outlet="rfa-korean",
                                   title=title, text=text * 3, published_at="2025-11-06T00:00:00Z", language="ko"))
    backend.commit()
    backend.flush_backlog()

    def found(q):
        return set(ids(search(backend, ("q", q), ("language", "ko"))))
    assert found("북한") == {"ko1", "ko-cert", "ko-missile"}             # 북한이, 북한당국이, 북한, 북한군
    assert found("미사일을") == {"ko-missile"}                            # a particle in the query too
    assert found("참전증서") == found("증서") == {"ko1", "ko-cert"}      # compound and part
    assert found('"폭풍 군단"') == found("폭풍군단") == {"ko-cert"}
    assert found("당국 -북한") == {"ko-market"}
    assert found("쌀값 OR 미사일") == {"ko-market", "ko-missile"}
    assert found("title:장마당") == {"ko-market"}
    [hit] = search(backend, ("q", "장마당"))["hits"]
    assert "장마당" in hit["snippet"]
    assert ids(search(backend, ("q", "war certificates"), ("language", "en"))) != []  # English unchanged


def test_autocomplete_finds_any_name_however_rare_with_live_counts(backend):
    from index.query import EntitiesQuery, parse_date_param

    # More names than the 10,000 per type that autocomplete once counted: each of these is
    # named by one article only, after a frequent name that outnumbers them all.
    for n in range(420):
        names = [f"Frequent Person"] + [f"Rare{n:03d} Person{k:02d}" for k in range(25)]
        backend.upsert(new_article(id=f"many{n}", url=f"https://many.example/{n}", outlet="many", title=f"Roll {n}",
                                   text="A roll call of names.", language="en", published_at="2025-10-01T00:00:00Z",
                                   entities={"person": names, "org": [], "place": []}))
    backend.upsert(new_article(id="copy-of-many7", url="https://copies.example/7", outlet="many", title="Roll 7",
                               text="A roll call of names.", language="en", duplicate_of="many7",
                               published_at="2025-10-02T00:00:00Z",
                               entities={"person": ["Rare007 Person03"], "org": [], "place": []}))
    backend.upsert(new_article(id="many9", url="https://many.example/9", outlet="many", title="Roll 9 again",
                               text="Replaced.", language="en", published_at="2025-10-01T00:00:00Z",
                               entities={"person": ["Frequent Person"], "org": [], "place": []}))
    backend.commit()
    backend.flush_backlog()

    def complete(prefix, **values):
        return [(row["name"], row["count"]) for row in backend.entities(EntitiesQuery(prefix=prefix, **values))]

    assert complete("rare007 person0") == [(f"Rare007 Person0{k}", 1) for k in range(10)]
    assert complete("person03", kinds=("person",), size=3) == [("Rare000 Person03", 1), ("Rare001 Person03", 1),
                                                               ("Rare002 Person03", 1)]
    assert complete("rare419 person24") == [("Rare419 Person24", 1)]
    assert complete("rare009") == []  # its article was replaced by one without those names
    assert complete("FREQ") == [("Frequent Person", 420)]  # copies not counted
    assert complete("freq", since=parse_date_param("since", "2025-10-02")) == []
    assert complete("kim") == [("Kim Jong Un", 1)]


def test_tantivy_later_pages_keep_their_facets_until_the_index_changes(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    for n in range(5):
        backend.upsert(new_article(id=f"p{n}", url=f"https://a.example/{n}", outlet="alpha", title=f"Page {n}",
                                   text="Words.", language="en", published_at=f"2025-11-0{n + 1}T00:00:00Z"))
    backend.commit()
    backend.flush_backlog()
    first = search(backend, ("sort", "newest"), ("size", "2"))
    second = search(backend, ("sort", "newest"), ("size", "2"), ("cursor", first["next_cursor"]))
    assert second["facets"] == first["facets"] and first["facets"]["outlet"] == [{"value": "alpha", "count": 5}]
    backend.upsert(new_article(id="late", url="https://b.example/late", outlet="beta", title="Late", text="Words.",
                               language="en", published_at="2025-10-01T00:00:00Z"))
    backend.commit()
    backend.flush_backlog()
    third = search(backend, ("sort", "newest"), ("size", "2"), ("cursor", second["next_cursor"]))
    assert {b["value"] for b in third["facets"]["outlet"]} == {"alpha", "beta"}
    backend.close()


def test_newest_first_walk_neither_repeats_nor_skips_when_newer_articles_arrive(backend):
    def add(n, day):
        backend.upsert(new_article(id=f"walk{n}", url=f"https://walk.example/{n}", outlet="walk", title=f"Walk {n}",
                                   text="A walk.", language="en", published_at=f"2025-09-{day:02d}T00:00:00Z"))

    for n in range(10):
        add(n, 10 + n)
    backend.commit()
    backend.flush_backlog()
    seen, cursor = [], None
    while True:
        page = search(backend, ("outlet", "walk"), ("sort", "newest"), ("size", "3"),
                      *([("cursor", cursor)] if cursor else []))
        seen += ids(page)
        assert len(seen) <= 10, f"the walk goes past its ten articles: {seen}"
        if len(seen) == 3:  # newer articles than the whole walk arrive after its first page
            for n in range(10, 20):
                add(n, 20 + n - 10 if n < 19 else 30)
            backend.commit()
            backend.flush_backlog()
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"walk{n}" for n in range(9, -1, -1)]
