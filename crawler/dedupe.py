"""Near-duplicate detection: MinHash (datasketch) over word shingles, LSH band tables in the
crawl-state database (lookups stay flat as the archive grows: no pairwise scans), candidates
verified on the shingles themselves. Signatures carry their scheme; a different datasketch
scheme is never compared with stored ones — they are recomputed from the stored shingles."""
from __future__ import annotations

import re
import sqlite3
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 5
NUM_PERM = 128
SCHEME = "affine32"
LSH_THRESHOLD = 0.4  # candidates down to ~0.4 Jaccard (truncated reprints); verified below
_LSH = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)  # only for its band and row counts
_BANDS, _ROWS = _LSH.b, _LSH.r
SIGNATURE_VERSION = f"{SCHEME}/{NUM_PERM}/{_BANDS}x{_ROWS}/{SHINGLE_WORDS}"
# A copy: most shingles shared (light edits keep ~0.7), or nearly all of the shorter text
# contained in the longer (a truncated reprint, a page template around the same text).
MIN_JACCARD = 0.5
MIN_CONTAINMENT = 0.8
MIN_SHINGLES = 20  # shorter texts are too small to call copies on shingles alone
WORD = re.compile(r"\w+")

SCHEMA = """
CREATE TABLE IF NOT EXISTS dedupe_signatures (
    id TEXT PRIMARY KEY,
    published_at TEXT NOT NULL,
    size INTEGER NOT NULL,
    shingles BLOB NOT NULL,        -- zlib-compressed sorted uint32 shingle hashes
    version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dedupe_bands (
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dedupe_bands_lookup ON dedupe_bands(band, key);
CREATE INDEX IF NOT EXISTS dedupe_bands_id ON dedupe_bands(id);
"""


def shingles(text: str) -> np.ndarray:
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    return np.unique(np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32, count=len(grams)))


def signature(ids: np.ndarray) -> np.ndarray:
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([int(i).to_bytes(4, "little") for i in ids])
    return minhash.hashvalues


def fingerprint(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(shingles, MinHash values) of a text: the CPU part of dedupe, run in a worker process."""
    ids = shingles(text)
    return ids, signature(ids)


def band_keys(hashvalues: np.ndarray) -> list[tuple[int, int]]:
    return [(band, zlib.crc32(hashvalues[band * _ROWS:(band + 1) * _ROWS].astype("<u4").tobytes()))
            for band in range(_BANDS)]


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger)."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b))


@dataclass
class Match:
    id: str
    jaccard: float
    containment: float

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


class DuplicateIndex:
    def __init__(self, path: Path, window_days: int):
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.window = timedelta(days=window_days)
        self._lock = threading.Lock()
        self._upgrade()

    def _upgrade(self) -> None:
        """Signatures of another scheme or datasketch default are recomputed from their shingles."""
        stale = self.db.execute("SELECT id, shingles FROM dedupe_signatures WHERE version != ?",
                                (SIGNATURE_VERSION,)).fetchall()
        for article_id, blob in stale:
            self._bands(article_id, np.frombuffer(zlib.decompress(blob), dtype="<u4"))
        self.db.execute("UPDATE dedupe_signatures SET version = ?", (SIGNATURE_VERSION,))

    def _bands(self, article_id: str, ids: np.ndarray, hashvalues: np.ndarray | None = None) -> None:
        keys = band_keys(signature(ids) if hashvalues is None else hashvalues)
        with self.db:
            self.db.execute("DELETE FROM dedupe_bands WHERE id = ?", (article_id,))
            self.db.executemany("INSERT INTO dedupe_bands(band, key, id) VALUES (?, ?, ?)",
                                [(band, key, article_id) for band, key in keys])

    def add(self, article_id: str, ids: np.ndarray, published_at: str, hashvalues: np.ndarray | None = None) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO dedupe_signatures(id, published_at, size, shingles, version) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET published_at = excluded.published_at, size = excluded.size, "
                "shingles = excluded.shingles, version = excluded.version",
                (article_id, published_at, len(ids), zlib.compress(ids.astype("<u4").tobytes()), SIGNATURE_VERSION))
            self._bands(article_id, ids, hashvalues)

    def shingles_of(self, article_id: str) -> np.ndarray | None:
        row = self.db.execute("SELECT shingles FROM dedupe_signatures WHERE id = ?", (article_id,)).fetchone()
        return np.frombuffer(zlib.decompress(row[0]), dtype="<u4") if row else None

    def find(self, article_id: str, ids: np.ndarray, published_at: str,
             hashvalues: np.ndarray | None = None) -> list[Match]:
        """Verified copies among the articles published within the window, best first."""
        if len(ids) < MIN_SHINGLES:
            return []
        keys = band_keys(signature(ids) if hashvalues is None else hashvalues)
        with self._lock:
            candidates = set()
            for band, key in keys:
                candidates.update(row[0] for row in self.db.execute(
                    "SELECT id FROM dedupe_bands WHERE band = ? AND key = ?", (band, key)))
            candidates.discard(article_id)
            when = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
            matches = []
            for candidate in candidates:
                row = self.db.execute("SELECT published_at, shingles FROM dedupe_signatures WHERE id = ?",
                                      (candidate,)).fetchone()
                if row is None:
                    continue
                if abs(datetime.fromisoformat(row[0].replace("Z", "+00:00")) - when) > self.window:
                    continue
                jaccard, containment = overlap(ids, np.frombuffer(zlib.decompress(row[1]), dtype="<u4"))
                if jaccard >= MIN_JACCARD or containment >= MIN_CONTAINMENT:
                    matches.append(Match(candidate, jaccard, containment))
        return sorted(matches, key=lambda m: -m.score)

    def close(self) -> None:
        self.db.close()
