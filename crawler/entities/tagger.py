"""The entity stage's tagger: spaCy NER (a model per language, NEWSWATCH_NER_MODELS) plus the
name tables of crawler/entities/names.py; Korean by crawler.entities.korean (name tables and the
morphological analyser). An article in another language with no model gets no entities and
`entities_model` None rather than the English model's guesses."""
from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import NamedTuple

from core.article import ENTITY_TYPES, empty_entities
from crawler.entities import korean
from crawler.entities.models import load_pipeline
from crawler.entities.names import NameTable, clean, person_parts, resolve_short_forms
from crawler.entities.rules import (NAME_PARTICLES, ORG_HEADS, PLACE_HEADS, Mention, analysed_units, common_word,
                                    defined_abbreviations, in_order, initials,
                                    spelled, trim_person, trim_span, type_of, not_an_organisation,
                                    owned_ministries, verb_inside)
from crawler.entities.spans import joined_spans, unseen_nations, unseen_regions, unseen_streets
from crawler.gazetteer import is_region, place, warm as warm_gazetteer
from index.analysis import HANGUL

US_CONGRESS = re.compile(r"\b(?:Congress|Senate|Republicans?|Democrats?)\b")
LOWER_CHAMBER = "House of Representatives"
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


STAGE_VERSION = "rules-6"  # recorded in entities_model with the model's: bump when the rules change


class EntityTagger:
    def __init__(self, models: dict[str, str], names: NameTable):
        self.models = models
        self.names = names
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
        units = analysed_units(text[:MAX_CHARS], title)
        prose = "\n".join(u.text for u in units if not u.heading)
        defined = defined_abbreviations(prose)
        mentions: list[Mention] = [Mention(self.names.canonical("place", name), "place", None, known=True)
                                   for u in units for name in u.places] + owned_ministries(prose, self.names)
        # One pass of the model over the units joined by blank lines (a pass per paragraph costs a
        # third more); a name the model runs across a break is cut there: no name spans two units.
        joined, starts = "", []
        for unit in units:
            starts.append(len(joined))
            joined += unit.text + "\n\n"
        doc = self.parse(nlp, joined)
        spans = [ent for ent in joined_spans(doc) if ent.label_ in MODEL_TYPES]
        known = [doc[start:end] for _, start, end in matcher(doc)]
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
        mentions += [m for find in (unseen_nations, unseen_regions, unseen_streets)
                     for m in find(doc, named, self.names)]
        return self._resolve(mentions, prose), label

    def parse(self, nlp, text: str):
        """The model's Doc of `text` (bench/cv_entities.py reads it from a cache instead, so that
        rule experiments do not re-run the model)."""
        return nlp(text)

    def _mentions(self, span, written: str, defined: dict) -> list[Mention]:
        # "U.S.-Mexico": two places joined by a hyphen.
        parts = span.text.split("-")
        if len(parts) == 2 and span.label_ in ("GPE", "LOC", "NORP", "ORG") and all(
                self.names.kind_of(p) == "place" or place(p) for p in parts):
            return [Mention(self.names.canonical("place", spelled(p)), "place", "place", known=True) for p in parts]
        # "Wrap and Deadline": two one-word names the model ran together at "and".
        pair = re.fullmatch(r"(?:the |The )?([A-Z][\w'’.-]+) and ([A-Z][\w'’.-]+)", span.text)
        if span.label_ == "ORG" and pair and not self.names.kind_of(span.text) and not any(
                w.lower() in ORG_HEADS for w in pair.groups()):
            return [m for part in pair.groups() for m in self._mentions(Piece(
                part, "ORG", span.start_char + span.text.index(part),
                span.start_char + span.text.index(part) + len(part)), written, defined)]
        first, _, rest = span.text.partition(" ")
        # The sentence's start is read in the four characters before the span (what the pattern can
        # match): searched over all the text before it, a paragraph of such spans cost its length squared.
        if span.label_ == "ORG" and self.names.kind_of(rest) == "org" and not self.names.kind_of(first) and \
                re.search(r"(?:^|[.!?][\"”’]?\s)$", written[max(0, span.start_char - 4):span.start_char]):
            # "Key Security Council powers": a sentence's capitalised first word before a known name.
            return [Mention(self.names.canonical("org", rest), "org", "org", known=True)]
        if span.label_ == "ORG":
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
        text = defined.get(span.text, span.text)
        end = span.end_char
        # A hyphenated given name the tokenizer split ("Moon Jae-in").
        tail = re.match(r"-[a-z]+\b", written[end:end + 12])
        if span.label_ == "PERSON" and tail:
            text += tail.group(0)
        # A name written as its web address ("Edmunds.com") is the company behind the site.
        website = re.search(r"\w\.(?:com|net|org)$", text.strip(), re.IGNORECASE) is not None
        # A known name is kept whole ("G7", "France 24"), and so is a known broadcaster's channel
        # number ("NBC 5"): the trimming of numbers is for scores and amounts.
        as_written = re.sub(r"^(?:the|The)\s+", "", " ".join(text.split()))
        channel = re.fullmatch(r"(.+) \d{1,2}", as_written)
        station = re.match(r" (\d{1,2})(?=[\s,.;:)]|$)(?! ?(?:%|percent|points?|million|billion|years?|times)\b)",
                           written[end:end + 20])
        if station and self.names.kind_of(as_written) == "org" and (as_written.isupper() or as_written == "Fox"):
            text = f"{as_written} {station.group(1)}"  # a local station: "NBC 5", "Fox 4"
        elif self.names.kind_of(as_written) or (
                channel and self.names.kind_of(channel.group(1)) == "org" and span.label_ == "ORG"):
            text = as_written
        else:
            text = trim_span(text)
        model_kind = span.label_ if span.label_ in ENTITY_TYPES else MODEL_TYPES.get(span.label_)
        if model_kind == "person":
            text = trim_person(text)
        elif model_kind == "org" and not_an_organisation(text, written[end:end + 40]):
            text = ""
        elif model_kind == "place" and verb_inside(text):
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
        kind, known = ("org", True) if website else type_of(text, model_kind, after, self.names, before)
        if kind == "place" and not known and \
                re.search(r"\baccording to (?:the )?$", written[max(0, span.start_char - 20):span.start_char]):
            kind, known = "org", True  # "according to the Intelligencer": a source, and no place the gazetteer knows
        if model_kind == "org" and not known and " " not in text and not text.endswith("s") and \
                re.match(r",\s+who\b", written[end:end + 8]):
            kind, known = "person", True  # "Rioland, who has a degree": organisations are "which"
        team = text.split()
        if model_kind == "person" and not known and before == "the" and re.fullmatch(r"[A-Z][a-z]+s", team[-1]) and \
                (len(team) == 1 or place(" ".join(team[:-1]))):
            kind, known = "org", True  # "the (Pittsburgh) Steelers": a team or a group, not a person
        name = clean(kind, text, self.names)
        if not name:
            return None
        kind = self.names.kind_of(name) or kind
        if kind == "place":
            name = self.names.canonical("place", spelled(name))
        return Mention(name, kind, model_kind, known=known or self.names.kind_of(name) is not None)

    def _resolve(self, mentions: list["Mention"], prose: str = "") -> dict:
        """Document-level consistency: one type per name (rules first, then the model's most
        frequent label), short forms and acronyms to the full name used in the article."""
        by_name: dict[str, list[Mention]] = {}
        if US_CONGRESS.search(prose):  # "the House" of a report on Congress is its lower chamber
            mentions = [Mention(LOWER_CHAMBER, "org", m.model_kind, known=True) if m.name == "House" else m
                        for m in mentions]
        for mention in mentions:
            by_name.setdefault(mention.name, []).append(mention)
        kinds: dict[str, str] = {}
        for name, group in by_name.items():
            decided = [m.kind for m in group if m.known]
            votes = Counter(m.kind for m in group)
            if decided:
                kinds[name] = decided[0]
            elif votes["org"] and votes["place"] and place(name) is None:
                kinds[name] = "org"  # the model hesitates and no gazetteer knows such a place: a company
            else:
                kinds[name] = max(votes, key=lambda k: (votes[k], -list(votes).index(k)))
        # A full name the model called an organisation or place whose surname it calls a person
        # elsewhere in the article is that person ("Mason Rudolph" ... "Rudolph").
        single_people = {n for n, group in by_name.items() if " " not in n and kinds[n] == "person"}
        for name in by_name:
            words = name.split()
            if kinds[name] != "person" and not any(m.known for m in by_name[name]) and 2 <= len(words) <= 3 \
                    and words[-1] in single_people and all(w[:1].isupper() for w in words) and \
                    not (words[-1].endswith("s") and place(" ".join(words[:-1]))):  # "Pittsburgh Steelers"
                kinds[name] = "person"
        # An all-capitals organisation of two or three letters the article neither defines nor
        # spells out ("GW", "CTO") is a unit or an abbreviation: the well-known ones are in the tables.
        # (The initials of every name counted once: compared name by name, thousands of
        # abbreviations cost their number squared.)
        spelled_as = Counter(initials(full) for full in by_name)
        for name in list(by_name):
            if kinds[name] == "org" and name.isupper() and len(name) <= 3 and not self.names.kind_of(name) and \
                    not spelled_as[name] - (initials(name) == name):
                del by_name[name]
                spelled_as[initials(name)] -= 1
        # One capitalised word as an organisation is a name only if the article never writes it as
        # a common word: "Party" alone, "Energy" from "Energy Secretary" while the text is about
        # energy. The head of an organisation's name alone ("the Party", "the Ministry") is a role.
        for name in list(by_name):
            if kinds[name] in ("org", "place") and " " not in name and name[1:].islower() and \
                    not self.names.kind_of(name) and not any(m.known for m in by_name[name]) and \
                    (name.lower() in ORG_HEADS or common_word(name, prose)) and \
                    (kinds[name] == "org" or place(name) is None):  # a place no gazetteer knows: "Time", "Save"
                del by_name[name]
        resolved: dict[str, list[str]] = {kind: [] for kind in ENTITY_TYPES}
        for name in by_name:
            resolved[kinds[name]].append(name)
        self._retype_surnames(resolved)
        resolved["person"] = resolve_short_forms(resolved["person"])
        for kind in ("org", "place"):
            resolved[kind] = self._resolve_short_names(resolved, kind, by_name)
        return {kind: list(dict.fromkeys(resolved[kind])) for kind in ENTITY_TYPES}

    def _resolve_short_names(self, resolved: dict, kind: str, by_name: dict) -> list[str]:
        """An organisation or place named in full and later by a part of the name ("Sierra
        Nevada Corporation", "Sierra Nevada") or by its initials ("DEA") is the full name; a part
        that is itself a known name or a gazetteer place stays what it is ("Fort Worth")."""
        longer = [n for k in ("org", "place") for n in resolved[k] if " " in n]
        # Each name is compared with the names sharing one of its words only (with every name,
        # thousands of names cost their number squared): by initials, and by word.
        by_initials: dict[str, list[str]] = {}
        for full in longer:
            by_initials.setdefault(initials(full), []).append(full)
        longer_by_word, org_by_word = _by_word(longer), _by_word(resolved["org"])
        out = []
        for name in resolved[kind]:
            words = name.split()
            # Initials the article spells out are that name even when the tables know them ("DEA").
            spelled_out = set(by_initials.get(name, ())) if name.isupper() and 2 <= len(name) <= 6 else set()
            # A known organisation the article names in full by its head or its owner ("Harvard" after
            # "Harvard University", "Communist Party" after "Chinese Communist Party") is the full name.
            fuller = {full for full in _sharing(org_by_word, words) if kind == "org" and full != name and (
                full.split()[:-1] == words and full.split()[-1].lower() in ORG_HEADS
                or (full.split()[-len(words):] == words and words[-1].lower() in ORG_HEADS))}
            if fuller and len(fuller) == 1:
                out.append(fuller.pop())
                continue
            if not spelled_out and (self.names.kind_of(name) or (kind == "place" and (
                    place(name) or any(m.known for m in by_name[name])))):
                out.append(name)
                continue
            matches = spelled_out or {full for full in _sharing(longer_by_word, words) if full != name and (
                full.split()[:len(words)] == words or full.split()[-len(words):] == words
                or (kind == "org" and len(words) > 1 and words[-1].lower() in ORG_HEADS and in_order(words, full)))}
            if len(matches) == 1:
                full = matches.pop()
                target = "org" if full in resolved["org"] else "place"
                if full not in resolved[target]:
                    resolved[target].append(full)
                if target == kind:
                    out.append(full)
            elif not matches:
                out.append(name)
        return out

    def _retype_surnames(self, mentions: dict) -> None:
        """The model often calls a surname alone an organisation or place ("Volker", "Sondland"):
        when it belongs to a person named in the article, it is that person; a plural
        ("Bidens") is nobody in particular."""
        parts = person_parts(mentions["person"])
        for kind in ("org", "place"):
            # An all-capitals surname ("OBAMA" in a quoted headline) is the surname.
            # (Sets: a list scanned per name cost thousands of names their number squared.)
            shouted = {m for m in mentions[kind] if m.isupper() and len(m) > 3 and m.title() in parts}
            mentions[kind] = [m.title() if m in shouted else m for m in mentions[kind]]
            moved = [m for m in mentions[kind] if m in parts and self.names.kind_of(m) is None]
            mentions["person"] += [m for m in moved if not (m.endswith("s") and m[:-1] in parts)]
            moved_names = set(moved)
            mentions[kind] = [m for m in mentions[kind] if m not in moved_names]


def _by_word(names: list[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name in names:
        for word in set(name.split()):
            index.setdefault(word, []).append(name)
    return index


def _sharing(index: dict[str, list[str]], words: list[str]) -> list[str]:
    """The names holding the rarest of `words` (every name holding all of them is among them)."""
    return min((index.get(word, []) for word in words), key=len, default=[])
