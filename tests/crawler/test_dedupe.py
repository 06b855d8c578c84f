import numpy as np
from tests_support import article_paragraphs

from core.statedb import StateDB
from crawler.stories.copies import SIGNATURE_VERSION, DuplicateIndex, estimate, fingerprint, shingles
from crawler.stories.related import cosine, related_score, term_counts

TEXT = " ".join(article_paragraphs("Kharkiv", 8).replace("<p>", " ").replace("</p>", " ").split())
OTHER = " ".join(article_paragraphs("Odesa", 8).replace("<p>", " ").replace("</p>", " ").split())


def exact(a: str, b: str) -> tuple[float, float]:
    x, y = shingles(a), shingles(b)
    shared = len(np.intersect1d(x, y))
    return shared / (len(x) + len(y) - shared), shared / min(len(x), len(y))


def test_the_compact_signature_estimates_jaccard_and_containment():
    half = TEXT[: len(TEXT) // 2]
    a, b = fingerprint(TEXT), fingerprint(half)
    jaccard, containment = estimate(a.compact, a.size, b.compact, b.size)
    true_jaccard, true_containment = exact(TEXT, half)
    assert abs(jaccard - true_jaccard) < 0.1 and containment > 0.9 and true_containment == 1.0
    c = fingerprint(OTHER)
    assert estimate(a.compact, a.size, c.compact, c.size)[0] < 0.05
    assert len(a.compact) == 256  # 512 values of 4 bits


def test_copies_are_found_whatever_their_dates(tmp_path):
    index = DuplicateIndex(StateDB(tmp_path / "s.sqlite3"))
    index.add("original", fingerprint(TEXT))
    index.add("other", fingerprint(OTHER))
    copy = fingerprint("KHARKIV (Wire) — " + TEXT[: int(len(TEXT) * 0.7)])
    [match] = index.find("copy", copy)
    assert match.id == "original" and match.containment > 0.9
    assert index.find("original", fingerprint(TEXT)) == []  # never itself
    assert index.find("tiny", fingerprint("Kharkiv power grid hit")) == []


def test_an_excerpt_too_short_for_the_bands_is_found_by_its_opening(tmp_path):
    index = DuplicateIndex(StateDB(tmp_path / "s.sqlite3"))
    index.add("original", fingerprint(TEXT))
    words = TEXT.split()
    excerpt = " ".join(words[: len(words) // 4])
    assert exact(TEXT, excerpt)[0] < 0.3
    assert [m.id for m in index.find("excerpt", fingerprint(excerpt))] == ["original"]


def test_signatures_of_another_scheme_are_rebuilt_not_compared(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    index = DuplicateIndex(db)
    assert index.needs_rebuild()  # a new or upgraded database has no signatures of this scheme
    index.rebuild([("original", TEXT), ("other", OTHER)])
    assert not index.needs_rebuild() and db.meta("lsh_scheme") == SIGNATURE_VERSION
    db.execute("UPDATE lsh_bands SET key = key + 1")  # bands of another scheme
    db.set_meta("lsh_scheme", "datasketch-1/legacy")
    assert index.needs_rebuild()
    assert index.rebuild([("original", TEXT)]) == 1
    assert [m.id for m in index.find("copy", fingerprint(TEXT))] == ["original"]


def test_state_per_article_stays_under_a_kilobyte(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    index = DuplicateIndex(db)
    for n in range(300):
        index.add(f"{n:020x}", fingerprint(article_paragraphs(f"place {n}", 8)))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    used = db.one("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('lsh_docs', 'lsh_bands', "
                  "'sqlite_autoindex_lsh_docs_1')")[0]
    assert used / 300 < 1024


def test_related_needs_close_texts_and_shared_names():
    def idf(words):
        return {w: 1.0 for w in words}

    a = {"text": TEXT, "entities": {"person": ["Oleh Syniehubov"], "org": ["SBU"], "place": ["Kharkiv", "Ukraine"]}}
    b = {"text": TEXT + " More.", "entities": {"person": ["Oleh Syniehubov"], "org": ["SBU"],
                                               "place": ["Kharkiv", "Ukraine"]}}
    c = {"text": "Parliament approved the annual budget after a long debate about taxes and pensions.",
         "entities": a["entities"]}
    score, related = related_score(a, b, {"Ukraine"}, idf)
    assert score > 0.9 and related
    assert related_score(a, c, {"Ukraine"}, idf)[1] is False
    assert related_score(a, {**b, "entities": {"place": ["Ukraine"]}}, {"Ukraine"}, idf)[1] is False
    assert cosine(term_counts(""), term_counts(TEXT), idf) == 0.0
    assert np.isclose(cosine(term_counts(TEXT), term_counts(TEXT), idf), 1.0)


def test_reports_in_two_languages_are_related_by_the_specific_names_both_could_give():
    english = {"language": "en", "entities": {
        "person": ["Volodymyr Zelensky", "Kim Jong Un", "Kyrylo Budanov", "Andriy Yermak", "Mark Rutte"],
        "org": ["Storm Corps", "NATO", "Pentagon", "National Intelligence Service"],
        "place": ["Kursk", "Sudzha", "Kyiv", "Ukraine", "Russia", "Europe"]}}
    korean = {"language": "ko", "entities": {
        "person": ["Volodymyr Zelensky", "Kim Jong Un", "박명철", "김성혁"], "org": ["Storm Corps", "인민위원회"],
        "place": ["Kursk", "Ukraine", "Russia", "Chongjin", "Hyesan", "Wonsan", "North Hamgyong Province", "청진시"]}}
    countries = {"Ukraine", "Russia", "North Korea"}
    # Four specific names shared; the lists' other names (Hangul ones nobody else can give,
    # countries, a continent, more names on either side) do not dilute them.
    score, related = related_score(english, korean, countries, None, gap_days=0.75)
    assert related and score > 0.5
    # Three shared on the same day still make one story; two do not, nor countries alone.
    three = {**korean, "entities": {**korean["entities"], "person": ["Volodymyr Zelensky", "박명철"]}}
    assert related_score(english, three, countries, None)[1] is True
    two = {**korean, "entities": {**korean["entities"], "person": ["박명철"]}}
    assert related_score(english, two, countries, None)[1] is False
    nations = {"language": "ko", "entities": {"person": [], "org": [], "place": ["Ukraine", "Russia", "Europe"]}}
    assert related_score(english, nations, countries, None)[1] is False
    # Days apart, the same names are not enough: two events of one beat.
    assert related_score(english, korean, countries, None, gap_days=4)[1] is False
