"""Volume drops: an outlet whose new articles over the last day fall far below its usual rate.

**Rule.** `usual` is the median of the outlet's new articles in the same 24-hour window one,
two, three and four weeks earlier: the same weekdays and hours, so a quiet Sunday is compared
with Sundays and a weekly lull never looks like a drop, and one odd week does not move a median.
A drop needs a baseline (all four weeks covered, `usual` ≥ MIN_USUAL articles) and the last 24
hours at most DROP_SHARE of it. It ends when the last 24 hours are back to RECOVERED_SHARE: one
notice per drop, however long it lasts.

Counts are kept per outlet and hour (bounded to HOURS_KEPT)."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Callable

from core.dates import iso, stored_date, utcnow
from core.statedb import StoreSchema

MIN_USUAL = 5
DROP_SHARE = 0.25
RECOVERED_SHARE = 0.5
WEEKS = 4
HOURS_KEPT = timedelta(days=7 * WEEKS + 8)

# Both stores came with version 4 of the state file: steps 1 to 3 are empty.
VOLUME_SCHEMA = StoreSchema("volume", ("", "", "", """CREATE TABLE outlet_hours (outlet TEXT NOT NULL,
    hour TEXT NOT NULL, articles INTEGER NOT NULL, PRIMARY KEY (outlet, hour))"""))
NOTICES_SCHEMA = StoreSchema("notices", ("", "", "", """CREATE TABLE admin_notices (id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, outlet TEXT NOT NULL, message TEXT NOT NULL, raised_at TEXT NOT NULL, cleared_at TEXT)"""))


def hour_of(at: datetime) -> str:
    return iso(at.replace(minute=0, second=0, microsecond=0))


class Volume:
    def __init__(self, db):
        self.db = db
        db.ensure(VOLUME_SCHEMA)

    def count(self, outlet: str, articles: int, at: datetime | None = None, tx=None) -> None:
        if not articles:
            return
        at = at or utcnow()
        (tx or self.db).execute(
            "INSERT INTO outlet_hours(outlet, hour, articles) VALUES (?, ?, ?) "
            "ON CONFLICT(outlet, hour) DO UPDATE SET articles = articles + excluded.articles",
            (outlet, hour_of(at), articles))

    def window(self, outlet: str, end: datetime, hours: int = 24) -> int:
        return self.db.one("SELECT COALESCE(SUM(articles), 0) FROM outlet_hours WHERE outlet = ? AND hour >= ? "
                           "AND hour < ?", (outlet, hour_of(end - timedelta(hours=hours)), hour_of(end)))[0]

    def covered_since(self, outlet: str) -> datetime | None:
        return stored_date(self.db.one("SELECT MIN(hour) FROM outlet_hours WHERE outlet = ?", (outlet,))[0])

    def usual(self, outlet: str, end: datetime) -> float | None:
        """The median of the 24 hours before `end` one to WEEKS weeks earlier; None without
        that much history."""
        first = self.covered_since(outlet)
        if first is None or first > end - timedelta(weeks=WEEKS, hours=24):
            return None  # not four weeks of history yet
        return statistics.median(self.window(outlet, end - timedelta(weeks=w)) for w in range(1, WEEKS + 1))

    def check(self, outlet: str, now: datetime | None = None) -> dict:
        """{"last_day", "usual", "dropping", "recovered"} for the outlet now."""
        end = (now or utcnow()) + timedelta(hours=1)  # the current hour counts
        last_day = self.window(outlet, end)
        usual = self.usual(outlet, end)
        dropping = usual is not None and usual >= MIN_USUAL and last_day <= DROP_SHARE * usual
        recovered = usual is None or usual < MIN_USUAL or last_day >= RECOVERED_SHARE * usual
        return {"last_day": last_day, "usual": usual, "dropping": dropping, "recovered": recovered}

    def per_day(self, outlet: str, days: int = 7, now: datetime | None = None) -> list[int]:
        """New articles per day (UTC) over the last `days` days, oldest first, today last."""
        now = now or utcnow()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return [self.db.one("SELECT COALESCE(SUM(articles), 0) FROM outlet_hours WHERE outlet = ? AND hour >= ? "
                            "AND hour < ?", (outlet, iso(today - timedelta(days=d)),
                                             iso(today - timedelta(days=d - 1))))[0]
                for d in range(days - 1, -1, -1)]

    def prune(self, now: datetime | None = None, tx=None) -> int:
        """Hourly counts beyond the baseline's reach (HOURS_KEPT before `now`)."""
        now = now or utcnow()
        return (tx or self.db).execute("DELETE FROM outlet_hours WHERE hour < ?", (iso(now - HOURS_KEPT),)).rowcount


class NoticeBoard:
    """Notices for the operator (volume drops, paused sources) as recorded: open until cleared.
    Reading, clearing and pruning them needs no channels; `Notices` adds the sending."""

    def __init__(self, db):
        self.db = db
        db.ensure(NOTICES_SCHEMA)

    def open(self, kind: str | None = None) -> list[dict]:
        query = "SELECT id, kind, outlet, message, raised_at FROM admin_notices WHERE cleared_at IS NULL"
        rows = self.db.all(query + (" AND kind = ?" if kind else "") + " ORDER BY id", (kind,) if kind else ())
        return [dict(r) for r in rows]

    def clear(self, kind: str, outlet: str, now: datetime | None = None) -> bool:
        return self.db.execute("UPDATE admin_notices SET cleared_at = ? WHERE kind = ? AND outlet = ? AND "
                               "cleared_at IS NULL", (iso(now or utcnow()), kind, outlet)).rowcount > 0

    def prune(self, cutoff: str, tx=None) -> int:
        """Notices cleared before `cutoff`."""
        return (tx or self.db).execute("DELETE FROM admin_notices WHERE cleared_at < ?", (cutoff,)).rowcount


class Notices(NoticeBoard):
    """The notices raised once each and sent to NEWSWATCH_ADMIN_NOTIFY's channels through the
    alert deliveries.

    `queue_delivery(tx, topic, channels, now, payload=...)` queues those sends in the notice's own
    transaction: the alert outbox's `add` (crawler/alerts/store.py), handed down because core
    imports nothing above it. Not needed when there are no channels."""

    def __init__(self, db, channels: tuple[tuple[str, str], ...], queue_delivery: Callable | None = None):
        super().__init__(db)
        self.queue_delivery = queue_delivery
        self.channels = channels

    def raise_once(self, kind: str, outlet: str, message: str, now: datetime | None = None) -> bool:
        """Raises the notice unless one of this kind is open for the outlet; True when raised."""
        now = now or utcnow()
        with self.db.transaction("raise_notice") as tx:
            if tx.execute("SELECT 1 FROM admin_notices WHERE kind = ? AND outlet = ? AND cleared_at IS NULL",
                          (kind, outlet)).fetchone():
                return False
            tx.execute("INSERT INTO admin_notices(kind, outlet, message, raised_at) VALUES (?, ?, ?, ?)",
                       (kind, outlet, message, iso(now)))
            if self.channels:
                self.queue_delivery(tx, "admin", self.channels, now, payload={
                    "notice": kind, "outlet": outlet, "message": message, "raised_at": iso(now)})
        return True
