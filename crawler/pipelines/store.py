from __future__ import annotations

import base64
import logging

from crawler.events import Tally

logger = logging.getLogger(__name__)


class IndexWriter:
    """The process's single path into the index (used on the serial thread only): buffers upserts
    from every running crawl and commits in batches; only after a commit are the articles
    recorded in the crawl state."""

    def __init__(self, backend, state, commit_every: int):
        self.backend = backend
        self.state = state
        self.commit_every = commit_every
        self._pending: dict[str, tuple[dict, list[str], str | None]] = {}

    def add(self, article: dict, url_keys: list[str], marker: str | None) -> None:
        self.backend.upsert(article)
        if article["id"] in self._pending and not url_keys:
            # A rewrite (story links) of an article waiting for the commit keeps how it was found.
            _, url_keys, marker = self._pending[article["id"]]
        self._pending[article["id"]] = (article, url_keys, marker)
        if len(self._pending) >= self.commit_every:
            self.flush()

    def pending(self, article_id: str) -> dict | None:
        entry = self._pending.get(article_id)
        return entry[0] if entry else None

    def flush(self) -> int:
        if not self._pending:
            return 0
        entries = list(self._pending.values())
        self.backend.commit()
        self._pending.clear()
        self.state.record_committed(entries)
        logger.info("committed %d articles", len(entries))
        return len(entries)


class StorePipeline:
    """Archives the fetched page, then writes the article through the process's IndexWriter."""

    def __init__(self, archive, writer, stories, serial, events):
        self.archive, self.writer, self.stories, self.serial, self.events = archive, writer, stories, serial, events

    @classmethod
    def from_crawler(cls, crawler):
        crawl = crawler.newswatch
        parts = crawl.parts
        return cls(parts.archive, parts.writer, parts.stories, parts.serial, crawl.events)

    async def process_item(self, item):
        await self.serial.run(self.store, item)
        self.events.count(Tally.NEW_ARTICLES)
        return item

    def store(self, item) -> None:
        # Its story fields as they stand: other articles' decisions may have changed them.
        article = self.stories.current(item.article)
        self.archive.save(article["id"], {
            "outlet": item.outlet, "url": item.url, "fetched_at": item.fetched_at,
            "content_type": item.content_type, "feed": item.feed, "url_keys": item.url_keys,
            # The raw bytes, whatever their encoding, so re-processing sees exactly what was fetched.
            "body_base64": base64.b64encode(item.body).decode("ascii") if item.body is not None else None,
        })
        self.stories.stored(article)
        self.writer.add(article, item.url_keys, item.marker)
