"""The text the entity stage analyses: units (the title, then each paragraph; a heading, a short
line in title case without a final stop, is its own unit and only contributes names that are known
or that the prose also names); credit, copyright and source lines left out; a dateline ("ST.
JOSEPH, Mich. (AP) —") gives its places and loses its agency credit; and what the prose says of
names as a whole (lists of places, ministries named by their country, abbreviations it defines).
Each part can be switched off by name (crawler.entities.ruleset)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.entities.rules import Mention
from crawler.entities.ruleset import ALL, RuleSet
from crawler.extraction.boilerplate import BYLINE, CREDIT_LINE, dateline
from crawler.gazetteer import US_STATE_ABBREVIATIONS, place

SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")


@dataclass
class Unit:
    text: str
    heading: bool = False
    places: list[str] = field(default_factory=list)  # from a dateline




def is_heading(line: str, rules: RuleSet = ALL) -> bool:
    words = line.split()
    if not words or len(words) > rules.heading_words or SENTENCE_END.search(line.strip()):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(words) >= rules.heading_share


def dateline_places(paragraph: str) -> tuple[str, list[str]]:
    """The paragraph without its dateline (crawler.extraction.boilerplate), and the dateline's places."""
    found = dateline(paragraph)
    if found is None:
        return paragraph, []
    places = [found.city.title() if found.city.isupper() else found.city]
    if found.region:
        places.append(US_STATE_ABBREVIATIONS.get(found.region, found.region))
    return paragraph[found.end:], places


# A legislator's party and state ("Rep. David McKinley, R-W.Va.,", "(D-Calif.)"): an affiliation,
# not a place the report is about.
_PARTY_TAG = r"[RDI]-[A-Z][A-Za-z.]*(?:\s[A-Z][a-z.]+)?"
PARTY_AND_STATE = re.compile(rf",\s+{_PARTY_TAG}(?=,)|\s\({_PARTY_TAG}\)")


def analysed_units(text: str, title: str | None, rules: RuleSet = ALL) -> list[Unit]:
    units = [Unit(title, heading=True)] if title else []
    first_prose = True
    for line in (text or "").split("\n"):
        line = " ".join(line.split())
        if rules.on("party_tags"):
            line = PARTY_AND_STATE.sub("", line)
        if not line or (rules.on("credit_lines") and CREDIT_LINE.search(line)) or (
                first_prose and rules.on("byline") and BYLINE.match(line)):
            continue
        if rules.on("headings") and is_heading(line, rules):
            units.append(Unit(line, heading=True))
            continue
        places: list[str] = []
        if first_prose and rules.on("dateline"):
            line, places = dateline_places(line)
        first_prose = False
        if rules.on("place_lists"):
            places += listed_places(line)
        units.append(Unit(line, places=[spelled(p) for p in places if p]))
    return units


def spelled(name: str) -> str:
    found = place(name)
    return found[0] if found else name

# "Barry, Berrien, Calhoun, Cass, Kalamazoo and Van Buren counties": every item is a place.
PLACE_LIST = re.compile(r"((?:[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)?,\s+)+[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)?,?\s+"
                        r"(?:and|or)\s+[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)?)\s+(?:counties|provinces|states|regions|"
                        r"oblasts|districts|prefectures)\b")


# The list is read back from each "counties" within a window: matched over the whole text, a long
# run of "Name, Name, ..." with no list noun after it cost time quadratic in its length (50,000
# characters: 102 s). A list longer than the window is read in its last LIST_WINDOW characters.
LIST_NOUN = re.compile(r"\s(?:counties|provinces|states|regions|oblasts|districts|prefectures)\b")
LIST_WINDOW = 1000


def listed_places(text: str) -> list[str]:
    found, done = [], 0
    for noun in LIST_NOUN.finditer(text):
        if noun.start() < done:
            continue
        match = PLACE_LIST.search(text, max(done, noun.start() - LIST_WINDOW), noun.end())
        if match:
            done = match.end()
            found += [item.strip() for item in re.split(r",\s+|,?\s+(?:and|or)\s+", match.group(1)) if item.strip()]
    return found


# Countries' adjectives, for a body named by its owner's possessive or in lower case: "Russia's
# foreign ministry" and "the French foreign ministry" are the "Russian Foreign Ministry" and the
# "French Foreign Ministry" (the guide's canonical form; the alias tables then apply).
DEMONYMS = {
    "Russia": "Russian", "Ukraine": "Ukrainian", "North Korea": "North Korean", "South Korea": "South Korean",
    "China": "Chinese", "Japan": "Japanese", "Taiwan": "Taiwanese", "Mongolia": "Mongolian", "India": "Indian",
    "Pakistan": "Pakistani", "Afghanistan": "Afghan", "Iran": "Iranian", "Iraq": "Iraqi", "Syria": "Syrian",
    "Israel": "Israeli", "Lebanon": "Lebanese", "Jordan": "Jordanian", "Egypt": "Egyptian", "Turkey": "Turkish",
    "Saudi Arabia": "Saudi", "Qatar": "Qatari", "Yemen": "Yemeni", "Belarus": "Belarusian", "Poland": "Polish",
    "Germany": "German", "France": "French", "Britain": "British", "Italy": "Italian", "Spain": "Spanish",
    "Hungary": "Hungarian", "Romania": "Romanian", "Moldova": "Moldovan", "Georgia": "Georgian",
    "Lithuania": "Lithuanian", "Latvia": "Latvian", "Estonia": "Estonian", "Finland": "Finnish",
    "Sweden": "Swedish", "Norway": "Norwegian", "Vietnam": "Vietnamese", "Thailand": "Thai",
    "Philippines": "Philippine", "Indonesia": "Indonesian", "Malaysia": "Malaysian", "Australia": "Australian",
    "Canada": "Canadian", "Mexico": "Mexican", "Brazil": "Brazilian", "Nigeria": "Nigerian", "Kenya": "Kenyan",
}
_owners = "|".join(sorted((re.escape(k) for k in DEMONYMS), key=len, reverse=True))
_adjectives = "|".join(sorted((re.escape(v) for v in set(DEMONYMS.values())), key=len, reverse=True))
OWNED_MINISTRY = re.compile(
    rf"\b(?:(?P<owner>{_owners})['’]s|(?P<adjective>{_adjectives}))\s+(?i:(?P<area>foreign|defen[cs]e|interior|"
    r"finance|justice|health|trade|economy|education|agriculture|energy|environment|transport|culture|"
    r"unification|emergencies|foreign affairs|home affairs)\s+ministry)\b")


def owned_ministries(prose: str, names) -> list[Mention]:
    """The ministries a text names by their country's possessive or adjective, whatever the case of
    the rest ("Russia's defence ministry", "the Chinese foreign ministry")."""
    found = []
    for match in OWNED_MINISTRY.finditer(prose):
        adjective = DEMONYMS[match["owner"]] if match["owner"] else match["adjective"]
        name = f"{adjective} {' '.join(w.title() for w in match['area'].split())} Ministry"
        found.append(Mention(names.canonical("org", name), "org", None, known=True))
    return found


# "National Security Council (NSC)": an abbreviation the article defines for itself. The name is
# read back from each "(NSC)" within a window: matched over the whole text, a long run of
# capitalised words with no abbreviation after it cost time quadratic in its length (20,000
# words: 88 s).
ABBREVIATION = re.compile(r"\s\(([A-Z]{2,6})\)")
DEFINED_NAME = re.compile(r"\b((?:[A-Z][\w'’.-]*\s+)(?:(?:of|for|and|the|on)\s+|[A-Z][\w'’.-]*\s+)*[A-Z][\w'’.-]*)\s+$")
NAME_WINDOW = 200


def defined_abbreviations(prose: str) -> dict[str, str]:
    """{abbreviation: the name written before it}."""
    defined = {}
    for match in ABBREVIATION.finditer(prose):
        name = DEFINED_NAME.search(prose[max(0, match.start() - NAME_WINDOW):match.start() + 1])
        if name:
            defined[match.group(1)] = name.group(1)
    return defined
