"""Story clusters: copies point at the earliest published original and share its story; related
reports of the same event on other outlets join the story. `story_id` is the id of the story's
first article; a lone article's is its own id."""
from __future__ import annotations

import math
import re
from collections import Counter

from index.query import SearchQuery

WORD = re.compile(r"[^\W\d_]{3,}")
STOP = set("""the and for that with from this have has had was were are but not you your they their them his her its
our who what when where which while will would could should said says after before into over under about than then
there these those been being also more most other some such only just like new one two three year years day days
week weeks month months time people according told report reported""".split())
RELATED_MIN = 0.25  # TF-IDF cosine of two reports of one event (see related_score)
MIN_SHARED_NAMES = 3


def link_copy(service, article: dict, original_id: str, score: float) -> None:
    """`article` copies the story of `original_id` (an original or one of its copies)."""
    state = service.state
    target = service.article_now(original_id)
    if target is None:
        return
    original = service.article_now(target["duplicate_of"]) if target.get("duplicate_of") else target
    if original is None:
        return
    if (article["published_at"] or "") < (original["published_at"] or ""):
        # An earlier copy found later: it becomes the original of the whole story.
        state.move_copies(original["id"], article["id"], score)
        for copy_id, _ in state.copies_of(article["id"]):
            member = original if copy_id == original["id"] else service.article_now(copy_id)
            if member is not None:
                member.update(duplicate_of=article["id"], story_id=article["id"], duplicate_count=0)
                service.update_article(member)
        article.update(duplicate_of=None, story_id=article["id"],
                       duplicate_count=len(state.copies_of(article["id"])))
    else:
        state.link(article["id"], original["id"], "duplicate", score)
        article.update(duplicate_of=original["id"], story_id=original["story_id"] or original["id"], duplicate_count=0)
        original["duplicate_count"] = len(state.copies_of(original["id"]))
        service.update_article(original)


def words(*texts: str | None) -> set[str]:
    return {w for text in texts if text for w in WORD.findall(text.lower()) if w not in STOP}


def term_counts(text: str) -> Counter:
    return Counter(w for w in WORD.findall(text.lower()) if w not in STOP)


def cosine(a: Counter, b: Counter, idf) -> float:
    """TF-IDF cosine of two texts' word counts; `idf(words) -> {word: idf}`."""
    weights = idf(set(a) | set(b))

    def vector(counts):
        return {w: (1 + math.log(n)) * weights.get(w, 0.0) for w, n in counts.items()}

    va, vb = vector(a), vector(b)
    dot = sum(x * vb.get(w, 0.0) for w, x in va.items())
    norm = math.sqrt(sum(x * x for x in va.values())) * math.sqrt(sum(x * x for x in vb.values()))
    return dot / norm if norm else 0.0


def shared_names(a: dict, b: dict, countries: set[str]) -> set[str]:
    """Names both articles give, countries left out (sharing one says little about an event)."""
    def names(entities):
        return {n for values in (entities or {}).values() for n in values if n not in countries}
    return names(a.get("entities")) & names(b.get("entities"))


def related_score(article: dict, other: dict, countries: set[str], idf) -> tuple[float, bool]:
    """(TF-IDF cosine of the two texts, whether they report the same event): the texts must be
    close and at least MIN_SHARED_NAMES names (people, organisations, places other than countries)
    shared — a same-beat story shares words but rarely the same people and places."""
    score = cosine(term_counts(article.get("text") or ""), term_counts(other.get("text") or ""), idf)
    return score, score >= RELATED_MIN and len(shared_names(article, other, countries)) >= MIN_SHARED_NAMES


def candidates_query(article: dict, since, until) -> SearchQuery | None:
    """Articles naming any of this one's people and organisations (or, without any, sharing its
    title's words) within the window, other outlets' included, copies left out."""
    entities = article.get("entities") or {}
    names = [n for kind in ("person", "org") for n in entities.get(kind, [])][:12]
    names = [re.sub(r'["\\\\():^~*?+\-!{}\[\]]', " ", n).strip() for n in names]
    terms = [f'"{n}"' for n in names if n]
    if not terms:
        terms = sorted(words(article.get("title")))[:8]
    if not terms:
        return None
    return SearchQuery(q=" OR ".join(terms), since=since, until=until, size=20, facets=())
