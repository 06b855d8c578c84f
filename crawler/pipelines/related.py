from __future__ import annotations

from index.query import QueryError


class RelatedPipeline:
    """Links an original to other outlets' reports of the same event (shared names and words within
    the window): they join the earlier story (crawler.stories.related, on the serial thread). An
    index that cannot be reached raises through: the page waits, owed, to be linked when it answers."""

    def __init__(self, stories, serial, events):
        self.stories, self.serial, self.events = stories, serial, events

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        return cls(crawl.parts.stories, crawl.parts.serial, crawl.events)

    async def process_item(self, item):
        try:
            await self.serial.run(self.stories.relate, item.article)
        except QueryError as exc:  # this article's words the index cannot take: no links, nothing lost
            self.events.error(item.url, f"related search failed: {exc}")
        return item
