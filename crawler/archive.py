"""The fetched pages, kept gzip-compressed under the data dir so that a better pipeline can
re-process what was crawled (`pages/<id[:2]>/<id>.json.gz`, the newest fetch of each article)."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path


class PageArchive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, article_id: str) -> Path:
        return self.root / article_id[:2] / f"{article_id}.json.gz"

    def save(self, article_id: str, record: dict) -> None:
        path = self.path(article_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(tmp, path)  # atomic: a crash leaves the old record or the new, never half

    def load(self, article_id: str) -> dict | None:
        try:
            with gzip.open(self.path(article_id), "rt", encoding="utf-8") as src:
                return json.load(src)
        except FileNotFoundError:
            return None

    def delete(self, article_id: str) -> None:
        try:
            self.path(article_id).unlink()
        except FileNotFoundError:
            pass
