"""Fault injection: the process is killed (SIGKILL) between the statements of each multi-statement
write of the state database (core.statedb, NEWSWATCH_FAULT_AFTER), then the same commands run
again, as after a restart. The end state must be exactly that of a run that never crashed:
nothing half-applied, nothing lost, nothing duplicated, one alert per story."""
import json
import sqlite3

import pytest
from es_standin import ElasticsearchStandIn
from tests_support import article_paragraphs

WIRE = "/wire/kursk-grid"
COPY = "/agg/kursk-grid"


def build_world(server, ws, es: bool = False) -> dict:
    body = article_paragraphs("Kursk", 8)

    def page(title, published, prefix=""):
        return (f"<html lang='en'><head><title>{title}</title><meta property='article:published_time' "
                f"content='{published}'></head><body><article><h1>{title}</h1>{prefix}{body}</article></body></html>")

    server.serve(WIRE, page("Strike on Kursk grid", "2025-11-05T10:00:00Z"))
    # The same story, published earlier elsewhere: crawled later, it takes over as the original.
    server.serve(COPY, page("Strike on Kursk grid", "2025-11-05T08:00:00Z", "<p>KURSK (Agency) -</p>"))
    server.serve("/wire/video", "<html><body><p>Watch the video</p></body></html>")
    server.serve("/slow/1", "slow down", status=429, headers={"Retry-After": "3600"})
    server.serve("/hook", "")

    def feed(*paths):
        return ("<rss version='2.0'><channel><title>x</title>" + "".join(
            f"<item><title>Kursk {n}</title><link>{server.base}{p}</link></item>" for n, p in enumerate(paths))
            + "</channel></rss>")

    server.serve("/wire.xml", feed(WIRE, "/wire/video", "/wire/missing"), content_type="application/rss+xml",
                 etag='"w1"')
    server.serve("/agg.xml", feed(COPY), content_type="application/rss+xml")
    server.serve("/slow.xml", feed("/slow/1"), content_type="application/rss+xml")
    ws.outlets.write_text("".join(f'[{key}]\nname = "{key}"\nlanguage = "en"\nfeeds = ["{server.base}/{key}.xml"]\n'
                                  for key in ("wire", "agg", "slow")))
    (ws.root / "topics.toml").write_text(f'[kursk]\nname = "Kursk"\nquery = "kursk"\n'
                                         f'notify = ["webhook:{server.base}/hook"]\n')
    env = {"NEWSWATCH_TOPICS": str(ws.root / "topics.toml"), "NEWSWATCH_NER_MODELS": "",
           "NEWSWATCH_KEEP_ARTICLES_DAYS": "30"}
    return env


STEPS = [("crawl", "wire", "slow"), ("crawl", "agg")]
PRUNE = [("prune",)]


def run_steps(ws, steps, env) -> bool:
    """Runs the commands; True when one of them was killed by the injected fault."""
    for step in steps:
        result = ws.newswatch(*step, check=False, **env)
        if result.returncode == -9:
            return True
        assert result.returncode == 0, result.stderr[-2000:]
    return False


def snapshot(ws, env, server=None, standin=None) -> dict:
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    hits = ws.json("search", "--duplicates", "--size", "100", "--json", **env)["hits"]
    outcome = {
        "hits": sorted((h["id"], h["outlet"], h["duplicate_of"], h["story_id"], h["duplicate_count"], tuple(h["topics"]))
                       for h in hits),
        "articles": sorted(state.execute("SELECT id, revision FROM articles").fetchall()),
        "links": sorted(state.execute("SELECT a, b, kind FROM links").fetchall()),
        "signatures": sorted(state.execute("SELECT article_id FROM lsh_docs").fetchall()),
        "matches": sorted(state.execute("SELECT topic, article_id FROM topic_matches").fetchall()),
        "seen": sorted(state.execute("SELECT url_key, article_id FROM seen").fetchall()),
        "deliveries": state.execute("SELECT COUNT(*) FROM deliveries").fetchone(),
    }
    if server is not None:
        posts = [(json.loads(body)["topic"], headers["X-Newswatch-Delivery"]) for path, headers, body in server.posts]
        outcome["alerts"] = sorted(set(posts))  # a repeat with the same delivery id is no duplicate
    if standin is not None:
        outcome["elasticsearch"] = sorted(standin.indices.get("newswatch-articles-v2", {}))
    state.close()
    return outcome


# Every multi-statement write, and the steps that make it happen.
FAULTS = [
    ("migrate", STEPS), ("dedupe_rebuild", STEPS), ("record_committed", STEPS), ("mark_seen", STEPS),
    ("record_error", STEPS), ("count_terms", STEPS), ("dedupe_add", STEPS), ("topic_record", STEPS),
    ("save_validators", STEPS), ("back_off", STEPS), ("record_poll", STEPS), ("move_copies", STEPS),
    ("enqueue", STEPS), ("claim_deliveries", STEPS), ("prune_articles", STEPS + PRUNE),
    ("in_flight_save", STEPS),
]


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory):
    """The end states of the same commands run without a crash."""
    from outlet_server import OutletServer
    from tests_support import Workspace

    outcomes = {}
    for name, steps in (("steps", STEPS), ("prune", STEPS + PRUNE)):
        with OutletServer() as server:
            ws = Workspace(tmp_path_factory.mktemp(name))
            env = build_world(server, ws)
            assert not run_steps(ws, steps, env)
            outcomes[name] = snapshot(ws, env, server)
    return outcomes


@pytest.mark.parametrize("transaction, steps", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_kill_inside_any_write_leaves_nothing_half_applied(outlet_server, workspace, clean_runs, transaction, steps):
    ws, server = workspace, outlet_server
    env = build_world(server, ws)
    assert run_steps(ws, steps, {**env, "NEWSWATCH_FAULT_AFTER": f"{transaction}:1"}), \
        f"the transaction {transaction!r} never ran"
    assert not run_steps(ws, steps, env)  # the restart
    expected = clean_runs["prune" if steps is not STEPS else "steps"]
    got = snapshot(ws, env, server)
    # The page hashes of ids differ with the server's port: compare the shapes.
    assert normalise(got, server) == normalise(expected, None)


def normalise(outcome: dict, server) -> dict:
    """Ids as the outlet of their article (each outlet has one here): each run's server has its
    own port, so its articles their own ids."""
    ids = {hit[0]: hit[1] for hit in outcome["hits"]}

    def name(value):
        return ids.get(value, value)

    return {
        "hits": sorted((name(a), o, name(d), name(s), c, t) for a, o, d, s, c, t in outcome["hits"]),
        "articles": sorted((name(a), r) for a, r in outcome["articles"]),
        "links": sorted((name(a), name(b), k) for a, b, k in outcome["links"]),
        "signatures": sorted(name(a) for (a,) in outcome["signatures"]),
        "matches": sorted((t, name(a)) for t, a in outcome["matches"]),
        "seen": len(outcome["seen"]),
        "deliveries": outcome["deliveries"],
        "alerts": len(outcome["alerts"]),
    }


@pytest.mark.parametrize("transaction", ["outbox_delivered", "outbox_failed"])
def test_a_kill_inside_an_outbox_write_loses_nothing(outlet_server, workspace, transaction):
    ws, server = workspace, outlet_server
    env = build_world(server, ws)
    with ElasticsearchStandIn() as standin:
        es = {**env, "NEWSWATCH_INDEX": "elasticsearch", "ELASTICSEARCH_URL": standin.url,
              "ELASTICSEARCH_REPLICAS": "0"}
        if transaction == "outbox_failed":
            standin.reject_ids = {"*"}
        assert run_steps(ws, [("crawl", "wire")], {**es, "NEWSWATCH_FAULT_AFTER": f"{transaction}:1"})
        standin.reject_ids = set()
        assert not run_steps(ws, [("crawl", "wire"), ("crawl", "agg")], es)
        state = sqlite3.connect(ws.data_dir / "state.sqlite3")
        articles = {r[0] for r in state.execute("SELECT id FROM articles")}
        waiting = {r[0] for r in state.execute("SELECT id FROM es_outbox")}
        delivered = set(standin.indices.get("newswatch-articles-v2", {}))
        # Every committed article reached the cluster or still waits (or was set aside) in the
        # outbox: nothing is lost.
        assert len(articles) == 2 and articles <= delivered | waiting
        if transaction == "outbox_delivered":
            assert articles <= delivered
