"""Authors: the byline candidates of a page (JSON-LD authors, meta authors, the visible byline)
cleaned and chosen. The outlet itself is not an author beside a person; "Last, First" is turned round when another candidate writes the same
person "First Last"; e-mail addresses give way to the name beside them, or are dropped; two
people in one credit ("A und B") are two authors."""
from __future__ import annotations

import re

from crawler.extraction.headline import is_site_name

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
# "chuck-ross": a profile slug, not the name as written (another field usually has that).
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# A job title after a CJK name: "신현주 기자" (reporter), "山田太郎記者", "特派員".
ROLE_SUFFIX = re.compile(r"\s*(?:기자|특파원|선임기자|記者|特派員|编辑|記者\s*[:：])$")
SOURCE_ORDER = ["ld:article:author", "meta:author", "ld:webpage:author", "byline", "signature", "feed", "extractor"]
# Where the publisher declares its author: only these may credit an organisation (a visible
# "byline" element naming a company is usually a logo or a footer).
DECLARED = {"ld:article:author", "meta:author", "ld:webpage:author", "feed"}
# Where crediting the outlet itself is a statement about this article: an author on the article's
# own structured data. A `<meta name="author">` naming the site is the template's default, the same
# on every page (it says who runs the site), and the byline, feed and extractor guesses repeat it.
OUTLET_CREDIT_SOURCES = {"ld:article:author", "ld:webpage:author"}


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


def _split(value: str) -> list[str]:
    value = BY_PREFIX.sub("", value.strip())
    value = PARENTHESES.sub(" ", value)
    value = EMAIL.sub(" ", value).strip(" ,;:-–—()<>")  # "Ann Lee <ann@x.test>" -> "Ann Lee"
    if not value:
        return []
    parts = [p.strip(" ,.;:-–—") for p in CONJUNCTION.split(value)]
    parts = [BY_PREFIX.sub("", p) for p in parts if p]
    # "Brazil, Rachel" is one person written surname first; "Ann Lee, Bo Kim" and "Jörg
    # Soldwisch, dpa" are two credits.
    out = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) == 2 and len(pieces[0].split()) == 1 and len(pieces[1].split()) <= 2:
            out.append(", ".join(pieces))
        else:
            out += pieces
    out = [ROLE_SUFFIX.sub("", p).strip() for p in out]
    return [p for p in out if p and not NOT_A_NAME.match(p) and not SLUG.match(p)
            and len(p.split()) <= MAX_NAME_WORDS]


def looks_like_name(text: str) -> bool:
    """What a visible byline must look like to count: two to four capitalised words, or a short
    run of a script without capitals (CJK)."""
    if not any(ch.isalpha() and ch.isascii() for ch in text) and not any(ch.isupper() for ch in text):
        return 1 < len(text) <= 12 and not any(ch.isdigit() for ch in text)
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[0].isupper() for w in words) and not text.isupper() or (
        2 <= len(words) <= 4 and text.isupper() and all(len(w) > 1 for w in words))


def is_outlet_account(name: str, site_keys: set[str]) -> bool:
    """The site's name, or a CMS account named after it: "Ilanga D" on Ilanga News, a single-letter
    initial is not what tells a person from a site."""
    if is_site_name(name, site_keys):
        return True
    words = [w for w in name.split() if len(w.strip(".")) > 1]
    return 0 < len(words) < len(name.split()) and is_site_name(" ".join(words), site_keys)


def _uninvert(name: str, known: set[str]) -> str:
    if "," not in name:
        return name
    last, _, first = name.partition(",")
    turned = f"{first.strip()} {last.strip()}"
    return turned if _key(turned) in known else name


def choose_authors(candidates: list[tuple[str, list[str]]], organisations, site_keys: set[str]) -> list[str]:
    """The credits of the most trusted candidate list that names someone other than the outlet.
    The outlet's own name (or an account named after it) never stands beside a person; when
    the article's structured data credits nobody but the outlet, that credit is what the page says
    and is kept (publishers' own parsers keep it: 13 of 16 such dev pages); a meta tag naming the
    site is not such a credit. An agency or desk named
    in a declared author field ("dpa", "MND Staff") stays, as those parsers keep it too."""
    organisation_keys = {_key(o) for o in organisations if o}
    order = {source: index for index, source in enumerate(SOURCE_ORDER)}
    people_lists, outlet_credits = [], []
    for source, names in sorted(candidates, key=lambda c: order.get(c[0], len(order))):
        people = []
        for raw in names:
            for name in _split(raw):
                if is_outlet_account(name, site_keys):
                    if source in OUTLET_CREDIT_SOURCES:
                        outlet_credits.append(name)
                elif source not in DECLARED and (_key(name) in organisation_keys or not looks_like_name(name)):
                    continue  # a visible element naming a company (a logo), initials, a form label
                else:
                    people.append(name)
        if people:
            people_lists.append((source, people))
    if not people_lists:
        return outlet_credits[:1]
    known = {_key(n) for _, people in people_lists for n in people if "," not in n}
    return _unique(_uninvert(n, known) for n in people_lists[0][1])


def _unique(names) -> list[str]:
    seen, out = set(), []
    for name in names:
        if _key(name) not in seen:
            seen.add(_key(name))
            out.append(name)
    return out
