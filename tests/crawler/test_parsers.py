"""Every outlet parser over its stored page (one case per parser version)."""
import pytest
from tests_support import fixture_bytes

from crawler.extraction.parsers import PARSERS
from crawler.extraction.parsers.base import Page

STORED_PAGES = {
    "RFAArcParser": ("rfa_article.html", {
        "title": "Zelensky says two more North Korean soldiers captured in Kursk",
        "authors": ["Taejun Kang"],
        "published_at": "2025-11-03T09:00:00.000Z",
        "modified_at": "2025-11-03T09:10:00.000Z",
        "canonical_url": "https://www.rfa.org/english/korea/2025/11/03/zelensky-north-korean-soldiers-captured/",
        "image_url": "https://cloudfront-us-east-1.images.arcpublishing.com/radiofreeasia/ZEL.jpg",
        "tags": ["Ukraine", "North Korea"],
    }),
}
VERSIONS = [version for versions in PARSERS.values() for version in versions]


def test_every_parser_version_has_a_stored_page():
    assert {v.__name__ for v in VERSIONS} == set(STORED_PAGES)


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.__name__)
def test_parser_reads_its_stored_page(version):
    name, expected = STORED_PAGES[version.__name__]
    page = Page(url="https://www.rfa.org/x", html=fixture_bytes(name).decode())
    parser = version()
    assert parser.applies(page)
    for field, value in expected.items():
        assert getattr(parser, field)(page) == value, field
    assert len(parser.text(page)) > 200
