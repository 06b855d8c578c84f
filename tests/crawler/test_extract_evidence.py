"""Title, date, authors and body chosen from all the evidence a page gives (issue 26). Each page
here is a small one written for the class of mistake it guards against."""
import json
from datetime import datetime, timezone

import pytest

from tests_support import EXAMPLE_NOW as NOW, EXAMPLE_URL as URL, REPORT_PARAGRAPHS as PARAGRAPHS, json_ld as ld

from crawler.extraction.extract import extract_page
from crawler.config.outlets import OutletsError, parse_outlets



def page(head: str = "", body: str = "", paragraphs=PARAGRAPHS) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head>{head}</head><body><main><article>{body}{text}</article></main>"
            "</body></html>")


def extract(html: str, **kwargs) -> dict:
    return extract_page(html, url=URL, now=NOW, **kwargs)


# titles

def test_title_entities_are_decoded_and_the_site_name_is_stripped():
    html = page('<meta property="og:site_name" content="Example News">'
                '<meta property="og:title" content="Mayor calls plan &#8216;illogical&#8217; | Example News">'
                "<title>Mayor calls plan 'illogical' | Example News</title>",
                "<h1>Mayor calls plan ‘illogical’</h1>")
    assert extract(html)["title"] == "Mayor calls plan ‘illogical’"


def test_the_declared_headline_wins_over_a_rewritten_sharing_title_when_the_address_spells_it():
    head = ('<meta property="og:title" content="Talks over? Tehran makes its position clear">'
            + ld({"@type": "NewsArticle", "headline": "Iran withdraws from the second round of talks with the US"}))
    spelled = "https://news.example.test/world/art4418-iran-withdraws-from-second-round-of-talks-with-us"
    assert extract_page(page(head), url=spelled, now=NOW)["title"] == (
        "Iran withdraws from the second round of talks with the US")
    # an address that spells neither, or the sharing title, leaves the sharing title first
    # (an address that shares a word with the declared headline does not spell it)
    for url in ("https://news.example.test/world/4418", "https://news.example.test/talks-over-tehran-makes-position-clear",
                "https://news.example.test/world/news-roundup-monday-iran"):
        assert extract_page(page(head), url=url, now=NOW)["title"] == "Talks over? Tehran makes its position clear"


def title_between(sharing: str, declared: str, url: str) -> str:
    head = f'<meta property="og:title" content="{sharing}">' + ld({"@type": "NewsArticle", "headline": declared})
    return extract_page(page(head), url=url, now=NOW)["title"]


def test_the_address_is_read_in_order_so_a_reordered_sharing_title_does_not_spell_it():
    url = "https://news.example.test/politics/article4099567/mayor-praises-budget-plan-and-warns-of-cuts.html"
    assert title_between("Budget: Mayor praises plan and warns of cuts", "Mayor praises budget plan and warns of cuts",
                         url) == "Mayor praises budget plan and warns of cuts"


def test_an_address_spells_letters_without_an_ascii_decomposition_by_their_base_letter():
    # Turkish ı and Danish ø have no decomposition into a base letter and a mark: the slug writes i and o
    url = "https://news.example.test/gundem/kirikkale-valisi-sicak-hava-uyarisi-yapti-4418"
    assert title_between("Sıcak hava uyarısı", "Kırıkkale valisi sıcak hava uyarısı yaptı",
                         url) == "Kırıkkale valisi sıcak hava uyarısı yaptı"
    url = "https://news.example.test/indland/soeren-orsted-onsker-storre-boder"
    assert title_between("Bøder: Ørsted vil have mere", "Søren Ørsted ønsker større bøder",
                         url) == "Søren Ørsted ønsker større bøder"


def test_an_address_may_write_an_umlaut_as_two_letters():
    url = "https://news.example.test/region/bruecke-in-osnabrueck-gesperrt"
    assert title_between("Schock in der Stadt", "Brücke in Osnabrück gesperrt", url) == "Brücke in Osnabrück gesperrt"


def test_a_site_name_known_only_from_the_host_name_is_stripped():
    html = page('<meta property="og:title" content="Harbour plan approved - Example-News.test">')
    assert extract(html)["title"] == "Harbour plan approved"


def test_a_one_word_section_tail_is_dropped_when_another_candidate_leaves_it_out():
    html = page('<meta property="og:title" content="Harbour plan approved-Politics">'
                '<meta name="headline" content="Harbour plan approved">')
    assert extract(html)["title"] == "Harbour plan approved"


def test_a_regional_section_tail_goes_when_the_declared_headline_leaves_it_out():
    html = page('<meta property="og:title" content="Harbour plan approved - Northtown City News">'
                + ld({"@type": "NewsArticle", "headline": "Harbour plan approved"}))
    assert extract(html)["title"] == "Harbour plan approved"


def test_a_longer_tail_stays_when_only_the_h1_leaves_it_out():
    html = page('<meta property="og:title" content="Harbour plan approved - latest news">',
                body="<h1>Harbour plan approved</h1>")
    assert extract(html)["title"] == "Harbour plan approved - latest news"


def test_a_headline_with_a_dash_of_its_own_keeps_it():
    html = page('<meta property="og:title" content="Council votes - and residents protest">')
    assert extract(html)["title"] == "Council votes - and residents protest"


# dates

def test_a_zone_abbreviation_is_honoured():
    html = page(ld({"@type": "NewsArticle", "headline": "H", "datePublished": "Fri Apr 28 19:20:36 CEST 2023"}))
    assert extract(html)["published_at"] == "2023-04-28T17:20:36Z"


def test_a_naive_timestamp_is_read_in_the_zone_the_pages_other_dates_state():
    html = page(ld({"@type": "NewsArticle", "headline": "H", "datePublished": "2023-04-28 18:11:01.0"})
                + '<meta name="date" content="2023-04-28T18:11:01+02:00">')
    assert extract(html)["published_at"] == "2023-04-28T16:11:01Z"


def test_a_naive_timestamp_is_read_in_the_outlets_time_zone():
    html = page(ld({"@type": "NewsArticle", "headline": "H", "datePublished": "2024-01-15T09:30:00"}))
    assert extract(html, outlet_zone="Asia/Seoul")["published_at"] == "2024-01-15T00:30:00Z"
    assert extract(html)["published_at"] == "2024-01-15T09:30:00Z"  # nothing says otherwise: UTC


def test_an_article_nested_in_a_webpage_and_cdata_wrapped_json_ld_are_read():
    nested = ld({"@type": "WebPage", "name": "Page", "mainEntity": {
        "@type": "NewsArticle", "headline": "H", "datePublished": "2024-04-26T20:44:00+0200"}})
    assert extract(page(nested))["published_at"] == "2024-04-26T18:44:00Z"
    wrapped = ('<script type="application/ld+json">//<![CDATA[\n'
               + json.dumps({"@type": "NewsArticle", "datePublished": "2024-08-22T12:00:00+02:00"})
               + "\n//]]></script>")
    assert extract(page(wrapped))["published_at"] == "2024-08-22T10:00:00Z"


def test_a_day_without_its_time_takes_the_time_given_elsewhere_for_that_day():
    html = page('<meta name="date" content="2025-01-27">',
                '<time datetime="2025-01-27T12:13:17+01:00">27. Januar 2025</time>')
    assert extract(html)["published_at"] == "2025-01-27T11:13:17Z"


def test_the_articles_own_date_wins_over_a_vendor_field():
    html = page('<meta name="DCSext.articleFirstPublished" content="2019-02-05 16:07">',
                '<time itemprop="datePublished" datetime="2023-08-30T16:45+0100">30 August 2023</time>')
    assert extract(html)["published_at"] == "2023-08-30T15:45:00Z"


def test_the_published_time_is_never_after_the_fetch():
    html = page(ld({"@type": "NewsArticle", "datePublished": "2026-01-01T10:00:00Z"}))
    assert extract(html)["published_at"] == "2026-01-01T00:00:00Z"


def test_an_outlet_time_zone_is_validated_at_load():
    base = '[x]\nname = "X"\nlanguage = "en"\nfeeds = ["https://x.test/rss"]\n'
    assert parse_outlets(base + 'timezone = "Europe/Berlin"\n')["x"].timezone == "Europe/Berlin"
    with pytest.raises(OutletsError, match=r"outlet \[x\] timezone: 'Mars/Olympus' is not an IANA time zone"):
        parse_outlets(base + 'timezone = "Mars/Olympus"\n')


# authors

def test_the_outlet_is_not_an_author_beside_a_person():
    html = page('<meta property="og:site_name" content="Example News">'
                '<meta name="author" content="Example News">'
                + ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ann Lee"},
                                                          {"@type": "Organization", "name": "Example News"}]}))
    assert extract(html)["authors"] == ["Ann Lee"]


def test_surname_first_is_turned_round_when_another_field_writes_the_name_forwards():
    html = page(ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Brazil, Rachel"}})
                + '<meta name="citation_author" content="Rachel Brazil">')
    assert extract(html)["authors"] == ["Rachel Brazil"]


def test_two_people_in_one_credit_are_two_authors_and_emails_give_way_to_names():
    html = page(ld({"@type": "NewsArticle", "author": [{"name": "Felix Schröder und Jörg Soldwisch"},
                                                        {"name": "Bo Kim (bki) bo.kim@example-news.test"}]}))
    assert extract(html)["authors"] == ["Felix Schröder", "Jörg Soldwisch", "Bo Kim"]


def test_a_profile_slug_gives_way_to_the_written_name():
    html = page(ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "chuck-ross"}})
                + '<meta name="author" content="Chuck Ross">')
    assert extract(html)["authors"] == ["Chuck Ross"]


# body

def test_a_body_split_by_recirculation_blocks_is_read_whole_when_the_json_ld_says_it_is_longer():
    first, second = PARAGRAPHS[:5], [p.replace("Paragraph", "Later paragraph") for p in PARAGRAPHS[:5]]
    recirculation = "".join(f'<li><a href="/s/{n}">Another story number {n} you may like</a></li>'
                            for n in range(40))
    html = ("<html><head>" + ld({"@type": "NewsArticle", "headline": "H", "articleBody": " ".join(first + second)})
            + "</head><body><article><div class='body__inner-container'>" + "".join(f"<p>{p}</p>" for p in first)
            + "</div></article><aside><ul>" + recirculation + "</ul></aside><div class='ArticlePageChunks'>"
            "<div class='body__inner-container'>" + "".join(f"<p>{p}</p>" for p in second) + "</div></div></body></html>")
    text = extract(html)["text"]
    assert "Paragraph 1 of" in text and "Later paragraph 5 of" in text
    assert "Another story" not in text


def test_a_page_rendered_by_javascript_is_read_from_its_embedded_state():
    state = {"article": {"title": "H", "contentHtml": "".join(f"<p>{p}</p>" for p in PARAGRAPHS)}}
    html = ('<html><head><meta property="og:title" content="Harbour plan approved">'
            f"<script>window.__STATE__ = {json.dumps(state)};</script></head>"
            '<body><div id="root"></div></body></html>')
    article = extract(html)
    assert "Paragraph 1 of the report" in article["text"] and "Paragraph 8" in article["text"]


def test_a_short_extraction_gives_way_to_the_body_the_page_marks_as_its_own():
    first, second = PARAGRAPHS[:5], [p.replace("Paragraph", "Later paragraph") for p in PARAGRAPHS[:5]]
    recirculation = "".join(f'<li><a href="/s/{n}">Another story number {n} you may like</a></li>'
                            for n in range(40))
    html = ("<html><head></head><body><article><div class='body__inner-container article-body'>"
            + "".join(f"<p>{p}</p>" for p in first) + "</div></article><aside><ul>" + recirculation
            + "</ul></aside><div class='ArticlePageChunks'><div class='body__inner-container article-body'>"
            + "".join(f"<p>{p}</p>" for p in second) + "</div></div></body></html>")
    text = extract(html)["text"]
    assert "Paragraph 1 of" in text and "Later paragraph 5 of" in text
    assert "Another story" not in text


def test_when_the_author_fields_credit_only_the_outlet_the_visible_byline_names_the_person():
    head = ('<meta property="og:site_name" content="Example News">'
            + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}}))
    assert extract(page(head, '<span class="article__author">Von Ann Lee</span>'))["authors"] == ["Ann Lee"]
    signed = PARAGRAPHS + ["<strong>Bo Kim</strong>"]
    assert extract(page(head, paragraphs=signed))["authors"] == ["Bo Kim"]
    assert extract(page(head))["authors"] == ["Example News"]  # the page's only credit


def test_a_visible_byline_must_look_like_a_name():
    html = page('<meta property="og:site_name" content="Example News">',
                '<span class="article__author">amw</span><label class="comment-author-name">Name *</label>')
    assert extract(html)["authors"] == []


def test_a_saved_page_in_utf8_is_read_as_utf8_whatever_its_meta_charset_claims():
    html = page('<meta charset="gb2312"><meta property="og:title" content="促进航天技术更好惠及人民">')
    assert extract(html.encode("utf-8"))["title"] == "促进航天技术更好惠及人民"


def test_other_stories_teasers_wrapped_in_links_are_not_the_body():
    teasers = "".join(f'<li><a href="/other/{n}"><div><p>OTHER STORY {n}: a different report about an election '
                      f'somewhere else, summarised here in one long teaser sentence for readers.</p></div></a></li>'
                      for n in range(4))
    text = extract(page(body="", paragraphs=PARAGRAPHS).replace("</article>", f"<ul>{teasers}</ul></article>"))["text"]
    assert "Paragraph 8 of" in text and "OTHER STORY" not in text


def _with_closing_list(items: str) -> str:
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"<html lang='en'><body><article><div>{text}<ul>{items}</ul></div></article></body></html>"


def test_a_closing_list_of_links_to_other_pages_is_not_the_body():
    related = "".join(f'<li><span>Series part {n}, earlier reports: <span><a href="/a/{n}">RELATED STORY about '
                      f'the port</a> | <a href="/b/{n}">Another one on the vote</a></span></span></li>'
                      for n in range(4))
    text = extract(_with_closing_list(related))["text"]
    assert text.rstrip().endswith(PARAGRAPHS[-1]) and "RELATED STORY" not in text


def test_a_closing_list_of_points_of_the_story_stays():
    points = "".join(f"<li>Point {n}: the council will publish the harbour plan's noise study in May, "
                     f"with <a href='/doc/{n}'>the data</a>.</li>" for n in range(4))
    assert "Point 3: the council" in extract(_with_closing_list(points))["text"]


def test_the_headline_repeated_by_a_player_before_the_story_is_not_the_body():
    head = '<meta property="og:title" content="Firefighters to retire later">'
    player = ("<p>Firefighters to retire later | city news</p><p>02:57 min. Available until 6 May.</p>"
              "<p>Firefighters to retire later</p>")
    text = extract(page(head, body=player))["text"]
    assert "Firefighters to retire later" not in text and text.rstrip().endswith(PARAGRAPHS[-1])


def test_the_pages_visible_headline_is_not_the_body_when_its_sharing_title_is_worded_otherwise():
    head = ('<meta property="og:title" content="Six travellers dead in suspected poisoning">'
            + ld({"@type": "NewsArticle", "headline": "Poisonings: sixth traveller dies as police detain hostel staff"}))
    body = "<h1>Sixth traveller dies in suspected poisoning as police detain hostel staff</h1>"
    text = extract(page(head, body=body))["text"]
    assert "Sixth traveller dies" not in text and text.startswith(PARAGRAPHS[0])


STANDFIRSTS = [
    # in a header the extractor leaves out, split by a bold run-in
    ("The harbour plan passed by one vote after a night of protest outside the town hall, "
     "and the mayor promised a second look at the noise limits.",
     "<div class='teaser'><strong>{0:.16}</strong>{1}</div>"),
    # opening with a mark before its first word
    ("¿Quién paga el nuevo puerto? El plan aprobado anoche deja la factura a los vecinos, "
     "y el alcalde promete revisar los límites de ruido.",
     "<p class='entradilla'>{0:.16}{1}</p>"),
]


@pytest.mark.parametrize("standfirst, markup", STANDFIRSTS, ids=["run-in", "opening-mark"])
def test_the_standfirst_under_the_headline_opens_the_body(standfirst, markup):
    head = f'<meta name="description" content="{standfirst}">'
    shown = markup.format(standfirst, standfirst[16:])
    html = page(head).replace("<main>", f"<main><header><h1>Harbour plan</h1>{shown}</header>")
    text = extract(html)["text"]
    assert text.startswith(standfirst) and text.count(standfirst[20:60]) == 1


def test_a_story_the_page_carries_twice_is_read_once():
    copy = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    hidden = f"<div class='amp-copy'><p>2024-04-22T06:00:00+02:00</p><p>https://img.example.test/lead.jpg</p>{copy}</div>"
    text = extract(page().replace("</article>", hidden + "</article>"))["text"]
    assert [text.count(p) for p in PARAGRAPHS] == [1] * len(PARAGRAPHS)
    assert "2024-04-22T06" not in text and "img.example.test" not in text


def test_a_question_asked_of_each_guest_stays_every_time():
    question = "Which dish do you cook when friends come round for dinner?"
    answers = ["Anna Berg, chef: A slow risotto with whatever the market had that morning, and a salad.",
               "Tomas Lind, baker: Bread, of course, and a soup that can wait on the stove for hours.",
               "Mira Holm, critic: Nothing. I book a table at a place I have wanted to review for months."]
    text = extract(page(paragraphs=PARAGRAPHS + [x for answer in answers for x in (question, answer)]))["text"]
    assert text.count(question) == 3


def test_an_outlet_parsers_date_comes_before_the_pages_other_candidates():
    from crawler.extraction.page_dates import choose_published

    chosen = choose_published([("ld:article:datePublished", "2024-01-02T10:00:00Z"),
                               ("parser", "2024-01-01T08:00:00Z")], now=NOW)
    assert chosen.at == datetime(2024, 1, 1, 8, tzinfo=timezone.utc) and chosen.zone == "stated"


def test_the_next_story_an_endless_page_appends_is_not_the_body():
    own = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    following = "".join(f"<p>NEXT STORY paragraph {n}: the football club named its interim manager on Monday "
                        f"after a week of rumours about the former coach's return.</p>" for n in range(16))
    html = (f"<html lang='en'><head></head><body><article><h1>Harbour plan approved</h1>{own}</article>"
            f"<article><h1>Coach returns</h1>{following}</article></body></html>")  # the next one is longer
    text = extract(html)["text"]
    assert "Paragraph 8 of the report" in text and "NEXT STORY" not in text

