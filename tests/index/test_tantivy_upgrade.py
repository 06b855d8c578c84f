"""An index written by newswatch 0.1 (schema 1) is upgraded, not refused or lost."""
import json

import pytest
import tantivy

from core.article import new_article
from index.protocol import BackendUnavailable
from index.tantivy.backend import TantivyBackend
from index.tantivy.schema import SCHEMA_VERSION, VERSION_FILE, stored_version


def schema_v1() -> tantivy.Schema:
    """index/tantivy/schema.build_schema as newswatch 0.1 had it."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_bytes_field("source", stored=True, indexed=False)
    for name in ("title", "description", "text"):
        sb.add_text_field(name, stored=(name == "text"), tokenizer_name="en_stem")
    sb.add_text_field("authors", tokenizer_name="default")
    for name in ("outlet", "language", "tags", "topics", "story_id", "duplicate_of", "content_hash",
                 "url", "canonical_url", "entities_model"):
        sb.add_text_field(name, tokenizer_name="raw", fast=name in ("outlet", "language", "tags", "topics"))
    for kind in ("person", "org", "place"):
        sb.add_text_field(kind, tokenizer_name="raw", fast=True)
        sb.add_text_field(f"{kind}_key", tokenizer_name="raw")
    for name in ("published_at", "modified_at", "crawled_at"):
        sb.add_date_field(name, indexed=True, fast=True)
    sb.add_integer_field("is_copy", indexed=True, fast=True)
    return sb.build()


def write_v1(path, articles):
    path.mkdir()
    index = tantivy.Index(schema_v1(), path=str(path))
    writer = index.writer(15_000_000, 1)
    for article in articles:
        source = {k: v for k, v in article.items() if k != "text"}
        writer.add_document(tantivy.Document(id=article["id"], source=json.dumps(source).encode(),
                                             title=article["title"], text=article["text"], outlet=article["outlet"],
                                             is_copy=0))
    writer.commit()
    writer.wait_merging_threads()


def test_an_index_of_the_previous_schema_is_upgraded_by_the_writer(tmp_path):
    articles = [new_article(id=f"a{n}", url=f"https://x.org/{n}", outlet="x", title=f"Kursk story {n}",
                            text=f"Body of the Kursk story number {n}.", published_at=f"2025-11-0{n + 1}T00:00:00Z")
                for n in range(3)]
    write_v1(tmp_path / "index", articles)
    assert stored_version(tmp_path / "index") == 1
    with pytest.raises(BackendUnavailable, match="older newswatch"):
        TantivyBackend(tmp_path / "index", writable=False)
    backend = TantivyBackend(tmp_path / "index")
    assert (tmp_path / "index" / VERSION_FILE).read_text().strip() == str(SCHEMA_VERSION)
    assert backend.count() == 3 and backend.get("a1")["text"] == "Body of the Kursk story number 1."
    from index.query import SearchQuery
    assert [h["id"] for h in backend.search(SearchQuery(sort="newest"))["hits"]] == ["a2", "a1", "a0"]
    assert not list(tmp_path.glob("index.*"))  # nothing left beside it
