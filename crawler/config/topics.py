"""topics.toml: watchlists, one table per topic keyed by a stable slug (see README, "Topics")."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from crawler.config.outlets import SLUG

KNOWN_KEYS = {"name", "query", "entities", "outlets", "notify", "digest"}
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


def _topic(key: str, table, names) -> Topic:
    from index.matching import validate_query
    from index.query import QueryError, parse_entity

    if not SLUG.match(key):
        raise TopicsError(f"topic [{key}]: the key must be a slug (a-z, 0-9, '-', '_')")
    if not isinstance(table, dict):
        raise TopicsError(f"topic [{key}]: expected a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise TopicsError(f"topic [{key}] {unknown[0]}: unknown key")
    name, query = table.get("name"), table.get("query")
    if not isinstance(name, str) or not name.strip():
        raise TopicsError(f"topic [{key}] name: required, a non-empty string")
    if not isinstance(query, str) or not query.strip():
        raise TopicsError(f"topic [{key}] query: required, a search query")
    try:
        validate_query(query)
    except ValueError as exc:
        raise TopicsError(f"topic [{key}] query: {exc}") from None
    entities = []
    for value in _strings(key, "entities", table.get("entities", [])):
        try:
            kind, entity = parse_entity(value)
        except QueryError as exc:
            raise TopicsError(f"topic [{key}] entities: {exc.message}") from None
        entities.append((kind, names.canonical(kind, entity) if names else entity))
    notify = []
    for value in _strings(key, "notify", table.get("notify", [])):
        channel, _, target = value.partition(":")
        if channel == "webhook" and WEBHOOK.match(target):
            notify.append(("webhook", target))
        elif channel == "email" and EMAIL.match(target):
            notify.append(("email", target))
        else:
            raise TopicsError(f"topic [{key}] notify: {value!r} is not webhook:URL or email:ADDRESS")
    digest = table.get("digest")
    if digest in ("none", ""):
        digest = None
    if digest not in (None, "daily"):
        raise TopicsError(f"topic [{key}] digest: 'daily', or leave it out for instant alerts")
    return Topic(key=key, name=name.strip(), query=query.strip(), entities=tuple(entities),
                 outlets=tuple(_strings(key, "outlets", table.get("outlets", []))), notify=tuple(notify), digest=digest)


def _strings(key: str, name: str, value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TopicsError(f"topic [{key}] {name}: expected a list of strings")
    return [v.strip() for v in value]


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
