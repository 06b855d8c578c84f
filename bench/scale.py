"""Search at scale on the embedded backend (issue 15): N realistic synthetic articles indexed
through the project's tantivy backend, then each query kind of `/search` and `/entities` run
in-process and warm, `--queries` times each.

Articles: real benchmark text (the shared pages' bodies, reshuffled by sentence; a fixed
vocabulary without ../shared), 20 outlets with Zipf-skewed volumes, two years of publication
times, persons/organisations/places drawn Zipf-distributed from 60,000 synthetic names per type,
10% copies (linked to an earlier article, hidden from search by default).

Reported: indexing rate, bytes per article on disk, peak RSS of the process, and p50/p95/p99 per
query kind. Run it at several sizes in separate processes (RSS is per process):

    .venv/bin/python bench/scale.py --articles 100000
"""
from __future__ import annotations

import argparse
from dataclasses import replace
import gzip
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.article import new_article  # noqa: E402
from index.cursors import Cursors  # noqa: E402
from index.query import EntitiesQuery, parse_search_params  # noqa: E402
from index.search import run_search  # noqa: E402
from index.tantivy.backend import TantivyBackend  # noqa: E402
from index.tantivy.schema import FACET_FIELDS  # noqa: E402
from index.tantivy.translate import scope  # noqa: E402

SHARED = ROOT.parent / "shared" / "fixtures" / "aeb-dev"
NAMES_PER_TYPE = 60_000
START = 1672531200  # 2023-01-01: two years of publication times
CURSORS = Cursors(b"scale benchmark")
COMPLETE = "/entities?prefix= autocomplete"
WALK = "autocomplete before the tables are built (the walk)"


def sentences() -> list[str]:
    if (SHARED / "ground-truth.json").exists():
        truth = json.loads((SHARED / "ground-truth.json").read_text())
        found = [s.strip() + "." for body in truth.values() for s in body["articleBody"].split(". ") if len(s) > 40]
        if found:
            return found
    words = ("troops border sanctions missile talks shelling drone strike officials said front region village "
             "ministry report army corps soldiers families certificates war ceasefire").split()
    rng = random.Random(1)
    return [" ".join(rng.choice(words) for _ in range(18)).capitalize() + "." for _ in range(3000)]


def zipf_picker(rng: random.Random, size: int, s: float = 1.1):
    weights = [1 / (k ** s) for k in range(1, size + 1)]
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    import bisect

    return lambda: min(size - 1, bisect.bisect_left(cumulative, rng.random()))


def synthetic_articles(count: int):
    """The benchmark's articles, the same for a given count (seeded)."""
    rng = random.Random(15)
    pool = sentences()
    outlet = zipf_picker(rng, 20, 1.0)
    name = {kind: zipf_picker(rng, NAMES_PER_TYPE) for kind in ("person", "org", "place")}
    for n in range(count):
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(8, 20)))
        published = START + rng.randrange(2 * 365 * 86400)
        entities = {kind: sorted({f"{kind.title()} {name[kind]()}" for _ in range(rng.randint(1, 5))})
                    for kind in ("person", "org", "place")}
        copy = n > 10 and rng.random() < 0.1
        yield new_article(
            id=f"a{n:07d}", url=f"https://outlet{outlet()}.example/{n}", outlet=f"outlet{outlet()}",
            title=text[:80], text=text, language="en",
            published_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(published)), entities=entities,
            duplicate_of=f"a{rng.randrange(n):07d}" if copy else None)


def build(path: Path, count: int, commit_every: int) -> tuple[TantivyBackend, float]:
    backend = TantivyBackend(path)
    started = time.perf_counter()
    committing = 0.0
    for n, article in enumerate(synthetic_articles(count)):
        backend.upsert(article)
        if n % commit_every == commit_every - 1:
            begun = time.perf_counter()
            backend.commit()
            committing += time.perf_counter() - begun
    backend.commit()
    seconds = time.perf_counter() - started
    print(f"commits took {committing / seconds:.0%} of indexing time")
    return backend, seconds


def timed(run, queries: int) -> list[float]:
    """Seconds per call of `run`, `queries` times, after one call to warm up."""
    run()
    times = []
    for _ in range(queries):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))] * 1000  # noqa: E731
    return f"{pick(0.5):.1f} / {pick(0.95):.1f} / {pick(0.99):.1f}"


def measure(backend, queries: int, baseline: bool = False) -> dict:
    rng = random.Random(7)
    common = ["said", "officials", "the government", "report", "police"]
    rare = ['"new car sales plunge"', '"triple-double"', '"war certificates"', '"storm corps"']

    def search(params):
        query = parse_search_params(params, cursors=CURSORS)
        if not baseline:
            return run_search(backend, query, CURSORS)
        # As before issue 15: the page, then every match's text values counted for the facets.
        answer = run_search(backend, replace(query, facets=()), CURSORS)
        if answer["total"]:
            text = query.q and backend.parse_text_query(query.q)
            backend.index.searcher().aggregate(scope(backend.schema, query, text or None), {
                name: {"terms": {"field": FACET_FIELDS[name], "size": 20}} for name in query.facets})
        return answer

    kinds = {
        "one common word, relevance, default facets": lambda: search([("q", rng.choice(common).split()[0])]),
        "a rare quoted phrase": lambda: search([("q", rng.choice(rare))]),
        "entity filter + date range": lambda: search([("entity", f"person:Person {rng.randrange(50)}"),
                                                      ("since", "2023-06-01"), ("until", "2024-06-01")]),
        "sort=newest + outlet filter": lambda: search([("sort", "newest"), ("outlet", f"outlet{rng.randrange(20)}")]),
    }
    complete = lambda: (backend.entities_by_aggregation if baseline else backend.entities)(  # noqa: E731
        EntitiesQuery(kinds=("person",), prefix=f"person {rng.randrange(1, 99)}", size=10))
    if not baseline:
        kinds[WALK] = complete
    kinds[COMPLETE] = complete
    results = {}
    for label, run in kinds.items():
        if label == WALK:
            backend.completion.pause_builds(True)  # what answers until a generation's tables are built
        elif label == COMPLETE and not baseline:
            backend.completion.pause_builds(False)
            started = time.perf_counter()
            run()
            backend.completion_job.result()
            print(f"autocomplete tables: {sum(map(len, backend.completion.built.values())):,} keys built in "
                  f"{time.perf_counter() - started:.2f} s")
        results[label] = percentiles(timed(run, queries))
    # Deep paging: a cursor walk of 20 pages, newest first, each page timed.
    times, params = [], [("sort", "newest"), ("q", "said")]
    result = search(params)
    for _ in range(20):
        if not result.get("next_cursor"):
            break
        started = time.perf_counter()
        result = search(params + [("cursor", result["next_cursor"])])
        times.append(time.perf_counter() - started)
    results["one page of deep paging (cursor)"] = percentiles(times) + f" ({sum(times):.2f} s for {len(times)} pages)"
    return results


def api_overhead(backend, queries: int) -> dict:
    """The same searches through the HTTP API (uvicorn in a thread of this process, one request at
    a time on a kept-alive connection, as a client library makes them) and in-process: p50 of
    each, and the difference, per kind."""
    import http.client
    import socket
    import threading
    import urllib.parse

    import uvicorn

    from core.statedb import StateDB
    from crawler.state import CrawlState
    from web.api import create_app
    from web.context import ApiContext

    folder = tempfile.mkdtemp()
    outlets = {f"outlet{n}": None for n in range(20)}
    context = ApiContext(backend=backend, state=CrawlState(StateDB(Path(folder) / "state.sqlite3")), outlets=lambda: outlets,
                         cursors=CURSORS)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(context), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    kinds = {"phrase": [("q", '"war certificates"')],
             "entity + dates": [("entity", "person:Person 7"), ("since", "2023-06-01"), ("until", "2024-06-01")],
             "newest + outlet": [("sort", "newest"), ("outlet", "outlet3")]}
    results = {}
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for label, params in kinds.items():
        url = f"/search?{urllib.parse.urlencode(params)}"
        inside, outside = [], []
        for _ in range(queries):
            started = time.perf_counter()
            run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)
            inside.append(time.perf_counter() - started)
            started = time.perf_counter()
            connection.request("GET", url)
            response = connection.getresponse()
            assert response.status == 200, response.read()
            json.loads(response.read())
            outside.append(time.perf_counter() - started)
        middle = lambda values: statistics.median(values) * 1000  # noqa: E731
        results[label] = (middle(inside), middle(outside))
    server.should_exit = True
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--commit-every", type=int, default=50, help="as NEWSWATCH_COMMIT_EVERY")
    parser.add_argument("--keep", type=Path, help="build the index here, or reuse the one already there")
    parser.add_argument("--baseline", action="store_true",
                        help="measure as before issue 15 (rebuilt here on today's index): the page, then the "
                             "facets counted over every match's text values, in turn; autocomplete by counting "
                             "the 10,000 most frequent names of each type")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "index"
        if (path / "meta.json").exists():
            backend = TantivyBackend(path)
            print(f"## {backend.count():,} articles, reused from {path}")
        else:
            backend, seconds = build(path, args.articles, args.commit_every)
            print(f"## {args.articles:,} articles: indexed at {args.articles / seconds:,.0f} articles/s "
                  f"(commit every {args.commit_every})")
            # Measured once the merges the writer started are done, as a reopened index is.
            backend.close()
            backend = TantivyBackend(path)
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        print(f"{size / backend.count():,.0f} bytes per article on disk, {len(list(path.glob('*.idx')))} segments; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        results = measure(backend, args.queries, args.baseline)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB; p50 / p95 / p99 in ms over {args.queries} queries each, warm, in-process")
        print("| query | p50 / p95 / p99 ms |\n|---|---|")
        for label, figures in results.items():
            print(f"| {label} | {figures} |")
        print("\nAPI overhead (p50 ms): in-process / through the HTTP API / difference")
        for label, (inside, outside) in api_overhead(backend, args.queries).items():
            print(f"| {label} | {inside:.1f} / {outside:.1f} / {outside - inside:.1f} |")
        backend.close()


if __name__ == "__main__":
    main()
