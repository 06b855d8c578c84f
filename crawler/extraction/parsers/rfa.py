"""Radio Free Asia on Arc XP (2025-): pages embed the story as ANS JSON in
`Fusion.globalContent=...;` inside `<script id="fusion-metadata">`. Its `content_elements` are the
body as the newsroom wrote it, free of the page's navigation."""
from __future__ import annotations

import json
import re

import lxml.html

from crawler.extraction.parsers.base import OutletParser, Page

MARKER = "Fusion.globalContent="
ARC_SITE = re.compile(r"Fusion\.arcSite\s*=\s*['\"]([^'\"]+)")
BODY_TYPES = {"text", "header"}


def global_content(page: Page) -> dict | None:
    if not hasattr(page, "_fusion"):
        start = page.html.find(MARKER)
        content = None
        if start >= 0:
            try:
                # raw_decode stops at the end of the object, whatever follows it.
                content, _ = json.JSONDecoder().raw_decode(page.html, start + len(MARKER))
            except ValueError:
                content = None
        page._fusion = content if isinstance(content, dict) else None
    return page._fusion


def _html_text(fragment: str) -> str:
    if not fragment or not fragment.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(fragment, create_parent="div").text_content().split())


class RFAArcParser(OutletParser):
    def applies(self, page: Page) -> bool:
        return global_content(page) is not None

    def title(self, page):
        return (global_content(page).get("headlines") or {}).get("basic") or None

    def description(self, page):
        return (global_content(page).get("description") or {}).get("basic") or None

    def text(self, page):
        paragraphs = []
        for element in global_content(page).get("content_elements") or []:
            if element.get("type") in BODY_TYPES:
                text = _html_text(element.get("content") or "")
                if text:
                    paragraphs.append(text)
            elif element.get("type") == "list":
                for item in element.get("items") or []:
                    text = _html_text(item.get("content") or "")
                    if text:
                        paragraphs.append(text)
        return "\n".join(paragraphs) or None

    def authors(self, page):
        names = [c.get("name") for c in (global_content(page).get("credits") or {}).get("by") or []]
        return [n.strip() for n in names if n and n.strip()] or None

    def published_at(self, page):
        story = global_content(page)
        return story.get("display_date") or story.get("first_publish_date")

    def modified_at(self, page):
        return global_content(page).get("last_updated_date")

    def canonical_url(self, page):
        path = global_content(page).get("canonical_url")
        if path and path.startswith("/"):
            return "https://www.rfa.org" + path
        return path

    def image_url(self, page):
        promo = (global_content(page).get("promo_items") or {}).get("basic") or {}
        return promo.get("url")

    def tags(self, page):
        tags = [t.get("text") for t in (global_content(page).get("taxonomy") or {}).get("tags") or []]
        return [t for t in tags if t] or None

    def language(self, page):
        site = ARC_SITE.search(page.html)
        if site and site.group(1) == "rfa-korean":
            return "ko"
        return global_content(page).get("language") or None
