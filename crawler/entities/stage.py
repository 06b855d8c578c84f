"""The entity stage as the crawl's workers and a reprocess call it: one tagger per configuration,
loaded once per process."""
from __future__ import annotations

from crawler.entities import korean
from crawler.entities.models import parse_models
from crawler.entities.names import cached_names
from crawler.entities.tagger import EntityTagger, OutletNames

_TAGGERS: dict[tuple, EntityTagger] = {}


def _tagger(models_spec: str, names_path: str | None) -> EntityTagger:
    """One tagger per configuration, loaded once per process."""
    key = (models_spec, names_path)
    if key not in _TAGGERS:
        _TAGGERS[key] = EntityTagger(parse_models(models_spec), cached_names(names_path))
    return _TAGGERS[key]


def tag_entities(text: str, title: str | None, language: str | None, models_spec: str,
                 names_path: str | None, outlets: OutletNames | None = None) -> tuple[dict, str | None]:
    """The worker-process entry point."""
    return _tagger(models_spec, names_path).tag(text, title, language, outlets)


def outlet_names(outlet, outlets: dict) -> OutletNames:
    """`outlet` (crawler.config.outlets.Outlet or None) and all configured outlets, as the tagger wants them."""
    def names(o):
        return (o.name, *o.aliases)
    own = names(outlet) if outlet is not None else ()
    return OutletNames(own, tuple(n for o in outlets.values() if o is not outlet for n in names(o)))


def warm_worker(models_spec: str, names_path: str | None) -> None:
    """In a new worker: load the models, name tables and gazetteer, and the extractor."""
    import trafilatura  # noqa: F401  (the extraction stage's import, paid here)

    tagger = _tagger(models_spec, names_path)
    for language in tagger.models:
        tagger._pipeline(language)


def loaded_languages() -> list[str]:
    """The languages whose model this process has loaded (for tests of warming)."""
    return sorted(language for tagger in _TAGGERS.values() for language in tagger._pipelines)


def stage_label(language: str | None, models_spec: str, names_path: str | None) -> str | None:
    """The `entities_model` the current stage gives an article in `language` (what a reprocess
    compares with the stored one to know what to redo)."""
    tagger = _tagger(models_spec, names_path)
    if language == "ko" and language not in tagger.models:
        return korean.VERSION
    return tagger._pipeline(language)[2] if language in tagger.models else None
