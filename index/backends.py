from __future__ import annotations

from settings import SettingsError


def open_backend(config, writable: bool = True):
    if config["NEWSWATCH_INDEX"] == "embedded":
        from index.tantivy_backend import TantivyBackend

        return TantivyBackend(config["NEWSWATCH_DATA_DIR"] / "index", writable=writable)
    raise SettingsError(f"setting NEWSWATCH_INDEX={config['NEWSWATCH_INDEX']!r}: "
                        "this version has only the embedded backend")
