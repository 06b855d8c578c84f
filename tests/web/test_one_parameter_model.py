"""The API (`/search` and its exports), the search page (`/`) and `newswatch search` take their
parameters through one model (index.query.SearchParameters): on a table of good and bad
parameter sets, the three accept and refuse the same things, with the same message."""
import json

import pytest
from fastapi.testclient import TestClient

from core.article import new_article
from core.statedb import StateDB
from crawler.entities.names import load_names
from crawler.config.outlets import load_outlets
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext
from index.cursors import Cursors, load_key
from index.tantivy.backend import TantivyBackend
from scheduler.cli import main

OUTLETS = """
[rfa-english]
name = "Radio Free Asia"
language = "en"
feeds = ["https://www.rfa.org/arc/outboundfeeds/english/rss/"]
[newsweek]
name = "Newsweek"
language = "en"
feeds = ["https://www.newsweek.com/rss"]
"""
ARTICLES = [
    dict(id="rfa1", url="https://www.rfa.org/english/korea/2025/11/04/war-certificates/", outlet="rfa-english",
         title="North Korea hands out war certificates", text="Families of the Storm Corps in Kursk. " * 5,
         published_at="2025-11-04T18:30:00Z", language="en",
         entities={"person": ["Kim Jong Un"], "org": ["Storm Corps"], "place": ["Kursk", "North Korea"]}),
    dict(id="nw1", url="https://www.newsweek.com/north-korea-war-certificates-10987654", outlet="newsweek",
         title="North Korea Gives War Certificates", text="Radio Free Asia reported. Zelensky warned. " * 5,
         published_at="2025-11-05T15:15:00Z", language="en",
         entities={"person": ["Volodymyr Zelensky"], "org": ["Radio Free Asia"], "place": ["North Korea"]}),
    dict(id="nw2", url="https://www.newsweek.com/hypersonic-10987000", outlet="newsweek",
         title="Hypersonic missile test", text="A hypersonic glide vehicle was tested. " * 5,
         published_at="2025-11-05T14:00:00Z", language="en"),
    dict(id="nw3", url="https://www.newsweek.com/dwarf-planet-10987001", outlet="newsweek",
         title="A dwarf planet beyond Neptune", text="Astronomers found a dwarf planet. " * 5,
         published_at="2025-11-06T14:00:00Z", language="en"),
]

GOOD = [
    [("q", "certificates")],
    [("entity", "person:Zelenskyy")],
    [("q", "person:Zelenskyy")],
    [("q", 'person:"kim jong un" certificates')],
    [("q", "hypersonic or dwarf")],
    [("outlet", "newsweek"), ("sort", "NEWEST"), ("size", "2")],
    [("since", "2025-11-05"), ("until", "2025-11-06t00:00:00z")],
    [("q", "missile"), ("histogram", "week"), ("tz", "Asia/Seoul")],
    [("q", 'url:"https://www.newsweek.com/hypersonic-10987000"')],
]
BAD = [
    ([("outlet", "nope")], "outlet"),
    ([("topic", "nope")], "topic"),
    ([("since", "yesterday")], "since"),
    ([("until", "2025-02-30")], "until"),
    ([("since", "2025-11-05"), ("until", "2025-11-01")], "until"),
    ([("size", "-1")], "size"),
    ([("size", "many")], "size"),
    ([("sort", "random")], "sort"),
    ([("language", "english")], "language"),
    ([("q", "kurs*")], "q"),
    ([("q", "kursk" + " " * 2000)], "q"),  # too long as given, white space too
    ([("q", "secret:x")], "q"),
    ([("q", "url:kursk")], "q"),
    ([("q", "-person:Zelenskyy")], "q"),
    ([("q", "person:Zelenskyy OR kursk")], "q"),
    ([("entity", "Kursk")], "entity"),
    ([("histogram", "hour")], "histogram"),
    ([("tz", "Mars/Olympus")], "tz"),
    ([("cursor", "not-a-cursor")], "cursor"),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("agree")
    data_dir = root / "data"
    backend = TantivyBackend(data_dir / "index")
    for values in ARTICLES:
        backend.upsert(new_article(**values))
    backend.commit()
    backend.close()
    StateDB(data_dir / "state.sqlite3").close()
    (root / "outlets.toml").write_text(OUTLETS)
    context = ApiContext(backend=TantivyBackend(data_dir / "index", writable=False),
                         state=CrawlState(StateDB(data_dir / "state.sqlite3")), names=load_names(),
                         cursors=Cursors(load_key(data_dir)), outlets=lambda: load_outlets(root / "outlets.toml"))
    return root, TestClient(create_app(context))


def cli(root, params, monkeypatch, capsys):
    """`newswatch search` with the same parameters, in this process."""
    argv, words = ["search", "--json"], []
    for name, value in params:
        if name == "q":
            words = ["--", value]  # a query may start with "-"
        else:
            argv += [f"--{name}", value]
    monkeypatch.chdir(root)
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("NEWSWATCH_OUTLETS", str(root / "outlets.toml"))
    capsys.readouterr()
    status = main(argv + words)
    out, err = capsys.readouterr()
    return status, out, err


def label(params) -> str:
    return "&".join(f"{k}={v}" for k, v in params)[:60] if isinstance(params, list) else params


@pytest.mark.parametrize("params", GOOD, ids=label)
def test_good_parameters_give_the_same_answer_everywhere(setup, params, monkeypatch, capsys):
    root, client = setup
    api = client.get("/search", params=params)
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["total"] > 0
    page = client.get("/", params=params)
    assert page.status_code == 200 and f"{body['total']} {'story' if body['total'] == 1 else 'stories'}" in page.text
    assert client.get("/search.csv", params=[p for p in params if p[0] not in ("histogram", "tz")]).status_code == 200
    status, out, err = cli(root, params, monkeypatch, capsys)
    assert status == 0, err
    assert json.loads(out) == body


@pytest.mark.parametrize("params, parameter", BAD, ids=label)
def test_bad_parameters_are_refused_everywhere_naming_the_parameter(setup, params, parameter, monkeypatch, capsys):
    root, client = setup
    api = client.get("/search", params=params)
    assert api.status_code == 400 and api.json()["parameter"] == parameter, api.text
    message = api.json()["error"]
    for export in ("/search.csv", "/search.ndjson", "/search.atom"):
        if not any(name in ("histogram", "tz", "cursor", "size", "sort") for name, _ in params):
            assert client.get(export, params=params).json() == api.json(), export
    page = client.get("/", params=params)
    assert page.status_code == 400
    assert f"{parameter}: {message}" in page.text.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')
    status, out, err = cli(root, params, monkeypatch, capsys)
    assert status == 2 and out == ""
    assert err.strip() == f"newswatch: {parameter}: {message}"


def test_the_document_describes_the_models_parameters(setup):
    _, client = setup
    document = client.get("/openapi.json").json()
    described = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}
    assert set(described) == {"q", "entity", "outlet", "topic", "language", "since", "until", "sort", "size",
                              "cursor", "duplicates", "histogram", "tz"}
    assert all(p["description"] and p["schema"] for p in described.values())
    assert described["entity"]["schema"]["type"] == "array"
    exported = {p["name"] for p in document["paths"]["/search.csv"]["get"]["parameters"]}
    assert {"q", "entity", "key"} <= exported


def test_an_error_quotes_the_value_as_typed(setup):
    _, client = setup
    assert client.get("/search?since=yesterday").json()["error"] == "'yesterday' is not an ISO date or date-time"
