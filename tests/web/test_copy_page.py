"""A copy's article page and its related API say whose copy it is."""
import re

from fastapi.testclient import TestClient

from core.statedb import StateDB
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext


def test_a_copy_says_whose_copy_it_is(backend, tmp_path):
    state = CrawlState(StateDB(tmp_path / "state.sqlite3"))
    state.link("copy1", "nw1", "duplicate", 0.97)
    client = TestClient(create_app(ApiContext(backend=backend, state=state, outlets=lambda: {})))

    copy_page = client.get("/page/articles/copy1").text
    said = re.search(r'<p class="copy-of">Copy of <a href="/page/articles/(\w+)">([^<]+)</a>', copy_page)
    assert said and said.group(1) == "nw1" and said.group(2).startswith("North Korea Gives")
    # The original is not listed as one of the copy's "Copies".
    assert "<h3>Copies</h3>" not in copy_page and copy_page.count('href="/page/articles/nw1"') == 1

    original_page = client.get("/page/articles/nw1").text
    assert "Copy of" not in original_page and "<h3>Copies</h3>" in original_page
    assert 'href="/page/articles/copy1"' in original_page

    related = client.get("/articles/copy1/related").json()
    assert related["original"]["id"] == "nw1" and related["duplicates"][0]["id"] == "nw1"
    assert "original" not in client.get("/articles/nw1/related").json()
