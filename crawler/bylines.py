"""Authors as people: the byline candidates of a page (JSON-LD authors, meta authors, the visible
byline) cleaned and chosen. The outlet itself and organisations (JSON-LD Organization, the
publisher, the site's own names) are not authors; "Last, First" is turned round when another
candidate writes the same person "First Last"; e-mail addresses give way to the name beside
them, or are dropped."""
from __future__ import annotations

import re

from crawler.headline import is_site_name

EMAIL = re.compile(r"\S+@\S+\.\w+")
BY_PREFIX = re.compile(r"^(?:by|von|por|par|di|da|av|af|door|przez|от|tekst|text|texto|written by)\s*:?\s+",
                       re.IGNORECASE)
# Initials or a role in parentheses after a name: "Elena Oberholzer (obe)", "Jane Roe (AP)".
PARENTHESES = re.compile(r"\s*[(\[][^)\]]{0,40}[)\]]\s*")
# Two people in one string: "Felix Schröder und Jörg Soldwisch", "A og B", "A & B", "A, B and C".
CONJUNCTION = re.compile(r"\s+(?:and|und|og|och|y|e|et|en|i|ve|и|&)\s+|\s*[;、，/|]\s*|\s+&\s+", re.IGNORECASE)
NOT_A_NAME = re.compile(r"^(?:https?:|www\.|\d+$|[\W\d_]+$)")
# Who else a byline credits: "Redaktion"-style desks stay (a publisher's parser keeps them too),
# but the site's own name, URL-ish strings and numbers do not.
MAX_NAME_WORDS = 6
SOURCE_ORDER = ["ld:article:author", "byline", "meta:author", "ld:webpage:author"]


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


def _split(value: str) -> list[str]:
    value = BY_PREFIX.sub("", value.strip())
    mailto = EMAIL.sub("", value).strip(" ,;:-–—()<>") if EMAIL.search(value) else value
    if not mailto:
        return []
    value = PARENTHESES.sub(" ", mailto).strip(" ,;:-–—")
    parts = [p.strip(" ,.;:-–—") for p in CONJUNCTION.split(value)]
    parts = [BY_PREFIX.sub("", p) for p in parts if p]
    # "Last, First" is one person; "Ann Lee, Bo Kim" are two: split on commas only between names
    # of more than one word.
    out = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) > 1 and all(len(p.split()) > 1 for p in pieces):
            out += pieces
        else:
            out.append(", ".join(pieces))
    return [p for p in out if p and not NOT_A_NAME.match(p) and len(p.split()) <= MAX_NAME_WORDS]


def _uninvert(name: str, known: set[str]) -> str:
    if "," not in name:
        return name
    last, _, first = name.partition(",")
    turned = f"{first.strip()} {last.strip()}"
    return turned if _key(turned) in known else name


def choose_authors(candidates: list[tuple[str, list[str]]], organisations, site_keys: set[str]) -> list[str]:
    """The most trusted candidate list that still names a person after cleaning."""
    organisation_keys = {_key(o) for o in organisations if o}
    cleaned = []
    for source, names in candidates:
        people = []
        for raw in names:
            for name in _split(raw):
                if _key(name) in organisation_keys or is_site_name(name, site_keys):
                    continue
                people.append(name)
        cleaned.append((source, people))
    known = {_key(n) for _, people in cleaned for n in people if "," not in n}
    order = {source: index for index, source in enumerate(SOURCE_ORDER)}
    cleaned.sort(key=lambda c: order.get(c[0], len(order)))
    for _, people in cleaned:
        if people:
            seen, out = set(), []
            for name in (_uninvert(n, known) for n in people):
                if _key(name) not in seen:
                    seen.add(_key(name))
                    out.append(name)
            return out
    return []
