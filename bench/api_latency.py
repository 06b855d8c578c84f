"""API latency while the daemon works: the event loop must only schedule.

Starts `newswatch run` (the real daemon) against a local outlet server and measures the latency
of API requests from another process:
  1. idle (nothing crawling);
  2. while a crawl of N articles runs with NER (real pages from ../shared, cycled);
  3. with NEWSWATCH_INDEX=elasticsearch pointed at a server that accepts connections and never
     answers (a hung cluster), while a crawl runs.
Each phase sends the same mix (/health, /outlets, /search, /articles/{id}) one request at a time
and reports p50 / p99 per phase; the figure to quote is the ratio to idle, measured in the same run.

    .venv/bin/python bench/api_latency.py [--pages 1000] [--requests 400]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_throughput import load_pages  # noqa: E402
from outlet_server import OutletServer  # noqa: E402

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HungServer:
    """Accepts TCP connections and never answers: a cluster that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)


def get(port: int, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - start) * 1000


def measure(port: int, paths: list[str], count: int, until=None) -> dict:
    times: dict[str, list[float]] = {}
    statuses: dict[str, set] = {}
    n = 0
    while n < count or (until is not None and not until()):
        path = paths[n % len(paths)]
        status, ms = get(port, path)
        times.setdefault(path.split("?")[0], []).append(ms)
        statuses.setdefault(path.split("?")[0], set()).add(status)
        n += 1
        if until is not None and until() and n >= count:
            break
        time.sleep(0.01)
    every = [t for values in times.values() for t in values]
    return {"requests": len(every), "p50": percentile(every, 50), "p99": percentile(every, 99),
            "by_path": {p: {"p50": percentile(v, 50), "p99": percentile(v, 99), "status": sorted(statuses[p])}
                        for p, v in times.items()}}


def percentile(values: list[float], q: int) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q / 100))], 1) if values else 0.0


def start_daemon(tmp: Path, server, env_extra: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")},
           "NEWSWATCH_DATA_DIR": str(tmp / "data"), "NEWSWATCH_OUTLETS": str(tmp / "outlets.toml"),
           "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "NEWSWATCH_DOWNLOAD_DELAY": "0",
           "NEWSWATCH_API_PORT": str(port), "NEWSWATCH_LOG_LEVEL": "WARNING", "NEWSWATCH_START_STAGGER": "3600",
           "NEWSWATCH_TOPICS": str(tmp / "none.toml"), "NEWSWATCH_SEARCH_RATE": "1000000", **env_extra}
    log = open(tmp / "daemon.log", "a")
    process = subprocess.Popen([NEWSWATCH, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/health")[0] == 200:
                return process, port
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"the daemon did not start: {(tmp / 'daemon.log').read_text()[-2000:]}")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def trigger(port: int, outlet: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/outlets/{outlet}/crawl", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def crawling(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=60) as response:
            return bool(json.loads(response.read())["crawling"])
    except (urllib.error.URLError, OSError):
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--set", type=Path, default=ROOT.parent / "shared" / "fixtures" / "aeb-dev")
    args = parser.parse_args()
    sources = load_pages(args.set)
    results = {}
    with OutletServer() as server, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        items = []
        for n in range(args.pages):
            server.serve(f"/story/{n}", sources[n % len(sources)])
            items.append(f"<item><title>Story {n}</title><link>{server.base}/story/{n}</link></item>")
        # A second outlet, crawled first, gives the index something to search during the crawl.
        for name, links in (("warmup", items[:60]), ("bench", items)):
            server.serve(f"/{name}.xml", f"<rss version='2.0'><channel><title>x</title>{''.join(links)}</channel></rss>",
                         content_type="application/rss+xml")
        (tmp / "outlets.toml").write_text(
            "".join(f'[{name}]\nname = "{name}"\nlanguage = "en"\nfeeds = ["{server.base}/{name}.xml"]\ndelay = 0\n'
                    for name in ("warmup", "bench")))
        process, port = start_daemon(tmp, server, {})
        try:
            trigger(port, "warmup")
            time.sleep(2)
            while crawling(port):
                time.sleep(1)
            found = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/search?size=1").read())
            article = found["hits"][0]["id"]
            paths = ["/health", "/outlets", "/search?q=the+president", f"/articles/{article}"]
            results["idle"] = measure(port, paths, args.requests)
            trigger(port, "bench")
            time.sleep(3)
            start = time.perf_counter()
            results["crawl with NER"] = measure(port, paths, args.requests, until=lambda: not crawling(port))
            results["crawl with NER"]["crawl_seconds"] = round(time.perf_counter() - start, 1)
        finally:
            stop(process)

        hung = HungServer()
        process, port = start_daemon(tmp, server, {
            "NEWSWATCH_INDEX": "elasticsearch", "ELASTICSEARCH_URL": hung.url, "ELASTICSEARCH_REPLICAS": "0",
            "NEWSWATCH_DATA_DIR": str(tmp / "es-data")})
        try:
            results["hung Elasticsearch, idle"] = measure(port, ["/health", "/outlets"], args.requests // 2)
            trigger(port, "warmup")
            time.sleep(3)
            paths = ["/health", "/outlets", "/search?q=the+president", f"/articles/{article}"]
            results["hung Elasticsearch, crawling"] = measure(port, paths, args.requests,
                                                              until=lambda: not crawling(port))
        finally:
            stop(process)

        log = (tmp / "daemon.log").read_text().splitlines()
        first = next((n for n, line in enumerate(log) if " ERROR " in line), None)
        problems = [line for line in log if " ERROR " in line]
        context = log[first:first + 40] if first is not None else []
    idle = results["idle"]["p99"]
    print(json.dumps(results, indent=1))
    print(f"daemon log errors: {len(problems)}", *context, sep="\n")
    print(f"\n{'phase':<34} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 / idle':>10}")
    for phase, r in results.items():
        print(f"{phase:<34} {r['requests']:>8} {r['p50']:>8} {r['p99']:>8} {r['p99'] / idle:>10.2f}")


if __name__ == "__main__":
    main()
