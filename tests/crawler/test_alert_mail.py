"""Alert mail from the Jinja templates is the mail newswatch sent before them, byte for byte:
fixtures/alert_mail_golden.json was produced once by the f-string code (commit 3f7b867,
crawler/alerts.py `_mail` and `_mail_notice`) for these articles."""
import json
from pathlib import Path

import pytest

from crawler.alerts.mail import notice_mail, topic_mail

GOLDEN = json.loads((Path(__file__).parent.parent / "fixtures" / "alert_mail_golden.json").read_text())


def parts(message) -> dict:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


def headers(message) -> dict:
    return {"subject": message["Subject"], "from": message["From"], "to": message["To"],
            "message_id": message["Message-ID"]}


@pytest.mark.parametrize("kind, digest", [("instant", False), ("daily", True)])
def test_topic_mail_is_what_the_f_strings_produced(kind, digest):
    payload = {"topic": "nk", "name": GOLDEN["name"], "articles": GOLDEN["articles"]}
    message = topic_mail(payload, digest, "newswatch@example.org", "analyst@example.org", "d1-0")
    expected = GOLDEN[kind]
    assert headers(message) == {key: expected[key] for key in ("subject", "from", "to", "message_id")}
    rendered = parts(message)
    assert rendered["text/plain"] == expected["text/plain"]
    assert rendered["text/html"] == expected["text/html"]


def test_markup_in_articles_is_escaped_in_the_html_part_only():
    article = {"id": "a", "outlet": "o", "title": "<script>alert(1)</script>", "url": 'https://x.org/"><b>',
               "published_at": "2025-11-05T00:00:00Z", "snippet": "a & b"}
    rendered = parts(topic_mail({"topic": "t", "name": "T", "articles": [article]}, False, "f@x.org", "t@x.org", "d"))
    assert "<script>" not in rendered["text/html"] and "&lt;script&gt;" in rendered["text/html"]
    assert 'href="https://x.org/&quot;&gt;&lt;b&gt;"' in rendered["text/html"]
    assert "<script>alert(1)</script>" in rendered["text/plain"] and "a & b" in rendered["text/plain"]


def test_notice_mail_is_what_the_f_strings_produced():
    payload = {"notice": "volume_drop", "outlet": "rfa-english",
               "message": "RFA English: 2 articles in the last day, usually 40", "raised_at": "2025-11-05T00:00:00Z"}
    message = notice_mail(payload, "newswatch@example.org", "ops@example.org", "g-0")
    expected = GOLDEN["notice"]
    assert headers(message) == {key: expected[key] for key in ("subject", "from", "to", "message_id")}
    assert parts(message) == {"text/plain": expected["text/plain"]}
