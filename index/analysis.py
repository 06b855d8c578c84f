"""Text analysis per language for the embedded index: the languages whose words a whitespace
and stemming tokenizer cannot find, each with an analyser that turns text into searchable terms.

ANALYSERS is the table (language -> analyser). An article in one of its languages gets, beside
the usual fields, `<field>_<language>` fields holding the analyser's terms joined by spaces
(tokenized by whitespace); a query's words in the analyser's script are rewritten into the same
terms. Another language (Japanese, Chinese) is one more entry of the same shape.

Korean: mecab-ko with mecab-ko-dic (python-mecab-ko). Korean attaches particles and endings to
words (북한이, 북한은; 발사했다): the terms are the content morphemes — nouns, numbers, foreign
words, verb and adjective stems — without particles, endings and suffixes, so a word matches
whatever particle follows, and a compound (북한당국) is its dictionary parts (북한 당국) in
order, so a phrase matches across both spellings. Why mecab-ko over kiwipiepy and lindera:
docs/decisions.md (issue 12)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from index.query_syntax import or_operators

ANALYSED_FIELDS = ("title", "description", "text")


@lru_cache(maxsize=1)
def _mecab():
    import mecab  # python-mecab-ko; its dictionary is the python-mecab-ko-dic package

    return mecab.MeCab()


# Morpheme tags (Sejong tag set, as mecab-ko-dic writes them) that carry meaning: general and
# proper nouns, dependent and unit nouns (the dictionary tags 군 of 북한군의 as one, 23일),
# numerals, roots, foreign words, numbers, Chinese characters, noun-forming suffixes (외무상 =
# 외무 + 상). Particles (J*), endings (E*), verb-forming suffixes (했 = XSV+EP), adverbs and
# symbols are not searched for.
CONTENT_TAGS = {"NNG", "NNP", "NNB", "NNBC", "NR", "XR", "SL", "SN", "SH", "XSN"}
STEM_TAGS = {"VV", "VA"}  # verbs and adjectives: their stem (숨진, 숨졌다 -> 숨지)
NOISE_SUFFIXES = {"들", "적", "님"}  # plural and adjectival suffixes: 군인들 is 군인 for a search
# A place the dictionary does not know comes out as one proper noun with its suffix (청진시,
# 혜산시, 청진항): split off, so 청진 finds it, as the dictionary splits 쿠르스크주 itself.
PLACE_SUFFIXES = "시도군항주"


def korean_morphemes(text: str) -> list[str]:
    """The content morphemes of Korean text, in order, Latin letters lower-cased."""
    return [term for term, _, _ in korean_tokens(text)]


def korean_tokens(text: str) -> list[tuple[str, str, int]]:
    """(content morpheme, its tag, where it starts in `text`) for each content morpheme."""
    if not text or not text.strip():
        return []
    terms = []
    for morpheme in _mecab().parse(text):
        feature = morpheme.feature
        tag = feature.pos
        first = feature.start_pos or tag.split("+", 1)[0]
        if tag in CONTENT_TAGS:
            surface = morpheme.surface
            if tag == "XSN" and surface in NOISE_SUFFIXES:
                continue
            if tag == "NNP" and len(surface) >= 3 and surface[-1] in PLACE_SUFFIXES:
                terms.append((surface[:-1], tag, morpheme.span.start))
                terms.append((surface[-1], "XSN", morpheme.span.start + len(surface) - 1))
                continue
            terms.append((surface.lower(), tag, morpheme.span.start))
        elif first in STEM_TAGS:
            # An inflected form ("숨진" = 숨지/VV + ᆫ/ETM): the stem is the expression's first part.
            stem = feature.expression.split("/", 1)[0] if feature.expression else morpheme.surface
            terms.append((stem, first, morpheme.span.start))
    return terms


@dataclass(frozen=True)
class Analyser:
    language: str
    script: re.Pattern          # a word with any character of this is analysed at query time
    terms: Callable[[str], list[str]]

    def field_text(self, text: str) -> str:
        return " ".join(self.terms(text))


HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")  # syllables and jamo
ANALYSERS: dict[str, Analyser] = {
    "ko": Analyser("ko", HANGUL, korean_morphemes),
}


def analysed_field_values(item: dict) -> dict[str, str]:
    """The analysed twins of an item's fields: by its language, or — for a feed item, whose
    language is not known yet — by the script of its title."""
    analyser = ANALYSERS.get(item.get("language") or "")
    if analyser is None and not item.get("language"):
        analyser = _analyser_for(item.get("title") or "")
    if analyser is None:
        return {}
    return {f"{name}_{analyser.language}": analyser.field_text(item[name])
            for name in ANALYSED_FIELDS if item.get(name)}


def all_analysed_fields() -> list[str]:
    return [f"{name}_{language}" for language in ANALYSERS for name in ANALYSED_FIELDS]


# The query language's pieces: a quoted phrase, a field prefix, or a bare word (anything up to
# white space, a parenthesis or a quote). Operators and everything else pass through.
QUERY_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"|(?P<field>\b[A-Za-z_]+:)?(?P<word>[^\s()"]+)')


def _analyser_for(text: str) -> Analyser | None:
    return next((a for a in ANALYSERS.values() if a.script.search(text)), None)


def rewrite_query(q: str, analyse: bool = True) -> str:
    """`q` with its words in an analysed script replaced by the analyser's terms: a word of one
    term is that term, of several the phrase of them ("북한당국" -> "북한 당국"); a quoted phrase
    is analysed whole. A word prefixed by an analysed field (title:북한이) searches that field's
    analysed twin too. Words in other scripts, operators and syntax are left as they are.
    `analyse=False` (Elasticsearch, which analyses each field itself) only adds the twins. A
    lower-case `or` between terms is the operator OR here, for every reader of the syntax (search,
    topics, outlet filters, both backends)."""
    def replace(match: re.Match) -> str:
        phrase, word, field = match.group("phrase"), match.group("word"), match.group("field")
        analyser = _analyser_for(phrase if phrase is not None else word)
        if analyser is None or (field and field[:-1] not in ANALYSED_FIELDS) or (not analyse and not field):
            return match.group(0)
        if phrase is not None:
            terms = analyser.terms(phrase)
            return f'"{" ".join(terms)}"' if terms else match.group(0)
        leading = re.match(r"^[+\-]*", word).group(0)  # +must / -must-not
        word = word[len(leading):]
        terms = analyser.terms(word) if analyse else [word]
        if not terms:
            return match.group(0)
        analysed = terms[0] if len(terms) == 1 else f'"{" ".join(terms)}"'
        if field:
            return f"{leading}({field}{word} OR {field[:-1]}_{analyser.language}:{analysed})"
        return leading + analysed
    return QUERY_TOKEN.sub(replace, or_operators(q))


def query_terms(q: str) -> list[str]:
    """The analysed terms of a query's words in analysed scripts (for snippets)."""
    terms = []
    for match in QUERY_TOKEN.finditer(q):
        piece = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        analyser = _analyser_for(piece or "")
        if analyser is not None:
            terms += analyser.terms(piece)
    return terms


def snippet(text: str, terms: list[str], chars: int) -> str:
    """The passage of `text` around the first of `terms` it contains (for analysed languages,
    where the engine's snippets see only the analysed terms)."""
    if not text:
        return ""
    positions = [text.find(t) for t in terms if t]
    positions = [p for p in positions if p >= 0]
    if not positions:
        return ""
    at = min(positions)
    start = max(0, at - chars // 3)
    # Start at a sentence or word boundary, not inside a word.
    boundary = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at))
    if boundary >= start:
        start = boundary + 1
    elif start:
        space = text.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    return " ".join(text[start:start + chars].split())
