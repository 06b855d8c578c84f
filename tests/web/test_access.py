import pytest
from fastapi.testclient import TestClient

import settings
from core.statedb import StateDB
from crawler.state import CrawlState
from web.access import AccessControl
from web.api import create_app
from web.context import ApiContext

READ, ADMIN = "read-key-0123456789abcdef", "admin-key-0123456789abcdef"


@pytest.fixture
def make_client(backend, tmp_path):
    def make(read=(READ,), admin=(ADMIN,), rate=100):
        context = ApiContext(backend=backend, state=CrawlState(StateDB(tmp_path / "s.sqlite3")), outlets=lambda: {},
                             trigger_crawl=lambda key: None, reload=lambda: (True, "reloaded"),
                             access=AccessControl(read, admin, rate))
        return TestClient(create_app(context))
    return make


def test_with_keys_nothing_but_health_answers_without_one(make_client):
    client = make_client()
    assert client.get("/health").status_code == 200
    for path in ("/search", "/articles/rfa1", "/outlets", "/entities", "/topics", "/metrics"):
        response = client.get(path)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer", path
    assert client.get("/search", headers={"Authorization": "Bearer wrong-key-0123456789"}).status_code == 401


def test_read_keys_read_and_only_admin_keys_administer(make_client):
    client = make_client()
    read, admin = {"Authorization": f"Bearer {READ}"}, {"Authorization": f"Bearer {ADMIN}"}
    assert client.get("/search", headers=read).status_code == 200
    assert client.get("/search", headers=admin).status_code == 200
    assert client.post("/reload", headers=read).status_code == 403
    assert client.post("/reload", headers=admin).status_code == 200
    client.cookies.set("newswatch_key", READ)  # the search page keeps the key in a cookie
    assert client.get("/outlets").status_code == 200


def test_searches_are_rate_limited_per_key(make_client):
    client = make_client(rate=3)
    read = {"Authorization": f"Bearer {READ}"}
    assert [client.get("/search", headers=read).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/search", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    assert client.get("/outlets", headers=read).status_code == 200  # only searches are limited


def test_no_keys_means_loopback_only():
    with pytest.raises(settings.SettingsError, match="NEWSWATCH_API_HOST"):
        settings.load({"NEWSWATCH_API_HOST": "0.0.0.0"}, env_file="/nonexistent")
    assert settings.load({"NEWSWATCH_API_HOST": "0.0.0.0", "NEWSWATCH_API_KEYS": READ}, env_file="/nonexistent")
    with pytest.raises(settings.SettingsError, match="NEWSWATCH_API_KEYS"):
        settings.load({"NEWSWATCH_API_KEYS": "short"}, env_file="/nonexistent")


def test_the_page_asks_for_a_key_once_and_keeps_it_in_a_cookie(make_client):
    client = make_client()
    asked = client.get("/?q=kursk")
    assert asked.status_code == 401 and 'action="/login"' in asked.text and "text/html" in asked.headers["content-type"]
    wrong = client.post("/login", content="key=nope&next=/", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    ok = client.post("/login", content=f"key={READ}&next=/?q=kursk", follow_redirects=False,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ok.status_code == 303 and ok.headers["location"] == "/?q=kursk" and "httponly" in ok.headers["set-cookie"].lower()
    assert client.get("/?q=kursk").status_code == 200  # the cookie came back


def test_the_page_and_entities_count_against_the_search_limit(make_client):
    client = make_client(rate=4)
    read = {"Authorization": f"Bearer {READ}"}
    statuses = [client.get(path, headers=read).status_code for path in ("/", "/entities", "/search", "/?q=kursk", "/entities")]
    assert statuses == [200, 200, 200, 200, 429]


def test_the_key_cookie_is_secure_only_over_https(make_client):
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = make_client()
        client.base_url = base
        response = client.post("/login", content=f"key={READ}&next=/", follow_redirects=False,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        cookie = response.headers["set-cookie"]
        assert "newswatch_key=" in cookie and "HttpOnly" in cookie and ("Secure" in cookie) is secure, cookie
