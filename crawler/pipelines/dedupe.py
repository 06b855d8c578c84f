from __future__ import annotations

from crawler.dedupe import fingerprint
from crawler.pipelines import Stage
from crawler.stories import link_copy


class DedupePipeline(Stage):
    """Exact copies by content hash, then near-copies by MinHash LSH within the time window; a copy
    is kept and linked to its original (`duplicate_of`, `story_id`), never silently dropped."""

    async def process_item(self, item):
        service, article = self.crawler.spider.service, item.article
        if article["revision"] > 1:
            # An update of an article already in a story keeps its place in it.
            current = service.article_now(article["id"]) or {}
            for name in ("duplicate_of", "story_id", "duplicate_count", "topics"):
                if current.get(name) is not None:
                    article[name] = current[name]
        # Shingles and MinHash are the CPU part: the worker process computes them, off the loop.
        ids, hashvalues = await service.pool.run(fingerprint, article["text"])
        exact = service.state.article_by_hash(article["content_hash"], article["id"])
        matches = [] if exact else service.dedupe.find(article["id"], ids, article["published_at"], hashvalues)
        # Only originals that were committed (or wait in this process's writer) count.
        matches = [m for m in matches if service.state.article(m.id) or service.writer.pending(m.id)]
        service.dedupe.add(article["id"], ids, article["published_at"], hashvalues)
        if article["revision"] == 1 and (exact or matches):
            link_copy(service, article, exact or matches[0].id, 1.0 if exact else matches[0].score)
        return item
