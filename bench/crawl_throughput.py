"""Crawl throughput: serve N saved pages from a local server, crawl them with `newswatch crawl`
(the full pipeline: download, extraction and entities in a worker process, dedupe, related
reports, index, state), and compare the CPU per article with extraction + NER alone on the same
pages (crawler.extraction.extract.extract_page and crawler.entities.stage.tag_entities in this process, warm),
and with trafilatura alone, in the same run.

The crawl is run twice, on N and on 2N pages: the difference is the cost of N more articles,
without what a crawl pays once (the interpreter, imports, worker start-up and model loading) —
what a daemon, whose workers stay warm, pays per article.

    .venv/bin/python bench/crawl_throughput.py [--pages N] [--set ../shared/fixtures/aeb-dev]

The pages are the shared benchmark's real news pages (read from ../shared, never copied into
the repo); without them, the test fixtures are used. The ratio is the figure to quote: absolute
times on a shared machine are noisy.
"""
from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from outlet_server import OutletServer  # noqa: E402


def load_pages(folder: Path) -> list[bytes]:
    pages = sorted((folder / "html").glob("*.html.gz"))
    if pages:
        return [gzip.decompress(p.read_bytes()) for p in pages]
    return [p.read_bytes() for p in sorted((ROOT / "tests" / "fixtures").glob("*.html"))]


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (from /proc/stat). getrusage cannot see the
    extraction workers: they are children of multiprocessing's fork server, not of newswatch."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def trafilatura_alone(pages: list[bytes]) -> float:
    import trafilatura

    start = time.process_time()
    for page in pages:
        trafilatura.extract(page.decode("utf-8", "replace"), include_comments=False)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--set", type=Path, default=ROOT.parent / "shared" / "fixtures" / "aeb-dev")
    args = parser.parse_args()
    sources = load_pages(args.set)
    pages = [sources[n % len(sources)] for n in range(args.pages)]

    first = crawl(pages)
    second = crawl(pages + [page + f"<!-- {n} -->".encode() for n, page in enumerate(pages)])
    marginal = (second["cpu"] - first["cpu"]) / max(second["indexed"] - first["indexed"], 1)
    baseline_cpu = trafilatura_alone(pages)
    alone = extraction_and_ner_alone(pages)
    print(f"pages served: {len(pages)} and {2 * len(pages)} (from {len(sources)} distinct saved pages); "
          f"articles indexed: {first['indexed']} and {second['indexed']}")
    for run in (first, second):
        print(f"newswatch crawl of {run['indexed']}: {run['wall']:.1f} s wall, {run['indexed'] / run['wall']:.1f} "
              f"articles/s, {run['cpu'] / max(run['indexed'], 1) * 1000:.1f} ms CPU per article (all processes)")
    print(f"marginal crawl CPU per article: {marginal * 1000:.1f} ms")
    print(f"extraction + NER alone: {alone * 1000:.1f} ms CPU per page; trafilatura alone: "
          f"{baseline_cpu / len(pages) * 1000:.1f} ms")
    single, batched = ner_batching(pages[:88])
    print(f"NER alone, one text at a time: {single * 1000:.1f} ms CPU per text; nlp.pipe in batches of 8: "
          f"{batched * 1000:.1f} ms ({batched / single:.2f}x)")
    print("storage per 100k articles: " + ", ".join(f"{name} {b / second['indexed'] * 100_000 / 2**20:.0f} MiB"
                                                    for name, b in second["storage"].items()))
    print(f"ratio (marginal crawl CPU per article / extraction + NER alone): {marginal / alone:.2f}; "
          f"whole crawl of {second['indexed']}: {second['cpu'] / max(second['indexed'], 1) / alone:.2f}; "
          f"marginal / trafilatura alone: {marginal / (baseline_cpu / len(pages)):.2f}")


def extracted(page: bytes) -> dict | None:
    """The page as the crawl's worker extracts it; None for a page that is not an article."""
    from crawler.extraction.extract import NotAnArticle, extract_page

    try:
        return extract_page(page, "https://bench.example/story", {}, None, "en", "text/html")
    except NotAnArticle:
        return None


def ner_models() -> str:
    import settings

    return settings.load(env_file="/nonexistent")["NEWSWATCH_NER_MODELS"]


def extraction_and_ner_alone(pages: list[bytes]) -> float:
    """CPU per page of the two stages the crawl cannot avoid, as its worker runs them, warm."""
    from crawler.entities.stage import tag_entities

    models = ner_models()

    def both(page: bytes) -> None:
        fields = extracted(page)
        if fields is not None:
            tag_entities(fields["text"], fields["title"], fields.get("language") or "en", models, None)

    both(pages[0])  # load the model first, as a warm worker has
    start = time.process_time()
    for page in pages:
        both(page)
    return (time.process_time() - start) / len(pages)


def ner_batching(pages: list[bytes], batch: int = 8, rounds: int = 3) -> tuple[float, float]:
    """CPU per text of the NER model one text at a time and through nlp.pipe in batches, on the
    texts extraction finds in these pages: best of `rounds`, alternating, in this process."""
    from crawler.entities.models import load_pipeline, parse_models

    texts = [fields["text"] for fields in map(extracted, pages) if fields is not None]
    nlp = load_pipeline(parse_models(ner_models())["en"])
    list(nlp.pipe(texts[:batch]))
    single, batched = [], []
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            nlp(text)
        single.append((time.process_time() - start) / len(texts))
        start = time.process_time()
        list(nlp.pipe(texts, batch_size=batch))
        batched.append((time.process_time() - start) / len(texts))
    return min(single), min(batched)


def crawl(pages: list[bytes]) -> dict:
    with OutletServer() as server, tempfile.TemporaryDirectory() as tmp:
        items = []
        for n, page in enumerate(pages):
            server.serve(f"/story/{n}", page)
            items.append(f"<item><title>Story {n}</title><link>{server.base}/story/{n}</link>"
                         f"<pubDate>Wed, 05 Nov 2025 12:00:00 GMT</pubDate></item>")
        server.serve("/feed.xml", f"<rss version='2.0'><channel><title>Bench</title>{''.join(items)}</channel></rss>",
                     content_type="application/rss+xml")
        (Path(tmp) / "outlets.toml").write_text(
            f'[bench]\nname = "Bench"\nlanguage = "en"\nfeeds = ["{server.base}/feed.xml"]\ndelay = 0\n')
        env = {**os.environ, "NEWSWATCH_DATA_DIR": f"{tmp}/data", "NEWSWATCH_OUTLETS": f"{tmp}/outlets.toml",
               "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "NEWSWATCH_DOWNLOAD_DELAY": "0",
               "NEWSWATCH_LOG_LEVEL": "WARNING"}
        busy, own = machine_busy_seconds(), time.process_time()
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "newswatch"), "crawl", "bench"], env=env, check=True,
                       capture_output=True)
        wall = time.perf_counter() - start
        # Everything the machine did during the crawl, less this process (the local server).
        crawl_cpu = (machine_busy_seconds() - busy) - (time.process_time() - own)
        result = subprocess.run([str(Path(sys.executable).parent / "newswatch"), "search", "--json", "--size", "0",
                                 "--duplicates"],
                                env=env, check=True, capture_output=True, text=True)
        import json

        indexed = json.loads(result.stdout)["total"]
        data = Path(tmp) / "data"

        def size(path: Path) -> int:
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())

        storage = {"state": size(data) - size(data / "index") - size(data / "pages"),
                   "pages": size(data / "pages"), "index": size(data / "index")}
    return {"wall": wall, "cpu": crawl_cpu, "indexed": indexed, "storage": storage}


if __name__ == "__main__":
    main()
