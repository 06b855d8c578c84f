from __future__ import annotations

from index.matching import topics_matching


class TopicsPipeline:
    """Matches each new original against every topic, once: the match is recorded (a restart or
    a re-crawl never matches, so never alerts, again) and the article carries `topics[]`. A copy
    of a story is not matched: its original already alerted."""

    def __init__(self, alerts, backend, state, stories, serial, events):
        self.alerts, self.backend, self.state, self.stories = alerts, backend, state, stories
        self.serial, self.events = serial, events

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        parts = crawl.parts
        return cls(parts.alerts, parts.backend, parts.state, parts.stories, parts.serial, crawl.events)

    async def process_item(self, item):
        if not self.alerts.topics:
            return item
        problem = await self.serial.run(self.match, item.article)
        if problem is not None:
            self.events.error(item.url, problem)
        return item

    def match(self, article: dict) -> str | None:
        """Records the article's matches; returns what went wrong in the index, if anything."""
        # Whether it is a copy now: an earlier original may have turned up since its dedupe.
        if self.stories.current(article).get("duplicate_of"):
            return None
        topics, problem = self.alerts.topics, None
        try:
            matched = self.backend.match_topics(article, topics)
        except Exception as exc:  # a cluster that cannot percolate now: match here, lose nothing
            problem = f"topic matching in the index failed, matched locally: {exc}"
            matched = topics_matching(article, topics)
        copies = [copy for copy, _ in self.state.copies_of(article["id"])]
        for key in matched:
            self.alerts.record(key, article["id"], copies)
        article["topics"] = sorted(set(article.get("topics") or []) | set(matched))
        return problem
