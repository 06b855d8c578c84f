"""`newswatch run` as a user runs it: a real process, its API on a free port, signals."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from tests_support import NEWSWATCH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port: int, path: str, method: str = "GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(predicate, timeout: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(interval)
    raise AssertionError("timed out waiting")


@pytest.fixture
def daemon(sample_outlets, request):
    ws = sample_outlets
    if "no_entities" in request.fixturenames:  # set before the daemon starts, whatever pytest's order
        request.getfixturevalue("no_entities")
    port = free_port()
    log = open(ws.root / "daemon.log", "w")
    process = subprocess.Popen([NEWSWATCH, "run"], env={**ws.env, "NEWSWATCH_API_PORT": str(port)},
                               cwd=ws.root, stdout=log, stderr=subprocess.STDOUT)
    ws.port, ws.process = port, process
    try:
        wait_for(lambda: call(port, "/health")[0] == 200)
        yield ws
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def polled(ws) -> bool:
    outlets = call(ws.port, "/outlets")[1]
    return all(o["status"] != "never" for o in outlets) and not call(ws.port, "/health")[1]["crawling"]


def test_the_daemon_polls_serves_reloads_and_stops_cleanly(no_entities, daemon):
    ws = daemon
    wait_for(lambda: polled(ws))
    status, result = call(ws.port, "/search?q=%22war+certificates%22")
    assert status == 200 and {h["outlet"] for h in result["hits"]} == {"rfa-english", "newsweek"}
    assert {o["key"]: o["status"] for o in call(ws.port, "/outlets")[1]} == \
        {"rfa-english": "ok", "rfa-korean": "ok", "newsweek": "ok"}
    assert call(ws.port, "/search?size=-1") == (400, {"error": "size must not be negative", "parameter": "size"})

    # A bad outlets file is refused and the old outlets stay.
    good = ws.outlets.read_text()
    ws.outlets.write_text(good + '\n[broken]\nname = "B"\nlanguage = "en"\nfeeds = ["https://x.org/rss"]\ninterval = "5s"\n')
    status, body = call(ws.port, "/reload", "POST")
    assert status == 400 and "[broken] interval" in body["error"]
    assert len(call(ws.port, "/outlets")[1]) == 3

    # SIGHUP reloads a good file: a new outlet appears and is polled.
    extra = ws.server.fixture("rfa_korean_rss.xml").replace(b"nk-war-certificates", b"extra-story")
    extra = extra.replace("참전 증서".encode(), "새 소식".encode()).replace("북한".encode(), "평양".encode())
    ws.server.serve("/extra.xml", extra, content_type="application/rss+xml")
    ws.outlets.write_text(good + f'\n[extra]\nname = "Extra"\nlanguage = "ko"\nfeeds = ["{ws.server.base}/extra.xml"]\n')
    ws.process.send_signal(signal.SIGHUP)
    wait_for(lambda: [o for o in call(ws.port, "/outlets")[1] if o["key"] == "extra" and o["articles"] == 1])

    # An admin crawl request polls now; robots.txt is not fetched again (kept for 24 hours).
    feed_hits, robots_hits = ws.server.hits["/rss"], ws.server.hits["/robots.txt"]
    assert call(ws.port, "/outlets/newsweek/crawl", "POST")[0] == 202
    wait_for(lambda: ws.server.hits["/rss"] > feed_hits)
    assert robots_hits == 1 and ws.server.hits["/robots.txt"] == 1

    ws.process.send_signal(signal.SIGTERM)
    assert ws.process.wait(timeout=30) == 0
    # Everything it indexed was committed and recorded.
    result = json.loads(subprocess.run([NEWSWATCH, "search", "--json"], env=ws.env, capture_output=True,
                                       text=True, check=True, timeout=120).stdout)
    assert result["total"] == 5
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    assert state.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5


def test_crawl_exits_3_while_the_daemon_runs(no_entities, daemon):
    held = daemon.newswatch("crawl", "newsweek", check=False)
    assert held.returncode == 3
    # Reading works meanwhile.
    assert daemon.newswatch("search", "--json").returncode == 0


def test_kill_9_mid_crawl_loses_nothing_and_duplicates_nothing(outlet_server, workspace, no_entities):
    from tests_support import article_paragraphs

    ws, server = workspace, outlet_server
    count = 12
    links = "".join(f"<item><title>Story {n}</title><link>{server.base}/story/{n}</link></item>" for n in range(count))
    server.serve("/feed.xml", f"<rss version='2.0'><channel><title>S</title>{links}</channel></rss>",
                 content_type="application/rss+xml", etag='"s1"')
    for n in range(count):
        server.serve(f"/story/{n}", f"<html><body><article><h1>Story {n}</h1>{article_paragraphs(f'town {n}')}"
                                    f"</article></body></html>", delay=0.4)
    ws.outlets.write_text(f'[slow]\nname = "Slow"\nlanguage = "en"\nfeeds = ["{server.base}/feed.xml"]\n')
    env = {**ws.env, "NEWSWATCH_COMMIT_EVERY": "2", "NEWSWATCH_DOWNLOAD_DELAY": "0.2"}
    process = subprocess.Popen([NEWSWATCH, "crawl", "slow"], env=env, cwd=ws.root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def committed() -> int:
        db = sqlite3.connect(ws.data_dir / "state.sqlite3")
        try:
            return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:
            return 0  # the crawl has created the file but not yet its tables
        finally:
            db.close()

    wait_for(lambda: (ws.data_dir / "state.sqlite3").exists() and committed() >= 2, timeout=60, interval=0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert committed() < count  # it really died mid-crawl
    ws.newswatch("crawl", "slow")
    result = ws.json("search", "--size", "100", "--json")
    ids = [hit["id"] for hit in result["hits"]]
    assert result["total"] == count and len(set(ids)) == count
    assert committed() == count


def test_every_outlet_is_polled_soon_after_start_up_even_when_not_due(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    ws.newswatch("crawl", "newsweek")  # its sources are now not due for a quarter of an hour
    polled_before = server.hits["/rss"]
    port = free_port()
    with open(ws.root / "daemon.log", "w") as log:
        process = subprocess.Popen([NEWSWATCH, "run"], env={**ws.env, "NEWSWATCH_API_PORT": str(port)},
                                   cwd=ws.root, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: server.hits.get("/rss", 0) > polled_before and server.hits.get("/googlenews.xml", 0) > 1,
                     timeout=45)
        finally:
            process.kill()
            process.wait()


def test_a_busy_port_is_its_own_one_line_error(sample_outlets, no_entities):
    ws = sample_outlets
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = ws.newswatch("run", check=False, timeout=60, NEWSWATCH_API_PORT=str(port))
    assert result.returncode == 5, result.stderr
    assert result.stderr == f"newswatch: setting NEWSWATCH_API_PORT={port}: cannot listen on 127.0.0.1:{port}: " \
                            "already in use\n"
    # The data directory is free again: a crawl can take it.
    assert ws.newswatch("crawl", "newsweek").returncode == 0


def test_prune_and_reprocess_go_through_the_running_daemon(daemon):
    ws = daemon
    wait_for(lambda: polled(ws))
    pruned = ws.newswatch("prune", NEWSWATCH_API_PORT=str(ws.port))
    assert set(json.loads(pruned.stdout)["pruned"]) >= {"pages", "articles", "validators"}
    started = ws.newswatch("reprocess", "--outlet", "newsweek", NEWSWATCH_API_PORT=str(ws.port))
    assert json.loads(started.stdout) == {"status": "started", "since": None, "outlet": "newsweek",
                                          "outdated": False}
    wait_for(lambda: "reprocess finished: {'updated': 1" in (ws.root / "daemon.log").read_text())
    refused = ws.newswatch("reprocess", "--since", "yesterday", NEWSWATCH_API_PORT=str(ws.port), check=False)
    assert refused.returncode == 2 and "--since" in refused.stderr
    # No daemon answers on that port: the index is still held, and the line says both.
    unanswered = ws.newswatch("prune", NEWSWATCH_API_PORT=str(free_port()), check=False)
    assert unanswered.returncode == 3 and "did not answer" in unanswered.stderr
