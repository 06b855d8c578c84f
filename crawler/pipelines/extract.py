from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.extraction.extract import NotAnArticle, extract_feed_item, extract_page
from crawler.pipelines import Stage
from crawler.urls import article_id


class ExtractPipeline(Stage):
    """Runs crawler.extraction.extract in a worker process; a page that is not an article is recorded as
    seen (so it is not fetched again until its entry changes) and dropped with the reason."""

    def __init__(self, crawl):
        super().__init__(crawl)
        self.pool, self.state, self.outlet = crawl.pool, crawl.state, crawl.outlet

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
            self.crawl.record_error(item.url, f"not an article: {exc}")
            await self.crawl.serial(self.state.mark_seen, item.url_keys, article_id(item.url), item.marker)
            raise DropItem(f"not an article: {exc}") from None
        except Exception as exc:  # any input-borne failure is counted, never fatal
            self.crawl.record_error(item.url, f"extraction failed: {type(exc).__name__}: {exc}")
            raise DropItem(f"extraction failed: {exc}") from None
        return item
