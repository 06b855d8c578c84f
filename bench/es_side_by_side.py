"""tantivy and Elasticsearch side by side on the same articles, in one run (issue 24).

The articles are scale.py's (real benchmark sentences reshuffled, Zipf-skewed outlets and
names, 10% copies). Reported:
- the embedded upsert rate with ISO dates parsed by the standard library and, on a sample, the
  old way (dateutil) — the core/dates.py change;
- indexing through the Elasticsearch outbox: the crawl's side (articles into the outbox) and the
  courier's (outbox to the cluster by bulk requests, until acknowledged and refreshed);
- p50/p95 of scale.py's query kinds on both backends, warm, in-process.

Needs a node: `python scripts/es_node.py run -- .venv/bin/python bench/es_side_by_side.py --articles 20000`
(the node from scripts/es_node.py is single-node, 512 MB heap unless ES_NODE_HEAP says otherwise).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import settings  # noqa: E402
from core import dates  # noqa: E402
from core.statedb import StateDB  # noqa: E402
from index.cursors import Cursors  # noqa: E402
from index.es.backend import ElasticsearchBackend, make_client  # noqa: E402
from index.outbox import Outbox  # noqa: E402
from index.query import EntitiesQuery, parse_search_params  # noqa: E402
from index.search import run_search  # noqa: E402
from index.tantivy.backend import TantivyBackend  # noqa: E402
from scale import percentiles, synthetic_articles, timed  # noqa: E402

CURSORS = Cursors(b"side by side")


def upsert_rate(backend_path: Path, articles: list[dict], commit_every: int) -> tuple[float, float]:
    """(articles per second in `upsert` alone, articles per second with the commits)."""
    backend = TantivyBackend(backend_path)
    started = time.perf_counter()
    upserting = 0.0
    for n, article in enumerate(articles):
        begun = time.perf_counter()
        backend.upsert(article)
        upserting += time.perf_counter() - begun
        if n % commit_every == commit_every - 1:
            backend.commit()
    backend.commit()
    seconds = time.perf_counter() - started
    backend.close()
    return len(articles) / upserting, len(articles) / seconds


def query_kinds(backend, rng: random.Random) -> dict:
    common = ["said", "officials", "government", "report", "police"]
    rare = ['"new car sales plunge"', '"triple-double"', '"war certificates"', '"storm corps"']

    def search(params):
        return run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)

    return {
        "one common word, relevance, default facets": lambda: search([("q", rng.choice(common))]),
        "a rare quoted phrase": lambda: search([("q", rng.choice(rare))]),
        "entity filter + date range": lambda: search([("entity", f"person:Person {rng.randrange(50)}"),
                                                      ("since", "2023-06-01"), ("until", "2024-06-01")]),
        "sort=newest + outlet filter": lambda: search([("sort", "newest"), ("outlet", f"outlet{rng.randrange(20)}")]),
        "histogram=week, tz=Asia/Seoul, one word": lambda: search([("q", rng.choice(common)), ("histogram", "week"),
                                                                    ("tz", "Asia/Seoul")]),
        "/entities?prefix=": lambda: backend.entities(EntitiesQuery(kinds=("person",),
                                                                    prefix=f"person {rng.randrange(1, 99)}", size=10)),
    }


def measure(backend, queries: int) -> dict:
    results = {}
    for label, run in query_kinds(backend, random.Random(7)).items():
        results[label] = percentiles(timed(run, queries))
    times, params = [], [("sort", "newest"), ("q", "said")]
    result = run_search(backend, parse_search_params(params, cursors=CURSORS), CURSORS)
    for _ in range(20):
        if not result.get("next_cursor"):
            break
        started = time.perf_counter()
        result = run_search(backend, parse_search_params(params + [("cursor", result["next_cursor"])],
                                                         cursors=CURSORS), CURSORS)
        times.append(time.perf_counter() - started)
    results["one page of deep paging (cursor)"] = percentiles(times)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--commit-every", type=int, default=50)
    parser.add_argument("--date-sample", type=int, default=3000, help="articles upserted the old way (dateutil)")
    parser.add_argument("--dates-only", action="store_true", help="only the embedded upsert, before/after")
    args = parser.parse_args()
    if not os.environ.get("ELASTICSEARCH_URL") and not args.dates_only:
        sys.exit("ELASTICSEARCH_URL is not set (see the docstring)")
    articles = list(synthetic_articles(max(args.articles, args.date_sample)))
    chars = sum(len(a["text"]) for a in articles) / len(articles)
    print(f"## {len(articles):,} articles, {chars:,.0f} characters of text on average; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        sample = articles[: args.date_sample]
        iso_shape, dates.ISO_SHAPE = dates.ISO_SHAPE, re.compile(r"(?!)")  # dateutil for every date, as before
        slow = upsert_rate(folder / "slow", sample, args.commit_every)
        dates.ISO_SHAPE = iso_shape
        fast = upsert_rate(folder / "fast", sample, args.commit_every)
        print(f"embedded, {len(sample):,} articles, dateutil -> fromisoformat first: upsert alone "
              f"{slow[0]:,.0f} -> {fast[0]:,.0f}/s ({fast[0] / slow[0]:.2f}x); with commits every "
              f"{args.commit_every}: {slow[1]:,.0f} -> {fast[1]:,.0f}/s ({fast[1] / slow[1]:.2f}x)")
        if args.dates_only:
            return

        rate = upsert_rate(folder / "index", articles, args.commit_every)[1]
        print(f"embedded: indexed at {rate:,.0f} articles/s (commit every {args.commit_every})")
        embedded = TantivyBackend(folder / "index")

        config = settings.load(env_file="/nonexistent")
        es = ElasticsearchBackend(make_client(config), Outbox(StateDB(folder / "state.sqlite3")),
                                  prefix=f"newswatch-bench-{uuid.uuid4().hex[:6]}-", replicas=0)
        try:
            es.ensure_index()
            started = time.perf_counter()
            for article in articles:
                es.upsert(article)
            queued = time.perf_counter() - started
            started = time.perf_counter()
            delivered = es.flush_backlog()
            delivering = time.perf_counter() - started
            assert delivered == len(articles) == es.count(), (delivered, es.count())
            print(f"elasticsearch: into the outbox at {len(articles) / queued:,.0f} articles/s; outbox to the "
                  f"cluster at {len(articles) / delivering:,.0f} articles/s; end to end "
                  f"{len(articles) / (queued + delivering):,.0f} articles/s")
            mine, theirs = measure(embedded, args.queries), measure(es, args.queries)
            print(f"\np50 / p95 / p99 ms over {args.queries} queries each, warm, in-process")
            print("| query | tantivy | Elasticsearch |\n|---|---|---|")
            for label in mine:
                print(f"| {label} | {mine[label]} | {theirs[label]} |")
        finally:
            es.client.indices.delete(index=f"{es.prefix}*")
            es.client.options(ignore_status=404).indices.delete_index_template(name=es.alias)
            es.close()
            embedded.close()


if __name__ == "__main__":
    main()
