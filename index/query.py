"""The one query model: what `/search`, `newswatch search` and the search page ask for.

`SearchParameters` (pydantic) is what a user may send; `parse_search_params` turns request
parameters through it into a `SearchQuery`, raising `QueryError` (which names the parameter) for
anything invalid. Each backend translates a `SearchQuery` once.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timezone
from typing import Annotated, ClassVar, Iterable

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, WithJsonSchema, \
    field_validator

from core.article import ENTITY_TYPES
from index.histogram import PERIODS, ZONES, zone
from index.query_syntax import ENTITY_PATTERN, QueryError, check_fields, entity_terms, parse_entity

DEFAULT_SIZE = 20
MAX_SIZE = 100
# As Elasticsearch's index.max_result_window: paging by relevance stops after this many hits (by
# newest, paging goes on by sort position), and no offset beyond it is ever asked of a backend.
MAX_RESULT_WINDOW = 10_000
SORTS = ("relevance", "newest")
MAX_Q = 2000  # characters of `q`
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def parse_date_param(name: str, given: str) -> datetime:
    value = given.strip().upper()  # RFC 3339 allows "t" and "z"
    try:
        if DATE_ONLY.match(value):
            return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(0), timezone.utc)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(name, f"{given.strip()!r} is not an ISO date or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _iso_639_1() -> frozenset[str]:
    import pycountry

    return frozenset(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))


LANGUAGES = _iso_639_1()


def _size(value) -> int:
    if value is None:
        return DEFAULT_SIZE
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise QueryError("size", f"{value!r} is not an integer") from None
    if size < 0:
        raise QueryError("size", "size must not be negative")
    return min(size, MAX_SIZE)


def _one_of(name: str, choices: tuple[str, ...], default: str | None = None):
    def check(value) -> str | None:
        value = (value or "").strip().lower() or default
        if value is not None and value not in choices:
            raise QueryError(name, f"{name} must be one of {', '.join(choices)}")
        return value
    return check


def _words(value) -> str:
    value = value or ""
    if len(value) > MAX_Q:  # as given: white space counts
        raise QueryError("q", f"q must be at most {MAX_Q} characters")
    return value.strip()


def _language(value) -> str | None:
    value = (value or "").strip().lower() or None
    if value is not None and value not in LANGUAGES:
        raise QueryError("language", f"{value!r} is not an ISO 639-1 code")
    return value


def _time_zone(value) -> str:
    name = (value or "").strip() or "UTC"
    try:
        zone(name)
    except ValueError as exc:
        raise QueryError("tz", str(exc)) from None
    return name


def _keys(values) -> tuple[str, ...]:
    return tuple(v.strip() for v in values or () if v.strip())


def _known(kind: str, keys: tuple[str, ...], known, kept=None) -> tuple[str, ...]:
    """An outlet or topic that does not exist is a mistake to say, not a search with no hits.
    `kept()` — outlets gone from the configuration whose articles are still kept — is a count
    over every article, so it is asked only for a key that is not configured."""
    if known is None or not keys:
        return keys
    names = set(known)
    if kept is not None and any(key not in names for key in keys):
        names |= set(kept())
    for key in keys:
        if key not in names:
            raise QueryError(kind, f"no {kind} {key!r} (known: {', '.join(sorted(names)) or 'none'})")
    return keys


# Empty means not given (the search page's form sends every field).
_EMPTY = {"type": "string", "maxLength": 0}
DATE_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}, _EMPTY]}


def _enum(values) -> dict:
    return {"type": "string", "enum": [*values, ""]}


def _many(item: dict) -> dict:
    return {"type": "array", "items": item}


class SearchParameters(BaseModel):
    """The parameters of `/search` (and its exports, feed and histogram), of the search page and
    of `newswatch search`: one model, so the three accept and refuse the same things. Field order
    is the order in which problems are reported. The validation context may carry `names` (the
    alias table: crawler.entities.names.NameTable), `outlets` and `topics` (the known keys) and
    `kept_outlets` (a callable: outlets no longer configured whose articles are kept)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    size: Annotated[int, BeforeValidator(_size), WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0}, _EMPTY]})] = Field(
        DEFAULT_SIZE, description=f"hits per page, 0-{MAX_SIZE} (larger is clamped); default {DEFAULT_SIZE}")
    sort: Annotated[str, BeforeValidator(_one_of("sort", SORTS, "relevance")), WithJsonSchema(_enum(SORTS))] = Field(
        "relevance", description="relevance (the default with words; paging stops after 10,000 hits) or newest")
    duplicates: Annotated[str | None, BeforeValidator(_one_of("duplicates", ("include", "exclude"))),
                          WithJsonSchema(_enum(("include", "exclude")))] = Field(
        None, description="include to show copies too")
    language: Annotated[str | None, BeforeValidator(_language), WithJsonSchema(_enum(sorted(LANGUAGES)))] = Field(
        None, description="ISO 639-1 code, e.g. en or ko")
    since: Annotated[datetime | None, BeforeValidator(
        lambda v: parse_date_param("since", v) if v else None), WithJsonSchema(DATE_SCHEMA)] = Field(
        None, description="published at or after: an ISO date (2025-11-05) or date-time")
    until: Annotated[datetime | None, BeforeValidator(
        lambda v: parse_date_param("until", v) if v else None), WithJsonSchema(DATE_SCHEMA)] = Field(
        None, description="published before (later than since): an ISO date or date-time")
    q: Annotated[str, BeforeValidator(_words), WithJsonSchema({"type": "string", "maxLength": MAX_Q})] = Field(
        "", description='words (all must match), "phrases", OR (a lower-case or too), -not, field:value (title, '
                        'description, text, authors, outlet, language, tags; url: takes a whole address in '
                        'quotes), person:, org:, place: (filters, as `entity`: person:"Kim Jong Un"); '
                        'no wildcards or fuzzy matching')
    histogram: Annotated[str | None, BeforeValidator(_one_of("histogram", PERIODS)),
                         WithJsonSchema(_enum(PERIODS))] = Field(
        None, description="also count the matches per day, week (from Monday) or month of publication "
                          "(copies as `duplicates`)")
    tz: Annotated[str, BeforeValidator(_time_zone), WithJsonSchema(_enum(sorted(ZONES)))] = Field(
        "UTC", description="the IANA time zone of the histogram's periods (default UTC), e.g. Asia/Seoul")
    entity: Annotated[tuple[tuple[str, str], ...], WithJsonSchema(_many(
        {"type": "string", "anyOf": [{"pattern": ENTITY_PATTERN}, {"maxLength": 0}]}))] = Field(
        (), description="TYPE:NAME with TYPE person, org or place; repeatable, all must match; names match "
                        "through aliases, any case")
    outlet: Annotated[tuple[str, ...], BeforeValidator(_keys), WithJsonSchema(_many({"type": "string"}))] = Field(
        (), description="an outlet key (of outlets.toml, or with articles); repeatable, any of them; another key "
                        "is a 400")
    topic: Annotated[tuple[str, ...], BeforeValidator(_keys), WithJsonSchema(_many({"type": "string"}))] = Field(
        (), description="a topic key of topics.toml; repeatable, any of them; another key is a 400")
    cursor: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        None, description="next_cursor of the previous page of the same search; any other value is a 400")

    REPEATABLE: ClassVar[frozenset[str]] = frozenset({"entity", "outlet", "topic"})

    @field_validator("until")
    @classmethod
    def _after_since(cls, until, info: ValidationInfo):
        since = info.data.get("since")
        if since and until and since >= until:
            raise QueryError("until", "until must be later than since")
        return until

    @field_validator("q")
    @classmethod
    def _syntax(cls, q: str, info: ValidationInfo):
        rest, _ = entity_terms(q)
        check_fields(rest)
        return q

    @field_validator("entity", mode="before")
    @classmethod
    def _entities(cls, values, info: ValidationInfo):
        return tuple(_canonical(parse_entity(v), (info.context or {}).get("names")) for v in values or () if v)

    @field_validator("outlet", "topic")
    @classmethod
    def _known_keys(cls, keys, info: ValidationInfo):
        context = info.context or {}
        return _known(info.field_name, keys, context.get(f"{info.field_name}s"), context.get(f"kept_{info.field_name}s"))

    @classmethod
    def from_pairs(cls, params: Iterable[tuple[str, str]], **context) -> "SearchParameters":
        """From (name, value) pairs, names possibly repeated (a query string's multi-dict)."""
        values: dict[str, list[str]] = {}
        for name, value in params:
            values.setdefault(name, []).append(value)
        for name in values:
            if name not in cls.model_fields:
                raise QueryError(name, f"unknown parameter {name!r}")
        for name, given in values.items():
            if name not in cls.REPEATABLE and len(given) > 1:
                raise QueryError(name, f"{name} may be given once")
        # The search page's form sends every field: an empty value means not given, everywhere.
        data = {name: given if name in cls.REPEATABLE else given[0] for name, given in values.items()
                if name in cls.REPEATABLE or given[0] != ""}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise _query_error(exc) from None

    def to_query(self, names=None, cursors=None) -> SearchQuery:
        """The backends' query: entity terms of `q` become entity filters (through `names`, the
        alias table); `cursors` (index.cursors.Cursors) checks a `cursor`."""
        words, in_q = entity_terms(self.q)
        query = SearchQuery(
            q=words, entities=self.entity + tuple(_canonical(e, names) for e in in_q),
            outlets=self.outlet, topics=self.topic, language=self.language, since=self.since, until=self.until,
            sort=self.sort, size=self.size, include_duplicates=self.duplicates == "include",
            histogram=self.histogram, timezone=self.tz)
        if self.cursor:
            if cursors is None:
                raise QueryError("cursor", "cursors are not accepted here")
            query = replace(query, after=cursors.decode(query, self.cursor))
        return query

    @classmethod
    def openapi_parameters(cls, names: Iterable[str] | None = None) -> list[dict]:
        """The OpenAPI description of the parameters (all, or those named), from the model."""
        properties = cls.model_json_schema()["properties"]
        described = []
        for name in names or properties:
            schema = {k: v for k, v in properties[name].items() if k not in ("title", "description", "default")}
            described.append({"name": name, "in": "query", "required": False,
                              "description": properties[name]["description"], "schema": schema})
        return described


def _query_error(exc: ValidationError) -> QueryError:
    first = exc.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, QueryError):
        return cause
    parameter = str(first["loc"][0]) if first.get("loc") else "q"
    if first.get("type") == "extra_forbidden":
        return QueryError(parameter, f"unknown parameter {parameter!r}")
    return QueryError(parameter, first.get("msg", "invalid value"))


def _canonical(entity: tuple[str, str], names) -> tuple[str, str]:
    kind, name = entity
    return (kind, names.canonical(kind, name)) if names is not None else entity


def parse_search_params(params: Iterable[tuple[str, str]], names=None, cursors=None, outlets=None,
                        topics=None, kept_outlets=None) -> SearchQuery:
    """Parameters as (name, value) pairs into a SearchQuery, through SearchParameters. `names`
    (crawler.entities.names.NameTable) maps entity values through the alias table, so that
    `person:Zelenskyy` asks for Volodymyr Zelensky; `cursors` (index.cursors.Cursors) checks a
    `cursor`; `outlets` and `topics`, when given, are the known keys (see SearchParameters)."""
    parameters = SearchParameters.from_pairs(params, names=names, outlets=outlets, topics=topics,
                                             kept_outlets=kept_outlets)
    return parameters.to_query(names=names, cursors=cursors)


@dataclass(frozen=True)
class EntitiesQuery:
    """`/entities`: the most frequent entities (articles, copies left out), for lists and autocomplete."""
    kinds: tuple[str, ...] = ENTITY_TYPES
    prefix: str = ""
    since: datetime | None = None
    until: datetime | None = None
    size: int = DEFAULT_SIZE
    # (type, canonical name) of the names another form of which starts with the prefix (the name
    # tables' Korean spellings and variants: crawler.entities.names.NameTable.spelled): found as well.
    spelled: tuple[tuple[str, str], ...] = ()

    def matches(self, name: str, kind: str) -> bool:
        """The name, or one of its words, starts with the prefix (any case): "zel" finds Zelensky;
        or another form of it does ("김" finds Kim Jong Un by 김정은)."""
        prefix = self.prefix.lower()
        return not prefix or any(word.startswith(prefix) for word in [name.lower(), *name.lower().split()]) or \
            (kind, name) in self.spelled

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
    """`names` (crawler.entities.names.NameTable): a prefix also finds the names by their other forms."""
    values = single_values(params)
    for name in values:
        if name not in ("type", "prefix", "since", "until", "size"):
            raise QueryError(name, f"unknown parameter {name!r}")
    kind = (values.get("type") or "").strip().lower()
    if kind and kind not in ENTITY_TYPES:
        raise QueryError("type", f"type must be one of {', '.join(ENTITY_TYPES)}")
    size = _size(values.get("size") or None)
    since = parse_date_param("since", values["since"]) if values.get("since") else None
    until = parse_date_param("until", values["until"]) if values.get("until") else None
    prefix = unicodedata.normalize("NFC", (values.get("prefix") or "").strip())
    kinds = (kind,) if kind else ENTITY_TYPES
    spelled = tuple((k, n) for k, n in names.spelled(prefix) if k in kinds) if names is not None and prefix else ()
    return EntitiesQuery(kinds=kinds, prefix=prefix, since=since, until=until, size=size, spelled=spelled)


def top_entities(buckets: dict[str, list[tuple[str, int]]], query: EntitiesQuery) -> list[dict]:
    """Both backends' answer to an EntitiesQuery, from their per-type (name, count) buckets."""
    rows = [{"type": kind, "name": name, "count": count} for kind, pairs in buckets.items()
            for name, count in pairs if query.matches(name, kind)]
    rows.sort(key=lambda row: (-row["count"], row["name"], row["type"]))
    return rows[:query.size]
