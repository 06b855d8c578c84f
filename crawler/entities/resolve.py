"""The article's names together: one type per name, short forms and initials to the full name the
article uses, names that are none dropped. Each rule can be switched off by name
(crawler.entities.ruleset)."""
from __future__ import annotations

import re
from collections import Counter

from core.article import ENTITY_TYPES
from crawler.entities.names import NameTable, person_parts, resolve_short_forms
from crawler.entities.rules import ORG_HEADS, Mention, common_word, in_order, initials
from crawler.entities.ruleset import ALL, RuleSet
from crawler.gazetteer import place

US_CONGRESS = re.compile(r"\b(?:Congress|Senate|Republicans?|Democrats?)\b")
LOWER_CHAMBER = "House of Representatives"


def resolve(mentions: list[Mention], prose: str, names: NameTable, rules: RuleSet = ALL) -> dict:
    """Document-level consistency: one type per name (rules first, then the model's most
    frequent label), short forms and acronyms to the full name used in the article."""
    by_name: dict[str, list[Mention]] = {}
    if rules.on("us_house") and US_CONGRESS.search(prose):  # "the House" of a report on Congress: its lower chamber
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
        elif rules.on("org_place_tie") and votes["org"] and votes["place"] and place(name) is None:
            kinds[name] = "org"  # the model hesitates and no gazetteer knows such a place: a company
        else:
            kinds[name] = max(votes, key=lambda k: (votes[k], -list(votes).index(k)))
    # A full name the model called an organisation or place whose surname it calls a person
    # elsewhere in the article is that person ("Mason Rudolph" ... "Rudolph").
    single_people = {n for n, group in by_name.items() if " " not in n and kinds[n] == "person"}
    for name in by_name if rules.on("surname_person") else ():
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
    for name in list(by_name) if rules.on("short_acronyms") else ():
        if kinds[name] == "org" and name.isupper() and len(name) <= rules.acronym_letters and \
                not names.kind_of(name) and not spelled_as[name] - (initials(name) == name):
            del by_name[name]
            spelled_as[initials(name)] -= 1
    # One capitalised word as an organisation is a name only if the article never writes it as
    # a common word: "Party" alone, "Energy" from "Energy Secretary" while the text is about
    # energy. The head of an organisation's name alone ("the Party", "the Ministry") is a role.
    for name in list(by_name) if rules.on("common_words") else ():
        if kinds[name] in ("org", "place") and " " not in name and name[1:].islower() and \
                not names.kind_of(name) and not any(m.known for m in by_name[name]) and \
                (name.lower() in ORG_HEADS or common_word(name, prose)) and \
                (kinds[name] == "org" or place(name) is None):  # a place no gazetteer knows: "Time", "Save"
            del by_name[name]
    resolved: dict[str, list[str]] = {kind: [] for kind in ENTITY_TYPES}
    for name in by_name:
        resolved[kinds[name]].append(name)
    if rules.on("retype_surnames"):
        retype_surnames(resolved, names)
    if rules.on("person_short_forms"):
        resolved["person"] = resolve_short_forms(resolved["person"])
    if rules.on("short_names"):
        for kind in ("org", "place"):
            resolved[kind] = resolve_short_names(resolved, kind, by_name, names)
    return {kind: list(dict.fromkeys(resolved[kind])) for kind in ENTITY_TYPES}


def resolve_short_names(resolved: dict, kind: str, by_name: dict, names: NameTable) -> list[str]:
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
        if not spelled_out and (names.kind_of(name) or (kind == "place" and (
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


def retype_surnames(mentions: dict, names: NameTable) -> None:
    """The model often calls a surname alone an organisation or place ("Volker", "Sondland"):
    when it belongs to a person named in the article, it is that person; a plural
    ("Bidens") is nobody in particular."""
    parts = person_parts(mentions["person"])
    for kind in ("org", "place"):
        # An all-capitals surname ("OBAMA" in a quoted headline) is the surname.
        # (Sets: a list scanned per name cost thousands of names their number squared.)
        shouted = {m for m in mentions[kind] if m.isupper() and len(m) > 3 and m.title() in parts}
        mentions[kind] = [m.title() if m in shouted else m for m in mentions[kind]]
        moved = [m for m in mentions[kind] if m in parts and names.kind_of(m) is None]
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
