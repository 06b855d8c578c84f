import pytest

from crawler.urls import article_id, canonical_url, identity_url, is_public_address


def test_canonical_url_drops_tracking_parameters_and_fragment_only():
    assert canonical_url("https://www.Newsweek.com/story-123?utm_source=rss&utm_medium=x&page=2&fbclid=a#top") \
        == "https://www.newsweek.com/story-123?page=2"


@pytest.mark.parametrize("variant", [
    "https://www.rfa.org/english/korea/2025/06/05/story/",
    "http://www.rfa.org/english/korea/2025/06/05/story",
    "https://RFA.org/english/korea/2025/06/05/story/?utm_campaign=feed",
    "https://www.rfa.org/english/korea/2025/06/05/story/#comments",
    "https://amp.rfa.org/english/korea/2025/06/05/story/amp/",
    "https://www.rfa.org/english/korea/2025/06/05/story/?amp",
    "https://www.rfa.org/english/korea/2025/06/05/story/?outputType=amp",
])
def test_every_variant_of_one_article_has_one_id(variant):
    assert article_id(variant) == article_id("https://www.rfa.org/english/korea/2025/06/05/story/")


def test_different_articles_have_different_ids():
    assert article_id("https://www.rfa.org/a/") != article_id("https://www.rfa.org/b/")
    assert article_id("https://example.com/a?id=1") != article_id("https://example.com/a?id=2")
    assert identity_url("https://example.com/a?b=2&a=1") == identity_url("https://example.com/a?a=1&b=2")


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.10", False), ("169.254.169.254", False),
    ("::1", False), ("::ffff:127.0.0.1", False), ("fd00::1", False), ("8.8.8.8", True),
    ("2606:4700:4700::1111", True),
])
def test_private_addresses_are_not_public(address, public):
    assert is_public_address(address) is public
