"""The entity stage's rules for one span: what of it can be a name, and what type the name has.
Each rule is general (no names from one article set) and can be switched off by name
(crawler.entities.ruleset); the typing rules settle a conflict between the model and what is known
in the order RuleSet.type_order gives."""
from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.entities.names import PARTICLES
from crawler.entities.ruleset import ALL, RuleSet
from crawler.gazetteer import US_STATE_ABBREVIATIONS, is_region, place


@dataclass
class Mention:
    name: str
    kind: str
    model_kind: str | None
    known: bool = False  # typed by the tables or a rule, not by the model alone


# Names of things that are not entities by the guide: stock indexes, programmes, plans, laws,
# competitions; and labels such as "Group D", "Path A".
NOT_ENTITY_HEADS = {"average", "index", "composite", "plan", "initiative", "program", "programme", "act", "bill",
                    "strategy", "project", "campaign", "award", "awards", "prize", "championship", "championships",
                    "tournament", "games", "olympics", "cup", "series", "trophy", "festival", "show",
                    # diseases ("Eastern Equine Encephalitis", "Middle East Respiratory Syndrome")
                    "disease", "syndrome", "virus", "fever", "encephalitis", "flu", "influenza"}
# The tiers a maker gives its products' models ("iPhone 11 Pro Max", "Mavic Mini"), as written.
PRODUCT_TIERS = {"Pro", "Max", "Mini", "Ultra", "Lite", "Plus"}
ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")  # of a numbered unit: "82nd Airborne Division"
LEGAL_SUFFIX = re.compile(r",?\s+(?:Inc|Corp|Co|Ltd|LLC|PLC|plc|GmbH|AG|S\.A|N\.V)\.?$")


def trim_span(text: str, rules: RuleSet = ALL) -> str:
    """What of a model's span can be a name: up to an unbalanced bracket, without trailing numbers
    ("Iceland 0-0"), a legal suffix or ".com";
    nothing when it carries a ticker code ("Copper CMCU3", "Sterling GBP=": an instrument), a
    label's letter ("Group D") or the head of a thing that is not an entity ("Dow Jones
    Industrial Average", "SunShot Initiative")."""
    text = " ".join(text.replace("’", "'").split())
    if rules.on("owner_date") and re.search(
            r"\w's (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b", text):
        return ""  # "Trump's July 25 call": an owner and a date, not one name
    for bracket in "([":
        if bracket in text and (")" if bracket == "(" else "]") not in text[text.index(bracket):]:
            text = text[:text.index(bracket)]
    text = text.strip(" ,;:-–—()[]")
    words = text.split()
    coded = [n for n, w in enumerate(words) if re.search(r"=|[A-Za-z]\d|\d[A-Za-z]", w) and not ORDINAL.fullmatch(w)]
    if coded and rules.on("instrument_codes"):
        # The code of an exchange's instrument after the exchange's name ("London Metal Exchange
        # CMAL3") leaves the organisation; any other coded span is the instrument.
        named = words[:coded[0]]
        return " ".join(named) if len(named) > 1 and named[-1].lower() in ORG_HEADS else ""
    # Nor trailing numbers or connectors ("MacBook Pro and", "Services and"): a name ends in a name.
    while words and (not re.search(r"[A-Za-z]", words[-1]) or words[-1] in ("and", "of", "the", "&", "for")):
        words.pop()
    if rules.on("non_entity_heads") and len(words) > 1 and (
            len(words[-1].rstrip(".")) == 1 or words[-1].lower() in NOT_ENTITY_HEADS):
        return ""
    if rules.on("product_tiers") and len(words) > 1 and words[-1] in PRODUCT_TIERS:
        return ""  # "AirPods Pro", "Mavic Mini": a product's model, not a maker's name
    text = " ".join(words)
    if rules.on("legal_suffix"):
        text = LEGAL_SUFFIX.sub("", text)
        text = re.sub(r"\.(?:com|org|net)$", "", text, flags=re.IGNORECASE).strip()
    if rules.on("state_abbreviations") and len(text) <= 6 and text.endswith("."):
        # Only as AP writes it, with its stop ("Calif.", kept in the token): "Kan" alone is the
        # Israeli broadcaster, "Miss" or "Mo" a word or a name.
        return US_STATE_ABBREVIATIONS.get(text, text)
    return text


# Lower-case words a name may hold ("Bank of America", "Ludwig van Beethoven"); any other
# lower-case word inside a span is a verb or a phrase running through it ("Garrett hit Rudolph").
NAME_PARTICLES = PARTICLES | {"of", "and", "the", "for", "on", "in", "to", "at", "y", "&", "es", "upon", "sur"}


def verb_inside(text: str) -> bool:
    return any(w[:1].islower() and w not in NAME_PARTICLES for w in text.split()[1:])


# Offices held by a person: "Inspector-General of Police", "Minister for Foreign Affairs" name a
# role, not an organisation (the guide's unnamed roles).
ROLE_TITLES = {"inspector-general", "director-general", "secretary-general", "attorney-general", "auditor-general",
               "surgeon-general", "solicitor-general", "secretary", "minister", "director", "commissioner",
               "governor", "president", "vice-president", "chairman", "chairwoman", "chair", "speaker", "mayor",
               "ambassador", "prosecutor", "commander", "chief", "head", "spokesman", "spokeswoman"}
# What a market report names after an issuer or an index: the instrument, not the organisation
# ("U.S. Treasury yields", "Brent futures").
INSTRUMENTS = {"yields", "futures", "bonds"}


def not_an_organisation(text: str, following: str, rules: RuleSet = ALL) -> bool:
    """Whether a span the model called an organisation, followed in the text by `following`, is
    no organisation: a verb runs through it ("Garrett hit Rudolph"), it names an office ("the
    Inspector-General of Police"), it is the first part of a thing's name that is not an entity
    ("SunShot" before "Initiative") or the issuer of an instrument ("Treasury yields")."""
    words = [w.lower() for w in text.split()]
    words = words[1:] if words[:1] == ["the"] else words
    after = following.split()[:1]
    after = re.sub(r"[^\w-]", "", after[0]) if after else ""
    return (rules.on("verb_in_org") and verb_inside(text)) or (rules.on("offices") and len(words) > 2 and (
        words[0] in ROLE_TITLES and words[1] in ("of", "for", "to"))) or (
        rules.on("programme_first_word") and after[:1].isupper() and after.lower() in NOT_ENTITY_HEADS) or (
        rules.on("instruments") and after in INSTRUMENTS)


# A regnal or generational number, II to XXXIX ("King Charles III", "Pope Leo XIV").
REGNAL_NUMBER = re.compile(r"^(?=[IVX]{2})X{0,3}(?:IX|IV|V?I{0,3})$")


def trim_person(text: str, rules: RuleSet = ALL) -> str:
    """A person's span: after a position or unit abbreviation ("Browns DL Sheldon Richardson");
    nothing when a verb runs through it ("Garrett hit Rudolph")."""
    if rules.on("verb_in_person") and verb_inside(text):
        return ""
    words = text.split()
    if rules.on("person_abbreviation_end") and len(words) > 1 and words[-1].isupper() and words[-1].isalpha() and 2 <= len(words[-1]) <= 4 and \
            not REGNAL_NUMBER.match(words[-1]):
        return ""  # "Sports NFL": a name does not end in an abbreviation (but "Charles III" does in a numeral)
    marks = [n for n, w in enumerate(words[:-1]) if w.isupper() and 2 <= len(w.strip(".")) <= 3 and "." not in w]
    if rules.on("position_marks") and marks and len(words) - marks[-1] - 1 >= 2:
        words = words[marks[-1] + 1:]
    return " ".join(words)


REGION_SUFFIX = re.compile(r"\s(?:oblast|province|krai|prefecture|region|county|governorate|district)$|-do$",
                           re.IGNORECASE)
PLACE_HEADS = {"street", "avenue", "road", "square", "bridge", "airport", "stadium", "field", "park", "river", "sea",
               "ocean", "mountain", "mountains", "island", "islands", "peninsula", "valley", "lake", "bay", "strait",
               "canal", "desert", "hospital", "prison", "jail", "hotel", "palace", "station", "arena", "center",
               "centre", "observatory", "base", "coast", "gulf", "highway", "boulevard", "plaza", "forest",
               "headquarters"}
PLACE_NOUNS = {"hospital", "airport", "county", "counties", "province", "region", "oblast", "river", "sea",
               "island", "islands", "city", "town", "village", "stadium", "arena", "park", "square", "street",
               "avenue", "base", "prison", "jail", "hotel", "bridge", "harbor", "harbour", "port", "valley",
               "mountains", "lake", "bay", "coast", "peninsula", "strait", "border", "district", "neighborhood"}
ORG_HEADS = {"ministry", "department", "party", "corps", "agency", "council", "command", "university", "college",
             "school", "institute", "association", "committee", "commission", "bureau", "office", "authority",
             "service", "services", "foundation", "federation", "organization", "organisation", "group",
             "company", "corporation", "bank", "police", "army", "navy", "airlines", "airways", "network",
             "court", "assembly", "parliament", "administration", "clinic", "exchange", "fund", "society",
             "union", "league", "conference", "club", "brigade", "battalion", "regiment", "division", "fleet",
             "squadron",
             "directorate", "guard", "times", "post", "news", "journal", "magazine", "television", "radio",
             "studios", "media", "press", "reporter", "tribune", "herald", "gazette", "holdings",
             "partners", "capital", "management", "systems", "technologies", "robotics", "motors", "energy",
             "pharmaceuticals", "labs", "laboratories", "inc", "ltd", "llc", "plc", "corp"}
ORG_ROLES = {"analyst", "analysts", "economist", "strategist", "spokesman", "spokeswoman", "spokesperson",
             "ceo", "chief", "founder", "executive", "executives", "official", "officials", "researcher",
             "researchers", "scientist", "scientists", "lawyer", "lawyers", "chairman", "shares", "stock",
             "employees", "board", "investors"}


def by_tables(text, model_kind, after, names, before=""):
    return names.kind_of(text)


def by_region_suffix(text, model_kind, after, names, before=""):
    if REGION_SUFFIX.search(text):
        return "place"
    # "Osun State" (a federal state) the model calls an organisation; "Islamic State" is in the tables.
    return "place" if model_kind == "org" and text.endswith(" State") and len(text.split()) == 2 else None


REGION_NOUNS = {"county", "counties", "province", "provinces", "region", "regions", "oblast", "district", "city"}
ORG_DESCRIPTORS = {"company", "firm", "group", "agency", "newspaper", "network", "broadcaster", "bank", "outlet",
                   "magazine", "startup", "retailer", "carrier", "airline", "maker", "giant", "manufacturer",
                   "publisher", "platform", "organization", "organisation", "party", "club", "team", "insurer",
                   "lender", "brand", "chain", "operator", "developer", "conglomerate", "subsidiary", "site"}
PLACE_DESCRIPTORS = {"city", "town", "village", "province", "state", "region", "country", "county", "capital",
                     "island", "port", "district"}


def by_following_place_noun(text, model_kind, after, names, before=""):
    if after in REGION_NOUNS or (after in PLACE_NOUNS and model_kind != "person"):
        return "place"
    return None


def by_preceding_descriptor(text, model_kind, after, names, before=""):
    # "energy company Burisma", "the city of Kharkiv" / "the town Sudzha".
    if before in ORG_DESCRIPTORS and model_kind != "person":
        return "org"
    if before in PLACE_DESCRIPTORS and model_kind != "person":
        return "place"
    return None


def by_organisation_head(text, model_kind, after, names, before=""):
    words = [w.lower().strip(".,'’") for w in text.split()]
    if len(words) > 1 and (words[-1] in ORG_HEADS or (len(words) > 2 and words[0] in ORG_HEADS and "of" in words)):
        return "org"
    # "National Center for Scientific Research": a centre for a purpose is a body, not a building.
    if any(w in ("center", "centre", "centers", "centres") and nxt == "for" for w, nxt in zip(words, words[1:])):
        return "org"
    if len(words) > 1 and words[-1] in PLACE_HEADS and not {"for", "of"} & set(words):
        return "place"
    return None


def by_gazetteer(text, model_kind, after, names, before=""):
    # A region is a place whatever the model says; a city unless the model saw a person (cities of
    # 15,000 include surnames). A city the model calls an organisation stands for its government
    # or its team, and the guide keeps it a place ("Pyongyang", "Pittsburgh"); not an acronym
    # ("NIU" is no city's name as news writes it).
    return "place" if is_region(text) or (model_kind == "place" and place(text)) or (
        model_kind == "org" and not (text.isupper() and len(text) <= 5) and place(text)) else None


def by_following_role(text, model_kind, after, names, before=""):
    # "Jefferies analyst", "Alibaba shares": the name is the employer, an organisation.
    return "org" if after in ORG_ROLES and model_kind in ("place", "org") and " " not in text.strip() else None


# The order settles conflicts: the tables, then the name's own form, then its context, then the
# gazetteer; the model's label only when no rule speaks (and then by majority over the article).
# (RuleSet.type_order: by default in the order listed here).
TYPE_RULES = {rule.__name__: rule for rule in (by_tables, by_region_suffix, by_organisation_head,
                                                by_following_place_noun, by_preceding_descriptor, by_gazetteer,
                                                by_following_role)}


def type_of(text: str, model_kind: str | None, after: str, names, before: str = "",
            rules: RuleSet = ALL) -> tuple[str, bool]:
    """(type, whether a rule decided it) of a span the model typed `model_kind`, between the
    words `before` and `after` (lower-cased)."""
    for name in rules.typing_order():
        kind = TYPE_RULES[name](text, model_kind, after, names, before)
        if kind is not None:
            return kind, True
    return model_kind or "org", False


def initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper() and w.lower() not in ("of", "and", "the", "for"))


def in_order(words: list[str], full: str) -> bool:
    """`words` appear in `full` in their order ("House Committee" in "House Select Committee on Intelligence")."""
    rest = iter(full.split())
    return all(word in rest for word in words)


def common_word(name: str, prose: str) -> bool:
    """The prose writes `name` in lower case (not after a sentence's end, where case says nothing)."""
    # Tried where str.find puts the word: a search opening with look-behinds steps through every
    # character of the prose, per name (5,000 names in 100,000 characters: 25 s).
    word = name.lower()
    at = prose.find(word)
    if at == -1:
        return False
    pattern = re.compile(rf"(?<![.!?:\n\"“]\s)(?<!^)\b{re.escape(word)}\b")
    while at != -1:
        if pattern.match(prose, at):
            return True
        at = prose.find(word, at + 1)
    return False

