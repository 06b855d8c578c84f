from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from core.article import new_article
from core.dates import iso, utcnow
from crawler.urls import article_id, identity_url


def content_hash(text: str) -> str:
    return hashlib.blake2b(" ".join(text.lower().split()).encode("utf-8"), digest_size=16).hexdigest()


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host


def same_site(a: str, b: str) -> bool:
    site_a, site_b = _site(a), _site(b)
    return site_a == site_b or site_a.endswith("." + site_b) or site_b.endswith("." + site_a)


class NormalizePipeline:
    """Gives the article its id, dates and revision. An article whose content is unchanged since
    it was indexed is dropped (its entry's new marker recorded); a changed one is a new revision
    of the same id."""

    def __init__(self, state, serial):
        self.state, self.serial = state, serial

    @classmethod
    def from_crawler(cls, crawler):
        parts = crawler.newswatch.parts
        return cls(parts.state, parts.serial)

    async def process_item(self, item):
        fields = dict(item.fields)
        now = iso(utcnow())
        canonical = fields.get("canonical_url") or fields["url"]
        # A canonical URL on another site (a syndicated copy pointing at its source) must not
        # give this page the source's id: that would overwrite the source's article.
        id_url = canonical if same_site(canonical, fields["url"]) else fields["url"]
        identifier = article_id(id_url)
        item.url_keys = list(dict.fromkeys(item.url_keys + [identity_url(id_url)]))
        digest = content_hash(fields["text"])
        known = await self.serial.run(self.state.article, identifier)
        revision = 1
        if known is not None:
            if known["content_hash"] == digest:
                await self.serial.run(self.state.mark_seen, item.url_keys, identifier, item.marker)
                raise DropItem("unchanged since it was indexed")
            revision = known["revision"] + 1
            fields["modified_at"] = fields.get("modified_at") or now
        item.article = new_article(
            id=identifier, outlet=item.outlet, crawled_at=item.fetched_at or now,
            content_hash=digest, revision=revision,
            **{**fields, "published_at": fields.get("published_at") or item.fetched_at or now,
               "published_at_zone": fields.get("published_at_zone") if fields.get("published_at") else "crawled"})
        return item
