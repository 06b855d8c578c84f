"""Search answers the same before and after the issue-15 changes (facet sampling aside, which a
small index never triggers): hits, totals, facets, pages and `/entities` on a fixed index,
compared with what the code before the change answered (`data/search_before.json`, written by
running this file as a script on that code)."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from core.article import new_article  # noqa: E402
from index.cursors import Cursors  # noqa: E402
from index.query import EntitiesQuery, parse_search_params  # noqa: E402
from index.search import run_search  # noqa: E402
from index.tantivy.backend import TantivyBackend  # noqa: E402
from index.tantivy.schema import article_of  # noqa: E402
from index.tantivy.translate import scope  # noqa: E402

BEFORE = HERE / "data" / "search_before.json"
CURSORS = Cursors(b"unchanged")
WORDS = ("troops border sanctions missile talks shelling drone strike officials said front region village ministry "
         "report army corps soldiers families certificates war ceasefire police court election market shares "
         "price river bridge winter storm harvest").split()


def fixed_articles(count: int = 3000):
    rng = random.Random(1515)
    names = {kind: [f"{first} {last}" for first in ("Ann", "Boris", "Chen", "Dmitri", "Eun", "Farid", "Zel")
                    for last in ("Kim", "Lee", "Orban", "Zelensky", "Park", "Ivanov", "Novak")] for kind in ("person",)}
    names["org"] = [f"{w.title()} {s}" for w in WORDS[:12] for s in ("Ministry", "Corps", "Party")]
    names["place"] = [f"{w.title()}{s}" for w in WORDS[12:] for s in ("sk", "grad", "ville")]
    for n in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 90))]
        entities = {kind: sorted({rng.choice(pool[: rng.randint(1, len(pool))]) for _ in range(rng.randint(0, 4))})
                    for kind, pool in names.items()}
        yield new_article(
            id=f"f{n:05d}", url=f"https://outlet{n % 7}.example/{n}", outlet=f"outlet{rng.randrange(7)}",
            title=" ".join(words[:8]), text=" ".join(words), language=rng.choice(["en", "en", "en", "de"]),
            published_at=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
            entities=entities, topics=["war"] if "war" in words else [],
            duplicate_of=f"f{rng.randrange(n):05d}" if n > 20 and rng.random() < 0.1 else None)


SEARCHES = [
    [("q", "said")], [("q", "war")], [("q", "troops border")], [("q", '"war ceasefire"')],
    [("q", "said"), ("duplicates", "include")], [("q", "shares -price")], [("q", "title:drone")],
    [("entity", "person:Zel Zelensky"), ("since", "2025-03-01"), ("until", "2025-09-01")],
    [("sort", "newest"), ("outlet", "outlet3")], [("sort", "newest"), ("q", "said")],
    [("outlet", "outlet1"), ("outlet", "outlet2"), ("language", "de")], [("topic", "war"), ("size", "7")],
    [("q", "market"), ("size", "0")], [("entity", "org:Drone Corps"), ("entity", "place:Courtsk")],
    [("q", "storm"), ("histogram", "month"), ("tz", "Asia/Seoul")],
]
PAGED = [[("sort", "newest"), ("q", "said")], [("q", "said")], [("sort", "newest")]]
ENTITY_QUERIES = [dict(), dict(prefix="zel"), dict(prefix="ann k", size=5), dict(kinds=("org",), prefix="war"),
                  dict(kinds=("place",), size=100), dict(prefix="z", since="2025-06-01"), dict(prefix="nobody")]


def answers(backend) -> dict:
    from index.query import parse_date_param

    def search(params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    out = {"searches": [], "pages": [], "entities": []}
    for params in SEARCHES:
        result = search(params)
        out["searches"].append({"params": params, "total": result["total"], "ids": [h["id"] for h in result["hits"]],
                                "snippets": [h["snippet"] for h in result["hits"]], "facets": result["facets"],
                                "histogram": result.get("histogram")})
    for params in PAGED:
        pages, result = [], search(params)
        while True:
            pages.append([h["id"] for h in result["hits"]])
            if not result["next_cursor"] or len(pages) == 6:
                break
            result = search(params + [("cursor", result["next_cursor"])])
            assert result["total"] == search(params)["total"]
        out["pages"].append({"params": params, "pages": pages})
    for values in ENTITY_QUERIES:
        values = dict(values)
        if "since" in values:
            values["since"] = parse_date_param("since", values["since"])
        out["entities"].append(backend.entities(EntitiesQuery(**values)))
    return json.loads(json.dumps(out))


def build(path: Path) -> TantivyBackend:
    backend = TantivyBackend(path)
    for article in fixed_articles():
        backend.upsert(article)
    backend.commit()
    return backend


def test_search_answers_as_before(tmp_path):
    backend = build(tmp_path / "index")
    expected = json.loads(BEFORE.read_text())
    got = answers(backend)
    for before, now in zip(expected["searches"], got["searches"]):
        assert now == before, before["params"]
    assert got["pages"] == expected["pages"]
    assert got["entities"] == expected["entities"]
    backend.close()
    # A reader of its own (another process's API) learns the facet values from the index.
    assert answers(TantivyBackend(tmp_path / "index", writable=False)) == got



def test_facets_of_a_large_result_set_are_counted_on_a_share_and_marked(tmp_path):
    build(tmp_path / "index").close()
    exact = TantivyBackend(tmp_path / "index", writable=False)
    sampled = TantivyBackend(tmp_path / "index", writable=False, facets_exact_up_to=500, facet_sample=400)

    def search(backend, params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    large, small = [("q", "said")], [("q", "said"), ("outlet", "outlet2"), ("language", "de")]
    whole, share = search(exact, large), search(sampled, large)
    assert share["total"] == whole["total"] > 500 and share["hits"] == whole["hits"]
    assert share["facets_approximate"] and not whole["facets_approximate"]
    assert abs(sum(b["count"] for b in share["facets"]["outlet"]) - whole["total"]) < 0.1 * whole["total"]
    counts = {b["value"]: b["count"] for b in whole["facets"]["person"]}
    for bucket in share["facets"]["person"][:5]:
        assert abs(bucket["count"] - counts[bucket["value"]]) < 0.3 * counts[bucket["value"]]
    assert search(sampled, small) == search(exact, small) and not search(sampled, small)["facets_approximate"]



def test_the_total_of_a_large_result_set_by_relevance_is_estimated_from_a_share_and_marked(tmp_path):
    build(tmp_path / "index").close()
    exact = TantivyBackend(tmp_path / "index", writable=False)
    estimated = TantivyBackend(tmp_path / "index", writable=False, totals_exact_up_to=100)

    def search(backend, params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    for params in ([("q", "said")], [("q", "said"), ("duplicates", "include")]):
        whole, share = search(exact, params), search(estimated, params)
        assert share["total_approximate"] and not whole["total_approximate"] and share["hits"] == whole["hits"]
        assert abs(share["total"] - whole["total"]) < 0.1 * whole["total"], params
    # Under the bound the estimate only decides to count: exact. Filters and phrases are
    # counted with their page, newest-first pages by their walk: exact whatever their size.
    for params in ([("q", "ceasefire"), ("outlet", "outlet1")], [("q", '"war ceasefire"')],
                   [("q", "said"), ("language", "de")], [("sort", "newest"), ("q", "said")]):
        assert search(estimated, params) == search(exact, params), params
    small = search(TantivyBackend(tmp_path / "index", writable=False, totals_exact_up_to=5000), [("q", "shares")])
    assert not small["total_approximate"] and small["total"] == search(exact, [("q", "shares")])["total"]


def test_searches_at_once_answer_as_one_at_a_time(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    backend = build(tmp_path / "index")

    def search(params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    alone = [search(params) for params in SEARCHES]
    with ThreadPoolExecutor(6) as threads:  # as the API's threads
        together = list(threads.map(search, SEARCHES * 3))
    assert together == alone * 3


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        BEFORE.write_text(json.dumps(answers(build(Path(folder) / "index")), ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {BEFORE}")


def test_copies_crowding_the_best_hits_leave_a_full_page_of_originals(tmp_path, monkeypatch):
    """Relevance pages are ranked with copies and the copies dropped after: when the best hits
    are all copies of one story (here 120 copies that say "drone" most often), the page still
    holds the best originals in the engine's order, and the total counts originals only."""
    from core.article import new_article

    backend = TantivyBackend(tmp_path / "index")
    rng = random.Random(7)
    for n in range(300):
        words = [rng.choice(WORDS) for _ in range(40)] + ["drone"] * rng.randint(1, 3)
        backend.upsert(new_article(id=f"o{n:03d}", url=f"https://a.example/{n}", outlet="a", title="t",
                                   text=" ".join(words), published_at="2025-01-01T00:00:00Z"))
    for n in range(120):
        backend.upsert(new_article(id=f"c{n:03d}", url=f"https://b.example/{n}", outlet="b", title="drone drone",
                                   text="drone " * 12, published_at="2025-01-02T00:00:00Z", duplicate_of="o000"))
    backend.commit()

    def search(params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    first = search([("q", "drone")])
    second = search([("q", "drone"), ("cursor", first["next_cursor"])])
    assert first["total"] == 300 and not any(h["id"].startswith("c") for h in first["hits"] + second["hits"])
    # The same pages as ranking the query that excludes copies.
    searcher = backend.index.searcher()
    drone = parse_search_params([("q", "drone")], cursors=CURSORS)
    excluding = scope(backend.schema, drone, backend.parse_text_query("drone"))
    best = [article_of(searcher.doc(address))["id"] for _, address in searcher.search(excluding, 40).hits]
    assert [h["id"] for h in first["hits"] + second["hits"]] == best
    # Past its doublings the take gives way to the query that excludes copies: the same page.
    import index.tantivy.searching

    monkeypatch.setattr(index.tantivy.searching, "RANKED_TAKES", 1)
    assert search([("q", "drone")])["hits"] == first["hits"]
    with_copies = search([("q", "drone"), ("duplicates", "include")])
    assert with_copies["total"] == 420 and all(h["id"].startswith("c") for h in with_copies["hits"])
    backend.close()
