"""Page metadata from JSON-LD and meta tags: the publisher's own statements, preferred over what
a body extractor guesses."""
from __future__ import annotations

import json
import re

import lxml.html

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
                 "blogposting", "backgroundnewsarticle", "opinionnewsarticle", "reviewnewsarticle",
                 "liveblogposting", "socialmediaposting", "webpage"}


def _types(node: dict) -> set[str]:
    value = node.get("@type") or []
    values = value if isinstance(value, list) else [value]
    return {str(v).lower() for v in values}


def _walk(value):
    if isinstance(value, dict):
        yield value
        for child in value.get("@graph", []) if isinstance(value.get("@graph"), list) else []:
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def json_ld_article(tree: lxml.html.HtmlElement) -> dict:
    """The page's most article-like JSON-LD object (NewsArticle over Article over WebPage)."""
    best, best_rank = {}, len(ARTICLE_TYPES) + 1
    ranking = ["newsarticle", "reportagenewsarticle", "analysisnewsarticle", "article", "blogposting"]
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        for node in _walk(data):
            types = _types(node) & ARTICLE_TYPES
            if not types:
                continue
            rank = min((ranking.index(t) if t in ranking else len(ranking)) for t in types)
            if rank < best_rank:
                best, best_rank = node, rank
    return best


def _names(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(n.strip() for n in re.split(r"\s*(?:,|\band\b)\s*", item) if n.strip())
    return names


def _first_string(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def page_metadata(tree: lxml.html.HtmlElement) -> dict:
    """Fields from JSON-LD first, then meta tags; absent fields are None or []."""
    ld = json_ld_article(tree)

    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = tree.xpath(f'//meta[@{attr}="{name}"]/@content')
                if found and found[0].strip():
                    return found[0].strip()
        return None

    def metas(name: str) -> list[str]:
        return [v.strip() for v in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content') if v.strip()]

    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    html_lang = tree.xpath("/html/@lang")
    author_meta = metas("author") + metas("article:author")
    return {
        "title": (ld.get("headline") if isinstance(ld.get("headline"), str) else None)
                 or meta("og:title", "twitter:title"),
        "description": (ld.get("description") if isinstance(ld.get("description"), str) else None)
                       or meta("og:description", "description", "twitter:description"),
        "authors": _names(ld.get("author")) or [a for a in author_meta if not a.startswith("http")],
        "published_at": ld.get("datePublished") or meta("article:published_time", "datePublished",
                                                         "pubdate", "publish-date", "date"),
        "modified_at": ld.get("dateModified") or meta("article:modified_time", "og:updated_time", "dateModified"),
        "canonical_url": (canonical[0].strip() if canonical and canonical[0].strip() else None)
                         or meta("og:url") or _first_string(ld.get("mainEntityOfPage")) or _first_string(ld.get("url")),
        "image_url": _first_string(ld.get("image")) or meta("og:image", "twitter:image"),
        "tags": _keywords(ld.get("keywords")) or metas("article:tag") or _keywords(meta("news_keywords", "keywords")),
        "language": (ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None)
                    or (html_lang[0] if html_lang else None) or meta("og:locale", "language"),
        "is_article": bool(ld) or meta("og:type") == "article",
    }
