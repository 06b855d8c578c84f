import numpy as np
from tests_support import article_paragraphs

from crawler.dedupe import SIGNATURE_VERSION, DuplicateIndex, overlap, shingles
from crawler.stories import cosine, related_score, term_counts

TEXT = " ".join(article_paragraphs("Kharkiv", 8).replace("<p>", " ").replace("</p>", " ").split())
OTHER = " ".join(article_paragraphs("Odesa", 8).replace("<p>", " ").replace("</p>", " ").split())


def test_shingles_and_overlap():
    a, b = shingles(TEXT), shingles(TEXT[: len(TEXT) // 2])
    jaccard, containment = overlap(a, b)
    assert 0.4 < jaccard < 0.6 and containment == 1.0
    assert overlap(a, shingles(OTHER))[0] < 0.05


def test_copies_are_found_within_the_window_only(tmp_path):
    index = DuplicateIndex(tmp_path / "s.sqlite3", window_days=7)
    index.add("original", shingles(TEXT), "2025-11-05T00:00:00Z")
    index.add("other", shingles(OTHER), "2025-11-05T00:00:00Z")
    copy = shingles("KHARKIV (Wire) — " + TEXT[: int(len(TEXT) * 0.7)])
    [match] = index.find("copy", copy, "2025-11-06T00:00:00Z")
    assert match.id == "original" and match.containment > 0.95
    assert index.find("copy", copy, "2025-11-20T00:00:00Z") == []  # outside the window
    assert index.find("original", shingles(TEXT), "2025-11-05T00:00:00Z") == []  # never itself
    assert index.find("tiny", shingles("Kharkiv power grid hit"), "2025-11-05T00:00:00Z") == []


def test_signatures_of_another_scheme_are_recomputed_not_compared(tmp_path):
    index = DuplicateIndex(tmp_path / "s.sqlite3", window_days=7)
    index.add("original", shingles(TEXT), "2025-11-05T00:00:00Z")
    index.db.execute("UPDATE dedupe_signatures SET version = 'datasketch-1/legacy'")
    index.db.execute("UPDATE dedupe_bands SET key = key + 1")  # bands of the old scheme
    index.close()
    reopened = DuplicateIndex(tmp_path / "s.sqlite3", window_days=7)
    assert reopened.db.execute("SELECT DISTINCT version FROM dedupe_signatures").fetchall() == [(SIGNATURE_VERSION,)]
    assert [m.id for m in reopened.find("copy", shingles(TEXT), "2025-11-05T00:00:00Z")] == ["original"]


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
