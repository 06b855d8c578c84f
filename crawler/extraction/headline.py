"""The headline among the page's candidates, without the site's name.

A site name is recognised by comparing a title's separated segments with the site's own names
(og:site_name, application-name, the JSON-LD publisher, the outlet's name, the host name), never
by a list of publishers. What a segment split off by a separator is, when it is not the site's
name, is decided by agreement: when another candidate is the title without it, it goes."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

# " | ", " - ", " – ", " — ", " · ", " :: ", " » ", full-width bars and the Hangul letter ㅣ that
# Korean sites use as a bar; a hyphen counts only with spaces around it.
SEPARATOR = re.compile(r"\s+(?:[|\-–—·•»/*]|::)\s+|\s*[｜|ㅣ：]\s*")
# What a site appends after a headline without spaces: "Headline-정치" (a one-word section).
SECTION_TAIL = re.compile(r"^\s*[-–—|:·/]\s*\w{1,15}\s*$")
# A longer tail ("Headline - Samastipur News") goes only when a declared headline field, not the
# H1 (which may drop a tail the publisher means), is the title without it.
SECTION_TAIL_LONG = re.compile(r"^\s*[-–—|:·/]\s*\w{1,15}(?:\s\w{1,15}){1,2}\s*$")
DECLARED_HEADLINES = ("ld:article:headline", "microdata:headline")
SHARING_TITLES = ("og:title", "twitter:title")
MAX_SLUG_WORDS, MAX_TITLE_WORDS = 40, 80
# Letters an address writes in ASCII that Unicode does not decompose into a base letter and a mark
# (Polish ł, Turkish ı, Danish ø, Croatian đ, Icelandic þ, ligatures).
ADDRESS_LETTERS = str.maketrans({"ł": "l", "ı": "i", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "þ": "th",
                                 "æ": "ae", "œ": "oe"})
# The publisher's sharing headline first: on the dev pages (and in Fundus' own parsers) og:title
# is the headline as edited, the JSON-LD headline often an SEO variant, the <title> carries the site.
TRUST = ["og:title", "ld:article:headline", "twitter:title", "microdata:headline", "h1", "headline",
         "dc.title", "DC.title", "ld:article:name", "ld:webpage:headline", "ld:webpage:name", "title"]
# The headlines a page states for its article (not a page section's or a site's name).
STATED_HEADLINES = {"og:title", "twitter:title", "ld:article:headline", "microdata:headline", "h1", "headline"}
COMMON_TLDS = {"com", "net", "org", "de", "co", "uk", "at", "ch", "jp", "kr", "cn", "tw", "es", "fr", "it",
               "news", "info", "online", "www", "m", "amp", "edition", "no", "dk", "se", "pl", "tr"}


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def site_keys(site_names, url: str | None) -> set[str]:
    keys = {_key(n) for n in site_names if n and _key(n)}
    host = urlsplit(url or "").hostname or ""
    labels = [label for label in host.split(".") if label and label not in COMMON_TLDS]
    keys |= {_key(label) for label in labels if len(label) >= 3}
    if host:
        keys.add(_key(host.removeprefix("www.")))
    return {k for k in keys if k}


def is_site_name(segment: str, keys: set[str]) -> bool:
    seg = _key(segment)
    if not seg:
        return False
    for key in keys:
        if seg == key:
            return True
        # "Ilanga News" for ilanga.co.za, "BILD.de" for "bild.de", "Express.co.uk" for express:
        # the segment is mostly the name.
        if len(key) >= 4 and (key in seg or seg in key) and min(len(seg), len(key)) * 2 >= max(len(seg), len(key)):
            return True
    return False


def strip_site_name(title: str, keys: set[str]) -> str:
    parts = SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    low, high = 0, len(parts)
    # "Headline | Site | by Author", "Headline - Section | Site": cut from the site's name on.
    for index in range(1, len(parts)):
        if is_site_name(parts[index], keys):
            high = index
            break
    if high - low > 1 and is_site_name(parts[0], keys):
        low = 1
    if (low, high) == (0, len(parts)):
        return title
    return _join(title, parts[low:high])


def _join(title: str, parts: list[str]) -> str:
    start = title.find(parts[0])
    end = title.find(parts[-1], start) + len(parts[-1])
    return title[start:end].strip()


def _fold(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold().translate(ADDRESS_LETTERS))
    return [w for w in re.split(r"\W+", "".join(c for c in text if not unicodedata.combining(c))) if w]


def _spellings(word: str) -> set[str]:
    # an address writes "ü" as "ue" or "u": "osnabrueck", "getotet"
    return {word, word.replace("ae", "a").replace("oe", "o").replace("ue", "u")}


def slug_words(url: str | None) -> list[str]:
    """The words of the address's headline slug: its path segment with the most hyphens, without
    the long numbers and ids around it ("…/article409956720/ampeln-tot-s-bahnen-stoppen.html")."""
    segments = [s for s in unquote(urlsplit(url or "").path).split("/") if s]
    slug = max(segments, key=lambda s: s.count("-") + s.count("_"), default="")
    words = [w for w in _fold(slug.replace("_", "-")) if not (any(c.isdigit() for c in w) and len(w) > 4)]
    return words[:MAX_SLUG_WORDS] if slug.count("-") + slug.count("_") >= 2 else []


def slug_agreement(slug: list[str], title: str) -> float:
    """How well a title spells the slug, in order: the most slug words the title has in the slug's
    order, over all the words of both ("Haftbefehl: Streeck lobt Doku" has the words of
    streeck-lobt-haftbefehl-doku, not their order)."""
    words = _fold(title)[:MAX_TITLE_WORDS]  # bounds the comparison's cost on a hostile page
    if not slug or not words:
        return 0.0
    previous = [0] * (len(words) + 1)
    for slug_word in slug:
        spellings = _spellings(slug_word)
        current = [0]
        for j, word in enumerate(words):
            current.append(previous[j] + 1 if spellings & _spellings(word) else max(previous[j + 1], current[j]))
        previous = current
    common = previous[-1]
    return common / (len(slug) + len(words) - common)


def choose_title(candidates: list[tuple[str, str]], keys: set[str], url: str | None = None) -> str | None:
    """The most trusted candidate, its site name (`keys`: site_keys) stripped; a trailing
    one-word section that another candidate leaves out is dropped too ("Headline | Sport" beside
    "Headline"). When the sharing title and the declared (JSON-LD, microdata) headline differ,
    the one the page's address (`url`) spells wins: the slug is written from the headline when
    the story is published, and a sharing title rewritten for social media, or one that follows
    a live page's latest entry, no longer matches it."""
    cleaned = [(source, strip_site_name(value, keys)) for source, value in candidates if value]
    cleaned = [(source, value) for source, value in cleaned if value]
    if not cleaned:
        return None
    ranked = sorted(cleaned, key=lambda c: TRUST.index(c[0]) if c[0] in TRUST else len(TRUST))
    best = ranked[0][1]
    slug = slug_words(url)
    if ranked[0][0] in SHARING_TITLES and slug:
        declared = [value for source, value in cleaned if source in DECLARED_HEADLINES and value != best]
        for value in declared[:1]:
            agreement = slug_agreement(slug, value)
            if agreement >= 0.5 and agreement > slug_agreement(slug, best):
                best = value
    # "Headline | Sport", "Headline-정치": a one-word section after a separator, which another
    # candidate leaves out.
    for source, other in cleaned:
        if len(other) < len(best) and best.startswith(other) and (SECTION_TAIL.match(best[len(other):]) or (
                source in DECLARED_HEADLINES and SECTION_TAIL_LONG.match(best[len(other):]))):
            return other
    return best
