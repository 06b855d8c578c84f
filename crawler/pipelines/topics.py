from __future__ import annotations

from crawler.alerts import topics_matching
from crawler.pipelines import Stage


class TopicsPipeline(Stage):
    """Matches each new original against every topic, once: the match is recorded (a restart or
    a re-crawl never matches, so never alerts, again) and the article carries `topics[]`. A copy
    of a story is not matched: its original already alerted."""

    def process_item(self, item):
        service, article = self.crawler.spider.service, item.article
        if article.get("duplicate_of") or not service.alerts.topics:
            return item
        matched = topics_matching(article, service.alerts.topics)
        for key in matched:
            service.alerts.record(key, article["id"])
        article["topics"] = sorted(set(article.get("topics") or []) | set(matched))
        return item
