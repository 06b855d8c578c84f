"""The pipeline stages, one module each; their order is `settings.ITEM_PIPELINES`.

Each stage is built by Scrapy from the crawler, which carries the crawl
(`crawler.newswatch`, a crawler.crawl.CrawlContext): its `from_crawler` takes the parts the
stage uses, by name, and hands them to `__init__`. A stage reports through the crawl's events
(crawler/events.py), never by touching the report. It drops a page for a reason it decided (not
an article, unchanged) with `DropItem`; a page it cannot process now makes it raise (`PageFailed`
with the reason, or the exception itself): the page then stays owed (crawler/owed.py)."""


class PageFailed(Exception):
    """A stage could not process the page; the message says why (logged with the page's URL)."""
