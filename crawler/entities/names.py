"""Entity names as the contract wants them: cleaned, variant spellings and aliases mapped to one
canonical name, short forms resolved within an article, types fixed by a gazetteer. The data is
crawler/entities/data/names.toml plus an optional user file (NEWSWATCH_NAMES)."""
from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.article import ENTITY_TYPES

SHIPPED = Path(__file__).parent / "data" / "names.toml"
SHIPPED_KOREAN = Path(__file__).parent / "data" / "names_ko.toml"  # Korean forms of the same names
QUOTES = "\"'“”‘’«»"
TITLES = re.compile(
    r"^(?:(?:former|late|then|acting|deputy|vice|chief|senior|top|u\.?s\.?|ukrainian|russian|north korean|"
    r"south korean|korean|chinese|british|american|israeli|afghan|australian|german|french)\s+)*"
    r"(?:president|prime minister|premier|foreign minister|defen[cs]e minister|minister|secretary of state|"
    r"secretary general|secretary-general|secretary|leader|chairman|chairwoman|chair|ambassador|envoy|"
    r"general|gen\.|lt\.?\s*col\.?|col\.|lt\.|maj\.|capt\.|adm\.|admiral|commander|marshal|sen\.|senator|rep\.|"
    r"representative|gov\.|governor|mayor|speaker|dr\.?|mr\.?|mrs\.?|ms\.?|prof\.?|professor|sir|dame|lord|lady|"
    r"king|queen|prince|princess|pope|judge|justice|hon\.|rt\. hon\.|spokesman|spokeswoman|spokesperson|"
    r"press secretary)\s+",
    re.IGNORECASE)
REGION_SUFFIX = re.compile(r"\s+(?:region|oblast|krai|province|governorate|district)$", re.IGNORECASE)
NOT_A_NAME = re.compile(r"^[\d\W_]+$|^\d|\d{2,}")


@dataclass
class NameTable:
    aliases: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in ENTITY_TYPES})
    gazetteer: dict[str, str] = field(default_factory=dict)  # lower-cased name -> type
    keep_province: set[str] = field(default_factory=set)
    not_entities: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)  # canonical names, as written
    korean_context: dict[str, list[str]] = field(default_factory=dict)  # crawler.entities.korean
    written: dict[str, set[str]] = field(default_factory=dict)  # lower-cased name -> its forms as written ("DoorDash")

    def __hash__(self) -> int:  # one table per loaded configuration: identity is enough
        return id(self)

    def add(self, data: dict) -> None:
        _refuse_unknown_tables(data)
        for kind, table in (data.get("aliases") or {}).items():
            if kind not in ENTITY_TYPES:
                raise ValueError(f"aliases.{kind}: the types are {', '.join(ENTITY_TYPES)}")
            for canonical, variants in table.items():
                for name in [canonical, *variants]:
                    self.aliases[kind][name.lower()] = canonical
                    self.written.setdefault(name.lower(), set()).add(name)
        gazetteer = data.get("gazetteer") or {}
        for name in gazetteer.get("countries", []):
            self.gazetteer[name.lower()] = "place"
            self.countries.add(name)
        for kind in ENTITY_TYPES:
            for name in gazetteer.get(kind, []):
                self.gazetteer[name.lower()] = kind
                self.written.setdefault(name.lower(), set()).add(name)
        self.keep_province |= {n.lower() for n in gazetteer.get("keep_province", [])}
        self.not_entities |= {n.lower() for n in (data.get("not_entities") or {}).get("names", [])}
        for key, words in (data.get("korean_context") or {}).items():
            self.korean_context[key] = [*self.korean_context.get(key, []), *words]

    def spelled(self, prefix: str, limit: int = 1000) -> list[tuple[str, str]]:
        """(type, canonical name) of the names one of whose forms in the tables starts with
        `prefix`, any case: "김" finds Kim Jong Un by 김정은, "zelenskyy" Volodymyr Zelensky (for
        autocomplete, which sees only the canonical names articles carry)."""
        prefix = unicodedata.normalize("NFC", prefix).lower()
        if not prefix:
            return []
        forms = self._sorted_forms()
        start = bisect.bisect_left(forms, (prefix,))
        found: dict[tuple[str, str], None] = {}
        for form, kind, canonical in forms[start:]:
            if not form.startswith(prefix) or len(found) >= limit:
                break
            found[(self.gazetteer.get(canonical.lower(), kind), canonical)] = None
        return list(found)

    def _sorted_forms(self) -> list[tuple[str, str, str]]:
        key = sum(len(table) for table in self.aliases.values())
        if getattr(self, "_forms", (None, None))[0] != key:  # rebuilt when names were added
            self._forms = (key, sorted((unicodedata.normalize("NFC", alias), kind, canonical)
                                       for kind, table in self.aliases.items() for alias, canonical in table.items()))
        return self._forms[1]

    def kind_of(self, name: str) -> str | None:
        """The type the tables give a name (gazetteer, then aliases), or None."""
        lowered = name.lower()
        if lowered in self.gazetteer:
            return self.gazetteer[lowered]
        for kind in ENTITY_TYPES:
            if lowered in self.aliases[kind]:
                return self.gazetteer.get(self.aliases[kind][lowered].lower(), kind)
        return None

    def canonical(self, kind: str, name: str) -> str:
        return self.aliases[kind].get(name.lower(), name)

    def phrases(self) -> dict[str, str]:
        """Every name the tables know, with its type: the gazetteer and all aliases."""
        known = {}
        for kind in ENTITY_TYPES:
            for alias, canonical in self.aliases[kind].items():
                known[alias] = self.gazetteer.get(canonical.lower(), kind)
        known.update(self.gazetteer)
        return known


TABLES = {"aliases": set(ENTITY_TYPES), "gazetteer": {"countries", "keep_province", *ENTITY_TYPES},
          "not_entities": {"names"}, "korean_context": None}  # None: any key (a context word list)


def _refuse_unknown_tables(data: dict) -> None:
    """A names file has these tables and keys only: a misspelt one would be silently ignored."""
    for table, value in data.items():
        if table not in TABLES:
            raise ValueError(f"[{table}]: unknown table (the tables are {', '.join(TABLES)})")
        keys = TABLES[table]
        if not isinstance(value, dict):
            raise ValueError(f"{table}: expected a table")
        if keys is not None:
            for key in value:
                if key not in keys:
                    raise ValueError(f"{table}.{key}: unknown key (the keys are {', '.join(sorted(keys))})")


def load_names(extra: Path | None = None) -> NameTable:
    table = NameTable()
    for path in (SHIPPED, SHIPPED_KOREAN, extra):
        if path is None:
            continue
        try:
            table.add(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: {exc}") from None
    return table


@lru_cache(maxsize=4)
def cached_names(extra: str | None) -> NameTable:
    return load_names(Path(extra) if extra else None)


def names_path(config) -> str | None:
    """The user's names file (NEWSWATCH_NAMES) as the worker functions take it: a string or None."""
    extra = config["NEWSWATCH_NAMES"]
    return str(extra) if extra else None


PARTICLES = {"von", "van", "de", "der", "den", "da", "di", "du", "dos", "del", "la", "le", "al", "el", "bin", "ibn"}


def clean(kind: str, text: str, names: NameTable) -> str | None:
    """One mention's text as a name: whitespace and quotes folded, possessive, leading 'the' and
    titles dropped, regions reduced; None when it is not a name (a number, a demonym...)."""
    text = text.replace("’", "'").replace("‘", "'")
    name = " ".join(text.replace("\u00a0", " ").split()).strip(QUOTES + " ,;:()[]")
    # Leading lower-case words are not part of a name ("s Haqqani" after a split "group's"),
    # except name particles ("von Weizsäcker").
    words = name.split()
    while words and words[0][:1].islower() and words[0] not in PARTICLES:
        words.pop(0)
    name = " ".join(words)
    if not names.kind_of(re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)):  # "McDonald's" is a name, not an owner
        name = re.sub(r"(?:'s|’s|'|’)$", "", name).strip()
    name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    if kind == "person":
        untitled = TITLES.sub("", name)
        # A royal named by title and given name keeps the title ("Prince Andrew", as the labels
        # do); with a regnal number the name is whole without it ("Charles III").
        royal = re.match(r"(?:King|Queen|Prince|Princess)\s+(?=[A-Z][a-z]+$)", name)
        name = name if royal and " " not in untitled else untitled
        name = re.sub(r"\s*,?\s+(?:[A-Z]\.\s*)?(?:R|D|I)-[A-Z][a-z]+\.?$", "", name)  # "Ilhan Omar, D-Minn."
    if kind == "place" and name.isupper() and len(name) > 4 and " " not in name:
        name = name.title()  # datelines: "WASHINGTON (AP)"
    if kind == "place":
        name = REGION_SUFFIX.sub("", name)
        if name.lower() in names.keep_province:  # "North Hamgyong" is the province of that name
            name = f"{name} Province"
    name = name.strip(QUOTES + " ,;:-")
    if not re.fullmatch(r"(?:[A-Za-z]\.){2,}", name):  # keep the dot of "U.S."
        name = name.rstrip(".")
    # A numbered unit's ordinal is part of its name ("82nd Airborne Division"), not a number.
    unnumbered = re.sub(r"^(?:[A-Z][a-z]+\s+)?\d+(?:st|nd|rd|th)\s+(?=[A-Z])", "", name)
    if len(name) < 2 or (NOT_A_NAME.search(unnumbered) and not names.kind_of(name)) or \
            name.lower() in names.not_entities:
        return None
    if name.isupper() and len(name) > 6 and kind == "person":
        return None
    written = names.written.get(name.lower(), ())
    if written and not name.isupper() and all(w.isupper() for w in written):
        return None  # an acronym the tables know, written as a word: "Us", "Who"
    return names.canonical(kind, name)


def is_short_form(name: str) -> bool:
    words = name.split()
    return len(words) == 1 or words[0] in PARTICLES


def resolve_short_forms(people: list[str]) -> list[str]:
    """Within one article: a one-word name (or a surname with its particle) becomes the full name
    it is part of; one that matches no full name, or several, is left out rather than guessed."""
    full = [p for p in people if not is_short_form(p)]
    # The full names by first and last word, so that each short form looks at its candidates only
    # (compared with every full name, thousands of people cost their number squared).
    by_word: dict[str, set[str]] = {}
    for f in full:
        by_word.setdefault(f.split()[0], set()).add(f)
        by_word.setdefault(f.split()[-1], set()).add(f)
    resolved = []
    for name in people:
        if not is_short_form(name):
            resolved.append(name)
            continue
        candidates = by_word.get(name.split()[-1], set()) | by_word.get(name, set())
        matches = {f for f in candidates if f != name and (f.endswith(" " + name) or f.split()[0] == name)}
        if len(matches) == 1:
            resolved.append(matches.pop())
    return resolved


def person_parts(people: list[str]) -> set[str]:
    """The surnames and first names of the full names in an article (and their plurals)."""
    parts = set()
    for name in people:
        if not is_short_form(name):
            words = name.split()
            parts |= {words[0], words[-1], words[-1] + "s"}
    return parts
