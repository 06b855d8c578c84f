"""The embedded backend's autocomplete tables answer as the term dictionary's walk does."""
import random

import tantivy

from core.article import new_article
from index.tantivy.completion import CompletionTable
from index.query import EntitiesQuery
from index.tantivy.backend import TantivyBackend
from index.tantivy.schema import generation


def roll(backend, n, names, **fields):
    backend.upsert(new_article(id=f"a{n}", url=f"https://roll.example/{n}", outlet="roll", title=f"Roll {n}",
                               text="A roll call of names.", language="en", published_at="2025-10-01T00:00:00Z",
                               entities={"person": names, "org": [], "place": []}, **fields))


def test_a_table_answers_every_prefix_as_the_walk_does_ties_deletions_and_copies_included(tmp_path):
    rng = random.Random(3)
    pool = [f"{first} {last}" for first in ("Kim", "Kimberly", "Ki", "Lee", "Leeds", "Zoe", "Émile")
            for last in ("Jong Un", "Ann", "Kimura", "Lee", "Park", "Öz")]
    backend = TantivyBackend(tmp_path / "index")
    for n in range(400):
        # Counts from 1 up, many of them equal: ties at every cut.
        named = pool[:rng.randint(4, len(pool))]
        roll(backend, n, rng.sample(named, rng.randint(1, 4)),
             duplicate_of="a0" if n % 10 == 9 else None)
    for n in range(0, 400, 7):
        roll(backend, n, ["Replaced Person"])  # deleted documents: counts against live articles
    backend.commit()
    searcher = backend.index.searcher()
    live = tantivy.Query.all_query()
    table = CompletionTable(searcher.terms_with_prefix("person_complete", "", filter_query=live))
    prefixes = {key[:length] for key in table.keys for length in (1, 2, 3, 5, 40)} | {"", "nobody", "kim jong un "}
    for prefix in sorted(prefixes):
        for limit in (1, 3, 30):
            walked = [(term, count) for term, count in
                      searcher.terms_with_prefix("person_complete", prefix, filter_query=live, limit=limit) if count]
            assert table.top(prefix, limit) == walked, (prefix, limit)
    backend.close()


def test_autocomplete_uses_the_table_of_its_generation_and_walks_until_the_next_is_built(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    for n in range(30):
        roll(backend, n, ["Kim Jong Un"] + ([f"Kim Rare{n}"] if n < 3 else []))
    backend.commit()

    def complete(prefix):
        return [(row["name"], row["count"]) for row in backend.entities(EntitiesQuery(prefix=prefix, size=3))]

    walked = complete("kim")  # starts the build
    backend.completion_job.result()
    assert backend.completion.built is not None
    assert complete("kim") == walked == [("Kim Jong Un", 30), ("Kim Rare0", 1), ("Kim Rare1", 1)]
    roll(backend, 30, ["Kim Aardvark"])
    roll(backend, 31, ["Kim Aardvark"])
    backend.commit()
    # A new generation: the old table is not used, the walk sees the new name at once.
    assert complete("kim") == [("Kim Jong Un", 30), ("Kim Aardvark", 2), ("Kim Rare0", 1)]
    backend.close()


def test_the_list_of_most_frequent_names_from_the_tables_is_the_aggregations(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    # A name of seven words (seven keys) first; then names tied at 3 whose keys sort in another
    # order than the names ("Alpha Zulu" comes first by name, its keys after "aa", "ab", ...).
    counted = {"Seven Words In One Very Long Name": 6, "Top Name": 5, "Alpha Zulu": 3, "Epsilon Aa": 3,
               "Zeta Ab": 3, "Eta Ac": 3, "Theta Ad": 3, "Gamma Aardvark": 3, "Single": 1}
    rolls = [[name for name, count in counted.items() if count > n] for n in range(6)]
    for n, names in enumerate(rolls):
        roll(backend, n, names)
    roll(backend, 6, ["Top Name"], duplicate_of="a0")  # a copy: not counted
    roll(backend, 7, ["Single"])
    roll(backend, 7, ["Replaced Person"])  # replaced: Single counts 1
    backend.commit()
    queries = [EntitiesQuery(size=size, kinds=kinds) for size in (0, 1, 2, 3, 4, 9, 500)
               for kinds in (("person",), ("person", "org", "place"))]
    aggregated = [backend.entities_by_aggregation(query) for query in queries]
    assert [row["name"] for row in aggregated[6]] == ["Seven Words In One Very Long Name", "Top Name", "Alpha Zulu"]
    backend.entities(EntitiesQuery())  # starts the build
    backend.completion_job.result()
    searcher = backend.index.searcher()
    for query, expected in zip(queries, aggregated):
        assert backend.completion.listed(searcher, query, generation(backend.path)) == expected, query
    assert backend.entities(queries[-1]) == aggregated[-1]
    backend.close()


def test_a_name_found_by_another_form_counts_the_same_from_the_walk_and_the_table(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    for n in range(5):
        roll(backend, n, ["Kim Jong Un", "Kim Jong Unn"][: 1 + (n < 2)] + (["김철수"] if n < 3 else []))
    roll(backend, 5, ["Kim Jong Un"], duplicate_of="a0")  # a copy: not counted
    backend.commit()
    query = EntitiesQuery(prefix="김", spelled=(("person", "Kim Jong Un"), ("org", "Kim Jong Un")))

    def complete():
        return [(row["name"], row["count"]) for row in backend.entities(query)]

    walked = complete()  # starts the build
    backend.completion_job.result()
    assert complete() == walked == [("Kim Jong Un", 5), ("김철수", 3)]  # "Kim Jong Unn" is another name
    backend.close()
