"""The pipeline stages, one module each; their order is `settings.ITEM_PIPELINES`."""


class Stage:
    """A pipeline stage built by Scrapy from the crawler. `crawl` is the crawl's context
    (crawler.service.CrawlContext): this crawl's outlet, report and error log, and the service's
    shared parts — each stage takes what it uses from it when it is built."""

    def __init__(self, crawl):
        self.crawl = crawl

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.newswatch)
