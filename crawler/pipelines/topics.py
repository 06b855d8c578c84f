from __future__ import annotations

from crawler.pipelines import Stage
from index.matching import topics_matching


class TopicsPipeline(Stage):
    """Matches each new original against every topic, once: the match is recorded (a restart or
    a re-crawl never matches, so never alerts, again) and the article carries `topics[]`. A copy
    of a story is not matched: its original already alerted."""

    def __init__(self, crawl):
        super().__init__(crawl)
        self.alerts, self.backend, self.state = crawl.alerts, crawl.backend, crawl.state

    async def process_item(self, item):
        if item.article.get("duplicate_of") or not self.alerts.topics:
            return item
        await self.crawl.serial(self.match, item)
        return item

    def match(self, item) -> None:
        article, topics = item.article, self.alerts.topics
        try:
            matched = self.backend.match_topics(article, topics)
        except Exception as exc:  # a cluster that cannot percolate now: match here, lose nothing
            self.crawl.record_error(item.url, f"topic matching in the index failed, matched locally: {exc}")
            matched = topics_matching(article, topics)
        copies = [copy for copy, _ in self.state.copies_of(article["id"])]
        for key in matched:
            self.alerts.record(key, article["id"], copies)
        article["topics"] = sorted(set(article.get("topics") or []) | set(matched))
