"""The outlet-parser protocol (Fundus style): one method per field, each returning the value or
None to leave that field to generic extraction. When a site's layout changes, add a new parser
class (a version) beside the old one instead of editing it; `applies` picks the version."""
from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html


@dataclass
class Page:
    url: str
    html: str
    tree: lxml.html.HtmlElement | None = field(default=None, repr=False)


class OutletParser:
    def applies(self, page: Page) -> bool:
        return True

    def title(self, page: Page) -> str | None:
        return None

    def text(self, page: Page) -> str | None:
        return None

    def description(self, page: Page) -> str | None:
        return None

    def authors(self, page: Page) -> list[str] | None:
        return None

    def published_at(self, page: Page) -> str | None:
        return None

    def modified_at(self, page: Page) -> str | None:
        return None

    def canonical_url(self, page: Page) -> str | None:
        return None

    def image_url(self, page: Page) -> str | None:
        return None

    def tags(self, page: Page) -> list[str] | None:
        return None

    def language(self, page: Page) -> str | None:
        return None
