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
        try:
            matched = service.backend.match_topics(article, service.alerts.topics)
        except Exception as exc:  # a cluster that cannot percolate now: match here, lose nothing
            self.crawler.spider.record_error(item.url, f"topic matching in the index failed, matched locally: {exc}")
            matched = topics_matching(article, service.alerts.topics)
        for key in matched:
            service.alerts.record(key, article["id"])
        article["topics"] = sorted(set(article.get("topics") or []) | set(matched))
        return item
