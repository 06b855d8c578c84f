from pathlib import Path

import pytest

from crawler.extraction.extract import NotAnArticle, carries_full_text, extract_page

FIXTURES = Path(__file__).parents[1] / "fixtures"
BASE = "https://www.newsweek.com"


def page(name: str, base: str = BASE) -> bytes:
    return (FIXTURES / name).read_text().replace("{base}", base).encode()


def test_newsweek_shaped_page_metadata_from_json_ld_and_body_without_navigation():
    url = f"{BASE}/north-korea-war-certificates-soldiers-killed-russia-10987654"
    article = extract_page(page("newsweek_article.html"), url=url)
    assert article["title"] == "North Korea Gives 'War Certificates' to Families of Soldiers Killed in Russia"
    assert article["authors"] == ["Micah McCartney"]
    assert article["published_at"] == "2025-11-05T15:15:00Z"
    assert article["modified_at"] == "2025-11-05T16:00:00Z"
    assert article["language"] == "en"
    assert article["canonical_url"] == url  # utm_campaign dropped from rel=canonical
    assert article["image_url"] == "https://d.newsweek.com/en/full/2600001/kim.jpg"
    assert "Storm Corps" in article["text"] and "Radio Free Asia" in article["text"]
    for noise in ("Trending story", "Sign up for Newsweek", "Fact Check", "Newsweek AI is in beta"):
        assert noise not in article["text"]


def test_rfa_page_body_and_fields_come_from_fusion_global_content():
    base = "https://www.rfa.org"
    url = f"{base}/english/korea/2025/11/03/zelensky-north-korean-soldiers-captured/"
    article = extract_page(page("rfa_article.html", base), url=url, parser="rfa", outlet_language="en")
    assert article["title"] == "Zelensky says two more North Korean soldiers captured in Kursk"
    assert article["authors"] == ["Taejun Kang"]
    assert article["published_at"] == "2025-11-03T09:00:00Z"
    assert article["canonical_url"] == url
    assert article["tags"] == ["Ukraine", "North Korea"]
    assert article["text"].splitlines()[0].startswith("Ukrainian President Volodymyr Zelensky said")
    assert "Heavy losses" in article["text"]
    assert "Most read" not in article["text"] and "Myanmar junta" not in article["text"]


def test_the_rfa_parser_stands_aside_on_pages_without_arc_json():
    article = extract_page(page("newsweek_article.html"), url=f"{BASE}/x-10987654", parser="rfa")
    assert article["authors"] == ["Micah McCartney"]


@pytest.mark.parametrize("body", [
    b"",
    b"<html><body><nav><a href='/'>Home</a></nav><p>Short.</p></body></html>",
    b"\x00\x01\x02binary",
])
def test_pages_that_are_not_articles_raise_not_an_article(body):
    with pytest.raises(NotAnArticle):
        extract_page(body, url="https://example.com/x")


def test_broken_encodings_are_decoded_not_fatal():
    text = "Die Bürger von Kursk berichten über schwere Kämpfe an der Grenze. " * 10
    body = f"<html><head><meta charset='windows-1252'></head><body><article><p>{text}</p></article></body></html>"
    article = extract_page(body.encode("cp1252") + b"\xff\xfe\x81", url="https://example.com/de")
    assert "Bürger von Kursk" in article["text"]
    mislabeled = extract_page(body.replace("windows-1252", "utf-8").encode("latin-1"),
                              content_type="text/html; charset=utf-8", url="https://example.com/de2")
    assert "Kursk" in mislabeled["text"]


def test_feed_text_is_full_only_when_long_or_in_paragraphs():
    assert not carries_full_text("A one-line teaser about Kursk.")
    assert carries_full_text("\n".join(["Paragraph with some words in it about the war in Ukraine."] * 4))
    assert carries_full_text("x" * 700)


def test_the_stored_text_leaves_out_the_headline_byline_and_credits():
    from crawler.extraction.extract import extract_page

    body = ("<p>Newswire staff</p><p>KYIV (Newswire) — Ukraine says North Korean troops are fighting in Kursk, "
            "where the front has moved twice this month and the shelling has not stopped for days.</p>"
            "<p>Officials said more soldiers arrived on Sunday, and that the Storm Corps had taken heavy losses "
            "in the fighting near Sudzha over the past week.</p><p>© 2025 Newswire. All rights reserved.</p>")
    page = (f"<html lang='en'><head><title>Ukraine says North Korean troops fight</title></head><body><article>"
            f"<h1>Ukraine says North Korean troops fight</h1>{body}</article></body></html>")
    fields = extract_page(page, "https://example.org/a")
    assert fields["text"].startswith("KYIV — Ukraine says")
    assert "Newswire staff" not in fields["text"] and "(Newswire)" not in fields["text"]
    assert "All rights reserved" not in fields["text"] and "Ukraine says North Korean troops fight\n" not in fields["text"]
