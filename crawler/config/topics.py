"""topics.toml: watchlists, one table per topic keyed by a stable slug (see README, "Topics").
Each table is validated by `TopicTable` (pydantic; unknown keys refused) and becomes a `Topic`;
a problem is one line naming the topic and the key (crawler/config/problems.py)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError, \
    ValidationInfo

from crawler.config.outlets import SLUG
from crawler.config.problems import Wording, first_problem
from index.matching import validate_query
from index.query_syntax import QueryError, parse_entity

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBHOOK = re.compile(r"^https?://[^\s/]+")


class TopicsError(ValueError):
    """A bad topics file; the message names the topic and key."""


@dataclass(frozen=True)
class Topic:
    key: str
    name: str
    query: str
    entities: tuple[tuple[str, str], ...] = ()
    outlets: tuple[str, ...] = ()
    notify: tuple[tuple[str, str], ...] = ()  # ("webhook", URL) or ("email", address)
    digest: str | None = None  # "daily", or None for instant


def _query(query: str) -> str:
    if not query.strip():
        raise ValueError("required, a search query")
    validate_query(query)
    return query.strip()


def _entity(value: str, info: ValidationInfo) -> tuple[str, str]:
    try:
        kind, entity = parse_entity(value)
    except QueryError as exc:
        raise ValueError(exc.message) from None
    names = (info.context or {}).get("names")
    return kind, names.canonical(kind, entity) if names else entity


def _channel(value: str) -> tuple[str, str]:
    channel, _, target = value.partition(":")
    if channel == "webhook" and WEBHOOK.match(target):
        return "webhook", target
    if channel == "email" and EMAIL.match(target):
        return "email", target
    raise ValueError(f"{value!r} is not webhook:URL or email:ADDRESS")


def _digest(value):
    if value in ("none", ""):
        return None
    if value not in (None, "daily"):
        raise ValueError(WORDING["digest"])
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TopicTable(BaseModel):
    """One topic's table as topics.toml writes it; the fields in the order they are checked."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Text
    query: Annotated[str, AfterValidator(_query)]
    entities: list[Annotated[Text, AfterValidator(_entity)]] = []
    notify: list[Annotated[Text, AfterValidator(_channel)]] = []
    digest: Annotated[Optional[str], BeforeValidator(_digest)] = None
    outlets: list[Text] = []


# How pydantic's own errors (a wrong type, a missing key) read, per key.
WORDING: Wording = {
    "name": "required, a non-empty string",
    "query": "required, a search query",
    "entities": "expected a list of strings",
    "notify": "expected a list of strings",
    "digest": "'daily', or leave it out for instant alerts",
    "outlets": "expected a list of strings",
}


def _topic(key: str, table, names) -> Topic:
    if not SLUG.match(key):
        raise TopicsError(f"topic [{key}]: the key must be a slug (a-z, 0-9, '-', '_')")
    try:
        checked = TopicTable.model_validate(table, context={"names": names})
    except ValidationError as error:
        name, problem = first_problem(error, TopicTable, WORDING)
        raise TopicsError(f"topic [{key}]{f' {name}' if name else ''}: {problem}") from None
    return Topic(key=key, name=checked.name, query=checked.query, entities=tuple(checked.entities),
                 outlets=tuple(checked.outlets), notify=tuple(checked.notify), digest=checked.digest)


def parse_topics(text: str, source: str = "topics.toml", names=None) -> dict[str, Topic]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopicsError(f"{source}: not valid TOML: {exc}") from None
    return {key: _topic(key, table, names) for key, table in data.items()}


def load_topics(path: Path, names=None) -> dict[str, Topic]:
    """No file means no topics; an unreadable or invalid one is an error."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TopicsError(f"{path}: cannot read the topics file: {exc}") from None
    return parse_topics(text, str(path), names)


def check_topics(topics: dict[str, Topic], outlets: dict, can_mail: bool) -> None:
    """What a topic needs from the rest of the configuration, checked at start-up and reload
    rather than discovered when an alert fails: its outlets exist, and e-mail can be sent."""
    for key, topic in topics.items():
        for outlet in topic.outlets:
            if outlet not in outlets:
                raise TopicsError(f"topic [{key}] outlets: no outlet {outlet!r} in the outlets file")
        if not can_mail and any(channel == "email" for channel, _ in topic.notify):
            raise TopicsError(f"topic [{key}] notify: e-mail needs NEWSWATCH_SMTP_URL and NEWSWATCH_MAIL_FROM")
