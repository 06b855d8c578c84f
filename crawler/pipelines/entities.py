from __future__ import annotations

from crawler.entities.stage import outlet_names, tag_entities


class EntitiesPipeline:
    """Tags persons, organisations and places in a worker process (spaCy is CPU-bound). A
    failure is counted and the article is indexed without entities, never lost."""

    def __init__(self, outlet, outlets, pool, models: str, names: str | None, events):
        self.outlet, self.outlets, self.pool, self.events = outlet, outlets, pool, events
        self.models, self.names = models, names

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        parts = crawl.parts
        return cls(crawl.outlet, parts.outlets, parts.pool, parts.ner_models, parts.names_file, crawl.events)

    async def process_item(self, item):
        article = item.article
        outlets = outlet_names(self.outlet, self.outlets.current())
        try:
            article["entities"], article["entities_model"] = await self.pool.run(
                tag_entities, article["text"], article["title"], article["language"], self.models, self.names,
                outlets)
        except Exception as exc:  # input-borne: count it, keep the article
            self.events.error(item.url, f"entity tagging failed: {type(exc).__name__}: {exc}")
        return item
