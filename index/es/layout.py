"""What the Elasticsearch index holds: its mapping and settings for a cluster's modules, and an
article as a document (with its analysed-language twins) and back."""
from __future__ import annotations

import json
from pathlib import Path

from core.article import completed
from index.analysis import ANALYSED_FIELDS, ANALYSERS, analysed_field_values

# 1: newswatch 0.1. 2: `<field>_<language>` twins analysed for their language (Korean: nori).
SCHEMA_VERSION = 2
MAPPING_FILE = Path(__file__).parent / "mapping.json"
# The analysed languages (index.analysis's table, Elasticsearch side): each a plugin analyser and
# the built-in one used when the cluster lacks the plugin (checked when the index is created).
# An article in one of these languages is indexed with `<field>_<language>` copies of its title,
# description and text, analysed by the language's analyser. A cluster with neither (no
# analysis-common either) gets the twins analysed here, by index.analysis (as the embedded
# index does): their terms joined by spaces, split by the `whitespace` analyser.
LANGUAGE_ANALYZERS = {
    "ko": {"plugin": "analysis-nori",
           "analyzer": {"type": "custom", "tokenizer": "nori_mixed",
                        "filter": ["nori_part_of_speech", "nori_readingform", "lowercase"]},
           "tokenizer": {"nori_mixed": {"type": "nori_tokenizer", "decompound_mode": "mixed"}},
           "fallback": {"type": "cjk"}},
}
TWIN_FIELDS = [f"{name}_{language}" for language in LANGUAGE_ANALYZERS for name in ANALYSED_FIELDS]


def index_body(shards: int, replicas: int, modules: set[str] | None = None) -> dict:
    """The mapping and settings for a cluster with `modules` (its modules and plugins; None:
    every one). `mappings._meta.analysis` records how each analysed language is analysed
    (`plugin`, `fallback`, or `newswatch` for twins analysed before indexing)."""
    body = json.loads(MAPPING_FILE.read_text())
    body["settings"]["index"] = {"number_of_shards": shards, "number_of_replicas": replicas}
    analysis = body["settings"]["analysis"]
    properties = body["mappings"]["properties"]
    common = modules is None or "analysis-common" in modules
    if not common:
        for field in properties.values():
            if field.get("analyzer") == "english":
                field["analyzer"] = "standard"
        analysis["normalizer"]["folded"]["filter"] = ["lowercase"]  # asciifolding is analysis-common's
    modes = {}
    for language, spec in LANGUAGE_ANALYZERS.items():
        if modules is None or spec["plugin"] in modules:
            modes[language] = "plugin"
            analysis.setdefault("analyzer", {})[f"text_{language}"] = spec["analyzer"]
            analysis.setdefault("tokenizer", {}).update(spec["tokenizer"])
        elif common:
            modes[language] = "fallback"
            analysis.setdefault("analyzer", {})[f"text_{language}"] = spec["fallback"]
        else:
            modes[language] = "newswatch"
        analyzer = "whitespace" if modes[language] == "newswatch" else f"text_{language}"
        for name in ANALYSED_FIELDS:
            properties[f"{name}_{language}"] = {"type": "text", "analyzer": analyzer}
    body["mappings"]["_meta"] = {"analysis": modes, "english": "english" if common else "standard"}
    return body


def es_document(article: dict, analysed_here: frozenset[str] = frozenset()) -> dict:
    """The article as indexed: with its analysed twins when its language has an analyser (their
    terms, made here, for the languages in `analysed_here`)."""
    language = article.get("language")
    if language not in LANGUAGE_ANALYZERS:
        return article
    if language in analysed_here and language in ANALYSERS:
        return {**article, **analysed_field_values(article)}
    return {**article, **{f"{name}_{language}": article[name] for name in ANALYSED_FIELDS if article.get(name)}}


def from_source(source: dict) -> dict:
    return completed({k: v for k, v in source.items() if k not in TWIN_FIELDS})
