"""What an index commit settles, in one transaction of the state database: its articles become
known (crawler/state.py), leave the in-flight table (crawler/stories/in_flight.py) and their
pages are no longer owed (crawler/owed.py). A crash before it leaves all three as they were —
the pages owed, processed again, the upserts by id harmless — and never half of them."""
from __future__ import annotations

from core.statedb import StateDB
from crawler.owed import OwedPages
from crawler.state import CrawlState
from crawler.stories.in_flight import InFlight


class CommitRecord:
    """The index writer's record of its commits (crawler.pipelines.store.IndexWriter)."""

    def __init__(self, db: StateDB, state: CrawlState, in_flight: InFlight, owed: OwedPages):
        self.db = db
        self.state = state
        self.in_flight = in_flight
        self.owed = owed

    def record_committed(self, entries) -> None:
        """After an index commit: each entry is (article, url_keys, marker); a rewrite of another
        article (story links) has no url_keys and owes no page."""
        with self.db.transaction("record_committed") as tx:
            self.state.record_committed(entries)  # joins this transaction
            self.in_flight.release([article["id"] for article, _, _ in entries], tx)
            self.owed.settle([url_keys[0] for _, url_keys, _ in entries if url_keys], tx)
