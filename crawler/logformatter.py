"""Scrapy's messages about items, naming the page's URL rather than the whole item (a page's
bytes, a feed entry's full text). A drop is logged at INFO with its reason; a stage's failure at
DEBUG with its traceback, since crawler.crawl.PageOutcomes logs the one line a reader needs (the
URL, the error, whether the page waits or is quarantined)."""
from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class CrawlLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider):
        return {"level": logging.INFO, "msg": "dropped %(url)s: %(reason)s",
                "args": {"url": item.url, "reason": str(exception)}}

    def item_error(self, item, exception, response, spider):
        return {"level": logging.DEBUG, "msg": "processing %(url)s failed", "args": {"url": item.url}}
