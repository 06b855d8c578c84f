"""The embedded index's schema, its version, and an article's stored form read back.

The schema has a version (SCHEMA_VERSION, recorded beside the index in VERSION_FILE); an index
of an older version is upgraded by the writer that opens it (index.tantivy.upgrade).
"""
from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from pathlib import Path

import tantivy

from core.article import ENTITY_TYPES, completed
from core.dates import parse_date
from index.analysis import ANALYSERS, all_analysed_fields

# 1: newswatch 0.1. 2: `sort_key`, for paging by sort position. 3: `<field>_<language>` fields
# of the analysed languages (index.analysis: Korean morphemes). 4: `sample` (facets of huge result
# sets from a fixed share of the articles) and `<type>_complete` (autocomplete from the term
# dictionary). 5: `<facet field>_id`, the facet values as numbers. 6: `published_at_zone`.
SCHEMA_VERSION = 6
VERSION_FILE = "newswatch-schema-version"

# q searches these when it names no field; the title counts double.
DEFAULT_FIELDS = ["title", "description", "text", "authors"] + all_analysed_fields()
FIELD_BOOSTS = {"title": 2.0, **{f"title_{language}": 2.0 for language in ANALYSERS}}
FACET_FIELDS = {"outlet": "outlet", "person": "person", "org": "org", "place": "place", "topic": "topics"}
DATE_FIELDS = ("published_at", "modified_at", "crawled_at")
SAMPLE_SPACE = 1024  # the values of `sample` (index.tantivy.counting)
KEY_END = "\x1f"  # ends the lower-cased key of a completion key, before the name itself


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    # The article without its text, as JSON: what hits are built from.
    sb.add_bytes_field("source", stored=True, indexed=False)
    for name in ("title", "description", "text"):
        sb.add_text_field(name, stored=(name == "text"), tokenizer_name="en_stem")
    for name in all_analysed_fields():
        # The analyser's terms joined by spaces (index.analysis): white space is all that splits them.
        sb.add_text_field(name, tokenizer_name="whitespace")
    sb.add_text_field("authors", tokenizer_name="default")
    for name in ("outlet", "language", "tags", "topics", "story_id", "duplicate_of", "content_hash",
                 "url", "canonical_url", "entities_model", "published_at_zone"):
        sb.add_text_field(name, tokenizer_name="raw", fast=name in ("outlet", "language", "tags", "topics"))
    for kind in ENTITY_TYPES:
        # Canonical names for facets, and a lower-cased copy for case-insensitive filters.
        sb.add_text_field(kind, tokenizer_name="raw", fast=True)
        sb.add_text_field(f"{kind}_key", tokenizer_name="raw")
    for name in DATE_FIELDS:
        sb.add_date_field(name, indexed=True, fast=True)
    sb.add_integer_field("is_copy", indexed=True, fast=True)
    # Publication second and 20 bits of the id in one number: the order of sort=newest, unique
    # enough that "after this key" is where the next page starts.
    sb.add_integer_field("sort_key", indexed=True, fast=True)
    # A hash of the id in [0, SAMPLE_SPACE): "sample in 0..k-1" is a fixed, even share of any
    # result set, and as a union of k short posting lists it costs what the share holds.
    sb.add_integer_field("sample", indexed=True)
    for field in FACET_FIELDS.values():
        # Facet values as numbers (value_id): counting numbers costs a segment a fraction of
        # what counting text does, whose top values must be looked up in its dictionary.
        sb.add_integer_field(f"{field}_id", indexed=True, fast=True)
    for kind in ENTITY_TYPES:
        # Autocomplete keys of the article's names (completion_keys), in originals only: the term
        # dictionary is then a prefix index of every name with its number of articles.
        sb.add_text_field(f"{kind}_complete", tokenizer_name="raw")
    return sb.build()


def completion_keys(name: str) -> list[str]:
    """"Volodymyr Zelensky" -> "volodymyr zelensky\x1fVolodymyr Zelensky", "zelensky\x1f…":
    the lower-cased name and each of its later words, each followed by the name itself, so a
    prefix of the name or of one of its words finds it (EntitiesQuery.matches)."""
    lowered = name.lower()
    words = lowered.split()
    return [f"{key}{KEY_END}{name}" for key in dict.fromkeys([lowered, *words[1:]])]


def value_id(value: str) -> int:
    """53 bits of a hash of a facet value: aggregation results carry numbers as doubles."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big") >> 11


def sample_of(article_id: str) -> int:
    return zlib.crc32(article_id.encode("utf-8")) % SAMPLE_SPACE


def sort_key(article: dict) -> int:
    published = as_datetime(article.get("published_at"))
    seconds = int(published.timestamp()) if published is not None else 0
    return (seconds << 20) | (zlib.crc32(article["id"].encode("utf-8")) & 0xFFFFF)


def as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_date(value)


def facet_values_of(article: dict, field: str) -> list[str]:
    if field in ENTITY_TYPES:
        return list((article.get("entities") or {}).get(field) or [])
    value = article.get(field)
    return [value] if isinstance(value, str) and value else list(value or [])


def article_of(doc: tantivy.Document, with_text: bool = False) -> dict:
    """The article a stored document holds (its text only when asked for)."""
    values = doc.to_dict()
    article = completed(json.loads(bytes(values["source"][0]).decode("utf-8")))
    if with_text:
        article["text"] = (values.get("text") or [""])[0]
    return article


def stored_version(path: Path) -> int | None:
    """The schema version of the index at `path`; None where there is no index yet."""
    if not (path / "meta.json").exists():
        return None
    try:
        return int((path / VERSION_FILE).read_text().strip())
    except FileNotFoundError:
        return 1  # newswatch 0.1 recorded no version
    except ValueError:
        return 0


def generation(path: Path) -> bytes | None:
    """Changes with every commit or merge of the index at `path` (each rewrites meta.json, with
    a new opstamp or a new list of segments). Its content, not its stat: two quick commits can
    leave a file of the same size and time on a reused inode."""
    try:
        return hashlib.blake2b((path / "meta.json").read_bytes(), digest_size=16).digest()
    except FileNotFoundError:
        return None
