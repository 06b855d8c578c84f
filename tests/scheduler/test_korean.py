"""Korean as a crawl meets it: an RFA-Korean-like outlet (Arc RSS, full text in content:encoded,
Korean pages) and an English one. Korean words are found with any particle, compounds and
phrases match, a Korean page on an outlet declared English is Korean, Korean reports carry the
canonical names English ones do, and the Korean and the English report of one event are one
story — related, not copies."""
from tests_support import korean_feed, page

ENGLISH = page("North Korea issues war certificates to families of soldiers killed in Russia", "2025-11-02T08:00:00Z", [
    "North Korean authorities have begun handing war certificates to the families of soldiers killed while fighting "
    "for Russia, residents of North Hamgyong Province told the broadcaster.",
    "The certificates were delivered by officials of the Workers' Party of Korea in Chongjin, a resident said, and "
    "promise the families rations and housing.",
    "Many of the soldiers sent to Russia's Kursk region served in the Storm Corps, a special operations unit.",
    "South Korea's National Intelligence Service estimates that hundreds of North Korean soldiers died in Kursk.",
])
# The same event in Korean (a different text, not a translation), a short report of another
# event (161 Hangul characters and spaces, as the issue's dropped one), and a third report.
WAR_CERTIFICATES = ("북한, 러시아 파병 전사자 가족에 ‘참전증서’ 발급", "2025-11-02T10:00:00Z", [
    "북한당국이 러시아에 파병됐다가 숨진 군인들의 가족에게 이른바 참전증서를 발급하기 시작했다고 함경북도 소식통이 전했습니다.",
    "청진시의 한 주민은 노동당 간부들이 유가족을 찾아 증서와 함께 쌀과 살림집을 약속했다고 말했습니다.",
    "쿠르스크 지역에 파견된 병력의 상당수는 폭풍군단 소속인 것으로 알려졌습니다.",
    "한국 국가정보원은 북한군 수백 명이 쿠르스크에서 전사한 것으로 추정하고 있습니다.",
])
MISSILE = ("북, 동해상으로 탄도미사일 발사", "2025-11-04T01:00:00Z", [
    "북한이 4일 오전 동해상으로 단거리 탄도미사일 한 발을 발사했다고 한국 합동참모본부가 밝혔습니다.",
    "합참은 미사일이 약 300킬로미터를 비행한 뒤 바다에 떨어졌으며 한미 당국이 제원을 분석하고 있다고 덧붙였습니다.",
])
ZELENSKY_PAGE = """<html><head><title>젤렌스키 “북한군 포로 교환 용의”</title>
<meta property="article:published_time" content="2025-11-03T09:00:00Z"></head><body><article>
<h1>젤렌스키 “북한군 포로 교환 용의”</h1>
<p>볼로디미르 젤렌스키 우크라이나 대통령은 3일 생포한 북한군 병사들을 러시아에 억류된 우크라이나 군인들과 교환할 용의가 있다고 밝혔습니다.</p>
<p>젤렌스키 대통령은 김정은 국무위원장이 병사들의 귀환을 원한다면 교환이 가능하다고 말했습니다.</p>
<p>우크라이나 보안국은 포로들이 키이우에서 조사를 받고 있다고 전했습니다.</p>
</article></body></html>"""


def test_korean_reports_are_searchable_tagged_and_join_the_english_story(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/korean/rss/", korean_feed(server.base, [("war-certificates", *WAR_CERTIFICATES),
                                                         ("missile", *MISSILE)]),
                 content_type="application/rss+xml; charset=utf-8")
    # A feed item this short could be a teaser: its page is fetched (and is an article).
    server.serve("/korean/missile", page(MISSILE[0], MISSILE[1], MISSILE[2]).replace("lang='en'", "lang='ko'"))
    server.serve("/english/war-certificates", ENGLISH)
    server.serve_feed("/english.xml", ["/english/war-certificates"])
    server.serve("/world/zelensky-prisoners", ZELENSKY_PAGE)  # no lang anywhere, on an English outlet
    server.serve_feed("/world.xml", ["/world/zelensky-prisoners"])
    ws.outlets.write_text(
        f'[rfa-korean]\nname = "RFA Korean"\nlanguage = "ko"\nfeeds = ["{server.base}/korean/rss/"]\nparser = "rfa"\n'
        f'[rfa-english]\nname = "Radio Free Asia"\nlanguage = "en"\nfeeds = ["{server.base}/english.xml"]\n'
        f'[world]\nname = "World News"\nlanguage = "en"\nfeeds = ["{server.base}/world.xml"]\n')
    for outlet in ("rfa-english", "rfa-korean", "world"):
        ws.newswatch("crawl", outlet)

    def hits(*params) -> dict[str, dict]:
        args = [a for name, value in params if name != "q" for a in (f"--{name}", value)]
        args += [a for name, value in params if name == "q" for a in ("--", value)]
        return {f'{h["outlet"]}:{h["url"].rsplit("/", 1)[-1]}': h
                for h in ws.json("search", "--json", "--size", "20", *args)["hits"]}

    def found(*params) -> set[str]:
        return set(hits(*params))

    everything = hits()
    # The short missile report is an article, not "no article body"; the Korean page of the
    # outlet declared English is Korean.
    assert {key: h["language"] for key, h in everything.items()} == {
        "rfa-english:war-certificates": "en", "rfa-korean:war-certificates": "ko", "rfa-korean:missile": "ko",
        "world:zelensky-prisoners": "ko"}

    # Words with particles and endings: 북한당국이, 북한이, 북한군 (a compound of 북한), 미사일을.
    assert found(("q", "북한")) == {"rfa-korean:war-certificates", "rfa-korean:missile", "world:zelensky-prisoners"}
    assert found(("q", "미사일")) == {"rfa-korean:missile"}
    assert found(("q", "증서를")) == {"rfa-korean:war-certificates"}  # the query's particle does not matter either
    assert found(("q", "참전증서")) == {"rfa-korean:war-certificates"}  # a compound finds its spelling in the text
    assert found(("q", "폭풍군단")) == found(("q", '"폭풍 군단"')) == {"rfa-korean:war-certificates"}
    assert found(("q", '"북한 당국"')) == found(("q", "북한당국")) == {"rfa-korean:war-certificates"}
    assert found(("q", "북한 당국")) == {"rfa-korean:war-certificates", "rfa-korean:missile"}  # both words, apart
    assert found(("q", "포로 -미사일")) == {"world:zelensky-prisoners"}
    assert found(("q", "탄도미사일 OR 포로")) == {"rfa-korean:missile", "world:zelensky-prisoners"}
    assert found(("q", "certificates")) == {"rfa-english:war-certificates"}  # English search is unchanged
    snippet = next(h["snippet"] for h in hits(("q", "미사일")).values())
    assert "미사일" in snippet

    # Canonical names: the Korean reports are found by the names English reports carry.
    assert found(("entity", "person:Kim Jong Un")) == {"world:zelensky-prisoners"}
    assert found(("entity", "person:Volodymyr Zelensky")) == {"world:zelensky-prisoners"}
    assert found(("entity", "place:Kursk")) == {"rfa-english:war-certificates", "rfa-korean:war-certificates"}
    assert found(("entity", "org:Joint Chiefs of Staff")) == {"rfa-korean:missile"}
    assert found(("entity", "person:김정은")) == {"world:zelensky-prisoners"}  # a Korean form is the canonical name

    # One story across languages: the Korean report joins the English one's story, as related.
    english, korean = everything["rfa-english:war-certificates"], everything["rfa-korean:war-certificates"]
    assert korean["story_id"] == english["story_id"] == english["id"]
    assert korean["duplicate_of"] is None and korean["duplicate_count"] == 0
    assert everything["rfa-korean:missile"]["story_id"] == everything["rfa-korean:missile"]["id"]


# Two reports of one event written for this test: the English one names fifteen people,
# organisations and places, the Korean one (a day later, not a translation) seven it could share
# and four names the tables do not know, kept in Hangul; they share four.
LOSSES_ENGLISH = page("Zelensky says North Korean units suffer heavy losses near Kursk", "2025-11-10T06:00:00Z", [
    "Ukrainian President Volodymyr Zelensky said on Monday that North Korean troops of the Storm Corps had suffered "
    "heavy losses near Kursk, where Russian and North Korean units are trying to retake villages around Sudzha.",
    "Zelensky said Kim Jong Un had sent replacements, citing Ukraine's military intelligence chief Kyrylo Budanov.",
    "Andriy Yermak, the head of Zelensky's office, said Kyiv had shared the evidence with NATO and the Pentagon.",
    "NATO Secretary General Mark Rutte called the deployment a dangerous escalation, and South Korea's National "
    "Intelligence Service said it was watching the casualties.",
    "Russian Defense Minister Andrei Belousov visited Pyongyang last month, KCNA reported.",
])
LOSSES_KOREAN = ("젤렌스키 “쿠르스크 북한군 큰 손실”", "2025-11-11T00:00:00Z", [
    "볼로디미르 젤렌스키 우크라이나 대통령은 쿠르스크에 파병된 폭풍군단 병력이 큰 손실을 입었다고 밝혔습니다.",
    "젤렌스키 대통령은 김정은 국무위원장이 병력을 추가로 보냈다고 말했습니다.",
    "함경북도 청진시의 한 주민은 인민위원회 간부들이 전사자 가족을 찾았다고 전했습니다.",
    "양강도 혜산시 소식통은 박명철 대좌와 김성혁 중좌의 가족도 통보를 받았다고 말했습니다.",
    "남포항과 원산항에서도 병력이 출발했다고 소식통은 덧붙였습니다.",
])


def test_a_korean_and_an_english_report_sharing_four_specific_names_are_one_story(outlet_server, workspace):
    ws, server = workspace, outlet_server
    server.serve("/korean/rss/", korean_feed(server.base, [("losses", *LOSSES_KOREAN)]),
                 content_type="application/rss+xml; charset=utf-8")
    server.serve("/english/losses", LOSSES_ENGLISH)
    server.serve_feed("/english.xml", ["/english/losses"])
    ws.outlets.write_text(
        f'[rfa-english]\nname = "Radio Free Asia"\nlanguage = "en"\nfeeds = ["{server.base}/english.xml"]\n'
        f'[rfa-korean]\nname = "RFA Korean"\nlanguage = "ko"\nfeeds = ["{server.base}/korean/rss/"]\nparser = "rfa"\n')
    ws.newswatch("crawl", "rfa-english")
    ws.newswatch("crawl", "rfa-korean")
    hits = {h["outlet"]: h for h in ws.json("search", "--json", "--size", "20")["hits"]}
    english, korean = hits["rfa-english"], hits["rfa-korean"]
    shared = set(english["entities"]["person"] + english["entities"]["org"] + english["entities"]["place"]) & \
        set(korean["entities"]["person"] + korean["entities"]["org"] + korean["entities"]["place"])
    assert {"Volodymyr Zelensky", "Kim Jong Un", "Storm Corps", "Kursk"} <= shared
    assert korean["story_id"] == english["story_id"] == english["id"]
