"""Story clusters: copies point at the earliest published original and share its story; related
reports of the same event on other outlets join the story. `story_id` is the id of the article
that started the cluster, and stays so when an earlier report turns up later; a lone article's is
its own id.

`StoryLinker` runs on the crawl service's serial thread only (crawler/serial.py): every dedupe
decision is taken there, one article at a time in arrival order, so two copies of one crawl (or
of two crawls running at once) always see each other — an article counts from the moment its
decision is taken (it is then in the in-flight table, crawler/stories/in_flight.py), not only
once it is committed. The pipeline's later stages read an article's story fields afresh
(`current`): another article's decision may have changed them meanwhile."""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from core.dates import stored_date
from crawler.config.outlets import OutletsInUse
from crawler.stories.in_flight import InFlight
from crawler.stories.provenance import Citations
from index.analysis import ANALYSERS
from index.query import SearchQuery

logger = logging.getLogger(__name__)

WORD = re.compile(r"[^\W\d_]{3,}")
STOP = set("""the and for that with from this have has had was were are but not you your they their them his her its
our who what when where which while will would could should said says after before into over under about than then
there these those been being also more most other some such only just like new one two three year years day days
week weeks month months time people according told report reported""".split())
RELATED_MIN = 0.25  # TF-IDF cosine of two reports of one event (see related_score)
MIN_SHARED_NAMES = 3
# The score of two reports halves with every HALF_LIFE_DAYS between them: follow-ups days later
# still join, while the bar for a same-day pair stays where it was.
HALF_LIFE_DAYS = 20.0
# A report that names an outlet as its source, and that outlet's report of the event: the
# citation is evidence of its own, so the texts need only be this close (and share
# CITED_SHARED_NAMES names).
CITED_MIN = 0.12
CITED_SHARED_NAMES = 2
# Reports in two languages share no words, only canonical names (the Korean name tables give
# Korean reports English canonical names) and their dates: related when at least
# MIN_SHARED_NAMES specific names are shared and they are CROSS_LANGUAGE_MIN of the shorter list
# of specific names the two could share (see cross_language_share), the share halving with every
# CROSS_LANGUAGE_HALF_LIFE_DAYS between them — with no text to tell two events of one beat
# apart, the dates must be close.
CROSS_LANGUAGE_MIN = 0.5
CROSS_LANGUAGE_HALF_LIFE_DAYS = 2.0
CROSS_LANGUAGE_NAMES = 8  # names whose reports are looked up by entity, for reports in other languages
# The share is of the shorter list, counted up to this many names: a long list's further names
# are background (a source's town, an official quoted), not evidence of another event.
CROSS_LANGUAGE_CORE_NAMES = 5
# Places above country level say as little about an event as a country does.
CONTINENTS = {"Africa", "Antarctica", "Asia", "Europe", "North America", "Oceania", "South America", "Middle East",
              "East Asia", "Southeast Asia", "Central Asia", "Eastern Europe", "Western Europe", "Latin America"}
# A name in a non-Latin script (a Korean name the tables do not know, kept in Hangul) has no
# counterpart among another language's canonical names.
NON_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def earlier(a: dict, b: dict) -> bool:
    """`a` was published before `b`. At the same publication time (a wire copy often keeps the
    original's), the one crawled first stays first — a story's original does not change on no
    evidence — and within the same second, the id decides, so that the outcome is the same
    whatever the order in which one crawl's items arrive."""
    def order(article):
        return article.get("published_at") or "", article.get("crawled_at") or "", article["id"]
    return order(a) < order(b)


# What other articles' decisions change on an article in flight.
STORY_FIELDS = ("duplicate_of", "story_id", "duplicate_count", "cites", "cited_by")


class StoryLinker:
    def __init__(self, state, dedupe, in_flight: InFlight, backend, writer, countries: set[str],
                 related_window_days: int, outlets: OutletsInUse):
        self.state = state
        self.dedupe = dedupe
        self.in_flight = in_flight
        self.backend = backend
        self.writer = writer
        self.countries = countries
        self.related_window = timedelta(days=related_window_days)
        self.outlets = outlets  # the outlets in use (they change on reload): whose names are cited
        self._citations: tuple[dict, Citations] | None = None

    def citations(self) -> Citations:
        current = self.outlets.current()
        if self._citations is None or self._citations[0] is not current:
            self._citations = (current, Citations.for_outlets(current))
        return self._citations[1]

    # --- reading and rewriting other articles ---
    def article_now(self, article_id: str) -> dict | None:
        """The newest version of an article: in flight, waiting for the writer's next commit, else the index's."""
        held = self.in_flight.get(article_id)
        if held is not None:
            return held
        pending = self.writer.pending(article_id)
        return dict(pending) if pending is not None else self.backend.get(article_id)

    def current(self, article: dict) -> dict:
        """`article` (a stage's, in flight) with its story fields as they stand now."""
        held = self.in_flight.get(article["id"])
        if held is not None:
            article.update({name: held.get(name) for name in STORY_FIELDS})
        return article

    def update_article(self, article: dict) -> None:
        """Rewrites an article whose story links changed. One in flight is rewritten in the
        in-flight table (its stages see the change); once stored, and for any other, the writer
        writes it."""
        stored = self.in_flight.save(article)
        if stored is None or stored:
            self.writer.add(article, [], None)

    def stored(self, article: dict) -> None:
        """The store stage hands the article to the writer."""
        self.in_flight.stored(article)

    def known(self, article_id: str) -> bool:
        return (self.in_flight.holds(article_id) or self.writer.pending(article_id) is not None
                or self.state.article(article_id) is not None)

    def forget(self, article_id: str) -> None:
        """The article's page failed or was dropped: its decision is void."""
        self.in_flight.release([article_id])

    # --- copies ---
    def deduplicate(self, article: dict, fp) -> None:
        """Links the article to its original when it is a copy (exact, or near by MinHash); from
        then on it is in flight."""
        if article["revision"] > 1:
            # An update of an article already in a story keeps its place in it.
            current = self.article_now(article["id"]) or {}
            for name in ("duplicate_of", "story_id", "duplicate_count", "topics", "cites", "cited_by"):
                if current.get(name) is not None:
                    article[name] = current[name]
        exact = (self.state.article_by_hash(article["content_hash"], article["id"])
                 or self.in_flight.by_hash(article["content_hash"], article["id"]))
        matches = [] if exact else [m for m in self.dedupe.find(article["id"], fp) if self.known(m.id)]
        self.dedupe.add(article["id"], fp)
        if article["revision"] == 1 and (exact or matches):
            self.link_copy(article, exact or matches[0].id, 1.0 if exact else matches[0].score)
        self.in_flight.hold(article)

    def link_copy(self, article: dict, original_id: str, score: float) -> None:
        """`article` copies the story of `original_id` (an original or one of its copies)."""
        target = self.article_now(original_id)
        if target is None:
            return
        original = self.article_now(target["duplicate_of"]) if target.get("duplicate_of") else target
        if original is None:
            return
        # A story keeps its id whoever turns out to be its first report, so that its related
        # reports never need rewriting.
        story = original.get("story_id") or original["id"]
        if earlier(article, original):
            # An earlier copy found later: it becomes the original of the whole story.
            self.state.move_copies(original["id"], article["id"], score)
            for copy_id, _ in self.state.copies_of(article["id"]):
                member = original if copy_id == original["id"] else self.article_now(copy_id)
                if member is not None:
                    member.update(duplicate_of=article["id"], story_id=story, duplicate_count=0)
                    self.update_article(member)
            article.update(duplicate_of=None, story_id=story, duplicate_count=len(self.state.copies_of(article["id"])))
        else:
            self.state.link(article["id"], original["id"], "duplicate", score)
            article.update(duplicate_of=original["id"], story_id=story, duplicate_count=0)
            original["duplicate_count"] = len(self.state.copies_of(original["id"]))
            self.update_article(original)

    def _move_story(self, root: dict, story_id: str) -> None:
        """`root` (an original) and its copies join another story."""
        for member_id in [root["id"], *(c for c, _ in self.state.copies_of(root["id"]))]:
            member = root if member_id == root["id"] else self.article_now(member_id)
            if member is not None and member.get("story_id") != story_id:
                member["story_id"] = story_id
                self.update_article(member)

    # --- related reports and citations ---
    def relate(self, article: dict) -> list[tuple[str, float]]:
        """Links an original to other outlets' reports of the same event within the window, and
        to the reports of the outlets it names as its source; the reports join the earliest one's
        story. Returns the links made."""
        self.current(article)
        if article.get("duplicate_of") or not article.get("published_at"):
            return []
        counts = term_counts(article["text"], article.get("language"))
        self.state.count_terms(set(counts))
        when = stored_date(article["published_at"])
        query = candidates_query(article, when - self.related_window, when + self.related_window)
        if query is None:
            return []
        cited = self.citations().cited(article.get("text"), other_than=article["outlet"])
        hits = self.backend.search(query)["hits"]
        languages = {o.language for o in self.outlets.current().values() if o.language} - {article.get("language")}
        for language in sorted(languages):
            # Reports in other languages name the same people and places in other words (looked
            # for only where the outlets polled are in more than this article's language).
            for entity in entity_candidates(article, self.countries):
                hits += self.backend.search(replace(query, q="", entities=(entity,), language=language,
                                                    size=10))["hits"]
        if cited:
            # The cited outlet's report may rank below 20 same-beat hits: look among its own.
            hits += self.backend.search(replace(query, outlets=tuple(sorted(cited)), until=when))["hits"]
        related, links, seen = [], [], set()
        best_cited: dict[str, tuple[float, dict]] = {}
        for hit in hits:
            if hit["outlet"] == article["outlet"] or hit["id"] == article["id"] or hit["id"] in seen:
                continue
            seen.add(hit["id"])
            other = self.article_now(hit["id"])
            if other is None or other.get("duplicate_of"):
                continue
            gap = abs((when - stored_date(other["published_at"])).total_seconds()) / 86400
            score, is_related = related_score(article, other, self.countries, self.state.idf, gap, counts)
            if other["outlet"] in cited and earlier(other, article) and cites(article, other, self.countries, score):
                if score > best_cited.get(other["outlet"], (-1.0, None))[0]:
                    best_cited[other["outlet"]] = (score, other)
            if is_related:
                self.state.link(article["id"], other["id"], "related", score)
                related.append(other)
                links.append((other["id"], score))
        for score, source in best_cited.values():
            self.link_citation(article, source, score)
            if all(other["id"] != source["id"] for other in related):
                self.state.link(article["id"], source["id"], "related", score)
                related.append(source)
                links.append((source["id"], score))
        if not related:
            return links
        # The new report joins the story of the earliest report it relates to; reports of other
        # stories it relates to (and their copies) join that story too.
        first = min(related, key=lambda a: (a.get("published_at") or "", a.get("crawled_at") or "", a["id"]))
        story = first["story_id"] or first["id"]
        self._move_story(article, story)
        for other in related:
            if other["story_id"] != story:
                self._move_story(other, story)
        self.in_flight.save(article)  # its own links (`cites`, the story) as they now stand
        return links

    def link_citation(self, article: dict, source: dict, score: float) -> None:
        """`article` names `source`'s outlet as its source and reports what `source` reported."""
        self.state.link(article["id"], source["id"], "cites", score)
        article["cites"] = sorted({*article.get("cites", []), source["id"]})
        source["cited_by"] = sorted({*source.get("cited_by", []), article["id"]})
        self.update_article(source)


def words(*texts: str | None) -> set[str]:
    return {w for text in texts if text for w in WORD.findall(text.lower()) if w not in STOP}


def term_counts(text: str, language: str | None = None) -> Counter:
    analyser = ANALYSERS.get(language or "")
    if analyser is not None:  # Korean words carry particles: count their content morphemes
        return Counter(t for t in analyser.terms(text) if len(t) >= 2 and not t.isdigit())
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
    return names_of(a, countries) & names_of(b, countries)


def related_score(article: dict, other: dict, countries: set[str], idf, gap_days: float = 0.0,
                  counts: Counter | None = None) -> tuple[float, bool]:
    """(TF-IDF cosine of the two texts, decayed by the days between them; whether they report the
    same event): the texts must be close and at least MIN_SHARED_NAMES names (people,
    organisations, places other than countries) shared — a same-beat story shares words but
    rarely the same people and places."""
    shared = shared_names(article, other, countries)
    if other_languages(article, other):
        shared_count, share = cross_language_share(article, other, countries)
        score = share * 0.5 ** (gap_days / CROSS_LANGUAGE_HALF_LIFE_DAYS)
        return score, score >= CROSS_LANGUAGE_MIN and shared_count >= MIN_SHARED_NAMES
    if counts is None:  # the article's term counts, when the caller has not made them already
        counts = term_counts(article.get("text") or "", article.get("language"))
    score = cosine(counts, term_counts(other.get("text") or "", other.get("language")), idf)
    score *= 0.5 ** (gap_days / HALF_LIFE_DAYS)
    return score, score >= RELATED_MIN and len(shared) >= MIN_SHARED_NAMES


def other_languages(a: dict, b: dict) -> bool:
    return bool(a.get("language") and b.get("language") and a["language"] != b["language"])


def names_of(article: dict, countries: set[str]) -> set[str]:
    """The article's specific names: people, organisations, places below country level."""
    return {n for values in (article.get("entities") or {}).values() for n in values
            if n not in countries and n not in CONTINENTS}


def comparable_names(article: dict, countries: set[str]) -> set[str]:
    """The specific names a report in another language could give too: in the canonical (Latin)
    script."""
    return {n for n in names_of(article, countries) if not NON_LATIN.search(n)}


def cross_language_share(article: dict, other: dict, countries: set[str]) -> tuple[int, float]:
    """(specific names shared, their share of the shorter of the two lists of comparable
    specific names, counted up to CROSS_LANGUAGE_CORE_NAMES). The lists differ in length for
    reasons other than the event: a Korean report's names the tables do not know stay in Hangul,
    and the English tagger finds every name a report gives where the Korean tables know some;
    only the names both sides could give are counted, countries and continents left out."""
    mine, theirs = comparable_names(article, countries), comparable_names(other, countries)
    shared = len(mine & theirs)
    return shared, shared / (min(len(mine), len(theirs), CROSS_LANGUAGE_CORE_NAMES) or 1)


def entity_candidates(article: dict, countries: set[str]) -> list[tuple[str, str]]:
    """The article's first few people, organisations and places below country level (in the
    canonical script), for finding reports of it in other languages by their tagged names."""
    entities = article.get("entities") or {}
    comparable = comparable_names(article, countries)
    found = [(kind, name) for kind in ("person", "org", "place") for name in entities.get(kind, [])
             if name in comparable]
    return found[:CROSS_LANGUAGE_NAMES]


def cites(article: dict, source: dict, countries: set[str], score: float) -> bool:
    """Whether `source` is the report `article` attributes its facts to, given that `article`
    names `source`'s outlet: close enough texts, and names in common."""
    return score >= CITED_MIN and len(shared_names(article, source, countries)) >= CITED_SHARED_NAMES


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
