from __future__ import annotations


class KeepPipeline:
    """Keeps each fetched page as owed work (crawler/owed.py) before any stage can fail on it; a
    page taken up again from there is kept already."""

    def __init__(self, owed, serial):
        self.owed, self.serial = owed, serial

    @classmethod
    def from_crawler(cls, crawler):
        parts = crawler.newswatch.parts
        return cls(parts.owed, parts.serial)

    async def process_item(self, item):
        if not item.owed:
            await self.serial.run(self.owed.keep, item)
        return item
