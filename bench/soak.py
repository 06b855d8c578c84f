"""Soak: many polls in one daemon process, with the daemon's memory and open files read as it goes.

Starts `newswatch run` (NER on) against a local outlet whose feed brings two new articles at every
poll, triggers --polls polls one after another through the admin API, and every --every polls
reads from /proc the resident memory of the daemon and of its worker processes, and the daemon's
open file descriptors. Flat figures after the warm-up are the result; a leak shows as a slope.

    .venv/bin/python bench/soak.py [--polls 1000] [--every 100]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from api_latency import crawling, get, start_daemon, stop, trigger  # noqa: E402
from outlet_server import OutletServer  # noqa: E402
from tests_support import article_paragraphs  # noqa: E402


def rss_kib(pid: int, kind: str = "VmRSS") -> int:
    """Resident memory; RssAnon is the process's own, RssFile its mapped files (tantivy's index)."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{kind}:"))


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


def descendants(pid: int) -> list[int]:
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"polls": 0}
    with OutletServer() as server, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)

        def feed() -> bytes:
            with lock:
                n = state["polls"]
                state["polls"] += 1
            items = []
            for k in range(max(0, 2 * n - 18), 2 * n + 2):  # the last 20 items, 2 new ones
                path = f"/story/{k}"
                if path not in server.routes:
                    server.serve(path, f"<html lang='en'><body><article><h1>Story {k}</h1>"
                                       f"{article_paragraphs(f'district {k}', 6)}</article></body></html>")
                items.append(f"<item><title>Story {k}</title><link>{server.base}{path}</link></item>")
            return f"<rss version='2.0'><channel><title>s</title>{''.join(items)}</channel></rss>".encode()

        server.serve("/feed.xml", feed, content_type="application/rss+xml")
        (tmp / "outlets.toml").write_text(f'[soak]\nname = "Soak"\nlanguage = "en"\nfeeds = ["{server.base}/feed.xml"]\n'
                                          'delay = 0\n')
        process, port = start_daemon(tmp, server, {"NEWSWATCH_WORKER_MAX_TASKS": "500"})
        rows = []
        start = time.perf_counter()
        try:
            for poll in range(1, args.polls + 1):
                before = server.hits.get("/feed.xml", 0)
                trigger(port, "soak")
                asked = time.monotonic()
                while server.hits.get("/feed.xml", 0) == before or crawling(port):
                    if server.hits.get("/feed.xml", 0) == before and time.monotonic() - asked > 5:
                        # A trigger that lands while the previous run is still being released is
                        # skipped by the scheduler (one instance per job): ask again.
                        trigger(port, "soak")
                        asked = time.monotonic()
                    time.sleep(0.05)
                if poll % args.every == 0 or poll == 1:
                    workers = [p for p in descendants(process.pid)]
                    articles = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health").read())["articles"]
                    row = {"poll": poll, "seconds": round(time.perf_counter() - start),
                           "daemon_rss_mib": round(rss_kib(process.pid) / 1024, 1),
                           "daemon_anon_mib": round(rss_kib(process.pid, "RssAnon") / 1024, 1),
                           "daemon_file_mib": round(rss_kib(process.pid, "RssFile") / 1024, 1),
                           "workers_rss_mib": round(sum(rss_kib(p) for p in workers) / 1024, 1),
                           "open_fds": len(os.listdir(f"/proc/{process.pid}/fd")),
                           "threads": len(os.listdir(f"/proc/{process.pid}/task")), "articles": articles}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            status, ms = get(port, "/health")
        finally:
            stop(process)
    print(f"\n{'poll':>6} {'daemon RSS MiB':>15} {'(anon':>7} {'files)':>7} {'workers RSS MiB':>16} {'open fds':>9} "
          f"{'threads':>8} {'articles':>9}")
    for row in rows:
        print(f"{row['poll']:>6} {row['daemon_rss_mib']:>15} {row['daemon_anon_mib']:>7} {row['daemon_file_mib']:>7} "
              f"{row['workers_rss_mib']:>16} {row['open_fds']:>9} {row['threads']:>8} {row['articles']:>9}")


if __name__ == "__main__":
    main()
