import sqlite3
from pathlib import Path

import pytest
from tests_support import article_paragraphs

from core.statedb import SCHEMA_VERSION, StateDB, StateError
from crawler.stories.copies import DuplicateIndex, fingerprint
from crawler.state import CrawlState
from index.outbox import Outbox

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_a_transaction_is_a_unit(tmp_path):
    db = CrawlState(StateDB(tmp_path / "s.sqlite3")).db  # the crawl state's tables (progress)
    with pytest.raises(RuntimeError):
        with db.transaction("test") as tx:
            tx.execute("INSERT INTO progress(task, position) VALUES ('a', 1)")
            tx.execute("INSERT INTO progress(task, position) VALUES ('b', 2)")
            raise RuntimeError("crash between statements")
    assert db.all("SELECT * FROM progress") == []
    with db.transaction("test") as tx:
        tx.execute("INSERT INTO progress(task, position) VALUES ('a', 1)")
        with db.transaction("inner") as inner:  # joins the outer one
            inner.execute("INSERT INTO progress(task, position) VALUES ('b', 2)")
    assert len(db.all("SELECT * FROM progress")) == 2


def test_every_thread_has_its_own_connection_with_the_same_pragmas(tmp_path):
    import threading

    db = StateDB(tmp_path / "s.sqlite3")
    seen = []
    thread = threading.Thread(target=lambda: seen.append((db.connection(), db.one("PRAGMA journal_mode")[0])))
    thread.start()
    thread.join()
    assert seen[0][0] is not db.connection() and seen[0][1] == "wal"


def test_a_file_written_by_newswatch_0_1_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "state.sqlite3"
    old = sqlite3.connect(path)
    old.executescript((FIXTURES / "state_v0.sql").read_text())
    old.close()
    db = StateDB(path)
    assert db.version() == SCHEMA_VERSION
    state = CrawlState(db)
    assert state.articles_by_outlet() == {"rfa-english": 2, "rfa-korean": 1, "newsweek": 1}
    assert len(db.all("SELECT * FROM seen")) == 4 and db.one("SELECT COUNT(*) FROM topic_matches")[0] == 3
    assert Outbox(db).pending(10)[0][:2] == ("abc", "index")
    index = DuplicateIndex(db)  # each store upgrades its own tables when it is made
    tables = {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "dedupe_bands" not in tables and "lsh_bands" in tables
    # Version 1 kept shingles; this version keeps compact signatures, rebuilt from the texts.
    assert index.needs_rebuild()
    text = article_paragraphs("Kursk")
    index.rebuild([("c04045dfcc01785de508", text)])
    assert [m.id for m in index.find("copy", fingerprint(text))] == ["c04045dfcc01785de508"]
    db.close()
    assert StateDB(path).version() == SCHEMA_VERSION  # opening again changes nothing


def test_a_file_from_a_newer_newswatch_is_refused(tmp_path):
    path = tmp_path / "state.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StateError, match="newer newswatch"):
        StateDB(path)


def test_a_data_dir_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "data").write_text("oops")
    with pytest.raises(StateError, match="not a directory"):
        StateDB(tmp_path / "data" / "state.sqlite3")


def test_connections_of_finished_threads_are_closed(tmp_path):
    import threading

    db = StateDB(tmp_path / "s.sqlite3")
    for _ in range(50):  # a thread pool retiring and starting threads, as the API's does
        thread = threading.Thread(target=lambda: db.one("SELECT 1"))
        thread.start()
        thread.join()
    db.one("SELECT 1")
    assert db.open_connections() <= 2


def test_each_store_brings_its_own_tables_and_records_their_version(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    tables = lambda: {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")}  # noqa: E731
    assert "lsh_docs" not in tables()
    DuplicateIndex(db)
    assert {"lsh_docs", "lsh_bands"} <= tables() and "dedupe_bands" not in tables()
    assert db.meta("schema:duplicates") == "2"
    db.close()
    again = StateDB(tmp_path / "s.sqlite3")
    DuplicateIndex(again)  # nothing left to apply: the steps ran once
    assert again.meta("schema:duplicates") == "2"


def test_a_store_written_by_a_newer_newswatch_is_refused(tmp_path):
    db = StateDB(tmp_path / "s.sqlite3")
    db.set_meta("schema:outbox", "99")
    with pytest.raises(StateError, match="newer newswatch"):
        Outbox(db)
