from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.extraction.extract import NotAnArticle, extract_feed_item, extract_page
from crawler.pipelines import PageFailed
from crawler.urls import article_id


class ExtractPipeline:
    """Runs crawler.extraction.extract in a worker process; a page that is not an article is recorded as
    seen (so it is not fetched again until its entry changes) and dropped with the reason."""

    def __init__(self, outlet, pool, state, serial, events):
        self.outlet, self.pool, self.state, self.serial, self.events = outlet, pool, state, serial, events

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        return cls(crawl.outlet, crawl.parts.pool, crawl.parts.state, crawl.parts.serial, crawl.events)

    async def process_item(self, item):
        outlet = self.outlet
        try:
            if item.body is None:
                item.fields = await self.pool.run(extract_feed_item, item.feed, outlet.language, None,
                                                  outlet.timezone)
            else:
                item.fields = await self.pool.run(extract_page, item.body, item.url, item.feed,
                                                  outlet.parser, outlet.language, item.content_type, None,
                                                  outlet.name, outlet.timezone)
        except NotAnArticle as exc:
            self.events.error(item.url, f"not an article: {exc}")
            await self.serial.run(self.state.mark_seen, item.url_keys, article_id(item.url), item.marker)
            raise DropItem(f"not an article: {exc}") from None
        except Exception as exc:  # any input-borne failure is the page's: tried again, then quarantined
            raise PageFailed(f"extraction failed: {type(exc).__name__}: {exc}") from exc
        return item
