"""`newswatch crawl` and its manners: private addresses, 429 back-off and robots.txt (RFC 9309),
the real CLI against outlets played by a local HTTP server."""
import pytest
from tests_support import SAMPLE_PAGES as PAGES, logged_errors


def test_private_addresses_are_refused_unless_allowed(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    refused = ws.newswatch("crawl", "newsweek", check=False, NEWSWATCH_ALLOW_PRIVATE_ADDRESSES="false")
    assert server.hits == {} and refused.returncode == 4  # every source of the outlet failed
    [newsweek] = [o for o in ws.json("outlets", "--json") if o["key"] == "newsweek"]
    assert newsweek["status"] == "error" and "private or loopback" in newsweek["last_error"]


def test_rate_limited_outlet_is_backed_off_until_retry_after(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    server.serve(PAGES["newsweek"], "slow down", status=429, headers={"Retry-After": "3600"})
    ws.newswatch("crawl", "newsweek")
    assert server.hits[PAGES["newsweek"]] == 1  # 429 is not retried
    polled = dict(server.hits)
    result = ws.newswatch("crawl", "newsweek")
    assert server.hits == polled  # backed off: not even the feed was fetched
    assert "backed off until" in result.stderr
    [newsweek] = [o for o in ws.json("outlets", "--json") if o["key"] == "newsweek"]
    assert newsweek["backoff_until"]
    assert "HTTP 429: backing off newsweek" in logged_errors(ws)


@pytest.mark.parametrize("status, fetched", [(503, False), (404, True), (403, True)])
def test_robots_txt_status_codes_follow_rfc_9309(sample_outlets, status, fetched, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    server.serve("/robots.txt", "error", status=status)
    result = ws.newswatch("crawl", "rfa-english", check=False)
    assert (server.hits.get("/arc/outboundfeeds/english/rss/") is not None) is fetched
    assert result.returncode == (0 if fetched else 4)


def test_robots_txt_disallow_is_obeyed(sample_outlets, no_entities):
    ws, server = sample_outlets, sample_outlets.server
    server.serve("/robots.txt", "User-agent: newswatch\nDisallow: /english/\n", content_type="text/plain")
    ws.newswatch("crawl", "rfa-english")
    assert server.hits.get(PAGES["rfa"]) is None
    assert server.hits.get("/arc/outboundfeeds/english/rss/") == 1


def test_robots_txt_goes_through_scrapys_public_api_only():
    """Scrapy's RobotsTxtMiddleware keeps its parsing and cache in private members; overriding
    them would break silently with a Scrapy release. Ours is its own middleware."""
    import ast
    from pathlib import Path

    from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

    import crawler.middlewares
    from crawler.middlewares import Rfc9309RobotsTxtMiddleware

    assert not issubclass(Rfc9309RobotsTxtMiddleware, RobotsTxtMiddleware)
    tree = ast.parse(Path(crawler.middlewares.__file__).read_text())
    private = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and node.attr.startswith("_") and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id == "self")}
    assert private == set(), private
