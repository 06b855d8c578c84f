
import pytest
from tests_support import fixture_bytes

from crawler.feeds import FeedError, parse_feed, parse_sitemap, slug_words


def test_arc_rss_keeps_title_link_date_summary_author_and_full_text():
    entries, problem = parse_feed(fixture_bytes("rfa_english_rss.xml"), "https://www.rfa.org/arc/outboundfeeds/english/rss/")
    assert problem is None
    first = entries[0]
    assert first["title"] == "North Korea hands out ‘war certificates’ for soldiers killed in Russia"
    assert first["url"] == "https://www.rfa.org/english/korea/2025/11/04/north-korea-war-certificates-russia/"
    assert first["published_at"] == "2025-11-04T18:30:00Z"
    assert first["description"].startswith("Families of soldiers")
    assert first["authors"] == ["Jieun Kim"]
    assert first["text"].count("\n") == 4 and "Storm Corps" in first["text"]
    assert first["image_url"].endswith("/resizer/v2/ABC.jpg")
    assert first["language"] == "en"
    assert entries[1]["text"] == ""


def test_the_marker_changes_when_the_feed_text_or_date_changes():
    body = fixture_bytes("rfa_english_rss.xml")
    before = parse_feed(body, "https://www.rfa.org/feed")[0][0]["marker"]
    edited = parse_feed(body.replace(b"extra rice rations", b"extra corn rations"), "https://www.rfa.org/feed")
    redated = parse_feed(body.replace(b"Tue, 04 Nov 2025 18:30", b"Tue, 04 Nov 2025 19:30"), "https://www.rfa.org/feed")
    assert edited[0][0]["marker"] != before and redated[0][0]["marker"] != before


def test_atom_feeds_parse():
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><title>Kursk report</title><link href="https://example.org/kursk"/><id>urn:1</id>
    <updated>2025-11-01T10:00:00Z</updated><author><name>A. Writer</name></author><summary>Dek</summary></entry></feed>"""
    [entry], _ = parse_feed(atom, "https://example.org/atom")
    assert (entry["url"], entry["title"], entry["authors"]) == ("https://example.org/kursk", "Kursk report", ["A. Writer"])
    assert entry["published_at"] == "2025-11-01T10:00:00Z"


def test_an_empty_feed_is_not_an_error():
    assert parse_feed(b"<rss version='2.0'><channel><title>Quiet week</title></channel></rss>", "https://x.org/rss") == ([], None)


@pytest.mark.parametrize("body, message", [
    (b"", "empty"),
    (b"<!DOCTYPE html><html><body>Welcome</body></html>", "HTML page"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a feed"),
])
def test_things_that_are_not_feeds_raise_feed_error(body, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "https://example.org/rss")


def test_a_truncated_feed_still_yields_its_complete_items():
    body = fixture_bytes("rfa_english_rss.xml")
    truncated = body[: body.index(b"<item>", body.index(b"<item>") + 1) + 20]
    entries, problem = parse_feed(truncated, "https://www.rfa.org/feed")
    assert entries and entries[0]["title"].startswith("North Korea hands out")
    assert problem


def test_news_sitemap_entries_carry_title_date_and_language():
    kind, entries = parse_sitemap(fixture_bytes("newsweek_googlenews.xml"), "https://www.newsweek.com/googlenews.xml")
    assert kind == "urlset"
    assert entries[0]["title"].startswith("North Korea Gives")
    assert entries[0]["published_at"] == "2025-11-05T15:15:00Z"
    assert entries[0]["language"] == "en"


def test_sitemap_index_and_bad_sitemaps():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://x.org/s1.xml</loc>
    <lastmod>2025-11-01</lastmod></sitemap></sitemapindex>"""
    assert parse_sitemap(index, "https://x.org/s.xml") == ("sitemapindex", [{"url": "https://x.org/s1.xml",
                                                                          "lastmod": "2025-11-01T00:00:00Z"}])
    with pytest.raises(FeedError):
        parse_sitemap(b"<html><body>no</body></html>", "https://x.org/s.xml")
    entity_bomb = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.org/&b;</loc></url></urlset>"""
    _, entries = parse_sitemap(entity_bomb, "https://x.org/s.xml")
    assert all("aaaa" not in e["url"] for e in entries)


def test_slug_words_stand_in_for_a_missing_title():
    assert slug_words("https://www.newsweek.com/north-korea-troops-kursk-10987654") == "north korea troops kursk"
