"""Upgrading an embedded index of an older schema version: every article is read back (the
article without its text is stored as JSON, the text as a stored field) and written into a new
index beside it, which then replaces the old one."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import tantivy

from index.tantivy.schema import SCHEMA_VERSION, VERSION_FILE, article_of, build_schema, stored_version
from index.tantivy.writing import WRITER_HEAP, document

logger = logging.getLogger(__name__)


def recover_upgrade(path: Path) -> None:
    """A crash between the two renames of an upgrade left the new index beside no old one."""
    upgraded = path.with_name(path.name + ".upgrading")
    if not path.exists() and stored_version(upgraded) == SCHEMA_VERSION:
        upgraded.rename(path)
    elif upgraded.exists():
        shutil.rmtree(upgraded)


def upgrade(path: Path, version: int) -> None:
    logger.info("upgrading the index in %s from schema %s to %s", path, version, SCHEMA_VERSION)
    old = tantivy.Index.open(str(path))
    searcher = old.searcher()
    target = path.with_name(path.name + ".upgrading")
    target.mkdir()
    new = tantivy.Index(build_schema(), path=str(target))
    writer = new.writer(WRITER_HEAP, 1)
    count = 0
    for _, address in searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs)).hits:
        writer.add_document(document(article_of(searcher.doc(address), with_text=True)))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    (target / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
    retired = path.with_name(path.name + f".v{version}")
    path.rename(retired)
    target.rename(path)
    shutil.rmtree(retired)
    logger.info("upgraded %d articles", count)
