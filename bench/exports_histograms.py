"""Exports and histograms at scale on the embedded backend: an index of --articles synthetic
articles (a year of publication times, 20 outlets), then

- the whole result exported as CSV and as NDJSON, streamed the way the API streams it, with the
  process's peak memory (tracemalloc: Python allocations) against the same search's first page;
- histograms per day, week and month (UTC and Asia/Seoul) against the same search without one.

Ratios against a baseline run in the same process; the absolute times are this machine's.

    .venv/bin/python bench/exports_histograms.py [--articles 100000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.article import new_article  # noqa: E402
from web.exports import csv_header, csv_rows, ndjson_rows, pages  # noqa: E402
from index.query import SearchQuery  # noqa: E402
from index.tantivy.backend import TantivyBackend  # noqa: E402

WORDS = "kursk storm corps pyongyang drone strike troops border sanctions missile talks shelling".split()


def build(path: Path, count: int) -> TantivyBackend:
    backend = TantivyBackend(path)
    start = 1735689600  # 2025-01-01
    for n in range(count):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 40))
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + (n * 104729) % (365 * 86400)))
        backend.upsert(new_article(id=f"a{n}", url=f"https://outlet{n % 20}.example/{n}", outlet=f"outlet{n % 20}",
                                   title=f"Report {n}: {WORDS[n % len(WORDS)]}", text=words, language="en",
                                   published_at=published, entities={"person": [], "org": ["Storm Corps"],
                                                                     "place": ["Kursk"]}))
        if n % 20000 == 19999:
            backend.commit()
    backend.commit()
    return backend


def timed(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def export(backend, query, render, header="") -> tuple[float, int, int]:
    tracemalloc.start()
    started = time.perf_counter()
    size = len(header)
    rows = 0
    for page in pages(backend, query):
        size += len(render(page))
        rows += len(page)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, rows, peak, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        backend = build(Path(tmp) / "index", args.articles)
        print(f"indexed {args.articles} articles in {time.perf_counter() - started:.0f} s")
        query = SearchQuery(q="kursk", sort="newest", size=100)
        first_page = timed(lambda: backend.search(query))
        tracemalloc.start()
        backend.search(query)
        page_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"\nfirst page (100 hits, facets): {first_page * 1000:.1f} ms, peak {page_peak / 2**20:.1f} MiB")
        for name, render, header in (("CSV", csv_rows, csv_header()), ("NDJSON", ndjson_rows, "")):
            seconds, rows, peak, size = export(backend, query, render, header)
            print(f"export {name}: {rows} rows, {size / 2**20:.0f} MiB written, {seconds:.1f} s "
                  f"({rows / seconds:.0f} rows/s), peak {peak / 2**20:.1f} MiB = {peak / page_peak:.1f}x one page")
        plain = SearchQuery(q="kursk", size=20, facets=())
        baseline = timed(lambda: backend.search(plain))
        print(f"\nsearch, 20 hits, no facets: {baseline * 1000:.1f} ms")
        for period in ("day", "week", "month"):
            for zone in ("UTC", "Asia/Seoul", "Asia/Kolkata"):
                with_histogram = SearchQuery(q="kursk", size=20, facets=(), histogram=period, timezone=zone)
                seconds = timed(lambda: backend.search(with_histogram))
                buckets = len(backend.search(with_histogram)["histogram"])
                print(f"histogram={period:<5} tz={zone:<12} {seconds * 1000:7.1f} ms = {seconds / baseline:5.1f}x "
                      f"({buckets} buckets)")


if __name__ == "__main__":
    main()
