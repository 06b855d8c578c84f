"""Sources that look after themselves: every feed or sitemap URL of an outlet keeps its own
polling interval, failure score and bounded history in the state database.

**Interval** (starts at the outlet's `interval`, the centre of its adaptation: kept within
STRETCH times of it either way, and between NEWSWATCH_MIN_INTERVAL and NEWSWATCH_MAX_INTERVAL
only as far as they do not cut into the configured interval itself — an outlet set to `1m` is
polled every minute whatever the floor; the configured interval says how timely the outlet must
be, so a quiet source is not left for a day): a poll that brings something
new multiplies it by FASTER, a poll that brings nothing (or a 304) by SLOWER. The two settle where about 38% of polls find something —
ln(SLOWER) / (ln(SLOWER) - ln(FASTER)) — i.e. at roughly half the source's usual gap between new
items; a busy source runs at the floor, a quiet one drifts towards the ceiling and comes back
within a few polls when it wakes up. A failure leaves the interval as it is.

**Validators** (ETag/Last-Modified, for conditional GET; kept here with their rule) are kept
only from an answer that was read as a feed or sitemap (the spider hands them over after
parsing) and are dropped at any failure; a 304 counts
as a success only when it answers such validators on a source whose last poll succeeded, else it
is a failure (`record_not_modified`): an unreadable feed never turns "ok" by being unchanged.

**Failures** are weighted by what they say about the source (FAILURE_WEIGHTS: a 404 or an
unreadable feed says it moved or broke, a timeout or a 503 that it is busy); a success resets
the score. At PAUSE_SCORE the source is paused with its reason and retried after PAUSE_RETRY,
(NEWSWATCH_PAUSE_RETRY) doubling up to PAUSE_RETRY_MAX; the first poll that succeeds resumes
it at its outlet's interval.

**Status**: `paused`; `failing` (a score above 0); `slow` (answers, but its last answers took
longer than SLOW_SECONDS); else `ok`."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from core.dates import iso, stored_date, utcnow
from core.statedb import StoreSchema

FASTER, SLOWER = 0.7, 1.25
STRETCH = 4.0
FAILURE_WEIGHTS = {"not_found": 3.0, "unreadable": 3.0, "forbidden": 2.0, "rate_limited": 1.0, "server": 1.0,
                   "timeout": 1.0, "network": 1.0}
PAUSE_SCORE = 9.0  # three 404s in a row, or nine timeouts
PAUSE_RETRY = timedelta(hours=6)
PAUSE_RETRY_MAX = timedelta(days=7)
SLOW_SECONDS = 10.0
POLLS_KEPT = 400  # per source: several days of history even at the floor

SCHEMA = StoreSchema("sources", (
    "CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT)",
    "ALTER TABLE validators ADD COLUMN used_at TEXT",  # for pruning
    "",
    """CREATE TABLE sources (url TEXT PRIMARY KEY, outlet TEXT NOT NULL, interval REAL NOT NULL, next_due_at TEXT,
        failure_score REAL NOT NULL DEFAULT 0, paused_until TEXT, paused_reason TEXT,
        pause_level INTEGER NOT NULL DEFAULT 0, last_success_at TEXT, last_error TEXT, last_error_at TEXT,
        last_duration REAL, polls INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE source_polls (id INTEGER PRIMARY KEY, url TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL,
        new_items INTEGER NOT NULL DEFAULT 0, status INTEGER, duration REAL);
    CREATE INDEX source_polls_url ON source_polls(url, id)""",
))


def failure_kind(status: int | None, message: str = "") -> str:
    """The FAILURE_WEIGHTS kind of a failed poll, from its HTTP status or its error."""
    if status in (404, 410):
        return "not_found"
    if status in (401, 403, 451):
        return "forbidden"
    if status == 429:
        return "rate_limited"
    if status is not None and status >= 500:
        return "server"
    lowered = message.lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    if status is None and any(w in lowered for w in ("dns", "connection", "refused", "unreachable", "reset")):
        return "network"
    return "unreadable"


def settled_share() -> float:
    """The share of polls that find something new where the interval stops moving."""
    return math.log(SLOWER) / (math.log(SLOWER) - math.log(FASTER))


def next_interval(interval: float, new_items: int, floor: float, ceiling: float) -> float:
    return min(ceiling, max(floor, interval * (FASTER if new_items else SLOWER)))


def bounds(configured: float, floor: float, ceiling: float) -> tuple[float, float]:
    """The range a source of an outlet with this configured interval adapts within: STRETCH times
    either way of it, the global floor and ceiling bounding only how far adaptation goes. The
    configured interval itself is always inside: a floor above it (NEWSWATCH_MIN_INTERVAL 5m, an
    outlet's `interval = "1m"`) never lengthens it, a ceiling below it never shortens it."""
    low = min(configured, max(floor, configured / STRETCH))
    high = max(configured, min(ceiling, configured * STRETCH))
    return low, high


class SourceRecords:
    """The sources as recorded: which are due, their validators, their reports and pruning. What
    only reads or prunes needs no policy; `Sources` adds it, to record polls."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def due(self, outlet, now: datetime | None = None, force: bool = False) -> list[str]:
        """The outlet's sources to poll now: those whose time has come (a paused one when its
        retry is due); every unpaused one when `force` (a crawl asked for)."""
        now = now or utcnow()
        due = []
        for url in [*outlet.feeds, *outlet.sitemaps]:
            row = self.db.one("SELECT next_due_at, paused_until FROM sources WHERE url = ?", (url,))
            if row is None:
                due.append(url)
                continue
            paused_until = stored_date(row[1])
            if paused_until is not None:
                if paused_until <= now:
                    due.append(url)
                continue
            next_due = stored_date(row[0])
            if force or next_due is None or next_due <= now:
                due.append(url)
        return due

    def next_due(self, outlet, now: datetime | None = None) -> datetime:
        """When the outlet's next source is due (the scheduler's next run for the outlet)."""
        now = now or utcnow()
        times = []
        for url in [*outlet.feeds, *outlet.sitemaps]:
            row = self.db.one("SELECT next_due_at, paused_until FROM sources WHERE url = ?", (url,))
            if row is None:
                return now
            times.append(stored_date(row[1]) or stored_date(row[0]) or now)
        return max(now, min(times)) if times else now + timedelta(seconds=outlet.interval)

    # --- conditional GET ---
    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.one("SELECT etag, last_modified FROM validators WHERE url = ?", (url,))
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def save_validators(self, validators: dict[str, tuple[str | None, str | None]]) -> None:
        now = iso(utcnow())
        with self.db.transaction("save_validators") as tx:
            tx.executemany(
                "INSERT INTO validators(url, etag, last_modified, used_at) VALUES (?, ?, ?, ?) ON CONFLICT(url) "
                "DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, used_at = excluded.used_at",
                [(url, etag, modified, now) for url, (etag, modified) in sorted(validators.items())
                 if etag or modified])

    def prune_validators(self, cutoff: str, tx=None) -> int:
        """Validators unused since `cutoff` (a feed dropped from outlets.toml, a URL that moved)."""
        return (tx or self.db).execute("DELETE FROM validators WHERE COALESCE(used_at, '') < ?", (cutoff,)).rowcount

    # --- reading ---
    def status(self, row: dict) -> str:
        if row.get("paused_until"):
            return "paused"
        if row.get("failure_score"):
            return "failing"
        if row.get("last_duration") and row["last_duration"] > SLOW_SECONDS:
            return "slow"
        return "ok" if row.get("polls") else "never"

    def report(self, outlet, now: datetime | None = None) -> list[dict]:
        now = now or utcnow()
        week = iso(now - timedelta(days=7))
        out = []
        for kind, urls in (("feed", outlet.feeds), ("sitemap", outlet.sitemaps)):
            for url in urls:
                row = dict(self.db.one("SELECT * FROM sources WHERE url = ?", (url,)) or {})
                new = self.db.one("SELECT COALESCE(SUM(new_items), 0) FROM source_polls WHERE url = ? AND at >= ?",
                                  (url, week))[0]
                out.append({
                    "url": url, "kind": kind, "status": self.status(row),
                    "interval": row.get("interval") or float(outlet.interval),
                    "next_poll_at": row.get("paused_until") or row.get("next_due_at"),
                    "last_success_at": row.get("last_success_at"),
                    "last_error": row.get("last_error"), "last_error_at": row.get("last_error_at"),
                    "paused_reason": row.get("paused_reason"), "failure_score": row.get("failure_score") or 0.0,
                    "new_items_per_day": round(new / 7, 2),
                })
        return out

    def history(self, url: str, limit: int = 50) -> list[dict]:
        return [dict(r) for r in self.db.all("SELECT at, outcome, new_items, status, duration FROM source_polls "
                                              "WHERE url = ? ORDER BY id DESC LIMIT ?", (url, limit))]


class Sources(SourceRecords):
    """The sources with their policy: how a poll's outcome moves a source's interval (between
    `floor` and `ceiling`, NEWSWATCH_MIN_INTERVAL and NEWSWATCH_MAX_INTERVAL) and when a failing one
    is paused and retried (`pause_retry`, NEWSWATCH_PAUSE_RETRY)."""

    def __init__(self, db, floor: float, ceiling: float, pause_retry: timedelta = PAUSE_RETRY):
        super().__init__(db)
        self.floor, self.ceiling = floor, ceiling
        self.pause_retry = pause_retry

    def _row(self, tx, url: str, outlet) -> dict:
        tx.execute("INSERT OR IGNORE INTO sources(url, outlet, interval) VALUES (?, ?, ?)",
                   (url, outlet.key, float(outlet.interval)))
        return dict(tx.execute("SELECT * FROM sources WHERE url = ?", (url,)).fetchone())

    def record_success(self, url: str, outlet, new_items: int, duration: float | None, not_modified: bool = False,
                       at: datetime | None = None) -> bool:
        """Returns whether the source was paused and resumes now."""
        at = at or utcnow()
        with self.db.transaction("source_success") as tx:
            row = self._row(tx, url, outlet)
            resumed = row["paused_until"] is not None
            low, high = bounds(outlet.interval, self.floor, self.ceiling)
            interval = float(outlet.interval) if resumed else next_interval(row["interval"], new_items, low, high)
            tx.execute(
                "UPDATE sources SET interval = ?, next_due_at = ?, failure_score = 0, paused_until = NULL, "
                "paused_reason = NULL, pause_level = 0, last_success_at = ?, last_duration = ?, polls = polls + 1 "
                "WHERE url = ?", (interval, iso(at + timedelta(seconds=interval)), iso(at), duration, url))
            self._history(tx, url, at, "not_modified" if not_modified else "ok", new_items, None, duration)
        return resumed

    def record_not_modified(self, url: str, outlet, sent_validators: bool, duration: float | None,
                            at: datetime | None = None) -> tuple[bool, bool]:
        """A 304 Not Modified. It is a success only when it answers validators kept from an answer
        that was read; a 304 to a request without them, or on a source whose last answer failed,
        is that failure still going on. Returns (success, resumed-or-paused now)."""
        row = self.db.one("SELECT failure_score FROM sources WHERE url = ?", (url,))
        if sent_validators and not (row is not None and row[0]):
            return True, self.record_success(url, outlet, 0, duration, not_modified=True, at=at)
        return False, self.record_failure(url, outlet, "unreadable",
                                          "304 Not Modified, but the last answer could not be read", 304, at)

    def record_failure(self, url: str, outlet, kind: str, message: str, status: int | None = None,
                       at: datetime | None = None) -> bool:
        """Returns whether this failure paused the source."""
        at = at or utcnow()
        with self.db.transaction("source_failure") as tx:
            row = self._row(tx, url, outlet)
            # The validators of an answer before the failure go with it: the next poll asks for
            # the whole document, so a 304 can never stand for an answer that was not read.
            tx.execute("DELETE FROM validators WHERE url = ?", (url,))
            score = row["failure_score"] + FAILURE_WEIGHTS.get(kind, 1.0)
            paused = score >= PAUSE_SCORE
            if paused:
                level = row["pause_level"]
                retry = at + min(self.pause_retry * (2 ** level), PAUSE_RETRY_MAX)
                reason = f"{kind}: {message}"[:300]
                tx.execute("UPDATE sources SET failure_score = ?, paused_until = ?, paused_reason = ?, "
                           "pause_level = ?, last_error = ?, last_error_at = ?, polls = polls + 1 WHERE url = ?",
                           (score, iso(retry), reason, level + 1, message[:300], iso(at), url))
            else:
                tx.execute("UPDATE sources SET failure_score = ?, next_due_at = ?, last_error = ?, last_error_at = ?, "
                           "polls = polls + 1 WHERE url = ?",
                           (score, iso(at + timedelta(seconds=row["interval"])), message[:300], iso(at), url))
            self._history(tx, url, at, kind, 0, status, None)
        return paused and row["paused_until"] is None

    @staticmethod
    def _history(tx, url, at, outcome, new_items, status, duration) -> None:
        tx.execute("INSERT INTO source_polls(url, at, outcome, new_items, status, duration) VALUES (?, ?, ?, ?, ?, ?)",
                   (url, iso(at), outcome, new_items, status, duration))
        tx.execute("DELETE FROM source_polls WHERE url = ? AND id <= (SELECT id FROM source_polls WHERE url = ? "
                   "ORDER BY id DESC LIMIT 1 OFFSET ?)", (url, url, POLLS_KEPT))
