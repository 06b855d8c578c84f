"""schemathesis against the API's own OpenAPI document, through the ASGI app in-process: every
operation, with valid and invalid inputs. Checks: no 5xx, status codes, content types and bodies
as documented, and the process still serves afterwards. `make fuzz` runs more examples."""
import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from core.article import new_article
from core.statedb import StateDB
from crawler.alerts.topic_alerts import Alerts
from crawler.config.outlets import parse_outlets
from crawler.state import CrawlState
from crawler.config.topics import parse_topics
from web.access import AccessControl
from web.api import create_app
from web.context import ApiContext
from index.tantivy.backend import TantivyBackend

KEY = "fuzz-admin-key-0123456789"
EXAMPLES = int(os.environ.get("NEWSWATCH_FUZZ_EXAMPLES", "40"))
OUTLETS = parse_outlets('[rfa-english]\nname = "RFA"\nlanguage = "en"\nfeeds = ["https://www.rfa.org/rss"]\n')
TOPICS = parse_topics('[nk]\nname = "NK"\nquery = "kursk"\n')


def build_app():
    root = Path(tempfile.mkdtemp(prefix="newswatch-openapi-"))
    backend = TantivyBackend(root / "index")
    for n in range(12):
        backend.upsert(new_article(id=f"a{n}", url=f"https://www.rfa.org/{n}", outlet="rfa-english",
                                   title=f"Kursk story {n}", text=f"Storm Corps soldiers near Kursk, report {n}.",
                                   published_at=f"2025-11-{n + 1:02d}T00:00:00Z", language="en",
                                   crawled_at=f"2025-11-{n + 1:02d}T01:00:00Z",
                                   duplicate_of="a0" if n == 11 else None,
                                   entities={"person": ["Kim Jong Un"], "org": ["Storm Corps"], "place": ["Kursk"]}))
    backend.commit()
    db = StateDB(root / "state.sqlite3")
    alerts = Alerts(db, TOPICS, backend.get, None, None)
    alerts.record("nk", "a1")
    async def pruned():
        return {"pruned": {"pages": 0}, "pages": 0}

    async def replayed(outlet):
        return {outlet or "rfa-english": 0}

    # As the daemon serves it, keys configured (so that a request without one is really refused).
    return create_app(ApiContext(backend=backend, state=CrawlState(db), outlets=lambda: OUTLETS, alerts=alerts,
                                 trigger_crawl=lambda key: None, reload=lambda: (True, "reloaded"),
                                 prune=pruned, replay=replayed, reprocess=lambda since, outlet, outdated: {
                                     "status": "started", "since": since and since.isoformat(), "outlet": outlet,
                                     "outdated": outdated},
                                 access=AccessControl((), (KEY,), searches_per_minute=10**9)))


# Built at import: schemathesis reads the document when the tests are collected.
APP = build_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES)


def refused_as_documented(response) -> bool:
    """Refusals of schema-valid values that the document states in words, because a schema cannot:
    a cursor is only valid when this API made it, outlets and topics are the configured ones, `q`
    follows a grammar (words, phrases, OR, -not, field:value), and
    `until` must be later than `since`."""
    if response.status_code != 400:
        return False
    body = response.json()
    return body.get("parameter") in ("cursor", "outlet", "topic", "q") or body.get("error") == "until must be later than since"


def same_on_the_wire(value, repeatable: bool) -> bool:
    """A value of another type than documented whose query-string form is a documented one:
    one value or an object (sent as `name=`) for a list, objects inside a list, a list for a
    single value."""
    if value is None:
        return False
    if repeatable:
        return not isinstance(value, list) or not all(isinstance(item, str) for item in value)
    return isinstance(value, (list, dict))


@pytest.fixture
def app():
    return APP


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, app):
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    # A parameter without a name never reaches the application: the query-string parser drops it.
    nameless = "" in (case.query or {})
    # A query string has no types: a "negative" case giving a repeatable parameter one value (or
    # an object, sent as `name=`), or a single-valued one a list, may be valid on the wire.
    scalar_list = any(same_on_the_wire(value, name in ("entity", "outlet", "topic"))
                      for name, value in (case.query or {}).items())
    assert response.status_code < 500
    if not refused_as_documented(response) and not nameless and not scalar_list:
        case.validate_response(response, headers={"Authorization": f"Bearer {KEY}"})
    # Whatever it was sent, the process still serves.
    assert TestClient(app).get("/health").status_code == 200


def test_the_document_is_honest(app):
    document = TestClient(app).get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    search = document["paths"]["/search"]["get"]
    assert set(search["responses"]) == {"200", "400", "401", "429", "503"}
    assert "422" not in str(document) and "HTTPValidationError" not in str(document)
    size = next(p for p in search["parameters"] if p["name"] == "size")
    assert "integer" in str(size["schema"]) and size["description"]
    assert all(p.get("description") for operation in document["paths"].values()
               for method in operation.values() for p in method.get("parameters", []))
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "text/plain" in document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


def test_the_docs_load_nothing_from_the_internet(app):
    client = TestClient(app)  # open without a key, like /health
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "https://" not in html.replace("https://fastapi", "")
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
