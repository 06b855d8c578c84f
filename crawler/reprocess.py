"""Re-running extraction and enrichment over the archived pages (`newswatch reprocess`), so that a
better extractor, alias table or model reaches articles already crawled. Articles are updated in
place: same id, revision, crawl time, story links and topics."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime

from crawler.entities.names import names_path
from crawler.entities.stage import outlet_names, stage_label, tag_entities
from crawler.extraction.extract import NotAnArticle, extract_feed_item, extract_page
from crawler.pipelines.normalize import content_hash

KEPT = ("id", "url", "outlet", "crawled_at", "revision", "story_id", "duplicate_of", "duplicate_count", "topics")


def archived(archive, since: datetime | None, outlet: str | None):
    """(position, article id, record) of every archived page that passes the filters, in a stable order."""
    for position, path in enumerate(sorted(archive.root.glob("*/*.json.gz")), start=1):
        with gzip.open(path, "rt", encoding="utf-8") as src:
            record = json.load(src)
        if outlet and record.get("outlet") != outlet:
            yield position, None, None
            continue
        if since and datetime.fromisoformat(record["fetched_at"].replace("Z", "+00:00")) < since:
            yield position, None, None
            continue
        yield position, path.name.removesuffix(".json.gz"), record


def reprocess_one(record: dict, existing: dict, outlets: dict, config) -> dict:
    outlet = outlets.get(record["outlet"])
    language = outlet.language if outlet else None
    if record.get("body_base64"):
        fields = extract_page(base64.b64decode(record["body_base64"]), record["url"], record.get("feed"),
                              outlet.parser if outlet else None, language, record.get("content_type"),
                              outlet_name=outlet.name if outlet else None,
                              outlet_zone=outlet.timezone if outlet else None)
    else:
        fields = extract_feed_item(record["feed"], language, outlet_zone=outlet.timezone if outlet else None)
    entities, model = tag_entities(fields["text"], fields["title"], fields["language"],
                                   config["NEWSWATCH_NER_MODELS"], names_path(config), outlet_names(outlet, outlets))
    article = {**existing, **{k: v for k, v in fields.items() if k != "url"}}
    article.update({k: existing[k] for k in KEPT if k in existing})
    article.update(entities=entities, entities_model=model, content_hash=content_hash(fields["text"]),
                   published_at=fields.get("published_at") or existing.get("published_at"),
                   published_at_zone=fields.get("published_at_zone") if fields.get("published_at")
                   else existing.get("published_at_zone"))
    return article


def run(config, outlets: dict, backend, state, archive, since, outlet, progress, outdated: bool = False) -> dict:
    """`outdated`: only articles whose `entities_model` is not what the current entity stage
    records (tagged by an older stage or model)."""
    task = f"reprocess:{since.isoformat() if since else ''}:{outlet or ''}:{'outdated' if outdated else ''}"
    done = state.progress(task)
    counts = {"updated": 0, "skipped": 0, "failed": 0}
    total = sum(1 for _ in archive.root.glob("*/*.json.gz"))
    progress.reset(total=total)
    progress.update(done)
    batch = 0
    for position, article_id, record in archived(archive, since, outlet):
        if position <= done:
            continue
        if record is not None:
            existing = backend.get(article_id)
            if existing is None:
                counts["skipped"] += 1  # archived, never committed (a crash): the next crawl brings it
            elif outdated and existing.get("entities_model") == stage_label(
                    existing.get("language"), config["NEWSWATCH_NER_MODELS"], names_path(config)):
                counts["current"] = counts.get("current", 0) + 1
            else:
                try:
                    backend.upsert(reprocess_one(record, existing, outlets, config))
                    counts["updated"] += 1
                    batch += 1
                except (NotAnArticle, ValueError, KeyError) as exc:
                    counts["failed"] += 1
                    state.record_error(record.get("outlet", "?"), record.get("url"), f"reprocess failed: {exc}")
        progress.update(1)
        if batch >= config["NEWSWATCH_COMMIT_EVERY"]:
            backend.commit()
            state.set_progress(task, position)
            batch = 0
    backend.commit()
    state.set_progress(task, 0)  # finished: the next run starts from the beginning
    return counts
