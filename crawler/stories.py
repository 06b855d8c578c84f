"""Story clusters: copies point at the earliest published original and share its story; related
reports of the same event on other outlets join the story. `story_id` is the id of the story's
first article; a lone article's is its own id."""
from __future__ import annotations

import re

from index.query import SearchQuery

WORD = re.compile(r"[^\W\d_]{3,}")
STOP = set("""the and for that with from this have has had was were are but not you your they their them his her its
our who what when where which while will would could should said says after before into over under about than then
there these those been being also more most other some such only just like new one two three year years day days
week weeks month months time people according told report reported""".split())
RELATED_MIN = 0.35  # score of a related report (0..1): shared names and words, see related_score
ENTITY_WEIGHT = 0.6
COUNTRY_WEIGHT = 0.25  # a shared country says little about a shared event


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


def related_score(article: dict, other: dict, countries: set[str]) -> float:
    """0..1: weighted overlap of the names both articles give (countries count little), blended
    with the overlap of the words of their titles and descriptions."""
    def names(a):
        return {(k, n) for k, values in (a.get("entities") or {}).items() for n in values}

    mine, theirs = names(article), names(other)
    weight = {name: (COUNTRY_WEIGHT if name[1] in countries else 1.0) for name in mine | theirs}
    union = sum(weight[n] for n in mine | theirs)
    entity_overlap = sum(weight[n] for n in mine & theirs) / union if union else 0.0
    lead = " ".join((article.get("text") or "").split()[:80])
    a_words = words(article.get("title"), article.get("description"), lead)
    b_words = words(other.get("title"), other.get("description"), other.get("snippet"))
    word_overlap = len(a_words & b_words) / len(a_words | b_words) if a_words | b_words else 0.0
    return ENTITY_WEIGHT * entity_overlap + (1 - ENTITY_WEIGHT) * word_overlap


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
