from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CrawledItem:
    """What a spider hands the pipelines: a fetched page, or a feed entry carrying the full text
    (`body` None). `url_keys` are the identity URLs it was found under (feed link, page URL);
    `marker` is the feed/sitemap entry's change marker, recorded once the article is committed."""

    outlet: str
    url: str
    feed: dict
    fetched_at: str
    body: bytes | None = None
    content_type: str | None = None
    url_keys: list[str] = field(default_factory=list)
    marker: str | None = None
    fields: dict | None = None  # set by the extraction stage
    article: dict | None = None  # set by the normalisation stage
