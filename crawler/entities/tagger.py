"""The entity stage's tagger: spaCy NER (a model per language, NEWSWATCH_NER_MODELS) plus the
name tables of crawler/entities/names.py; Korean by crawler.entities.korean (name tables and the
morphological analyser). An article in another language with no model gets no entities and
`entities_model` None rather than the English model's guesses."""
from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from core.article import ENTITY_TYPES, empty_entities
from crawler.entities import korean
from crawler.entities.models import load_pipeline
from crawler.entities.names import NameTable, clean
from crawler.entities.resolve import resolve
from crawler.entities.rules import (NAME_PARTICLES, ORG_HEADS, PLACE_HEADS, Mention, not_an_organisation, trim_person,
                                    trim_span, type_of, verb_inside)
from crawler.entities.ruleset import ALL, RuleSet
from crawler.entities.spans import joined_spans, unseen_nations, unseen_regions, unseen_streets
from crawler.entities.units import analysed_units, defined_abbreviations, owned_ministries, spelled
from crawler.gazetteer import is_region, place, warm as warm_gazetteer
from index.analysis import HANGUL

MODEL_TYPES = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place"}
MAX_CHARS = 100_000  # spaCy's memory grows with the text: longer bodies are tagged in their opening


class OutletNames(NamedTuple):
    """The names of an article's outlet (its name and aliases) and of the other configured outlets."""
    own: tuple[str, ...] = ()
    others: tuple[str, ...] = ()


class Piece(NamedTuple):
    """The part of a model's span within one unit, positioned in the unit's text."""
    text: str
    label_: str
    start_char: int
    end_char: int


# The places the model did not see as names, looked for after its spans (crawler/entities/spans.py).
UNSEEN = {"unseen_nations": unseen_nations, "unseen_regions": unseen_regions, "unseen_streets": unseen_streets}
STAGE_VERSION = "rules-7"  # recorded in entities_model with the model's: bump when the rules change


class EntityTagger:
    def __init__(self, models: dict[str, str], names: NameTable, rules: RuleSet = ALL):
        """`rules`: the rules that run (all: what the stage is; bench/cv_entities.py switches them)."""
        self.models = models
        self.names = names
        self.rules = rules
        self._pipelines: dict[str, tuple] = {}

    def _pipeline(self, language: str):
        # spaCy is imported here, not at module level: settings validation imports this module
        # and should not pay half a second for a library it does not use.
        import spacy
        from spacy.matcher import PhraseMatcher

        if language not in self._pipelines:
            nlp = load_pipeline(self.models[language], language)
            matcher = PhraseMatcher(nlp.vocab)
            for phrase, kind in self.names.phrases().items():
                if HANGUL.search(phrase):
                    continue  # the Korean forms are the Korean tagger's
                # Known names as written in the tables (case-sensitive: "US" is not "us").
                # As written too ("DoorDash"), but not a form that holds its owner ("South Korea's
                # National Intelligence Service"): the owner is a name of its own.
                written = {w for w in self.names.written.get(phrase, ()) if "'s " not in w and "’s " not in w}
                # An acronym is not matched in title case: "Us", "Who" and "Un" open sentences.
                acronym = any(w.isupper() and " " not in w for w in self.names.written.get(phrase, ()))
                forms = {phrase, phrase.upper(), *written} | (set() if acronym else {phrase.title()})
                # With the typographic apostrophe too, as most news text writes it ("Lowe’s").
                for form in forms | {f.replace("'", "’") for f in forms}:
                    matcher.add(kind, [nlp.make_doc(form)])
            label = f"{nlp.meta['lang']}_{nlp.meta['name']}-{nlp.meta['version']}+{STAGE_VERSION}"
            warm_gazetteer()  # with the model, once per worker: not in the first article's time
            self._pipelines[language] = (nlp, matcher, label)
        return self._pipelines[language]

    def tag(self, text: str, title: str | None = None, language: str | None = None,
            outlets: "OutletNames | None" = None) -> tuple[dict, str | None]:
        """`outlets`: the article's own outlet's names (not entities of its own articles: a
        report does not name its publisher, the page's furniture does) and every other configured
        outlet's (never places, whatever a model says of "WorldWire")."""
        if language == "ko" and language not in self.models:
            found, label = korean.korean_tagger(self.names).tag(text, title)
        elif language not in self.models:
            return empty_entities(), None
        else:
            found, label = self._tag_with_model(text, title, language)
        return self._without_outlets(found, outlets) if outlets else found, label

    def _without_outlets(self, found: dict, outlets: "OutletNames") -> dict:
        def forms(names):
            return {form.lower() for name in names for form in (name, *(self.names.canonical(kind, name)
                                                                       for kind in ENTITY_TYPES))}
        own, anyone = forms(outlets.own), forms(outlets.own + outlets.others)
        kept = {kind: [n for n in names if n.lower() not in own] for kind, names in found.items()}
        moved = [n for n in kept["place"] if n.lower() in anyone]
        kept["place"] = [n for n in kept["place"] if n not in moved]
        kept["org"] = list(dict.fromkeys(kept["org"] + moved))
        return kept

    def _tag_with_model(self, text: str, title: str | None, language: str) -> tuple[dict, str]:
        from spacy.util import filter_spans

        nlp, matcher, label = self._pipeline(language)
        rules = self.rules
        units = analysed_units(text[:MAX_CHARS], title, rules)
        prose = "\n".join(u.text for u in units if not u.heading)
        defined = defined_abbreviations(prose) if rules.on("defined_abbreviations") else {}
        mentions: list[Mention] = [Mention(self.names.canonical("place", name), "place", None, known=True)
                                   for u in units for name in u.places]
        if rules.on("owned_ministries"):
            mentions += owned_ministries(prose, self.names)
        # One pass of the model over the units joined by blank lines (a pass per paragraph costs a
        # third more); a name the model runs across a break is cut there: no name spans two units.
        joined, starts = "", []
        for unit in units:
            starts.append(len(joined))
            joined += unit.text + "\n\n"
        doc = self.parse(nlp, joined)
        spans = [ent for ent in joined_spans(doc, rules) if ent.label_ in MODEL_TYPES]
        known = [doc[start:end] for _, start, end in matcher(doc)] if rules.on("known_names") else []
        named: set[int] = set()  # the tokens of spans that gave a name
        for span in filter_spans(known + spans):  # longest wins; a known name over a model span
            # From the unit the span starts in (by bisection: a scan of all units per span cost
            # spans times paragraphs).
            for number in range(max(0, bisect.bisect_right(starts, span.start_char) - 1), len(units)):
                unit = units[number]
                begin, end = starts[number], starts[number] + len(unit.text)
                if begin >= span.end_char:
                    break
                if span.start_char >= end or span.end_char <= begin:
                    continue
                piece = Piece(unit.text[max(span.start_char, begin) - begin:min(span.end_char, end) - begin],
                              span.label_, max(span.start_char, begin) - begin, min(span.end_char, end) - begin)
                for mention in self._mentions(piece, unit.text, defined):
                    named.update(range(span.start, span.end))
                    # A heading's name counts when it is known or the prose names it too (the
                    # title case of headings makes every word look like a name).
                    if not unit.heading or self.names.kind_of(mention.name) or mention.name in prose or \
                            is_region(mention.name):
                        mentions.append(mention)
        mentions += [m for name, find in UNSEEN.items() if rules.on(name) for m in find(doc, named, self.names)]
        return resolve(mentions, prose, self.names, rules), label

    def parse(self, nlp, text: str):
        """The model's Doc of `text` (bench/cv_entities.py reads it from a cache instead, so that
        rule experiments do not re-run the model)."""
        return nlp(text)

    def _mentions(self, span, written: str, defined: dict) -> list[Mention]:
        # "U.S.-Mexico": two places joined by a hyphen.
        on = self.rules.on
        parts = span.text.split("-")
        if on("hyphen_places") and len(parts) == 2 and span.label_ in ("GPE", "LOC", "NORP", "ORG") and all(
                self.names.kind_of(p) == "place" or place(p) for p in parts):
            return [Mention(self.names.canonical("place", spelled(p)), "place", "place", known=True) for p in parts]
        # "Wrap and Deadline": two one-word names the model ran together at "and".
        pair = re.fullmatch(r"(?:the |The )?([A-Z][\w'’.-]+) and ([A-Z][\w'’.-]+)", span.text)
        if on("and_pair") and span.label_ == "ORG" and pair and not self.names.kind_of(span.text) and not any(
                w.lower() in ORG_HEADS for w in pair.groups()):
            return [m for part in pair.groups() for m in self._mentions(Piece(
                part, "ORG", span.start_char + span.text.index(part),
                span.start_char + span.text.index(part) + len(part)), written, defined)]
        first, _, rest = span.text.partition(" ")
        # The sentence's start is read in the four characters before the span (what the pattern can
        # match): searched over all the text before it, a paragraph of such spans cost its length squared.
        if on("sentence_start") and span.label_ == "ORG" and self.names.kind_of(rest) == "org" and \
                not self.names.kind_of(first) and \
                re.search(r"(?:^|[.!?][\"”’]?\s)$", written[max(0, span.start_char - 4):span.start_char]):
            # "Key Security Council powers": a sentence's capitalised first word before a known name.
            return [Mention(self.names.canonical("org", rest), "org", "org", known=True)]
        if on("maker_product") and span.label_ == "ORG":
            parts = self._maker_and_product(span.text)
            if parts:
                return [Mention(name, "org", "org", known=True) for name in parts]
        mention = self._mention(span, written, defined)
        return [mention] if mention is not None else []

    def _maker_and_product(self, text: str) -> list[str]:
        """A known organisation's name followed by more capitalised words: another known
        organisation ("White House" + "National Security Council"): both; words that name no body
        (no organisation's or facility's head, no place): a product or a unit of the maker ("Apple CarPlay",
        "Amazon Alexa"), and products are no entities: the maker alone. [] otherwise."""
        words = text.split()
        words = words[1:] if words[:1] in (["the"], ["The"]) else words
        text = " ".join(words)
        for cut in range(len(words) - 1, 0, -1):
            maker, rest = " ".join(words[:cut]), " ".join(words[cut:])
            if self.names.kind_of(maker) != "org" or self.names.kind_of(text):
                continue
            if self.names.kind_of(rest) == "org":
                return [self.names.canonical("org", maker), self.names.canonical("org", rest)]
            if all(w[:1].isupper() for w in words[cut:]) and not any(
                    w.lower().strip(".,") in ORG_HEADS | PLACE_HEADS for w in words[cut:]) and not place(rest) and \
                    not self.names.kind_of(rest):
                return [self.names.canonical("org", maker)]
            return []
        return []

    def _mention(self, span, written: str, defined: dict) -> "Mention | None":
        rules, on = self.rules, self.rules.on
        text = defined.get(span.text, span.text)
        end = span.end_char
        # A hyphenated given name the tokenizer split ("Moon Jae-in").
        tail = re.match(r"-[a-z]+\b", written[end:end + 12])
        if on("hyphen_given_name") and span.label_ == "PERSON" and tail:
            text += tail.group(0)
        # A name written as its web address ("Edmunds.com") is the company behind the site.
        website = on("website") and re.search(r"\w\.(?:com|net|org)$", text.strip(), re.IGNORECASE) is not None
        # A known name is kept whole ("G7", "France 24"), and so is a known broadcaster's channel
        # number ("NBC 5"): the trimming of numbers is for scores and amounts.
        as_written = re.sub(r"^(?:the|The)\s+", "", " ".join(text.split()))
        channel = re.fullmatch(r"(.+) \d{1,2}", as_written)
        station = re.match(r" (\d{1,2})(?=[\s,.;:)]|$)(?! ?(?:%|percent|points?|million|billion|years?|times)\b)",
                           written[end:end + 20])
        if on("numbers_kept") and station and self.names.kind_of(as_written) == "org" and (
                as_written.isupper() or as_written == "Fox"):
            text = f"{as_written} {station.group(1)}"  # a local station: "NBC 5", "Fox 4"
        elif on("numbers_kept") and (self.names.kind_of(as_written) or (
                channel and self.names.kind_of(channel.group(1)) == "org" and span.label_ == "ORG")):
            text = as_written
        else:
            text = trim_span(text, rules)
        model_kind = span.label_ if span.label_ in ENTITY_TYPES else MODEL_TYPES.get(span.label_)
        if model_kind == "person":
            text = trim_person(text, rules)
        elif model_kind == "org" and not_an_organisation(text, written[end:end + 40], rules):
            text = ""
        elif model_kind == "place" and on("verb_in_place") and verb_inside(text):
            # "Arctic summer": a place's name ends before a common word ("Dar es Salaam" holds a particle).
            words = text.split()
            text = " ".join(words[:next(n for n, w in enumerate(words) if n and w[:1].islower()
                                        and w not in NAME_PARTICLES)])
        if not text:
            return None
        following = written[end:end + 40].split()
        after = re.sub(r"[^\w]", "", following[0]).lower() if following else ""
        preceding = written[max(0, span.start_char - 40):span.start_char].split()
        before = re.sub(r"[^\w]", "", preceding[-1]).lower() if preceding else ""
        kind, known = ("org", True) if website else type_of(text, model_kind, after, self.names, before, rules)
        if on("according_to") and kind == "place" and not known and \
                re.search(r"\baccording to (?:the )?$", written[max(0, span.start_char - 20):span.start_char]):
            kind, known = "org", True  # "according to the Intelligencer": a source, and no place the gazetteer knows
        if on("who_person") and model_kind == "org" and not known and " " not in text and not text.endswith("s") and \
                re.match(r",\s+who\b", written[end:end + 8]):
            kind, known = "person", True  # "Rioland, who has a degree": organisations are "which"
        team = text.split()
        if on("plural_team") and model_kind == "person" and not known and before == "the" and \
                re.fullmatch(r"[A-Z][a-z]+s", team[-1]) and (len(team) == 1 or place(" ".join(team[:-1]))):
            kind, known = "org", True  # "the (Pittsburgh) Steelers": a team or a group, not a person
        name = clean(kind, text, self.names)
        if not name:
            return None
        kind = self.names.kind_of(name) or kind
        if kind == "place":
            name = self.names.canonical("place", spelled(name))
        return Mention(name, kind, model_kind, known=known or self.names.kind_of(name) is not None)
