"""Failed work is kept, retried, quarantined — never lost. A page fetched but not stored stays
owed in the state with its body (crawler/owed.py) until it is processed: a failure of its own
processing, a kill -9, an index that cannot be reached never lose it, and the feed's saved ETag
never hides it; taking it up again never fetches it again."""
import json
import os
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from es_standin import ElasticsearchStandIn
from tests_support import NEWSWATCH, article_paragraphs, page, wait_until

NO_NER = {"NEWSWATCH_NER_MODELS": ""}


def summaries(result) -> dict:
    return {s["outlet"]: s for s in map(json.loads, result.stdout.splitlines())}


def serve_wire(server, paths=("/wire/1", "/wire/2")) -> None:
    for n, path in enumerate(paths):
        server.serve(path, page(f"Grid strike {n}", "2025-11-05T10:00:00Z", article_paragraphs(f"Kursk {n}", 6)))
    server.serve_feed("/wire.xml", list(paths)).etag = '"wire-1"'


def outlets(server, *keys) -> str:
    return "".join(f'[{key}]\nname = "{key}"\nlanguage = "en"\ndelay = 0\nfeeds = ["{server.base}/{key}.xml"]\n'
                   for key in keys)


def stored(ws, **env) -> list[dict]:
    return ws.json("search", "--duplicates", "--size", "100", "--json", **NO_NER, **env)["hits"]


def block_the_archive(ws) -> None:
    """A real failure of the store stage, not of the page's content: where the page archive
    must be a directory, a file (a disk that refuses the write would do the same)."""
    ws.data_dir.mkdir(parents=True, exist_ok=True)
    (ws.data_dir / "pages").write_text("not a directory")


def unblock_the_archive(ws) -> None:
    (ws.data_dir / "pages").unlink()


def test_a_page_whose_processing_failed_is_taken_up_again_without_a_fetch(outlet_server, workspace):
    ws, server = workspace, outlet_server
    serve_wire(server)
    ws.outlets.write_text(outlets(server, "wire"))
    block_the_archive(ws)
    first = ws.newswatch("crawl", "wire", **NO_NER)
    assert summaries(first)["wire"]["new_articles"] == 0 and summaries(first)["wire"]["errors"] == 2
    row = {r["key"]: r for r in ws.json("outlets", "--json", **NO_NER)}["wire"]
    assert "not a directory" in row["last_error"].lower()

    unblock_the_archive(ws)
    # The feed answers 304 now (its ETag was kept: what it led to is owed in the state).
    second = summaries(ws.newswatch("crawl", "wire", **NO_NER))["wire"]
    assert second["not_modified"] == 1 and second["new_articles"] == 2
    assert sorted(h["url"].removeprefix(server.base) for h in stored(ws)) == ["/wire/1", "/wire/2"]
    assert server.hits["/wire/1"] == server.hits["/wire/2"] == 1  # fetched once, processed from the state
    # What the operator saw meanwhile, and sees now.
    assert summaries(first)["wire"]["owed"] == 2 and second["retried"] == 2
    assert (row["owed"], row["quarantined"]) == (2, 0)
    assert {r["key"]: r for r in ws.json("outlets", "--json", **NO_NER)}["wire"]["owed"] == 0
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    assert state.execute("SELECT COUNT(*) FROM owed_pages").fetchone() == (0,)
    assert state.execute("SELECT COUNT(*) FROM in_flight").fetchone() == (0,)


def test_a_page_failing_every_try_is_quarantined_until_replayed(outlet_server, workspace):
    ws, server = workspace, outlet_server
    serve_wire(server, ("/wire/1",))
    ws.outlets.write_text(outlets(server, "wire"))
    attempts = {"NEWSWATCH_PAGE_ATTEMPTS": "2", **NO_NER}
    block_the_archive(ws)
    assert summaries(ws.newswatch("crawl", "wire", **attempts))["wire"]["owed"] == 1
    assert summaries(ws.newswatch("crawl", "wire", **attempts))["wire"]["quarantined"] == 1
    row = {r["key"]: r for r in ws.json("outlets", "--json", **attempts)}["wire"]
    assert (row["owed"], row["quarantined"]) == (0, 1)
    [parked] = row["quarantine"]
    assert parked["url"] == f"{server.base}/wire/1" and parked["attempts"] == 2
    assert "directory" in parked["last_error"].lower()
    text = ws.newswatch("outlets", **attempts).stdout
    assert "QUARANTINED: 1 page" in text and f"{server.base}/wire/1" in text and "replay --outlet wire" in text

    unblock_the_archive(ws)
    # A quarantined page waits for the operator: later crawls leave it alone.
    assert summaries(ws.newswatch("crawl", "wire", **attempts))["wire"]["new_articles"] == 0
    assert ws.newswatch("replay", "--outlet", "nowhere", check=False, **attempts).returncode == 2
    replayed = summaries(ws.newswatch("replay", "--outlet", "wire", **attempts))["wire"]
    assert replayed["replayed"] == 1 and replayed["new_articles"] == 1 and replayed["sources"] == 0
    assert [h["url"] for h in stored(ws)] == [f"{server.base}/wire/1"]
    assert server.hits["/wire/1"] == 1
    nothing = ws.newswatch("replay", **attempts)
    assert nothing.stdout == "" and "no page is quarantined" in nothing.stderr


def get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return None


def test_replay_while_the_daemon_runs_is_asked_of_the_daemon(outlet_server, workspace):
    ws, server = workspace, outlet_server
    serve_wire(server, ("/wire/1",))
    ws.outlets.write_text(outlets(server, "wire"))
    env = {"NEWSWATCH_PAGE_ATTEMPTS": "1", **NO_NER}
    block_the_archive(ws)
    assert summaries(ws.newswatch("crawl", "wire", **env))["wire"]["quarantined"] == 1
    unblock_the_archive(ws)
    port = closed_port()
    env["NEWSWATCH_API_PORT"] = str(port)  # the daemon's, and where `replay` asks it
    with open(ws.root / "daemon.log", "w") as log:
        daemon = subprocess.Popen([NEWSWATCH, "run"], env={**ws.env, **env},
                                  cwd=ws.root, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: (get(port, "/outlets") or [{}])[0].get("status") not in (None, "never")
                       and not (get(port, "/health") or {"crawling": True})["crawling"], "the first poll", timeout=120)
            assert get(port, "/outlets")[0]["quarantined"] == 1  # a poll leaves quarantined pages alone
            asked = ws.newswatch("replay", "--outlet", "wire", **env)  # the daemon holds the index
            assert json.loads(asked.stdout) == {"replayed": {"wire": 1}}
            wait_until(lambda: (get(port, "/search?q=grid") or {}).get("total") == 1, "the replayed page stored",
                       timeout=120)
            row = get(port, "/outlets")[0]
            assert (row["owed"], row["quarantined"], row["quarantine"]) == (0, 0, [])
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n--- daemon log ---\n{(ws.root / 'daemon.log').read_text()[-3000:]}") from None
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
    assert server.hits["/wire/1"] == 1


def test_a_crawl_killed_mid_processing_leaves_its_pages_owed(outlet_server, workspace):
    ws, server = workspace, outlet_server
    serve_wire(server)
    ws.outlets.write_text(outlets(server, "wire"))
    # Killed (SIGKILL) inside the related stage of the first article: after the pages were
    # fetched, before anything was committed.
    killed = ws.newswatch("crawl", "wire", check=False, NEWSWATCH_FAULT_AFTER="count_terms:1", **NO_NER)
    assert killed.returncode == -9
    again = summaries(ws.newswatch("crawl", "wire", **NO_NER))["wire"]
    assert again["new_articles"] == 2
    assert sorted(h["url"].removeprefix(server.base) for h in stored(ws)) == ["/wire/1", "/wire/2"]
    assert server.hits["/wire/1"] == server.hits["/wire/2"] == 1  # the owed pages were not fetched again
    assert again["retried"] >= 1
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    assert state.execute("SELECT COUNT(*) FROM owed_pages").fetchone() == (0,)


def closed_port() -> int:
    """A loopback port nothing listens on: a real server that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["stand-in", pytest.param("live", marks=pytest.mark.elasticsearch)])
def elasticsearch(request):
    """(the environment of an Elasticsearch backend, a function giving the articles it holds by
    outlet): the recording stand-in (offline), and a live node when ELASTICSEARCH_URL is set."""
    if request.param == "stand-in":
        with ElasticsearchStandIn() as standin:
            yield ({"ELASTICSEARCH_URL": standin.url},
                   lambda ws: {a["outlet"]: a for a in standin.indices.get("newswatch-articles-v2", {}).values()})
        return
    if not os.environ.get("ELASTICSEARCH_URL"):
        pytest.skip("ELASTICSEARCH_URL is not set")
    from elasticsearch import Elasticsearch

    prefix = f"newswatch-owed-{uuid.uuid4().hex[:8]}-"
    env = {k: v for k, v in os.environ.items() if k.startswith("ELASTICSEARCH_")}
    env["ELASTICSEARCH_INDEX_PREFIX"] = prefix
    yield env, lambda ws: {h["outlet"]: h for h in stored(ws, NEWSWATCH_INDEX="elasticsearch", **env)}
    options = ({"api_key": env["ELASTICSEARCH_API_KEY"]} if env.get("ELASTICSEARCH_API_KEY") else
               {"basic_auth": (env["ELASTICSEARCH_USERNAME"], env.get("ELASTICSEARCH_PASSWORD", ""))}
               if env.get("ELASTICSEARCH_USERNAME") else {})
    with Elasticsearch(env["ELASTICSEARCH_URL"], **options) as client:
        # By name: a node with default settings refuses wildcard deletes.
        for index in client.options(ignore_status=404).indices.get_alias(name=f"{prefix}articles").body:
            if index.startswith(prefix):
                client.indices.delete(index=index)
        client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}articles")


def test_a_page_whose_processing_needs_an_unreachable_index_waits_for_it(outlet_server, workspace, elasticsearch):
    """The copy's dedupe reads its original from the index: while the index cannot be reached
    the copy waits, owed (no attempt spent); once it answers, the copy is linked."""
    ws, server = workspace, outlet_server
    environment, held = elasticsearch
    body = article_paragraphs("Kursk grid", 8)

    def story(title, published, prefix=""):
        return (f"<html lang='en'><head><title>{title}</title><meta property='article:published_time' "
                f"content='{published}'></head><body><article><h1>{title}</h1>{prefix}{body}</article></body></html>")

    server.serve("/wire/1", story("Strike on Kursk grid", "2025-11-05T10:00:00Z"))
    server.serve("/agg/1", story("Strike on Kursk grid (wire)", "2025-11-05T11:00:00Z", "<p>KURSK (Agency) -</p>"))
    server.serve_feed("/wire.xml", ["/wire/1"]).etag = '"wire-1"'
    server.serve_feed("/agg.xml", ["/agg/1"]).etag = '"agg-1"'
    ws.outlets.write_text(outlets(server, "wire", "agg"))
    es = {"NEWSWATCH_INDEX": "elasticsearch", "ELASTICSEARCH_REPLICAS": "0", "NEWSWATCH_PAGE_ATTEMPTS": "1",
          **NO_NER, **environment}
    ws.newswatch("crawl", "wire", **es)  # the original, delivered
    down = {**es, "ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port()}"}
    cut = summaries(ws.newswatch("crawl", "agg", **down))["agg"]
    assert cut["new_articles"] == 0
    back = summaries(ws.newswatch("crawl", "agg", **es))["agg"]
    assert back["new_articles"] == 1
    articles = held(ws)
    assert articles["agg"]["duplicate_of"] == articles["wire"]["id"]
    assert server.hits["/agg/1"] == 1
    # One attempt allowed, and yet not quarantined: the index failing is not the page's failure.
    assert cut["owed"] == 1 and cut["quarantined"] == 0 and back["retried"] == 1
