"""Stories over time, as a crawl meets them: a report and the follow-up that cites it days later
are one story; the follow-up cites the report, which is the story's first report; a same-beat
report of another event does not join. Then the story, its histogram, exports and feed."""
import csv
import io
import json
import xml.etree.ElementTree as ElementTree

from fastapi.testclient import TestClient
from tests_support import page

from core.statedb import StateDB
from crawler.entities.names import load_names
from crawler.config.outlets import load_outlets
from crawler.state import CrawlState
from web.api import create_app
from web.context import ApiContext
from index.cursors import Cursors, load_key
from index.tantivy.backend import TantivyBackend


REPORT = page("North Korea issues war certificates to families of soldiers killed in Russia", "2025-11-02T08:00:00Z", [
    "North Korean authorities have begun handing war certificates to the families of soldiers killed while fighting "
    "for Russia, residents of North Hamgyong Province told the broadcaster.",
    "The certificates were delivered by officials of the Workers' Party of Korea in Chongjin, a resident said, and "
    "promise the families rations and housing.",
    "Many of the soldiers sent to Russia's Kursk region served in the Storm Corps, a special operations unit.",
    "The resident said the families had been told not to speak of the deaths in public, and that the certificates "
    "name the soldiers as heroes of the fatherland.",
    "South Korea's National Intelligence Service estimates that hundreds of North Korean soldiers died in Kursk.",
])
FOLLOW_UP = page("North Korea Gives 'War Certificates' to Families of Soldiers Killed in Russia", "2025-11-05T15:15:00Z", [
    "North Korea has started awarding war certificates to the families of soldiers who died fighting for Russia "
    "against Ukraine, according to a report by Radio Free Asia.",
    "The documents were handed out in North Hamgyong Province by officials of the Workers' Party of Korea, a "
    "resident of Chongjin told the broadcaster.",
    "Pyongyang sent more than 11,000 troops to Russia's Kursk region in late 2024; the Storm Corps made up most of "
    "the force.",
    "South Korea's National Intelligence Service said in a briefing that hundreds of North Korean soldiers had died.",
    "Newsweek has contacted the Russian and North Korean foreign ministries for comment.",
])
OTHER_EVENT = page("Drone strikes hit a fuel depot in Russia's Belgorod region", "2025-11-05T11:00:00Z", [
    "Ukrainian drones struck a fuel depot in Russia's Belgorod region overnight, the regional governor said.",
    "Governor Vyacheslav Gladkov said a fire broke out at the depot and two workers were injured.",
    "Russia's defence ministry said air defences downed 40 drones over Belgorod, Bryansk and Kursk.",
    "Ukraine has stepped up attacks on Russian energy facilities this autumn.",
])


def test_a_follow_up_days_later_that_cites_the_report_is_one_story(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/english/korea/war-certificates", REPORT)
    server.serve("/world/war-certificates-10987654", FOLLOW_UP)
    server.serve("/world/belgorod-drones-10987655", OTHER_EVENT)
    server.serve_feed("/rfa.xml", ["/english/korea/war-certificates"])
    server.serve_feed("/newsweek.xml", ["/world/war-certificates-10987654", "/world/belgorod-drones-10987655"])
    ws.outlets.write_text(f'[rfa-english]\nname = "Radio Free Asia"\naliases = ["RFA"]\nlanguage = "en"\n'
                          f'feeds = ["{server.base}/rfa.xml"]\n'
                          f'[newsweek]\nname = "Newsweek"\nlanguage = "en"\nfeeds = ["{server.base}/newsweek.xml"]\n')
    ws.newswatch("crawl", "rfa-english")
    ws.newswatch("crawl", "newsweek")
    hits = {h["url"].removeprefix(server.base): h for h in ws.json("search", "--json", "--size", "10")["hits"]}
    report, follow_up = hits["/english/korea/war-certificates"], hits["/world/war-certificates-10987654"]
    other = hits["/world/belgorod-drones-10987655"]
    assert follow_up["story_id"] == report["story_id"] != other["story_id"]
    assert follow_up["cites"] == [report["id"]] and report["cited_by"] == [follow_up["id"]]
    assert other["cites"] == [] and other["story_id"] == other["id"]

    client = api(ws)
    story = client.get(f"/stories/{report['story_id']}").json()
    assert story["first_report"]["id"] == report["id"]
    assert [r["id"] for r in story["reports"]] == [report["id"], follow_up["id"]]
    assert story["reports"][1]["cites"] == [report["id"]] and story["outlets"] == ["newsweek", "rfa-english"]
    assert story["first_seen"] == "2025-11-02T08:00:00Z" and story["last_seen"] == "2025-11-05T15:15:00Z"
    assert "Storm Corps" in {e["name"] for e in story["entities"]["org"]}
    # The page draws it as a timeline, the first report marked, the citation shown.
    timeline = client.get(f"/page/stories/{report['story_id']}").text
    first, second = timeline.index(f'id="r-{report["id"]}"'), timeline.index(f'id="r-{follow_up["id"]}"')
    assert first < timeline.index("first report</span>") < second < timeline.index(f'cites <a href="#r-{report["id"]}"')

    # Attention over time, by day in UTC and in Seoul (the follow-up's 15:15 UTC is still the 5th
    # there; the report's 08:00 UTC is 17:00 in Seoul).
    days = client.get("/search?histogram=day").json()["histogram"]
    assert days == [{"value": "2025-11-02", "count": 1}, {"value": "2025-11-05", "count": 2}]
    weeks = client.get("/search?histogram=week&tz=Asia/Seoul&q=certificates").json()["histogram"]
    assert weeks == [{"value": "2025-10-27", "count": 1}, {"value": "2025-11-03", "count": 1}]
    # At UTC+14 the follow-up and the other event are published on the 6th.
    kiritimati = client.get("/search?histogram=day&tz=Pacific/Kiritimati").json()["histogram"]
    assert kiritimati == [{"value": "2025-11-02", "count": 1}, {"value": "2025-11-06", "count": 2}]
    assert client.get("/search?histogram=month").json()["histogram"] == [{"value": "2025-11-01", "count": 3}]

    # Exports and the feed: the whole result, the same rows.
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv?q=russia").text)))
    assert {r["id"] for r in rows} == {report["id"], follow_up["id"], other["id"]}
    assert next(r for r in rows if r["id"] == follow_up["id"])["cites"] == report["id"]
    lines = [json.loads(line) for line in client.get("/search.ndjson?q=certificates").text.splitlines()]
    assert [line["id"] for line in lines] == [follow_up["id"], report["id"]]
    atom = ElementTree.fromstring(client.get("/search.atom?q=certificates").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.find("a:link", ns).get("href") for e in atom.findall("a:entry", ns)] == [follow_up["url"], report["url"]]


def api(ws) -> TestClient:
    backend = TantivyBackend(ws.data_dir / "index", writable=False)
    state = CrawlState(StateDB(ws.data_dir / "state.sqlite3"))
    return TestClient(create_app(ApiContext(backend=backend, state=state, names=load_names(),
                                            cursors=Cursors(load_key(ws.data_dir)),
                                            outlets=lambda: load_outlets(ws.outlets))))
