"""Nothing in a feed is lost: a feed mixing good items with bad links and faulty pages, and feeds
that cannot be read at all, against the local outlet server over two polls."""
import json
import sqlite3

from tests_support import article_paragraphs


def story(topic: str) -> str:
    return f"<html lang='en'><head><title>{topic}</title></head><body><article><h1>{topic}</h1>" \
           f"{article_paragraphs(topic)}</article></body></html>"


def rss(items: list[tuple[str, str]]) -> str:
    return "<rss version='2.0'><channel><title>Mixed</title>" + "".join(
        f"<item><title>{title}</title><link>{link}</link></item>" for title, link in items) + "</channel></rss>"


def logged_errors(ws) -> list[tuple[str, str]]:
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    return state.execute("SELECT COALESCE(url, ''), message FROM crawl_errors").fetchall()


def summaries(result) -> dict:
    return {s["outlet"]: s for s in map(json.loads, result.stdout.splitlines())}


def test_bad_items_are_logged_and_skipped_and_every_good_item_is_fetched(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    base = server.base
    items = [("Script", "javascript:alert(1)"), ("Words", "not a url at all"), ("Alpha", f"{base}/alpha"),
             ("Loop", f"{base}/loop-a"), ("Missing", f"{base}/missing"), ("Broken", f"{base}/broken"),
             ("Binary", f"{base}/binary"), ("Latin", f"{base}/latin"), ("Refused", "http://127.0.0.1:9/refused"),
             ("Bad host", "http://[::1/oops"), ("Mail", "mailto:desk@example.org"), ("Beta", f"{base}/beta")]
    server.serve("/feed.xml", rss(items), content_type="application/rss+xml", etag='"mixed-1"')
    server.serve("/alpha", story("Kharkiv"))
    server.serve("/beta", story("Odesa"))
    server.serve("/gamma", story("Dnipro"))
    server.serve("/latin", story("Zaporizhzhia").replace("</h1>", " caf\u00e9</h1>").encode("latin-1"),
                 content_type="text/html; charset=iso-8859-1")
    server.serve("/loop-a", "", status=302, headers={"Location": f"{base}/loop-b"})
    server.serve("/loop-b", "", status=302, headers={"Location": f"{base}/loop-a"})
    server.serve("/broken", "oops", status=500)
    server.serve("/binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, content_type="image/png")
    server.serve("/sitemap.xml", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                 "<url><loc>javascript:void(0)</loc></url><url><loc>not a url either</loc></url>"
                 f"<url><loc>{base}/gamma</loc><lastmod>not a date</lastmod></url></urlset>",
                 content_type="application/xml")
    ws.outlets.write_text(f'[mixed]\nname = "Mixed"\nlanguage = "en"\ninterval = "1h"\ndelay = 0\n'
                          f'feeds = ["{base}/feed.xml"]\nsitemaps = ["{base}/sitemap.xml"]\n')

    first = ws.newswatch("crawl", "mixed", NEWSWATCH_DOWNLOAD_TIMEOUT="2")
    # Every reachable item was asked for, whatever its neighbours held.
    for path in ("/alpha", "/beta", "/gamma", "/latin", "/loop-a", "/missing", "/broken", "/binary"):
        assert server.hits.get(path), path
    summary = summaries(first)["mixed"]
    assert summary["bad_items"] == 6  # four bad links in the feed, two in the sitemap
    errors = logged_errors(ws)
    # (feedparser itself drops a link with a malformed host: the item is named by its title.)
    for position, value in ((1, "javascript:alert(1)"), (2, "not a url at all"), (10, "no link: 'Bad host'"),
                            (11, "mailto:desk@example.org")):
        assert any(url == f"{base}/feed.xml" and f"item {position} skipped" in message and value in message
                   for url, message in errors), (position, errors)
    assert any(url == f"{base}/sitemap.xml" and "item 1 skipped" in message and "javascript:void(0)" in message
               for url, message in errors)
    titles = {h["title"] for h in ws.json("search", "--size", "100", "--json")["hits"]}
    assert titles == {"Kharkiv", "Odesa", "Zaporizhzhia café", "Dnipro"}  # each page's own headline

    # The second poll: the failed pages are asked again, no good item is lost or fetched twice.
    hits = dict(server.hits)
    ws.newswatch("crawl", "mixed", NEWSWATCH_DOWNLOAD_TIMEOUT="2")
    assert server.hits["/broken"] > hits["/broken"]
    assert server.hits["/alpha"] == hits["/alpha"] == 1
    assert ws.json("search", "--size", "100", "--json")["total"] == len(titles)
    [mixed] = ws.json("outlets", "--json")
    assert mixed["status"] == "ok" and mixed["failing_sources"] == []


def test_unreadable_feeds_keep_failing_over_polls_and_the_outlet_says_so(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    base = server.base
    server.serve("/garbage.xml", bytes((n * 151 + 7) % 256 for n in range(4096)),
                 content_type="application/rss+xml", etag='"garbage-1"')
    server.serve("/empty.xml", b"", content_type="application/rss+xml", etag='"empty-1"',
                 headers={"Last-Modified": "Mon, 01 Dec 2025 10:00:00 GMT"})
    server.serve("/html-not-feed.xml", "<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>",
                 content_type="text/html", etag='"home-1"')
    server.serve("/good.xml", rss([("Alpha", f"{base}/alpha")]), content_type="application/rss+xml",
                 etag='"good-1"')
    server.serve("/alpha", story("Kharkiv"))
    server.serve("/hook", b"")
    bad = ["garbage.xml", "empty.xml", "html-not-feed.xml"]
    ws.outlets.write_text(f'[wire]\nname = "Wire"\nlanguage = "en"\ninterval = "1h"\ndelay = 0\nfeeds = ['
                          + ", ".join(f'"{base}/{name}"' for name in [*bad, "good.xml"]) + "]\n")
    env = {"NEWSWATCH_ADMIN_NOTIFY": f"webhook:{base}/hook"}
    for poll in range(3):
        ws.newswatch("crawl", "wire", **env)
        [wire] = ws.json("outlets", "--json")
        sources = {s["url"].rsplit("/", 1)[-1]: s for s in wire["sources"]}
        for name in bad:
            # Never answered 304: no validators were kept from an answer that was not a feed.
            assert server.hits[f"/{name}"] == poll + 1
            assert sources[name]["status"] == ("paused" if poll == 2 else "failing"), (poll, name)
            assert sources[name]["failure_score"] == 3.0 * (poll + 1)
            assert sources[name]["last_success_at"] is None
        assert sources["good.xml"]["status"] == "ok"
        assert wire["status"] == "degraded"
        assert sorted(s["url"] for s in wire["failing_sources"]) == sorted(f"{base}/{n}" for n in bad)
    validators = sqlite3.connect(ws.data_dir / "state.sqlite3").execute("SELECT url FROM validators").fetchall()
    assert validators == [(f"{base}/good.xml",)]
    notices = [json.loads(body) for path, _, body in server.posts if path == "/hook"]
    assert sorted(n["outlet"] for n in notices) == sorted(f"{base}/{n}" for n in bad)


def test_a_page_robots_txt_disallows_is_skipped_not_an_error(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    base = server.base
    server.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.serve("/feed.xml", rss([("Alpha", f"{base}/alpha"), ("Hidden", f"{base}/private/beta")]),
                 content_type="application/rss+xml")
    server.serve("/alpha", story("Kharkiv"))
    ws.outlets.write_text(f'[wire]\nname = "Wire"\nlanguage = "en"\ndelay = 0\nfeeds = ["{base}/feed.xml"]\n')
    summary = summaries(ws.newswatch("crawl", "wire"))["wire"]
    assert summary["robots_skipped"] == 1 and summary["errors"] == 0
    assert server.hits.get("/private/beta") is None
    [wire] = ws.json("outlets", "--json")
    assert wire["errors"] == 0 and wire["status"] == "ok"



def test_pages_held_back_by_a_back_off_are_deferred_not_lost(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    base = server.base
    server.serve("/first.xml", rss([("Closed", f"{base}/forbidden")]), content_type="application/rss+xml")
    server.serve("/forbidden", "no", status=403)
    # The slow feed answers after the 403 has backed the outlet off: its pages wait for a later poll.
    server.serve("/slow.xml", rss([("A", f"{base}/a"), ("B", f"{base}/b")]), content_type="application/rss+xml",
                 etag='"slow-1"', delay=2)
    server.serve("/a", story("Kharkiv"))
    server.serve("/b", story("Odesa"))
    ws.outlets.write_text(f'[wire]\nname = "Wire"\nlanguage = "en"\ndelay = 0\n'
                          f'feeds = ["{base}/first.xml", "{base}/slow.xml"]\n')
    summary = summaries(ws.newswatch("crawl", "wire"))["wire"]
    assert summary["deferred"] == 2 and server.hits.get("/a") is None
    assert not any("backed off" in message for url, message in logged_errors(ws) if url != f"{base}/forbidden")
    # The slow feed's validators are not kept: after the back-off it is read again (not a 304),
    # and its pages, never marked seen, are fetched then.
    validators = sqlite3.connect(ws.data_dir / "state.sqlite3").execute("SELECT url FROM validators").fetchall()
    assert validators == []
