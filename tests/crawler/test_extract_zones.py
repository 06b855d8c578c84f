"""The stored record says how its publication time's zone was known (issue 26): a naive time read
in the outlet's zone is marked so, on pages and on feed items alike."""
import json

from tests_support import EXAMPLE_NOW as NOW, EXAMPLE_URL as URL

from crawler.extraction.extract import extract_feed_item, extract_page

TEXT = "\n".join(f"Paragraph {n} of the report: the council met on Tuesday and voted on the harbour plan, "
                 "which residents had opposed for months." for n in range(1, 9))


def page(head: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in TEXT.split("\n"))
    return f"<html lang='en'><head>{head}</head><body><article>{paragraphs}</article></body></html>"


def published(value: str, **kwargs) -> tuple[str, str]:
    script = json.dumps({"@type": "NewsArticle", "headline": "H", "datePublished": value})
    article = extract_page(page(f'<script type="application/ld+json">{script}</script>'), url=URL, now=NOW, **kwargs)
    return article["published_at"], article["published_at_zone"]


def test_the_record_says_how_the_zone_of_the_publication_time_was_known():
    assert published("2024-01-15T09:30:00+01:00") == ("2024-01-15T08:30:00Z", "stated")
    assert published("2024-01-15T09:30:00", outlet_zone="Asia/Seoul") == ("2024-01-15T00:30:00Z", "outlet")
    assert published("2024-01-15T09:30:00") == ("2024-01-15T09:30:00Z", "utc")
    assert published("2024-01-15") == ("2024-01-15T00:00:00Z", "date")


def feed_item(published_text: str | None, published_at: str | None) -> dict:
    return {"url": URL, "title": "Harbour plan approved", "text": TEXT, "authors": [],
            "published_at": published_at, "published_text": published_text}


def test_a_feed_items_date_without_a_zone_is_read_in_the_outlets_zone():
    # feedparser reads "Mon, 15 Jan 2024 09:30:00" as 09:30 UTC; the feed meant Seoul time
    article = extract_feed_item(feed_item("Mon, 15 Jan 2024 09:30:00", "2024-01-15T09:30:00Z"), "en", NOW,
                                outlet_zone="Asia/Seoul")
    assert (article["published_at"], article["published_at_zone"]) == ("2024-01-15T00:30:00Z", "outlet")
    stated = extract_feed_item(feed_item("Mon, 15 Jan 2024 09:30:00 +0000", "2024-01-15T09:30:00Z"), "en", NOW,
                               outlet_zone="Asia/Seoul")
    assert (stated["published_at"], stated["published_at_zone"]) == ("2024-01-15T09:30:00Z", "stated")
    # an entry stored before `published_text` existed keeps its normalised date
    old = extract_feed_item(feed_item(None, "2024-01-15T09:30:00Z"), "en", NOW, outlet_zone="Asia/Seoul")
    assert old["published_at"] == "2024-01-15T09:30:00Z"


def test_a_page_without_a_date_takes_the_feeds_as_the_feed_wrote_it():
    html = page('<meta property="og:title" content="Harbour plan approved">')
    article = extract_page(html, url=URL, now=NOW, outlet_zone="Asia/Seoul",
                           feed={"published_at": "2024-01-15T09:30:00Z", "published_text": "2024-01-15 09:30"})
    assert (article["published_at"], article["published_at_zone"]) == ("2024-01-15T00:30:00Z", "outlet")
