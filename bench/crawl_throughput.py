"""Crawl throughput: serve N saved pages from a local server, crawl them with `newswatch crawl`
(the full pipeline: download, extraction in a worker process, index, state), and compare the
cost per article with trafilatura alone on the same pages, in the same run.

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

    baseline_cpu = trafilatura_alone(pages)
    print(f"pages served: {len(pages)} (from {len(sources)} distinct saved pages); articles indexed: {indexed}")
    print(f"newswatch crawl: {wall:.1f} s wall, {indexed / wall:.1f} articles/s, "
          f"{crawl_cpu / max(indexed, 1) * 1000:.1f} ms CPU per article (all processes)")
    print(f"trafilatura alone: {baseline_cpu / len(pages) * 1000:.1f} ms CPU per page")
    print("storage per 100k articles: " + ", ".join(f"{name} {b / indexed * 100_000 / 2**20:.0f} MiB"
                                                    for name, b in storage.items()))
    print(f"ratio (crawl CPU per article / trafilatura CPU per page): "
          f"{(crawl_cpu / max(indexed, 1)) / (baseline_cpu / len(pages)):.2f}")


if __name__ == "__main__":
    main()
