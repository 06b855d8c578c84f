"""Retention: what a daemon running for months must forget so that its storage stays bounded.

Run daily by the daemon (on the crawl service's serial thread, which owns the index writer) and
by `newswatch prune`. What goes, and when (settings NEWSWATCH_KEEP_*):
- archived pages older than KEEP_PAGES_DAYS (only `reprocess` reads them);
- articles published more than KEEP_ARTICLES_DAYS ago, when set: from the index and from every
  table that describes them (known URLs, story links, dedupe signatures, topic matches) — dedupe
  signatures live exactly as long as their articles, so copy detection spans the whole archive;
- topic matches older than KEEP_MATCHES_DAYS once alerted; deliveries sent more than
  KEEP_DELIVERIES_DAYS ago, and outbox writes Elasticsearch rejected that long ago;
- URLs marked seen that never became an article (not-an-article pages) after KEEP_PAGES_DAYS,
  feed validators unused for VALIDATORS_DAYS, the rarest words of the related-report vocabulary
  beyond TERMS_KEPT, and band rows of forgotten signatures.

Each store prunes its own tables; this module says what goes when, and in which order."""
from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

from core.dates import iso, utcnow
from core.sources import SourceRecords
from core.volume import NoticeBoard, Volume
from crawler.alerts.store import DeliveryStore, MatchStore
from crawler.state import CrawlState
from index.outbox import Outbox

logger = logging.getLogger(__name__)

VALIDATORS_DAYS = 30
TERMS_KEPT = 300_000  # distinct words for TF-IDF; beyond this the words seen once are dropped
BATCH = 500


def prune(config, db, backend, archive, dedupe, now=None) -> dict:
    now = now or utcnow()
    counts = {"pages": 0, "articles": 0, "matches": 0, "deliveries": 0, "seen": 0, "validators": 0, "terms": 0,
              "bands": 0, "outbox_rejected": 0, "hours": 0, "notices": 0}
    keep_pages, keep_articles = config["NEWSWATCH_KEEP_PAGES_DAYS"], config["NEWSWATCH_KEEP_ARTICLES_DAYS"]
    state = CrawlState(db)
    if keep_articles:
        counts["articles"] = _prune_articles(db, state, backend, archive, dedupe,
                                             iso(now - timedelta(days=keep_articles)))
    if keep_pages:
        counts["pages"] = _prune_pages(archive, (now - timedelta(days=keep_pages)).timestamp())
        counts["seen"] = state.prune_seen(iso(now - timedelta(days=keep_pages)))
    counts["matches"] = MatchStore(db).prune(iso(now - timedelta(days=config["NEWSWATCH_KEEP_MATCHES_DAYS"])))
    deliveries_cutoff = iso(now - timedelta(days=config["NEWSWATCH_KEEP_DELIVERIES_DAYS"]))
    counts["deliveries"] = DeliveryStore(db).prune(deliveries_cutoff)
    counts["outbox_rejected"] = Outbox(db).prune(deliveries_cutoff)
    counts["validators"] = SourceRecords(db).prune_validators(iso(now - timedelta(days=VALIDATORS_DAYS)))
    counts["terms"] = state.prune_terms(TERMS_KEPT)
    counts["bands"] = dedupe.sweep()
    # Hourly article counts beyond the volume baseline's reach; notices cleared long ago.
    counts["hours"] = Volume(db).prune(now)
    counts["notices"] = NoticeBoard(db).prune(deliveries_cutoff)
    logger.info("pruned: %s", counts)
    return counts


def _prune_articles(db, state, backend, archive, dedupe, cutoff: str) -> int:
    """Index first (deleted and committed), then the state, batch by batch: a crash in between
    leaves state rows for articles the index no longer has, which the next run removes."""
    done = 0
    while True:
        ids = state.published_before(cutoff, BATCH)
        if not ids:
            return done
        backend.delete(ids)
        backend.commit()
        with db.transaction("prune_articles") as tx:
            MatchStore(db).forget(ids, tx)
            dedupe.remove(ids, tx)
            state.forget(ids, tx)
        for article_id in ids:
            archive.delete(article_id)
        done += len(ids)


def _prune_pages(archive, cutoff: float) -> int:
    removed = 0
    if not archive.root.is_dir():
        return 0
    for folder in os.scandir(archive.root):
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder.path):
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                pass
    return removed


def storage_report(db, archive) -> dict:
    """Bytes on disk of the state database and the page archive, for `newswatch prune`."""
    pages = 0
    start = time.monotonic()
    if archive.root.is_dir():
        for folder in os.scandir(archive.root):
            if folder.is_dir():
                pages += sum(e.stat().st_size for e in os.scandir(folder.path))
    return {"state_bytes": db.size_bytes(), "pages_bytes": pages,
            "measured_in_seconds": round(time.monotonic() - start, 2)}
