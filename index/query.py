"""The one query model: what `/search`, `newswatch search` and the search page ask for.

`parse_search_params` turns request parameters into a `SearchQuery`, raising `QueryError` (which
names the parameter) for anything invalid. Each backend translates a `SearchQuery` once.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Iterable

from core.article import ENTITY_TYPES
from index.histogram import PERIODS, zone

DEFAULT_SIZE = 20
MAX_SIZE = 100
# As Elasticsearch's index.max_result_window: paging by relevance stops after this many hits (by
# newest, paging goes on by sort position), and no offset beyond it is ever asked of a backend.
MAX_RESULT_WINDOW = 10_000
SORTS = ("relevance", "newest")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class QueryError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message

    def as_json(self) -> dict:
        return {"error": self.message, "parameter": self.parameter}


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    entities: tuple[tuple[str, str], ...] = ()
    outlets: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "relevance"
    size: int = DEFAULT_SIZE
    # Where the previous page ended, as the backend that served it described it (a decoded cursor).
    after: dict | None = None
    include_duplicates: bool = False
    facets: tuple[str, ...] = field(default=("outlet",) + ENTITY_TYPES + ("topic",))
    # The members of one story (its story_id), for /stories/{id}; not a search parameter.
    story: str | None = None
    # Counts per period of publication (day, week or month, in `timezone`), for attention over time.
    histogram: str | None = None
    timezone: str = "UTC"

    @property
    def effective_sort(self) -> str:
        # With no words there is no relevance to rank by.
        return self.sort if self.q.strip() else "newest"

    def fingerprint(self) -> str:
        """Identifies the query a cursor belongs to (everything but the page position)."""
        parts = [self.q, self.entities, self.outlets, self.topics, self.language,
                 self.since and self.since.isoformat(), self.until and self.until.isoformat(),
                 self.sort, self.size, self.include_duplicates, self.story, self.histogram, self.timezone]
        return hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=6).hexdigest()

    @property
    def offset(self) -> int:
        return int((self.after or {}).get("o", 0))


def parse_date_param(name: str, value: str) -> datetime:
    value = value.strip().upper()  # RFC 3339 allows "t" and "z"
    try:
        if DATE_ONLY.match(value):
            return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(0), timezone.utc)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(name, f"{value!r} is not an ISO date or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# TYPE:NAME, the type in any case; as the OpenAPI document states it (ECMA-262 has no flags).
ENTITY_PATTERN = r"^([Pp][Ee][Rr][Ss][Oo][Nn]|[Oo][Rr][Gg]|[Pp][Ll][Aa][Cc][Ee]):.*\S.*$"


# What ECMA-262's \s (ENTITY_PATTERN's) calls white space; Python's str.isspace also counts
# the separators \x1c-\x1f and \x85, so a name of those is "blank" to one and not the other.
ECMA_SPACE = set("\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200b)}


def parse_entity(value: str) -> tuple[str, str]:
    kind, sep, name = value.partition(":")
    kind = kind.lower()
    if not sep or kind not in ENTITY_TYPES or all(c in ECMA_SPACE for c in name):
        raise QueryError("entity", f"{value!r} is not TYPE:NAME with TYPE one of {', '.join(ENTITY_TYPES)}")
    return kind, " ".join(name.split())


def _canonical(entity: tuple[str, str], names) -> tuple[str, str]:
    kind, name = entity
    return (kind, names.canonical(kind, name)) if names is not None else entity


def check_known(query: "SearchQuery", outlets: set[str], topics: set[str], kept_outlets=lambda: ()) -> None:
    """An outlet or topic that does not exist is a mistake to say, not a search with no hits.
    `kept_outlets()` — outlets gone from the configuration whose articles are still kept — is a
    count over every article, so it is asked only for an outlet that is not configured."""
    unknown = [outlet for outlet in query.outlets if outlet not in outlets]
    if unknown:
        outlets = outlets | set(kept_outlets())
    for outlet in unknown:
        if outlet not in outlets:
            raise QueryError("outlet", f"no outlet {outlet!r} (known: {', '.join(sorted(outlets)) or 'none'})")
    for topic in query.topics:
        if topic not in topics:
            raise QueryError("topic", f"no topic {topic!r} (known: {', '.join(sorted(topics)) or 'none'})")


def _iso_639_1() -> frozenset[str]:
    import pycountry

    return frozenset(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))


LANGUAGES = _iso_639_1()

# The fields `q` may name (`field:value`); both backends index each of them.
QUERY_FIELDS = ("title", "description", "text", "authors", "outlet", "language", "tags", "url")
NAMED_FIELD = re.compile(r'(?:^|[\s(+\-])([A-Za-z_][\w.]*):')
QUOTED = re.compile(r'"[^"]*"')


# Wildcards, fuzzy and regular-expression terms mean different things to the two backends' query
# parsers (tantivy has none of them): refused rather than answered differently.
UNSUPPORTED = re.compile(r"[*?~/]")


def check_fields(q: str) -> None:
    unquoted = QUOTED.sub(" ", q)
    for name in NAMED_FIELD.findall(unquoted):
        if name not in QUERY_FIELDS:
            raise QueryError("q", f"unknown field {name!r} in the query (fields: {', '.join(QUERY_FIELDS)})")
    found = UNSUPPORTED.search(unquoted)
    if found:
        raise QueryError("q", f"{found.group()!r} is not supported: no wildcards (*, ?), fuzzy (~) or regular "
                              "expressions (/); put it in quotes to search for it as text")


KNOWN_PARAMETERS = {"q", "entity", "outlet", "topic", "language", "since", "until", "sort", "size",
                    "cursor", "duplicates", "histogram", "tz"}


def parse_search_params(params: Iterable[tuple[str, str]], names=None, cursors=None) -> SearchQuery:
    """Parameters as (name, value) pairs, names possibly repeated (a query string's multi-dict).
    `names` (crawler.names.NameTable) maps entity values through the alias table, so that
    `person:Zelenskyy` asks for Volodymyr Zelensky; `cursors` (index.cursors.Cursors) checks a
    `cursor`."""
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    for name in values:
        if name not in KNOWN_PARAMETERS:
            raise QueryError(name, f"unknown parameter {name!r}")
    for name in ("q", "language", "since", "until", "sort", "size", "cursor", "duplicates", "histogram", "tz"):
        if len(values.get(name, [])) > 1:
            raise QueryError(name, f"{name} may be given once")

    def one(name: str) -> str | None:
        got = values.get(name)
        return got[0] if got else None

    size = DEFAULT_SIZE
    if one("size") not in (None, ""):
        try:
            size = int(one("size"))
        except ValueError:
            raise QueryError("size", f"{one('size')!r} is not an integer") from None
        if size < 0:
            raise QueryError("size", "size must not be negative")
        size = min(size, MAX_SIZE)
    sort = (one("sort") or "relevance").strip().lower()
    if sort not in SORTS:
        raise QueryError("sort", f"sort must be one of {', '.join(SORTS)}")
    duplicates = (one("duplicates") or "").strip().lower()
    if duplicates not in ("", "include", "exclude"):
        raise QueryError("duplicates", "duplicates must be 'include' or 'exclude'")
    language = (one("language") or "").strip().lower() or None
    if language is not None and language not in LANGUAGES:
        raise QueryError("language", f"{language!r} is not an ISO 639-1 code")
    since = parse_date_param("since", one("since")) if one("since") else None
    until = parse_date_param("until", one("until")) if one("until") else None
    if since and until and since >= until:
        raise QueryError("until", "until must be later than since")
    check_fields(one("q") or "")
    histogram = (one("histogram") or "").strip().lower() or None
    if histogram is not None and histogram not in PERIODS:
        raise QueryError("histogram", f"histogram must be one of {', '.join(PERIODS)}")
    tz_name = (one("tz") or "").strip() or "UTC"
    try:
        zone(tz_name)
    except ValueError as exc:
        raise QueryError("tz", str(exc)) from None
    query = SearchQuery(
        q=(one("q") or "").strip(),
        entities=tuple(_canonical(parse_entity(v), names) for v in values.get("entity", []) if v),
        outlets=tuple(v.strip() for v in values.get("outlet", []) if v.strip()),
        topics=tuple(v.strip() for v in values.get("topic", []) if v.strip()),
        language=language, since=since, until=until, sort=sort, size=size,
        include_duplicates=duplicates == "include", histogram=histogram, timezone=tz_name,
    )
    if one("cursor"):
        if cursors is None:
            raise QueryError("cursor", "cursors are not accepted here")
        query = SearchQuery(**{**query.__dict__, "after": cursors.decode(query, one("cursor"))})
    return query


@dataclass(frozen=True)
class EntitiesQuery:
    """`/entities`: the most frequent entities (articles, copies left out), for lists and autocomplete."""
    kinds: tuple[str, ...] = ENTITY_TYPES
    prefix: str = ""
    since: datetime | None = None
    until: datetime | None = None
    size: int = DEFAULT_SIZE
    # (type, canonical name) of the names another form of which starts with the prefix (the name
    # tables' Korean spellings and variants: crawler.names.NameTable.spelled): found as well.
    spelled: tuple[tuple[str, str], ...] = ()

    def matches(self, name: str, kind: str | None = None) -> bool:
        """The name, or one of its words, starts with the prefix (any case): "zel" finds Zelensky;
        or another form of it does ("김" finds Kim Jong Un by 김정은)."""
        prefix = self.prefix.lower()
        return not prefix or any(word.startswith(prefix) for word in [name.lower(), *name.lower().split()]) or \
            any(name == canonical and kind in (None, spelled_kind) for spelled_kind, canonical in self.spelled)

    def as_search(self) -> SearchQuery:
        return SearchQuery(since=self.since, until=self.until, size=0, facets=())


def single_values(params: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters that may each be given once: a repeated one is a 400, not silently the last."""
    values: dict[str, str] = {}
    for name, value in params:
        if name in values:
            raise QueryError(name, f"{name} may be given once")
        values[name] = value
    return values


def parse_entities_params(params: Iterable[tuple[str, str]], names=None) -> EntitiesQuery:
    """`names` (crawler.names.NameTable): a prefix also finds the names by their other forms."""
    values = single_values(params)
    for name in values:
        if name not in ("type", "prefix", "since", "until", "size"):
            raise QueryError(name, f"unknown parameter {name!r}")
    kind = (values.get("type") or "").strip().lower()
    if kind and kind not in ENTITY_TYPES:
        raise QueryError("type", f"type must be one of {', '.join(ENTITY_TYPES)}")
    size = DEFAULT_SIZE
    if values.get("size"):
        try:
            size = int(values["size"])
        except ValueError:
            raise QueryError("size", f"{values['size']!r} is not an integer") from None
        if size < 0:
            raise QueryError("size", "size must not be negative")
    since = parse_date_param("since", values["since"]) if values.get("since") else None
    until = parse_date_param("until", values["until"]) if values.get("until") else None
    prefix = unicodedata.normalize("NFC", (values.get("prefix") or "").strip())
    kinds = (kind,) if kind else ENTITY_TYPES
    spelled = tuple((k, n) for k, n in names.spelled(prefix) if k in kinds) if names is not None and prefix else ()
    return EntitiesQuery(kinds=kinds, prefix=prefix, since=since, until=until, size=min(size, MAX_SIZE),
                         spelled=spelled)


def top_entities(buckets: dict[str, list[tuple[str, int]]], query: EntitiesQuery) -> list[dict]:
    """Both backends' answer to an EntitiesQuery, from their per-type (name, count) buckets."""
    rows = [{"type": kind, "name": name, "count": count} for kind, pairs in buckets.items()
            for name, count in pairs if query.matches(name, kind)]
    rows.sort(key=lambda row: (-row["count"], row["name"], row["type"]))
    return rows[:query.size]
