"""The model's spans repaired before the rules type them (crawler.entities.rules): pieces of one name
put together again, and the countries and regions written where the model saw no name."""
from __future__ import annotations

from crawler.entities.names import clean
from crawler.entities.rules import ORG_HEADS, Mention
from crawler.entities.ruleset import ALL, RuleSet
from crawler.gazetteer import nation_first_words, nations

NATION_WORDS = 5  # the longest nation name looked for, in tokens ("Bosnia and Herzegovina")


def joined_spans(doc, rules: RuleSet = ALL) -> list:
    """The model's spans, with the pieces of one name it cut apart put together again: a
    country's longer name ("Bosnia" + "and Herzegovina"); a nationality, place or organisation
    before an organisation's head, tagged or not ("Russian" + "Foreign Ministry", "Hong Kong" +
    "Polytechnic University", "The Hollywood" + "Reporter"); an organisation's head and what it is
    "of" or "on" ("House Select Committee" + "on" + "Intelligence"); an organisation's name the
    model cut at its "and" ("Customs" + "and Border Protection"). Each part must touch the next:
    no name spans punctuation. Each repair can be switched off by name (crawler.entities.ruleset)."""
    from spacy.tokens import Span

    known, ents, out = nations(), list(doc.ents), []
    i = 0
    while i < len(ents):
        ent = ents[i]
        if ent.label_ in ("GPE", "LOC") and rules.on("nation_longer"):
            longer = next((n for n in range(NATION_WORDS, len(ent), -1) if ent.start + n <= len(doc)
                           and doc[ent.start:ent.start + n].text in known), 0)
            if longer and (i + 1 == len(ents) or ents[i + 1].start >= ent.start + longer):
                ent = Span(doc, ent.start, ent.start + longer, label="GPE")
            elif longer:
                following = ents[i + 1]
                if following.end <= ent.start + longer:
                    ent = Span(doc, ent.start, ent.start + longer, label="GPE")
                    i += 1
        nxt = ents[i + 1] if i + 1 < len(ents) else None
        if ent.label_ in ("NORP", "GPE", "ORG") and doc[ent.end - 1].is_alpha and rules.on("untagged_head"):
            headed = untagged_head_end(doc, ent.end, nxt.start if nxt is not None else len(doc))
            ent = Span(doc, ent.start, headed, label="ORG") if headed > ent.end else ent
        if nxt is not None and nxt.label_ == "ORG" and nxt.start == ent.end and ent.label_ in ("NORP", "GPE") \
                and org_head(nxt) and doc[ent.end - 1].is_alpha and rules.on("nationality_org"):
            ent, i = Span(doc, ent.start, nxt.end, label="ORG"), i + 1
            nxt = ents[i + 1] if i + 1 < len(ents) else None
        if nxt is not None and ent.label_ == "ORG" and nxt.start == ent.end + 1 and \
                doc[ent.end].lower_ in BODY_OF.get(ent[-1].lower_, ()) and ent[-1].is_title and \
                nxt.label_ in ("ORG", "GPE", "LOC", "NORP") and doc[nxt.start].is_title and rules.on("body_of"):
            ent, i = Span(doc, ent.start, nxt.end, label="ORG"), i + 1
        nxt = ents[i + 1] if i + 1 < len(ents) else None
        if nxt is not None and ent.label_ == "GPE" and nxt.label_ == "ORG" and nxt.start == ent.end and \
                len(nxt) == 1 and nxt[0].is_title and nxt[0].text.endswith("s") and doc[ent.end - 1].is_alpha \
                and rules.on("city_team"):
            # "Dallas" + "Cowboys": a city and a plural is a team's name.
            ent, i = Span(doc, ent.start, nxt.end, label="ORG"), i + 1
            nxt = ents[i + 1] if i + 1 < len(ents) else None
        if nxt is not None and ent.label_ == "ORG" and nxt.label_ == "ORG" and nxt.start == ent.end + 1 and \
                doc[ent.end].lower_ == "and" and nxt[0].lower_ != "the" and {"of", "for"} & {t.lower_ for t in ent} \
                and org_head(nxt) and rules.on("body_of_two"):
            # "Centers for Medicare" + "and" + "Medicaid Services": a body of or for two things.
            ent, i = Span(doc, ent.start, nxt.end, label="ORG"), i + 1
        if nxt is not None and ent.label_ in ("ORDINAL", "ORG") and nxt.label_ == "ORG" and nxt.start == ent.end and \
                ent[-1].like_num and ent[-1].text[-2:] in ("st", "nd", "rd", "th") and org_head(nxt) and \
                rules.on("ordinal_unit"):
            ent, i = Span(doc, ent.start, nxt.end, label="ORG"), i + 1  # "47th" + "Mechanized Brigade"
        if ent.label_ == "ORG" and rules.on("conjoined_and"):
            limit = ents[i + 1].start if i + 1 < len(ents) else len(doc)
            ent = Span(doc, ent.start, conjoined_end(doc, ent.end, limit, rules.conjoined_words), label="ORG")
        out.append(ent)
        i += 1
    return out


REGION_NOUNS = {"province", "oblast", "region", "county", "prefecture", "governorate", "district", "krai"}
DIRECTIONS = {"central", "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
              "upper", "lower", "greater", "inner", "outer", "mid"}
# Heads of bodies named after what they are of, on or for ("Committee on Intelligence").
BODY_OF = {**dict.fromkeys(("committee", "subcommittee", "commission", "council"), ("on", "of", "for")),
           **dict.fromkeys(("ministry", "department", "office", "bureau", "institute", "agency", "university",
                            "college", "academy", "bank", "court"), ("of", "for"))}


def conjoined_end(doc, end: int, limit: int, least: int = ALL.conjoined_words) -> int:
    """Where an organisation's name ending at token `end` ends when "and" and `least` (two) or more
    capitalised words the model left untagged follow it ("Customs and Border Protection", "Food
    and Drug Administration"); `end` itself otherwise: one capitalised word after "and" is more
    often another name ("Apple and Google")."""
    if end >= limit or doc[end].lower_ != "and":
        return end
    stop = end + 1
    while stop < limit and stop - end <= 4 and doc[stop].is_title and doc[stop].is_alpha and not doc[stop].is_stop:
        stop += 1
    return stop if stop - end - 1 >= least else end


def untagged_head_end(doc, end: int, limit: int) -> int:
    """Where a name ends when capitalised words the model left untagged, the last an
    organisation's head, follow a place, nationality or organisation ending at token `end`
    ("Hollywood" + "Reporter", "Russian" + "Army"); `end` itself otherwise."""
    stop = end
    while stop < limit and stop - end < 3 and doc[stop].is_title and doc[stop].is_alpha and not doc[stop].is_stop:
        stop += 1
    while stop > end and doc[stop - 1].lower_ not in ORG_HEADS:
        stop -= 1
    if stop < len(doc) and doc[stop].is_title and doc[stop].is_alpha:
        return end  # the head begins another name or a role ("White House" + "Press Secretary")
    return stop


def org_head(span) -> bool:
    return len(span) >= 1 and span[-1].lower_ in ORG_HEADS and span[-1].is_title


def unseen_nations(doc, named: set[int], names) -> list[Mention]:
    """Countries, UK nations and US states written where the model saw no name, or a span
    that gave none ("Wales beat Hungary", "Gibraltar 6-0" as a product, "England (Group A)"),
    unless a capitalised word beside them makes them part of a longer name ("Georgia Tech",
    "Chad Johnson")."""
    found, known, first_words, i = [], nations(), nation_first_words(), 0
    while i < len(doc):
        length = 0
        if doc[i].text in first_words:
            length = next((n for n in range(min(NATION_WORDS, len(doc) - i), 0, -1)
                           if doc[i:i + n].text in known and not named.intersection(range(i, i + n))), 0)
        if length and not any(0 <= j < len(doc) and doc[j].is_title and doc[j].is_alpha and not doc[j].is_stop
                              for j in (i - 1, i + length)):
            name = clean("place", doc[i:i + length].text, names)
            if name:
                found.append(Mention(name, "place", None, known=True))
        i += max(length, 1)
    return found

def unseen_regions(doc, named: set[int], names) -> list[Mention]:
    """A capitalised name before a region noun where the model saw no name ("southern Zabul
    province", which it may call a date): a place. Not a direction, a nationality or a
    function word ("Southern region", "Russian region", "This province")."""
    found = []
    for token in doc:
        if token.lower_ not in REGION_NOUNS or not token.is_lower or token.i == 0:
            continue
        start = token.i
        while start > 0 and token.i - start < 3 and doc[start - 1].is_title and doc[start - 1].is_alpha and \
                not doc[start - 1].is_stop and start - 1 not in named:
            start -= 1
        words = doc[start:token.i]
        if not len(words) or any(w.ent_type_ == "NORP" or w.lower_.endswith("ern") or w.lower_ in DIRECTIONS
                                 for w in words):
            continue
        name = clean("place", words.text, names)
        if name:
            found.append(Mention(names.canonical("place", name), "place", None, known=True))
    return found


# Heads of named streets and structures the model often leaves untagged ("On Wall Street, ...").
STREET_HEADS = {"street", "avenue", "square", "boulevard", "bridge"}


def unseen_streets(doc, named: set[int], names) -> list[Mention]:
    """A capitalised name with a street's or a bridge's head where the model saw no name at all:
    a place. Not when a capitalised word follows (a longer name: "Wall Street Journal")."""
    found = []
    for token in doc:
        if token.lower_ not in STREET_HEADS or not token.is_title or token.ent_type_ or token.i in named:
            continue
        start = token.i
        while start > 0 and token.i - start < 3 and doc[start - 1].is_title and doc[start - 1].is_alpha and \
                not doc[start - 1].is_stop and not doc[start - 1].ent_type_ and start - 1 not in named:
            start -= 1
        after = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if start == token.i or (after is not None and after.is_title):
            continue
        name = clean("place", doc[start:token.i + 1].text, names)
        if name:
            found.append(Mention(names.canonical("place", name), "place", None, known=True))
    return found
