from __future__ import annotations

from crawler.entities.names import names_path
from crawler.entities.stage import outlet_names, tag_entities
from crawler.pipelines import Stage


class EntitiesPipeline(Stage):
    """Tags persons, organisations and places in a worker process (spaCy is CPU-bound). A
    failure is counted and the article is indexed without entities, never lost."""

    def __init__(self, crawl):
        super().__init__(crawl)
        self.pool = crawl.pool
        self.models, self.names = crawl.config["NEWSWATCH_NER_MODELS"], names_path(crawl.config)

    async def process_item(self, item):
        article = item.article
        outlets = outlet_names(self.crawl.outlet, self.crawl.service.outlets)
        try:
            article["entities"], article["entities_model"] = await self.pool.run(
                tag_entities, article["text"], article["title"], article["language"], self.models, self.names,
                outlets)
        except Exception as exc:  # input-borne: count it, keep the article
            self.crawl.record_error(item.url, f"entity tagging failed: {type(exc).__name__}: {exc}")
        return item
