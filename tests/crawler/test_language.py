"""The language of an article, and lengths counted per script."""
import pytest

from crawler.extraction.extract import NotAnArticle, extract_feed_item, extract_page
from crawler.extraction.language import article_language, detect, weighted_length
from index.analysis import korean_morphemes, rewrite_query

KOREAN = ("북한이 러시아 파병 전사자 가족들에게 이른바 참전 증서를 발급하기 시작했다고 소식통이 전했습니다. "
          "함경북도의 한 주민은 지역 당위원회가 유가족들에게 증서와 함께 쌀을 추가로 배급했다고 말했습니다.")
ENGLISH = "North Korea has begun issuing war certificates to the families of soldiers killed fighting for Russia."


def test_declarations_come_first_then_detection_then_the_outlet_default():
    assert article_language(["en", "ko"], ENGLISH) == "en"                # the page over the feed
    assert article_language([None, "de"], ENGLISH) == "de"                # the feed's, when the page is silent
    assert article_language([None, None], KOREAN, default="en") == "ko"   # detected: the default is only a default
    assert article_language([None], "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen, das die "
                            "Rente betrifft.", default="en") == "de"
    assert article_language([], "", default="ko") == "ko"                 # nothing else speaks


def test_a_declaration_the_script_contradicts_is_overruled():
    assert article_language(["en"], KOREAN, title="북, 러 파병 전사자 가족에 증서") == "ko"
    assert article_language(["ko"], ENGLISH * 3) == "en"  # an English article on a Korean-language site
    assert article_language(["ja"], "北朝鮮はロシアに兵士を送ったと発表した。") == "ja"  # Han + kana fit Japanese


def test_detection_reports_its_confidence():
    language, confidence = detect(KOREAN)
    assert language == "ko" and confidence > 0.9
    assert detect("12345 !!!") == (None, 0.0)


def test_lengths_count_hangul_and_han_as_the_letters_they_carry():
    assert weighted_length("abc") == 3
    assert weighted_length("북한") == 5.0 and weighted_length("北朝鮮") == 7.5
    short = KOREAN[:161]
    assert len(short) < 200 <= weighted_length(short)


def test_a_short_korean_report_is_an_article_and_a_short_english_one_is_not():
    korean_page = f"<html><body><article><h1>북, 미사일 발사</h1><p>{KOREAN[:161]}</p></article></body></html>"
    fields = extract_page(korean_page, "https://example.org/ko/1", outlet_language="en")
    assert fields["language"] == "ko"
    english_page = f"<html><body><article><h1>Missile</h1><p>{ENGLISH}</p></article></body></html>"
    with pytest.raises(NotAnArticle):
        extract_page(english_page, "https://example.org/en/1", outlet_language="en")
    item = extract_feed_item({"url": "https://example.org/ko/2", "title": "북, 미사일 발사", "text": KOREAN[:161]},
                             outlet_language="en")
    assert item["language"] == "ko"


def test_korean_morphemes_drop_particles_and_endings_and_split_compounds():
    assert korean_morphemes("북한이") == korean_morphemes("북한은") == korean_morphemes("북한의") == ["북한"]
    assert korean_morphemes("북한당국은") == ["북한", "당국"]
    assert korean_morphemes("미사일을 발사했다") == ["미사일", "발사"]
    assert korean_morphemes("숨진") == korean_morphemes("숨졌다") == ["숨지"]
    assert korean_morphemes("군인들의 F-16") == ["군인", "f", "16"]


@pytest.mark.parametrize("query, rewritten", [
    ("북한이", "북한"), ("북한당국", '"북한 당국"'), ('"북한 당국이 발표"', '"북한 당국 발표"'),
    ("title:북한이", "(title:북한이 OR title_ko:북한)"), ("북한 AND -미사일을 OR kim", "북한 AND -미사일 OR kim"),
    ('zelensky "storm corps" title:kursk', 'zelensky "storm corps" title:kursk'), ("의", "의"),
])
def test_korean_query_words_are_analysed_like_the_text_and_syntax_is_kept(query, rewritten):
    assert rewrite_query(query) == rewritten
