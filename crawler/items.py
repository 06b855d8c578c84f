from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CrawledItem:
    """What a spider hands the pipelines: a fetched page, or a feed entry carrying the full text
    (`body` None). `url_keys` are the identity URLs it was found under (feed link, page URL);
    `marker` is the feed/sitemap entry's change marker, recorded once the article is committed.
    From the moment the first stage keeps it (crawler/owed.py) until the commit that holds its
    article, the page is owed work, under `key`."""

    outlet: str
    url: str
    feed: dict
    fetched_at: str
    body: bytes | None = field(default=None, repr=False)  # logged items name their URL, not their bytes
    content_type: str | None = None
    url_keys: list[str] = field(default_factory=list)
    marker: str | None = None
    fields: dict | None = None  # set by the extraction stage
    article: dict | None = None  # set by the normalisation stage
    owed: bool = False  # taken up again from the owed pages (crawler/owed.py), not fetched now

    @property
    def key(self) -> str:
        """The page's key among the owed pages: the identity URL of the link it was found under."""
        return self.url_keys[0]
