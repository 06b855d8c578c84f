"""The entity stage's rules by name, and which of them run: the stage runs every rule with the
settings below (RuleSet()); bench/cv_entities.py switches each off, or varies a setting or the
typing rules' order, and keeps a rule only if it helps across publisher-grouped folds
(docs/benchmarks.md). A rule that does not carry over is deleted from the code, not left off."""
from __future__ import annotations

from dataclasses import dataclass

# Every rule that can be switched off, in the order the stage applies them: name -> what it does.
RULES = {
    # the text analysed (crawler/entities/units.py)
    "headings": "a short title-case line is a heading: only its names that are known, regions or in the prose count",
    "credit_lines": "credit, copyright and source lines are not analysed",
    "byline": "a leading byline is not analysed",
    "dateline": "a dateline gives its places and loses its agency credit",
    "party_tags": "a legislator's party and state (', R-W.Va.,') is not analysed",
    "place_lists": "every item of 'Barry, Cass and Van Buren counties' is a place",
    "owned_ministries": "'Russia's defence ministry' is the Russian Defence Ministry",
    "defined_abbreviations": "'National Security Council (NSC)': NSC is that name",
    "known_names": "the names of the tables are found as written, over the model's spans",
    # the model's spans repaired (crawler/entities/spans.py)
    "nation_longer": "a country's longer name the model cut ('Bosnia' + 'and Herzegovina')",
    "untagged_head": "a name before an untagged organisation head is that organisation ('The Hollywood Reporter')",
    "nationality_org": "a nationality or place before a tagged organisation head ('Russian' + 'Foreign Ministry')",
    "body_of": "an organisation's head and what it is of or on ('Committee' + 'on' + 'Intelligence')",
    "city_team": "a city and a plural tagged apart are a team ('Dallas' + 'Cowboys')",
    "body_of_two": "a body of or for two things cut at 'and' ('Centers for Medicare' + 'and Medicaid Services')",
    "ordinal_unit": "an ordinal before a unit ('47th' + 'Mechanized Brigade')",
    "conjoined_and": "an organisation cut at 'and' before untagged capitalised words ('Customs and Border Protection')",
    "unseen_nations": "countries, UK nations and US states the model did not see are places",
    "unseen_regions": "a capitalised name before a region noun the model did not see is a place",
    "unseen_streets": "a street, square or bridge the model left untagged is a place",
    # one span as a name (crawler/entities/tagger.py, rules.py)
    "hyphen_places": "'U.S.-Mexico': two places",
    "and_pair": "'Wrap and Deadline': two one-word names the model ran together",
    "sentence_start": "a sentence's first word is not part of a known organisation after it",
    "maker_product": "a known organisation and another are both; a maker and its product is the maker",
    "hyphen_given_name": "a hyphenated given name the tokenizer split ('Moon Jae-in')",
    "website": "a name written as its web address is the company",
    "numbers_kept": "a known name keeps its number ('G7'), a broadcaster its channel ('NBC 5')",
    "owner_date": "'Trump's July 25 call' is no name",
    "instrument_codes": "a span with a ticker code is an instrument, not a name",
    "non_entity_heads": "a label's letter or the head of a thing that is no entity ('Group D', 'Dow Jones Average')",
    "product_tiers": "a span ending in a product's tier ('AirPods Pro', 'Mavic Mini') is a product",
    "legal_suffix": "a legal suffix and '.com' are dropped",
    "state_abbreviations": "AP's state abbreviations with their stop are the state ('Calif.')",
    "verb_in_person": "a verb running through a person's span makes it none ('Garrett hit Rudolph')",
    "person_abbreviation_end": "a person's name does not end in an abbreviation ('Sports NFL')",
    "position_marks": "a person's name starts after a position abbreviation ('Browns DL Sheldon Richardson')",
    "verb_in_org": "a verb running through an organisation's span makes it none",
    "offices": "an office ('Inspector-General of Police') is no organisation",
    "programme_first_word": "the first part of a programme's or index's name is no organisation ('SunShot')",
    "instruments": "an issuer before its instrument ('Treasury yields') is no organisation",
    "verb_in_place": "a place's name ends before a common word ('Arctic summer')",
    "by_tables": "typing: the tables' type",
    "by_region_suffix": "typing: Oblast, Province, County ... (and 'Osun State') make a place",
    "by_organisation_head": "typing: Ministry, Party, University ... make an organisation, Street, Airport a place",
    "by_following_place_noun": "typing: 'X county', 'X hospital' make a place",
    "by_preceding_descriptor": "typing: 'energy company X' an organisation, 'the city of X' a place",
    "by_gazetteer": "typing: a region the gazetteer knows, or a city the model called a place or organisation",
    "by_following_role": "typing: 'X analyst', 'X shares' make X an organisation",
    "according_to": "'according to the X' is an organisation unless the gazetteer knows the place",
    "who_person": "'Rioland, who' is a person",
    "plural_team": "'the Steelers' the model calls a person is a team",
    # the article's names together (crawler/entities/resolve.py)
    "us_house": "'the House' of a report on Congress is the House of Representatives",
    "org_place_tie": "a name the model calls both organisation and place that no gazetteer knows is an organisation",
    "surname_person": "a full name whose surname the article calls a person is that person",
    "short_acronyms": "an undefined all-capitals organisation of up to three letters is no name",
    "common_words": "one capitalised word the prose also writes in lower case is no name",
    "retype_surnames": "a surname typed organisation or place is the person of that surname",
    "person_short_forms": "a one-word name is the article's full name, or left out (the guide)",
    "short_names": "an organisation's or place's short form or initials are its full name",
}
TYPE_ORDER = ("by_tables", "by_region_suffix", "by_organisation_head", "by_following_place_noun",
              "by_preceding_descriptor", "by_gazetteer", "by_following_role")


@dataclass(frozen=True)
class RuleSet:
    off: frozenset[str] = frozenset()
    type_order: tuple[str, ...] = TYPE_ORDER  # the order in which the typing rules settle a conflict
    heading_words: int = 30  # a heading has at most this many words ...
    heading_share: float = 0.6  # ... of which at least this share capitalised
    acronym_letters: int = 3  # an undefined all-capitals organisation up to this length is no name
    conjoined_words: int = 2  # untagged capitalised words after 'and' that continue a name

    def __post_init__(self):
        unknown = sorted(set(self.off) - set(RULES))
        if unknown or sorted(self.type_order) != sorted(TYPE_ORDER):
            raise ValueError(f"unknown rules {unknown} or typing order {self.type_order}")

    def on(self, rule: str) -> bool:
        if rule not in RULES:
            raise KeyError(rule)  # a misspelt name would silently count as switched on
        return rule not in self.off

    def typing_order(self) -> tuple[str, ...]:
        return tuple(name for name in self.type_order if name not in self.off)


ALL = RuleSet()
