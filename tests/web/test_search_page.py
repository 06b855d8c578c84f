"""The search page in a real headless browser (Debian's chromium and chromedriver; .ci/run
installs them): search, click a facet, open an article with its copies and related reports."""
import shutil
import socket
import threading

import pytest
import uvicorn

from core.statedb import StateDB
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext
from core.article import new_article
from index.tantivy.backend import TantivyBackend
from tests_support import wait_until

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")


@pytest.fixture
def site(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    state = CrawlState(StateDB(tmp_path / "state.sqlite3"))
    body = "North Korea is issuing war certificates to families of soldiers killed in Kursk.\nSecond paragraph."
    stories = [
        dict(id="rfa1", outlet="rfa-english", title="North Korea hands out war certificates", url="https://www.rfa.org/1",
             published_at="2025-11-04T18:30:00Z", duplicate_count=1,
             entities={"person": ["Kim Jong Un"], "org": ["Storm Corps"], "place": ["Kursk", "North Korea"]}),
        dict(id="copy1", outlet="aggregator", title="North Korea hands out war certificates (copy)",
             url="https://agg.example/1", published_at="2025-11-05T01:00:00Z", duplicate_of="rfa1", story_id="rfa1",
             entities={"person": [], "org": [], "place": ["Kursk"]}),
        dict(id="nw1", outlet="newsweek", title="North Korea Gives War Certificates", url="https://www.newsweek.com/1",
             published_at="2025-11-05T15:15:00Z", story_id="rfa1", cites=["rfa1"],
             entities={"person": ["Volodymyr Zelensky"], "org": ["Radio Free Asia"], "place": ["North Korea"]}),
    ]
    for values in stories:
        backend.upsert(new_article(text=body, language="en", description=values["title"], **values))
    backend.commit()
    state.link("copy1", "rfa1", "duplicate", 0.97)
    state.link("nw1", "rfa1", "related", 0.41)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(ApiContext(backend=backend, state=state, outlets=lambda: {}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), f"the page's server on port {port} to start", 30)
    assert server.started, f"the page's server on port {port} stopped before it started"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=412,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)  # a page that never loads fails the test instead of waiting 300 s
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def test_search_click_a_facet_and_open_an_article(site, browser):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    box = browser.find_element(By.NAME, "q")
    box.send_keys('"war certificates"')
    box.submit()
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".hit h2 a")]
    assert set(titles) == {"North Korea hands out war certificates", "North Korea Gives War Certificates"}  # no copy
    assert "1 copy" in browser.find_element(By.CSS_SELECTOR, ".hit").text or "1 copy" in browser.page_source
    browser.find_element(By.LINK_TEXT, "Storm Corps").click()
    assert "entity=org%3AStorm+Corps" in browser.current_url
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".hit h2 a")] == ["North Korea hands out war certificates"]
    browser.find_element(By.LINK_TEXT, "North Korea hands out war certificates").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "North Korea hands out war certificates"
    aside = browser.find_element(By.TAG_NAME, "aside").text
    assert "Copies" in aside and "(copy)" in aside and "Other reports of this story" in aside and "Gives War" in aside


def test_the_story_timeline_and_the_attention_chart_at_phone_width(site, browser):
    from selenium.webdriver.common.by import By

    browser.get(site + "/?q=certificates")
    chart = browser.find_element(By.CSS_SELECTOR, "figure.attention svg")
    # Headless Chromium's narrowest window is 500 px: a phone-sized viewport with nothing wider.
    viewport, content = browser.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]")
    assert viewport <= 500 and content <= viewport and 0 < chart.size["width"] <= viewport
    assert len(chart.find_elements(By.TAG_NAME, "rect")) == 1  # one week of matches
    assert browser.find_element(By.LINK_TEXT, "Atom feed").get_attribute("href").endswith("/search.atom?q=certificates")
    browser.find_element(By.LINK_TEXT, "North Korea hands out war certificates").click()
    browser.find_element(By.LINK_TEXT, "story timeline").click()
    reports = browser.find_elements(By.CSS_SELECTOR, "ol.timeline > li")
    assert [r.find_element(By.TAG_NAME, "strong").text for r in reports] == ["rfa-english", "newsweek"]
    assert "first report" in reports[0].text and "copy: aggregator" in reports[0].text
    assert "cites North Korea hands out war certificates" in reports[1].text
    # Drawn as a timeline: the reports stack down the page, inside its width.
    assert reports[0].location["y"] < reports[1].location["y"]
    assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
