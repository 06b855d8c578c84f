"""Owed pages: every page a crawl fetched (or full-text feed item it read) is kept here, body and
all, from the first pipeline stage until the index commit that holds its article (or a decided
drop: not an article, unchanged). A page whose processing fails stays owed and is taken up again
by a later crawl of its outlet — from this table, never fetched again — so nothing fetched is
lost to a failure, a kill -9 or a saved ETag. `OwedPages` owns the table.

**Attempts.** A failure of the page's own processing (extraction, a stage raising, the archive)
spends an attempt; the page is retried after RETRY_FIRST, doubling up to RETRY_MAX, and after
NEWSWATCH_PAGE_ATTEMPTS attempts it moves to the quarantine with its last error. An index that
cannot be reached (`BackendUnavailable`) is the infrastructure failing, not the page: no attempt
is spent, the page waits INDEX_RETRY and is tried again, for as long as the index is away.

**Quarantine.** Quarantined pages stay (shown by `newswatch outlets` and `/outlets`) until
`newswatch replay` gives them their attempts back; a changed feed entry (a new marker) fetches the
page again and replaces the quarantined copy.

One process takes an outlet's owed pages at a time (a crawl of an outlet never overlaps
another); rows carry no lease yet: several daemons sharing the state add one."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from core.dates import iso, stored_date, utcnow
from core.statedb import StateDB, StoreSchema, in_chunks
from crawler.items import CrawledItem

RETRY_FIRST = timedelta(minutes=2)
RETRY_MAX = timedelta(hours=1)
INDEX_RETRY = timedelta(minutes=1)  # the Elasticsearch backend fails fast for 30 s after a failed read
ERROR_CHARS = 500

# A store of state-file version 5: steps 1 to 4 (the older file versions) are empty.
SCHEMA = StoreSchema("owed_pages", ("", "", "", "", """CREATE TABLE owed_pages (key TEXT PRIMARY KEY,
    outlet TEXT NOT NULL, url TEXT NOT NULL, fetched_at TEXT NOT NULL, feed TEXT NOT NULL, body BLOB,
    content_type TEXT, url_keys TEXT NOT NULL, marker TEXT, kept_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, last_error TEXT, last_error_at TEXT,
    quarantined_at TEXT);
    CREATE INDEX owed_pages_outlet ON owed_pages(outlet, quarantined_at, next_attempt_at)"""))


def retry_after(attempts: int) -> timedelta:
    """The wait before the next try of a page that failed `attempts` times."""
    return min(RETRY_FIRST * (2 ** max(attempts - 1, 0)), RETRY_MAX)


class OwedPages:
    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    # --- the crawl ---
    def keep(self, item: CrawledItem, now: datetime | None = None) -> None:
        """A page just fetched. Fetched again (its entry changed), it replaces what was kept,
        quarantined or not, with its attempts back."""
        self.db.execute(
            "INSERT INTO owed_pages(key, outlet, url, fetched_at, feed, body, content_type, url_keys, marker, "
            "kept_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET outlet = excluded.outlet, "
            "url = excluded.url, fetched_at = excluded.fetched_at, feed = excluded.feed, body = excluded.body, "
            "content_type = excluded.content_type, url_keys = excluded.url_keys, marker = excluded.marker, "
            "kept_at = excluded.kept_at, attempts = 0, next_attempt_at = NULL, last_error = NULL, "
            "last_error_at = NULL, quarantined_at = NULL",
            (item.key, item.outlet, item.url, item.fetched_at, json.dumps(item.feed, ensure_ascii=False), item.body,
             item.content_type, json.dumps(item.url_keys), item.marker, iso(now or utcnow())))

    def markers(self, keys: list[str]) -> dict[str, str | None]:
        """key -> marker, for the keys owed or quarantined (the spider does not fetch them again
        unless their entry changed)."""
        found = {}
        for chunk in in_chunks(list(keys)):
            found.update((r[0], r[1]) for r in self.db.all(
                f"SELECT key, marker FROM owed_pages WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def due(self, outlet: str, now: datetime | None = None, waiting_too: bool = False) -> list[str]:
        """The keys of the outlet's owed pages to take up now, oldest first: those whose next try
        has come; every one not quarantined when `waiting_too` (a crawl asked for)."""
        rows = self.db.all("SELECT key, next_attempt_at FROM owed_pages WHERE outlet = ? AND quarantined_at IS NULL "
                           "ORDER BY kept_at, key", (outlet,))
        now = now or utcnow()
        return [key for key, at in rows if waiting_too or at is None or stored_date(at) <= now]

    def load(self, key: str) -> CrawledItem | None:
        row = self.db.one("SELECT * FROM owed_pages WHERE key = ? AND quarantined_at IS NULL", (key,))
        if row is None:
            return None  # settled or quarantined meanwhile
        return CrawledItem(outlet=row["outlet"], url=row["url"], feed=json.loads(row["feed"]),
                           fetched_at=row["fetched_at"], body=row["body"], content_type=row["content_type"],
                           url_keys=json.loads(row["url_keys"]), marker=row["marker"], owed=True)

    def next_attempt(self, outlet: str) -> datetime | None:
        """When the outlet's next owed page is due (None: none is owed)."""
        row = self.db.one("SELECT COUNT(*), MIN(COALESCE(next_attempt_at, '')) FROM owed_pages "
                          "WHERE outlet = ? AND quarantined_at IS NULL", (outlet,))
        if not row[0]:
            return None
        return stored_date(row[1]) or utcnow()

    def settle(self, keys: list[str], tx=None) -> None:
        """Pages whose article is committed, or that were dropped for a reason (not an article,
        unchanged): no longer owed."""
        for chunk in in_chunks(sorted(set(keys))):
            (tx or self.db).execute(f"DELETE FROM owed_pages WHERE key IN ({','.join('?' * len(chunk))})", chunk)

    def failed(self, key: str, message: str, allowed: int, now: datetime | None = None) -> bool:
        """The page's processing failed: an attempt spent. Returns whether it is quarantined now."""
        now = now or utcnow()
        with self.db.transaction("owed_failed") as tx:
            row = tx.execute("SELECT attempts FROM owed_pages WHERE key = ?", (key,)).fetchone()
            if row is None:
                return False
            attempts = row[0] + 1
            quarantined = attempts >= allowed
            tx.execute("UPDATE owed_pages SET attempts = ?, last_error = ?, last_error_at = ?, next_attempt_at = ?, "
                       "quarantined_at = ? WHERE key = ?",
                       (attempts, message[:ERROR_CHARS], iso(now), None if quarantined else iso(now + retry_after(attempts)),
                        iso(now) if quarantined else None, key))
        return quarantined

    def postpone(self, key: str, message: str, now: datetime | None = None) -> None:
        """The page could not be processed for a reason that is not its own (the index cannot be
        reached): tried again after INDEX_RETRY, no attempt spent."""
        now = now or utcnow()
        self.db.execute("UPDATE owed_pages SET last_error = ?, last_error_at = ?, next_attempt_at = ? WHERE key = ?",
                        (message[:ERROR_CHARS], iso(now), iso(now + INDEX_RETRY), key))

    # --- the operator ---
    def counts(self) -> dict[str, dict[str, int]]:
        """outlet -> {"owed", "quarantined"}, for the outlets that have any."""
        found: dict[str, dict[str, int]] = {}
        for outlet, quarantined, n in self.db.all(
                "SELECT outlet, quarantined_at IS NOT NULL, COUNT(*) FROM owed_pages GROUP BY 1, 2"):
            found.setdefault(outlet, {"owed": 0, "quarantined": 0})["quarantined" if quarantined else "owed"] = n
        return found

    def quarantined(self, outlet: str | None = None) -> list[dict]:
        """The quarantined pages (of one outlet), most recent first, with their last error."""
        query = ("SELECT outlet, url, fetched_at, attempts, last_error, last_error_at, quarantined_at FROM owed_pages "
                 "WHERE quarantined_at IS NOT NULL")
        args: tuple = ()
        if outlet is not None:
            query += " AND outlet = ?"
            args = (outlet,)
        return [dict(r) for r in self.db.all(query + " ORDER BY quarantined_at DESC, key", args)]

    def replay(self, outlet: str | None = None) -> dict[str, int]:
        """Quarantined pages (of one outlet) owed again, with their attempts back and due now;
        returns how many per outlet."""
        where, args = "quarantined_at IS NOT NULL", ()
        if outlet is not None:
            where, args = where + " AND outlet = ?", (outlet,)
        with self.db.transaction("owed_replay") as tx:
            counts = {r[0]: r[1] for r in tx.execute(
                f"SELECT outlet, COUNT(*) FROM owed_pages WHERE {where} GROUP BY outlet", args).fetchall()}
            tx.execute(f"UPDATE owed_pages SET quarantined_at = NULL, attempts = 0, next_attempt_at = NULL WHERE {where}",
                       args)
        return counts
