"""`newswatch discover` against local sites it has never seen: one with feeds linked from its
homepage, one with no feed but a news sitemap named in robots.txt; the printed table is an
outlets.toml that crawls."""
from datetime import datetime, timedelta, timezone

import re
import tomllib

from tests_support import article_paragraphs

ALLOW = {"NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true", "NEWSWATCH_DOWNLOAD_DELAY": "0"}


def recent(hours: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def page(title: str, n: int) -> str:
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{article_paragraphs(f'story{n}')}</article></body></html>")


def test_a_site_with_feeds_linked_from_its_homepage(outlet_server, workspace, no_entities):
    ws, server = workspace, outlet_server
    server.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.serve("/", "<html lang='en-GB'><head><title>Example Herald</title>"
                      "<link rel='alternate' type='application/rss+xml' href='/news/rss.xml'>"
                      "<link rel='alternate' type='application/atom+xml' href='/private/atom.xml'></head>"
                      "<body>Home</body></html>")
    server.serve("/news/rss.xml", "<rss version='2.0'><channel><title>Herald</title>" + "".join(
        f"<item><title>Story {n}</title><link>{server.base}/story/{n}</link><pubDate>"
        f"{(datetime.now(timezone.utc) - timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for n in range(5)) + "</channel></rss>", content_type="application/rss+xml")
    server.serve("/private/atom.xml", "<feed xmlns='http://www.w3.org/2005/Atom'></feed>")
    for n in range(5):
        server.serve(f"/story/{n}", page(f"Story {n}", n))
    result = ws.newswatch("discover", server.base + "/", **ALLOW)
    assert re.search(r"^# rss +5 items, +5 in 7 days", result.stdout, re.M)
    table = tomllib.loads(result.stdout)
    [(key, outlet)] = table.items()
    assert key == "127-0-0-1" and outlet["name"] == "Example Herald" and outlet["language"] == "en"
    assert outlet["feeds"] == [f"{server.base}/news/rss.xml"] and "sitemaps" not in outlet
    assert server.hits.get("/private/atom.xml") is None  # robots.txt is obeyed
    assert {"newswatch" in ua for ua in server.user_agents} == {True}

    # The table crawls as printed.
    ws.outlets.write_text(result.stdout)
    ws.newswatch("crawl", key)
    assert ws.json("search", "--json")["total"] == 5


def test_a_site_with_no_feed_but_a_news_sitemap(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {server.base}/sitemaps/news.xml\n",
                 content_type="text/plain")
    server.serve("/", "<html lang='ko'><head><meta property='og:site_name' content='Daily Example'></head>"
                      "<body>no feeds here</body></html>")
    server.serve("/sitemaps/news.xml", (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(
            f"<url><loc>{server.base}/a/{n}</loc><news:news><news:publication><news:name>Daily</news:name>"
            f"<news:language>ko</news:language></news:publication><news:publication_date>{recent(n)}"
            f"</news:publication_date><news:title>Story {n}</news:title></news:news></url>" for n in range(3))
        + "</urlset>"), content_type="application/xml")
    result = ws.newswatch("discover", server.base, **ALLOW)
    table = tomllib.loads(result.stdout)
    [(key, outlet)] = table.items()
    assert outlet["name"] == "Daily Example" and outlet["language"] == "ko" and "feeds" not in outlet
    assert outlet["sitemaps"] == [f"{server.base}/sitemaps/news.xml"]
    assert re.search(r"^# news sitemap +3 items, +3 in 7 days", result.stdout, re.M)
    # Every common path was asked once at most; the ones that 404 are not in the table.
    assert all(count == 1 for path, count in server.hits.items() if path != "/robots.txt")


def test_nothing_to_poll_and_a_robots_txt_that_fails(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/", "<html><body>nothing</body></html>")
    nothing = ws.newswatch("discover", server.base, check=False, **ALLOW)
    assert nothing.returncode == 1 and "no feed or news sitemap" in nothing.stderr
    server.serve("/robots.txt", b"", status=503)
    refused = ws.newswatch("discover", server.base, check=False, **ALLOW)
    assert refused.returncode == 1 and "robots.txt did not answer (503)" in refused.stderr
    private = ws.newswatch("discover", server.base, check=False, NEWSWATCH_ALLOW_PRIVATE_ADDRESSES="false")
    assert private.returncode == 1 and "private or loopback" in private.stderr
