from __future__ import annotations

from crawler.pipelines import Stage
from index.protocol import BackendUnavailable
from index.query import QueryError


class RelatedPipeline(Stage):
    """Links an original to other outlets' reports of the same event (shared names and words within
    the window): they join the earlier story (crawler.stories.related, on the serial thread)."""

    def __init__(self, crawl):
        super().__init__(crawl)
        self.stories = crawl.stories

    async def process_item(self, item):
        try:
            await self.crawl.serial(self.stories.relate, item.article)
        except (QueryError, BackendUnavailable) as exc:  # no links this time, nothing lost
            self.crawl.record_error(item.url, f"related search failed: {exc}")
        return item
