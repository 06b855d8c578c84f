"""Entities of Korean text, in the canonical forms English reports get (김정은 -> Kim Jong Un).

There is no Korean NER model worth shipping (spaCy's ko pipelines on PyPI are empty stubs), so
the tagger works from two sources: the name tables' Korean forms (crawler/entities/data/
names_ko.toml), matched as morpheme sequences so a particle after a name does not hide it; and
the proper nouns the morphological analyser finds that the tables do not know, typed by the
word that follows them (a title, a place or organisation suffix: `[korean_context]`), and kept
in Hangul. A proper noun with nothing to type it is left out rather than guessed."""
from __future__ import annotations

from functools import lru_cache

from core.article import ENTITY_TYPES
from crawler.entities.names import NameTable
from index.analysis import HANGUL, korean_morphemes, korean_tokens

MAX_CHARS = 100_000
VERSION = "ko_names-1"  # the entities_model of Korean articles: bump when the rules change


class KoreanTagger:
    def __init__(self, names: NameTable):
        self.names = names
        self.forms: dict[tuple[str, ...], tuple[str, str]] = {}
        for kind in ENTITY_TYPES:
            for alias, canonical in names.aliases[kind].items():
                if HANGUL.search(alias):
                    key = tuple(korean_morphemes(alias))
                    if key:
                        self.forms[key] = (names.kind_of(canonical) or kind, canonical)
        self.longest = max((len(key) for key in self.forms), default=1)
        context = names.korean_context
        self.person_titles = set(context.get("person_titles", []))
        self.place_suffixes = set(context.get("place_suffixes", []))
        self.org_suffixes = set(context.get("org_suffixes", []))

    def tag(self, text: str, title: str | None = None) -> tuple[dict, str]:
        body = f"{title}\n\n{text}" if title else text
        tokens = korean_tokens(body[:MAX_CHARS])
        found: dict[str, list[str]] = {kind: [] for kind in ENTITY_TYPES}
        terms = [term for term, _, _ in tokens]
        i = 0
        while i < len(tokens):
            for length in range(min(self.longest, len(tokens) - i), 0, -1):
                known = self.forms.get(tuple(terms[i:i + length]))
                if known is not None:
                    kind, name = known
                    found[kind].append(name)
                    i += length
                    break
            else:
                term, tag, _ = tokens[i]
                if tag == "NNP" and HANGUL.search(term) and len(term) >= 2:
                    following = tokens[i + 1][0] if i + 1 < len(tokens) else None
                    kind = self._kind_by_context(term, following)
                    if kind is not None:
                        found[kind].append(term)
                i += 1
        return {kind: list(dict.fromkeys(found[kind])) for kind in ENTITY_TYPES}, VERSION

    def _kind_by_context(self, term: str, following: str | None) -> str | None:
        if following in self.person_titles:
            return "person"
        if following in self.org_suffixes:
            return "org"
        if following in self.place_suffixes:
            return "place"
        # A proper noun that carries an organisation's suffix in one morpheme (국방성); place
        # suffixes (혜산시) the analyser has already split off (index.analysis.PLACE_SUFFIXES).
        if len(term) >= 3 and any(term.endswith(s) for s in self.org_suffixes if len(s) >= 2 or s in "성청당"):
            return "org"
        return None


@lru_cache(maxsize=4)
def korean_tagger(names: NameTable) -> KoreanTagger:
    return KoreanTagger(names)
