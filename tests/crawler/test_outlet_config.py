from pathlib import Path

import pytest

from crawler.config.outlets import OutletsError, load_outlets, parse_outlets

ROOT = Path(__file__).parents[2]

GOOD = """
[newsweek]
name = "Newsweek"
language = "en"
feeds = ["https://www.newsweek.com/rss"]
sitemaps = ["https://www.newsweek.com/googlenews.xml"]
interval = "15m"
filter = 'kursk OR "north korea"'
delay = 10
"""


def test_the_shipped_outlets_file_is_valid_and_has_rfa_and_newsweek():
    outlets = load_outlets(ROOT / "outlets.toml")
    assert {"rfa-english", "rfa-korean", "newsweek"} <= set(outlets)
    assert outlets["rfa-korean"].language == "ko"
    assert outlets["newsweek"].feeds == ("https://www.newsweek.com/rss",)
    assert outlets["newsweek"].sitemaps == ("https://www.newsweek.com/googlenews.xml",)


def test_a_good_entry_parses():
    outlet = parse_outlets(GOOD)["newsweek"]
    assert (outlet.interval, outlet.delay, outlet.language) == (900, 10, "en")


@pytest.mark.parametrize("change, key", [
    (("interval = \"15m\"", "interval = \"30s\""), "interval"),
    (("interval = \"15m\"", "interval = \"fortnightly\""), "interval"),
    (("interval = \"15m\"", "interval = \"99999999d\""), "interval"),
    (("interval = \"15m\"", "interval = \"31d\""), "interval"),
    (("delay = 10", "delay = 86400"), "delay"),
    (("delay = 10", "delay = nan"), "delay"),
    (("language = \"en\"", "language = \"English\""), "language"),
    (("name = \"Newsweek\"", "name = \"\""), "name"),
    (("delay = 10", "delay = -1"), "delay"),
    (("delay = 10", "delay = 10\nfrequency = 3"), "frequency"),
    (("filter = 'kursk OR \"north korea\"'", "filter = '(kursk'"), "filter"),
    (("feeds = [\"https://www.newsweek.com/rss\"]", "feeds = [\"ftp://x/rss\"]"), "feeds"),
    (("delay = 10", "delay = 10\nparser = \"nosuch\""), "parser"),
])
def test_bad_values_name_the_outlet_and_key(change, key):
    with pytest.raises(OutletsError) as raised:
        parse_outlets(GOOD.replace(*change))
    assert "[newsweek]" in str(raised.value) and key in str(raised.value)


def test_an_outlet_needs_a_feed_or_sitemap_and_a_slug_key():
    with pytest.raises(OutletsError, match="feed"):
        parse_outlets('[x]\nname = "X"\nlanguage = "en"\n')
    with pytest.raises(OutletsError, match="slug"):
        parse_outlets('["News Week"]\nname = "X"\nlanguage = "en"\nfeeds = ["https://x.org/rss"]\n')


def test_unreadable_or_invalid_files_say_so(tmp_path):
    with pytest.raises(OutletsError, match="cannot read"):
        load_outlets(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[newsweek\nname=")
    with pytest.raises(OutletsError, match="not valid TOML"):
        load_outlets(tmp_path / "bad.toml")


def test_a_topic_is_checked_against_the_outlets_and_the_mail_settings():
    from crawler.config.topics import TopicsError, check_topics, parse_topics

    outlets = parse_outlets(GOOD)
    fine = parse_topics('[nk]\nname = "NK"\nquery = "kursk"\noutlets = ["newsweek"]\nnotify = ["email:a@example.org"]\n')
    check_topics(fine, outlets, can_mail=True)
    with pytest.raises(TopicsError, match=r"topic \[nk\] notify: e-mail needs NEWSWATCH_SMTP_URL"):
        check_topics(fine, outlets, can_mail=False)
    unknown = parse_topics('[nk]\nname = "NK"\nquery = "kursk"\noutlets = ["nope"]\n')
    with pytest.raises(TopicsError, match=r"topic \[nk\] outlets: no outlet 'nope'"):
        check_topics(unknown, outlets, can_mail=True)


@pytest.mark.parametrize("query, message", [
    ("kurs*", "'*' is not supported"), ("kursk~2", "'~' is not supported"),
    ("bogus:kursk", "unknown field 'bogus'"), ("kursk OR", "Syntax Error"),
])
def test_a_filter_is_checked_by_the_search_syntax_rules(query, message):
    with pytest.raises(OutletsError, match=r"^outlet \[newsweek\] filter: ") as refused:
        parse_outlets(GOOD.replace("""'kursk OR "north korea"'""", repr(query)))
    assert message in str(refused.value)


def test_a_feed_or_sitemap_in_two_outlets_is_refused_naming_both():
    again = GOOD + '\n[nw-discovered]\nname = "Newsweek"\nlanguage = "en"\nfeeds = ["https://newsweek.com/rss/"]\n'
    with pytest.raises(OutletsError) as refused:
        parse_outlets(again)
    assert str(refused.value) == ("outlet [nw-discovered] feeds: https://newsweek.com/rss/ is also in [newsweek] "
                                  "feeds; a feed or sitemap belongs to one outlet")
    as_sitemap = GOOD + ('\n[other]\nname = "O"\nlanguage = "en"\nfeeds = ["https://o.example/rss"]\n'
                         'sitemaps = ["https://www.newsweek.com/googlenews.xml"]\n')
    with pytest.raises(OutletsError, match=r"\[other\] sitemaps: .* is also in \[newsweek\] sitemaps"):
        parse_outlets(as_sitemap)
    with pytest.raises(OutletsError, match=r"\[newsweek\] sitemaps: .* is also in \[newsweek\] feeds already"):
        parse_outlets(GOOD.replace('sitemaps = ["https://www.newsweek.com/googlenews.xml"]',
                                   'sitemaps = ["https://www.newsweek.com/rss"]'))


@pytest.mark.parametrize("change, message", [
    # The first problem in the order the keys are checked; a wrong type before a wrong value.
    (("delay = 10", "delay = 10\nzzz = 1\naaa = 2\nparser = 5"), "aaa: unknown key"),
    (("name = \"Newsweek\"", "name = 5"), "name: required, a non-empty string"),
    (("feeds = [\"https://www.newsweek.com/rss\"]", "feeds = [\"ftp://x/rss\", 5]"), "feeds: expected a list of URLs"),
    (('feeds = ["https://www.newsweek.com/rss"]\nsitemaps = ["https://www.newsweek.com/googlenews.xml"]',
      "feeds = []\ntimezone = 5"), "feeds: an outlet needs at least one feed or sitemap"),
    (("interval = \"15m\"", "interval = 5"), "interval: '5' is not a duration such as 90s, 15m, 1h or 1d"),
    (("delay = 10", "delay = true"), "delay: expected a number of seconds from 0 to 3600"),
    (("delay = 10", "delay = 10\ntimezone = 5"), "timezone: 5 is not an IANA time zone such as 'Europe/Berlin'"),
    (("delay = 10", "delay = 10\naliases = [\"RFA\", \" \"]"), "aliases: expected a list of names"),
])
def test_each_problem_is_the_one_line_the_file_validation_always_gave(change, message):
    with pytest.raises(OutletsError) as refused:
        parse_outlets(GOOD.replace(*change))
    assert str(refused.value) == f"outlet [newsweek] {message}"
    with pytest.raises(OutletsError, match=r"^outlet \[newsweek\]: expected a table$"):
        parse_outlets("newsweek = 5\n")
