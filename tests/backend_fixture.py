"""The `backend` fixture: the same behavioural tests on the embedded index and, with
ELASTICSEARCH_URL set, on Elasticsearch (tests/index and tests/web use it through their conftest)."""
import os
import uuid

import pytest

from core.statedb import StateDB
from core.article import new_article
from index.tantivy.backend import TantivyBackend

ARTICLES = [
    dict(id="rfa1", url="https://www.rfa.org/english/korea/2025/11/04/war-certificates/", outlet="rfa-english",
         title="North Korea hands out war certificates for soldiers killed in Russia",
         text="Families of soldiers of the Storm Corps killed in the Kursk region receive war certificates. " * 5,
         published_at="2025-11-04T18:30:00Z", language="en", authors=["Jieun Kim"],
         entities={"person": ["Kim Jong Un"], "org": ["Storm Corps"], "place": ["Kursk", "North Korea"]}),
    dict(id="nw1", url="https://www.newsweek.com/north-korea-war-certificates-10987654", outlet="newsweek",
         title="North Korea Gives 'War Certificates' to Families of Soldiers Killed in Russia",
         description="A report by Radio Free Asia.",
         text="North Korea has started awarding war certificates, Radio Free Asia reported. Zelensky warned. " * 5,
         published_at="2025-11-05T15:15:00Z", language="en",
         entities={"person": ["Volodymyr Zelensky"], "org": ["Radio Free Asia"], "place": ["North Korea"]}),
    dict(id="nw2", url="https://www.newsweek.com/yankees-10987000", outlet="newsweek",
         title="Yankees beat Red Sox in extra innings", text="A walk-off home run in the eleventh inning. " * 5,
         published_at="2025-11-05T14:00:00Z", language="en"),
    dict(id="ko1", url="https://www.rfa.org/korean/news/nk/2025/11/05/", outlet="rfa-korean",
         title="북한, 러시아 파병 전사자 가족에 참전 증서 발급", text="북한이 러시아 파병 전사자 가족들에게 참전 증서를 발급했습니다. " * 5,
         published_at="2025-11-05T02:00:00Z", language="ko"),
    dict(id="copy1", url="https://aggregator.example/copy", outlet="aggregator", duplicate_of="nw1", story_id="nw1",
         title="North Korea Gives 'War Certificates' (copy)", text="North Korea has started awarding war certificates. " * 5,
         published_at="2025-11-06T00:00:00Z", language="en"),
]


def elasticsearch_backend(tmp_path):
    """A live cluster at ELASTICSEARCH_URL (e.g. the compose stack; see README), with an index
    prefix of its own that is removed afterwards."""
    import settings
    from index.es.backend import ElasticsearchBackend, make_client
    from index.outbox import Outbox

    config = settings.load(env_file="/nonexistent")
    prefix = f"newswatch-test-{uuid.uuid4().hex[:8]}-"
    backend = ElasticsearchBackend(make_client(config), Outbox(StateDB(tmp_path / "state.sqlite3")), prefix=prefix, replicas=0)
    backend.ensure_index()
    return backend


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def backend(request, tmp_path):
    """The same behavioural tests for both backends; Elasticsearch only when ELASTICSEARCH_URL is set."""
    if request.param == "elasticsearch":
        if not os.environ.get("ELASTICSEARCH_URL"):
            pytest.skip("ELASTICSEARCH_URL is not set")
        backend = elasticsearch_backend(tmp_path)
    else:
        backend = TantivyBackend(tmp_path / "index")
    for values in ARTICLES:
        backend.upsert(new_article(**values))
    backend.commit()
    if request.param == "elasticsearch":
        assert backend.flush_backlog() == len(ARTICLES) or backend.count() == len(ARTICLES)
    yield backend
    if request.param == "elasticsearch":
        backend.client.indices.delete(index=f"{backend.prefix}articles-v*")
        backend.client.indices.delete_index_template(name=backend.alias)
    backend.close()
