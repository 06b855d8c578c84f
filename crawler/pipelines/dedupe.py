from __future__ import annotations

from crawler.stories.copies import fingerprint


class DedupePipeline:
    """Exact copies by content hash, then near-copies by MinHash LSH over the whole archive; a copy
    is kept and linked to its original (`duplicate_of`, `story_id`), never silently dropped."""

    def __init__(self, pool, stories, serial):
        self.pool, self.stories, self.serial = pool, stories, serial

    @classmethod
    def from_crawler(cls, crawler):
        parts = crawler.newswatch.parts
        return cls(parts.pool, parts.stories, parts.serial)

    async def process_item(self, item):
        # Shingles and MinHash are the CPU part: the worker process computes them, off the loop;
        # the decision is taken on the serial thread, in arrival order (crawler.stories.related).
        fp = await self.pool.run(fingerprint, item.article["text"])
        await self.serial.run(self.stories.deduplicate, item.article, fp)
        return item
