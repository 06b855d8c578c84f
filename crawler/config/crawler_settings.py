"""The settings only the crawler can judge: that each NER model loads and that the names file
parses. `settings.load()` checks every value's form without importing the crawler; these run
where the crawler is wired (scheduler/compose.py, before any command starts) and refuse a value
with the same one line naming the setting."""
from __future__ import annotations

import settings
from crawler.entities.names import cached_names, names_path
from crawler.entities.models import parse_models


def check_crawler_settings(config) -> None:
    try:
        parse_models(config["NEWSWATCH_NER_MODELS"])
    except ValueError as exc:
        raise settings.refused(config, "NEWSWATCH_NER_MODELS", exc) from None
    if config["NEWSWATCH_NAMES"] is None:
        return
    try:
        cached_names(names_path(config))  # cached: the crawler's later uses read it from here
    except ValueError as exc:
        raise settings.refused(config, "NEWSWATCH_NAMES", exc) from None
