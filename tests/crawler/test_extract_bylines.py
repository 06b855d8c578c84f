"""Authors as people (issue 26): each page is a small one written for the class of mistake it
guards against."""

from tests_support import EXAMPLE_NOW as NOW, EXAMPLE_URL as URL, REPORT_PARAGRAPHS as PARAGRAPHS, json_ld as ld

from crawler.extraction.extract import extract_page

SITE = '<meta property="og:site_name" content="Example News">'


def page(head: str, paragraphs: list[str]) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html lang='en'><head>{head}</head><body><article>{text}</article></body></html>"


def authors(html: str) -> list[str]:
    return extract_page(html, url=URL, now=NOW)["authors"]


def test_a_cms_account_named_after_the_site_gives_way_to_the_signed_name():
    # "Example D": the site's name and an initial, the account the CMS posted with
    head = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Example D"}})
    signed = PARAGRAPHS + ["<strong>ANN LEE</strong>"]
    assert authors(page(head, signed)) == ["ANN LEE"]


def test_a_person_with_an_initial_is_still_a_person():
    head = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann B. Lee"}})
    assert authors(page(head, PARAGRAPHS)) == ["Ann B. Lee"]


def test_a_signature_after_a_two_line_standfirst_names_the_writers():
    head = SITE + '<meta name="author" content="Example News">'
    standfirst = ["<em>…as villagers count the cost</em>", "<em>…and blame the quarry</em>"]
    signed = standfirst + ["<strong>Ann Lee/Bo Kim</strong>"] + PARAGRAPHS
    assert authors(page(head, signed)) == ["Ann Lee", "Bo Kim"]


def test_a_bold_name_in_the_middle_of_the_story_is_not_a_signature():
    head = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}})
    middle = PARAGRAPHS[:4] + ["<strong>Harbour Plan</strong>"] + PARAGRAPHS[4:]
    assert authors(page(head, middle)) == ["Example News"]



def test_bylines_of_other_stories_teaser_cards_are_not_the_authors():
    cards = "".join(f'<div class="card"><h3><a href="/other/{n}">Another story {n}</a></h3>'
                    f'<span class="byline"><a rel="author" href="/by/cy-dee">By Cy Dee</a></span></div>'
                    for n in range(3))
    html = ("<html lang='en'><head></head><body><article><header><h1>Harbour plan approved</h1>"
            '<span class="byline"><a rel="author" href="/by/ann-lee">By Ann Lee</a></span></header>'
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + f"</article><aside>{cards}</aside></body></html>")
    assert authors(html) == ["Ann Lee"]


def test_a_meta_author_naming_the_site_is_the_template_default_not_a_credit():
    # the article's own JSON-LD crediting the outlet is kept; the site-wide <meta name="author"> is not
    assert authors(page(SITE + '<meta name="author" content="Example News">', PARAGRAPHS)) == []
    declared = ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}})
    assert authors(page(SITE + declared, PARAGRAPHS)) == ["Example News"]


def story(header: str, paragraphs: list[str] = PARAGRAPHS, after: str = "", head: str = SITE) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head>{head}</head><body><article><h1>Harbour plan approved after long row</h1>"
            f"{header}{text}{after}</article></body></html>")


def test_the_line_under_the_headline_is_the_byline_when_no_markup_names_one():
    assert authors(story("<div><span>Ann Lee |</span><span>05.04.2025 - 10:12</span></div>")) == ["Ann Lee"]
    # after a standfirst, a line that says "By …"; the place after the names is a dateline
    standfirst = f"<div class='lead'><p>{PARAGRAPHS[0]}</p></div>"
    by_line = "<p>By TPN, in <a href='/news'>News</a>, <a href='/business'>Business</a> · 31 Jan 2025</p>"
    assert authors(story(standfirst + by_line)) == ["TPN"]
    assert authors(story("<p>Von Ann Lee und Bo Kim, Nairobi</p>")) == ["Ann Lee", "Bo Kim"]
    # two fields side by side: the writer and the paper she writes for
    fields = "<div class='attribution'><span class='author'>Ann Lee</span><span>Harbour Gazette</span></div>"
    assert authors(story(fields)) == ["Ann Lee"]
    role = "<div><em>Von <a href='/autor/ann-lee/'>Ann Lee</a></em><span>Korrespondentin</span></div>"
    assert authors(story(role)) == ["Ann Lee"]
    surname = ("<address class='writer'><a href='mailto:ann@example-news.test'><span>Ann Lundberg</span> "
               "<span>Holm</span></a></address>")
    assert authors(story(surname)) == ["Ann Lundberg Holm"]
    # what else stands under the headline is not a byline
    assert authors(story("<div class='box'>Key Points</div>")) == []
    # under a logo in an H1 (the og:title names another headline) is the site's menu, not a byline
    logo = ("<html><head><meta property='og:title' content='Harbour plan approved'></head><body>"
            "<h1>Example News Online</h1><div>Sam Weather | Sky Sport</div><article>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article></body></html>")
    assert authors(logo) == []
    picture = "<figure><img src='/a.jpg'><figcaption>Getty Images</figcaption></figure>"
    assert authors(story(picture + "<div class='photo-credit'><span>Getty Images</span></div>")) == []
    # a script without capitals cannot tell a name from a button label ("小字号": smaller type)
    assert authors(story("<div><a href='#'>小字号</a><a href='#'>大字号</a></div>")) == []
    # past the first paragraph a capitalised line is a subheading, not a byline
    assert authors(story("", PARAGRAPHS[:1] + ["Harbour Plan Approved"] + PARAGRAPHS[1:])) == []
    assert authors(story("", PARAGRAPHS[:1] + ["<span>Sam Weather</span><span>Sky Sport</span>"] + PARAGRAPHS[1:])) == []
    # past the second paragraph the story has begun: a "By" line there is another story's
    assert authors(story("", PARAGRAPHS[:2] + ["By Cy Dee"] + PARAGRAPHS[2:])) == []
    # the byline under the headline is more specific than the article's data crediting the outlet
    outlet = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}})
    assert authors(story("<div>Ann Lee | 05.04.2025</div>", head=outlet)) == ["Ann Lee"]
    assert authors(story("<ul><li><div class='name'>AFP, MANILA</div></li></ul>", head=outlet)) == ["AFP, MANILA"]
    assert authors(story("<div><span>Harbour Gazette</span></div>", head=outlet)) == ["Example News"]


def test_a_name_credited_as_the_editor_is_not_the_writer():
    # the CMS files the story under the editor's account; the byline under the headline names the writer
    head = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Cy Dee"}})
    byline = "<div class='info'><div class='author-2'>Ann Lee</div><span>20/1/2026 18:30</span></div>"
    editor = "<div class='info-author'>Editor : <a href='/author/112/cy-dee'>Cy Dee</a></div>"
    assert authors(story(byline, after=editor, head=head)) == ["Ann Lee"]
    # the paper's masthead in the footer names the editor of the whole paper, not of this story
    masthead = "<footer><p>Editor: Cy Dee</p></footer>"
    assert authors(story(byline, after=masthead, head=head)) == ["Cy Dee"]


def test_the_editors_are_the_credit_when_the_page_names_no_one_else():
    paragraphs = ["国务院常务会议审议通过了港口规划，会议指出，要加快推进港口基础设施建设，提升服务水平和运行效率。" * 3] * 4
    assert authors(story("", paragraphs, after="<div class='edit'>(责编：牛镛、岳弘彬)</div>",
                         head="")) == ["牛镛", "岳弘彬"]


def test_an_account_named_after_a_section_is_no_person_and_a_closing_source_line_credits_the_source():
    head = SITE + '<meta name="author" content="Nachrichten">'
    category = "<footer><a rel='category tag' href='/category/nachrichten/'>Nachrichten</a></footer>"
    html = story("", PARAGRAPHS + ["Example News / Harbour Gazette"], after=category, head=head)
    assert authors(html) == ["Harbour Gazette"]
    # a closing line of names that does not name the outlet is not a source credit
    assert authors(story("", PARAGRAPHS + ["Harbour Plan / Town Council"], after=category, head=head)) == []


def test_a_date_run_into_a_by_line_leaves_it_unread():
    assert authors(story("<p>By Ann Lee Updated Nov 13, 2025</p>")) == []


def test_an_h1_of_punctuation_is_no_headline_to_read_the_byline_under():
    html = ("<html><head><meta property='og:title' content='Harbour plan approved'></head><body>"
            "<h1>* * * * * * * *</h1><div>Sam Weather | Sky Sport</div><article><h1>Harbour plan approved</h1>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article></body></html>")
    assert authors(html) == []


def test_an_editor_label_in_the_navigation_or_a_long_paragraph_is_not_this_storys_editor():
    head = SITE + ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Cy Dee"}})
    byline = "<div class='info'><div class='author-2'>Ann Lee</div><span>20/1/2026 18:30</span></div>"
    for masthead in ("<nav><p>Editor: Cy Dee</p></nav>", "<div class='site-footer'><p>Editor: Cy Dee</p></div>",
                     "<p>Editor: Cy Dee, who read the harbour plan twice, said the whole council would look "
                     "at it again after the summer.</p>"):
        assert authors(story(byline, after=masthead, head=head)) == ["Cy Dee"]


def test_a_byline_element_holding_only_invisible_characters_is_no_credit():
    assert authors(story("<div class='byline'>\u200b\u00ad</div>")) == []


def test_a_role_or_degree_beside_a_person_is_that_persons_not_another_credit():
    def credited(*names):
        return ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": n} for n in names]})
    assert authors(page(SITE + credited("Analysis by Ann Lee", "Newswire Editor-at-large"), PARAGRAPHS)) == ["Ann Lee"]
    assert authors(page(SITE + credited("BO KIM, Newswire Sports Writer"), PARAGRAPHS)) == ["BO KIM"]
    assert authors(page(SITE + credited("Cy Park, MS, RDN"), PARAGRAPHS)) == ["Cy Park"]
    # alone, a staff credit is what the page says
    assert authors(page(SITE + credited("Example staff reporter"), PARAGRAPHS)) == ["Example staff reporter"]
