"""The crawler's objects the daemon hands the web application have what web's protocols say it
uses (web.protocols): a method moved or renamed in the crawler fails here, not in a request."""
from core.statedb import StateDB
from crawler.alerts.topic_alerts import Alerts
from crawler.config.topics import parse_topics
from crawler.entities.names import load_names
from crawler.state import CrawlState
from web.protocols import CrawlStateReader, NameLookup, TopicAlerts


def test_the_crawlers_objects_are_what_web_uses(tmp_path):
    db = StateDB(tmp_path / "state.sqlite3")
    try:
        assert isinstance(CrawlState(db), CrawlStateReader)
        assert isinstance(load_names(), NameLookup)
        topics = parse_topics('[nk]\nname = "NK"\nquery = "kursk"\n')
        assert isinstance(Alerts(db, topics, lambda article_id: None, None, None), TopicAlerts)
    finally:
        db.close()


def test_an_object_without_them_is_not(tmp_path):
    assert not isinstance(object(), CrawlStateReader)
    assert not isinstance(object(), NameLookup)
    assert not isinstance(object(), TopicAlerts)
