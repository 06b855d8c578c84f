from __future__ import annotations

from crawler.entities import tag_entities
from crawler.pipelines import Stage


class EntitiesPipeline(Stage):
    """Tags persons, organisations and places in a worker process (spaCy is CPU-bound). A
    failure is counted and the article is indexed without entities, never lost."""

    async def process_item(self, item):
        spider = self.crawler.spider
        config, article = spider.service.config, item.article
        names = config["NEWSWATCH_NAMES"]
        try:
            article["entities"], article["entities_model"] = await spider.service.pool.run(
                tag_entities, article["text"], article["title"], article["language"],
                config["NEWSWATCH_NER_MODELS"], str(names) if names else None)
        except Exception as exc:  # input-borne: count it, keep the article
            spider.record_error(item.url, f"entity tagging failed: {type(exc).__name__}: {exc}")
        return item
