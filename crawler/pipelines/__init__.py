"""The pipeline stages, one module each; their order is `settings.ITEM_PIPELINES`."""


class Stage:
    """A pipeline stage built by Scrapy from the crawler; the running spider (and through it the
    crawl service) is `self.crawler.spider`."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
