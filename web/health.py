"""Outlet health as `/outlets` and `newswatch outlets` report it, and the reasons `/health` gives."""
from __future__ import annotations

from datetime import datetime, timedelta

from core.dates import stored_date, utcnow
from core.sources import SourceRecords
from core.volume import NoticeBoard, Volume
from crawler.config.outlets import Outlet
from crawler.owed import OwedPages
from web.protocols import CrawlStateReader

STALE_FLOOR = timedelta(days=1)
QUARANTINE_SHOWN = 20  # quarantined pages listed per outlet, the most recent (the count is of all)


FAILING_SOURCE = ("failing", "paused")


def outlet_status(outlet: Outlet, row: dict, now: datetime, sources: list[dict] = ()) -> str:
    """`never` before the first poll; `error` when the last poll failed (no feed or sitemap could
    be read); `degraded` when it read some of them but others are failing or paused; `stale` when
    polls succeed but nothing new has come for much longer than usual; else `ok`."""
    if not row.get("polls"):
        return "never"
    if not row.get("last_poll_ok"):
        return "error"
    if any(s["status"] in FAILING_SOURCE for s in sources):
        return "degraded"
    since = stored_date(row.get("last_new_at")) or stored_date(row.get("first_poll_at"))
    usual = max(STALE_FLOOR, timedelta(seconds=10 * outlet.interval),
                timedelta(seconds=3 * (row.get("typical_gap") or 0)))
    if since is not None and now - since > usual:
        return "stale"
    return "ok"


def outlets_report(outlets: dict[str, Outlet], state: CrawlStateReader, backlog: dict | None = None,
                   now: datetime | None = None) -> list[dict]:
    """`backlog`: the index's (SearchBackend.backlog); each outlet shows how many of its articles
    wait in it."""
    now = now or utcnow()
    waiting = (backlog or {}).get("elasticsearch_outbox", {}).get("by_outlet", {})
    counts = state.articles_by_outlet()
    sources, volume = SourceRecords(state.db), Volume(state.db)
    drops = {n["outlet"]: n for n in NoticeBoard(state.db).open("volume_drop")}
    owed = OwedPages(state.db)
    owed_counts = owed.counts()
    report = []
    for key, outlet in outlets.items():
        row = state.outlet(key)
        source_rows = sources.report(outlet, now)
        report.append({
            "key": key,
            "name": outlet.name,
            "last_poll_at": row.get("last_poll_at"),
            "status": outlet_status(outlet, row, now, source_rows),
            # Every feed or sitemap failing now, with its error: what `degraded` or `error` is about.
            "failing_sources": [{"url": s["url"], "status": s["status"],
                                 "error": s["paused_reason"] or s["last_error"]}
                                for s in source_rows if s["status"] in FAILING_SOURCE],
            "articles": counts.get(key, 0),
            "errors": row.get("errors") or 0,
            "last_error": row.get("last_error"),
            "last_error_at": row.get("last_error_at"),
            "filtered": row.get("filtered") or 0,
            "backoff_until": row.get("backoff_until") if state.backoff_until(key) else None,
            "articles_per_day": volume.per_day(key, 7, now),
            "volume_drop": drops[key]["message"] if key in drops else None,
            "sources": source_rows,
            # Pages fetched and not stored yet: waiting for their next try, or quarantined after
            # NEWSWATCH_PAGE_ATTEMPTS failures (the most recent, with their last error) until
            # `newswatch replay` (crawler/owed.py).
            "owed": owed_counts.get(key, {}).get("owed", 0),
            "quarantined": owed_counts.get(key, {}).get("quarantined", 0),
            "quarantine": [{name: page[name] for name in ("url", "attempts", "last_error", "quarantined_at")}
                           for page in owed.quarantined(key)[:QUARANTINE_SHOWN]]
            if owed_counts.get(key, {}).get("quarantined") else [],
        })
        if backlog:
            report[-1]["waiting_for_index"] = waiting.get(key, 0)
    return report


FAILING_INTERVALS = 3  # an outlet failing for longer than this many intervals degrades /health
BACKLOG_AGE = timedelta(minutes=15)  # writes waiting longer than this for Elasticsearch degrade it


def health_reasons(outlets: dict[str, Outlet], state: CrawlStateReader, backlog: dict | None = None,
                   now: datetime | None = None) -> list[str]:
    """Why the service is degraded (empty: it is not): outlets whose polls have failed for longer
    than FAILING_INTERVALS of their interval, an Elasticsearch outbox not draining."""
    now = now or utcnow()
    reasons = []
    for key, outlet in outlets.items():
        row = state.outlet(key)
        if not row.get("polls") or row.get("last_poll_ok"):
            continue
        since = stored_date(row.get("last_ok_at")) or stored_date(row.get("first_poll_at"))
        if since is not None and now - since > timedelta(seconds=FAILING_INTERVALS * outlet.interval):
            reasons.append(f"outlet {key} has failed since {row.get('last_ok_at') or row.get('first_poll_at')}"
                           + (f": {row['last_error']}" if row.get("last_error") else ""))
    for notice in NoticeBoard(state.db).open():
        reasons.append(f"{notice['kind'].replace('_', ' ')} since {notice['raised_at']}: {notice['message']}")
    outbox = (backlog or {}).get("elasticsearch_outbox")
    oldest = stored_date(outbox.get("oldest_waiting_since")) if outbox else None
    if oldest is not None and now - oldest > BACKLOG_AGE:
        reasons.append(f"{outbox['waiting']} articles have waited for Elasticsearch since {outbox['oldest_waiting_since']}")
    return reasons
