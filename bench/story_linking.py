"""Story linking's cost per article on the crawl service's serial thread (crawler/stories/related.py):
`StoryLinker.relate` for new articles against an embedded index of N synthetic articles (those of
bench/scale.py, a tenth of them in Korean), with the outlets in one language (one search per
article, plus one when it cites an outlet) and in two (up to CROSS_LANGUAGE_NAMES searches more,
by entity, for reports in the other language). Wall time per article, the share of it spent in
the backend's searches, and the searches per article.

    .venv/bin/python bench/story_linking.py [--articles 20000] [--probes 300]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import synthetic_articles  # noqa: E402
from core.statedb import StateDB  # noqa: E402
from crawler.stories.copies import DuplicateIndex  # noqa: E402
from crawler.stories.in_flight import InFlight  # noqa: E402
from crawler.config.outlets import Outlet, OutletsInUse  # noqa: E402
from crawler.pipelines.store import IndexWriter  # noqa: E402
from crawler.state import CrawlState  # noqa: E402
from crawler.stories.related import StoryLinker, term_counts  # noqa: E402
from index.tantivy.backend import TantivyBackend  # noqa: E402


class CountingBackend:
    """The backend with its searches counted and timed."""

    def __init__(self, backend):
        self.backend, self.searches, self.seconds = backend, 0, 0.0

    def search(self, query):
        started = time.perf_counter()
        try:
            return self.backend.search(query)
        finally:
            self.seconds += time.perf_counter() - started
            self.searches += 1

    def __getattr__(self, name):
        return getattr(self.backend, name)


def korean_every_tenth(articles):
    for n, article in enumerate(articles):
        yield {**article, "language": "ko"} if n % 10 == 9 else article


def run(folder: Path, count: int, probes: int, languages: tuple[str, ...]) -> dict:
    articles = list(korean_every_tenth(synthetic_articles(count + probes)))
    backend = TantivyBackend(folder / "index")
    state = CrawlState(StateDB(folder / "state.sqlite3"))
    for n, article in enumerate(articles[:count]):
        backend.upsert(article)
        state.count_terms(set(term_counts(article["text"])))
        if n % 5000 == 4999:
            backend.commit()
    backend.commit()
    outlets = {f"outlet{n}": Outlet(f"outlet{n}", f"Outlet {n}", languages[n % len(languages)]) for n in range(20)}
    counting = CountingBackend(backend)
    writer = IndexWriter(backend, state, 10_000)
    linker = StoryLinker(state, DuplicateIndex(state.db), InFlight(state.db), counting, writer, set(), 7,
                         OutletsInUse(outlets))
    new = [a for a in articles[count:] if not a["duplicate_of"]]
    times, links = [], 0
    for article in new:
        started = time.perf_counter()
        links += len(linker.relate(article))
        times.append(time.perf_counter() - started)
    total = sum(times)
    return {"ms": statistics.median(times) * 1000, "p95": sorted(times)[int(0.95 * len(times))] * 1000,
            "mean": total / len(times) * 1000, "search_share": counting.seconds / total,
            "searches": counting.searches / len(new), "links": links / len(new), "n": len(new)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.articles} articles indexed; relate() of each new original (ms wall, one thread)")
    print(f"{'outlet languages':<17} {'median':>7} {'p95':>7} {'mean':>7} {'in search':>10} {'searches':>9} "
          f"{'links':>6}")
    for languages in (("en",), ("en", "ko")):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(Path(tmp), args.articles, args.probes, languages)
        print(f"{'+'.join(languages):<17} {r['ms']:>7.1f} {r['p95']:>7.1f} {r['mean']:>7.1f} "
              f"{r['search_share']:>10.0%} {r['searches']:>9.1f} {r['links']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
