"""Copies as the crawl meets them: several in one crawl, in any order, whatever their dates."""
import json

from tests_support import article_paragraphs

NO_NER = {"NEWSWATCH_NER_MODELS": ""}


def page(title: str, published: str, body: str, prefix: str = "") -> str:
    return (f"<html lang='en'><head><title>{title}</title><meta property='article:published_time' "
            f"content='{published}'></head><body><article><h1>{title}</h1>{prefix}{body}</article></body></html>")


def test_copies_in_one_crawl_are_always_linked_to_the_earliest_original(outlet_server, workspace):
    ws, server = workspace, outlet_server
    links = []
    for n in range(20):
        body = article_paragraphs(f"town number {n}", 7)
        server.serve(f"/original/{n}", page(f"Story {n}", "2025-11-05T08:00:00Z", body))
        server.serve(f"/copy/{n}", page(f"Story {n} (wire)", "2025-11-05T09:30:00Z", body, "<p>KYIV (Wire) -</p>"))
        # Half the copies come first in the feed: arrival order must not matter.
        links += [f"/copy/{n}", f"/original/{n}"] if n % 2 else [f"/original/{n}", f"/copy/{n}"]
    server.serve_feed("/feed.xml", links)
    ws.outlets.write_text(f'[mixed]\nname = "Mixed"\nlanguage = "en"\nfeeds = ["{server.base}/feed.xml"]\n')
    ws.newswatch("crawl", "mixed", NEWSWATCH_WORKERS="2", **NO_NER)
    hits = ws.json("search", "--duplicates", "--size", "100", "--json", **NO_NER)["hits"]
    by_url = {h["url"].removeprefix(server.base): h for h in hits}
    assert len(hits) == 40
    for n in range(20):
        original, copy = by_url[f"/original/{n}"], by_url[f"/copy/{n}"]
        assert copy["duplicate_of"] == original["id"], n
        assert original["duplicate_of"] is None and original["duplicate_count"] == 1
        assert copy["story_id"] == original["story_id"]
    assert ws.json("search", "--size", "100", "--json", **NO_NER)["total"] == 20


def test_a_copy_republished_a_month_later_or_misdated_is_still_a_copy(outlet_server, workspace):
    ws, server = workspace, outlet_server
    body = article_paragraphs("Sumy", 7)
    server.serve("/wire/1", page("Sumy shelled", "2025-11-05T08:00:00Z", body))
    server.serve("/later/1", page("Sumy shelled", "2025-12-06T08:00:00Z", body, "<p>From our archive:</p>"))
    server.serve("/misdated/1", page("Sumy shelled", "2019-01-01T00:00:00Z", body[: len(body) * 2 // 3]))
    for key, path in (("wire", "/wire/1"), ("later", "/later/1"), ("misdated", "/misdated/1")):
        server.serve_feed(f"/{key}.xml", [path])
    ws.outlets.write_text("".join(f'[{key}]\nname = "{key}"\nlanguage = "en"\nfeeds = ["{server.base}/{key}.xml"]\n'
                                  for key in ("wire", "later", "misdated")))
    ws.newswatch("crawl", "wire", **NO_NER)
    ws.newswatch("crawl", "later", **NO_NER)
    hits = {h["outlet"]: h for h in ws.json("search", "--duplicates", "--json", **NO_NER)["hits"]}
    assert hits["later"]["duplicate_of"] == hits["wire"]["id"]
    # A page carrying a wrong, earlier date is linked too (and, being "earlier", leads the story).
    ws.newswatch("crawl", "misdated", **NO_NER)
    hits = {h["outlet"]: h for h in ws.json("search", "--duplicates", "--json", **NO_NER)["hits"]}
    assert hits["wire"]["duplicate_of"] == hits["misdated"]["id"] == hits["later"]["duplicate_of"]
    assert len({h["story_id"] for h in hits.values()}) == 1


def test_a_copy_that_arrives_before_its_original_never_alerts(outlet_server, workspace):
    ws, server = workspace, outlet_server
    body = article_paragraphs("Kursk", 7)
    server.serve("/copy/1", page("Kursk grid hit (wire)", "2025-11-05T09:00:00Z", body, "<p>KURSK (Wire) -</p>"))
    server.serve("/original/1", page("Kursk grid hit", "2025-11-05T07:00:00Z", body))
    server.serve("/hook", "")
    server.serve_feed("/feed.xml", ["/copy/1", "/original/1"])
    ws.outlets.write_text(f'[mixed]\nname = "Mixed"\nlanguage = "en"\nfeeds = ["{server.base}/feed.xml"]\n')
    (ws.root / "topics.toml").write_text(f'[kursk]\nname = "Kursk"\nquery = "kursk"\nnotify = ["webhook:{server.base}/hook"]\n')
    env = {"NEWSWATCH_TOPICS": str(ws.root / "topics.toml"), **NO_NER}
    ws.newswatch("crawl", "mixed", **env)
    [(_, _, body_sent)] = server.posts
    [alerted] = json.loads(body_sent)["articles"]
    assert alerted["url"].endswith("/original/1") and alerted["duplicate_count"] == 1
