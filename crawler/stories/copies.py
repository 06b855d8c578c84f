"""Near-duplicate detection: MinHash (datasketch) over word shingles, LSH band keys in the state
database (lookups stay flat as the archive grows: no pairwise scans), candidates verified on the
stored signatures. A copy is a copy whatever its date: no time window.

Per article the state keeps its shingle count, the low 4 bits of each of its 512 MinHash values
(b-bit minwise hashing, Li and König 2010: for the same 256 bytes, many short values estimate
Jaccard more closely than a few long ones — two different values agree by chance 1 time in 16,
which the estimate corrects for) and its band keys: under 1 KB. Jaccard is estimated from the
share of agreeing values, and containment from Jaccard and the two sizes.

Two kinds of band key make candidates: 32 bands of 4 full MinHash values (the first 128: an
S-curve around 0.4 Jaccard, a light edit or a wire prefix), and 4 single MinHash values of the
text's first 40 words, which a truncated reprint keeps even when it is too short for its Jaccard
to reach the bands.

The MinHash scheme is pinned and recorded; signatures made by another scheme are never compared
with these: the index is rebuilt from the articles' texts instead (`rebuild`)."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from datasketch import MinHash

from core.statedb import StateDB, StoreSchema, in_chunks

SHINGLE_WORDS = 5
NUM_PERM = 512
BITS = 4
SCHEME = "affine32"
SEED = 1
BANDS, ROWS = 32, 4  # datasketch's MinHashLSH optimum for threshold 0.4 at 128 permutations
HEAD_WORDS = 40  # the opening that a truncated reprint keeps
HEAD_PERM, HEAD_SEED, HEAD_ROWS = 4, 7, 1
MIN_HEAD_SHINGLES = 20
SIGNATURE_VERSION = f"{SCHEME}/{SEED}/{NUM_PERM}/{BANDS}x{ROWS}/{SHINGLE_WORDS}/head{HEAD_WORDS}x{HEAD_PERM}/b{BITS}"
# A copy: most shingles shared (light edits keep ~0.7), or nearly all of the shorter text
# contained in the longer (a truncated reprint, a page template around the same text).
MIN_JACCARD = 0.5
MIN_CONTAINMENT = 0.8
MIN_SHINGLES = 20  # shorter texts are too small to call copies on shingles alone
WORD = re.compile(r"\w+")
CHANCE = 2.0 ** -BITS

SCHEMA = StoreSchema("duplicates", (
    # Version 1 kept every shingle, with bands by article id.
    """CREATE TABLE IF NOT EXISTS dedupe_signatures (id TEXT PRIMARY KEY, published_at TEXT NOT NULL,
        size INTEGER NOT NULL, shingles BLOB NOT NULL, version TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS dedupe_bands (band INTEGER NOT NULL, key INTEGER NOT NULL, id TEXT NOT NULL)""",
    # Version 2: bounded storage (integer ids, compact signatures: under 1 KB per article). The
    # signatures of version 1 are dropped and rebuilt from the index's texts (`rebuild`, flagged
    # by the missing scheme in `meta`).
    """DROP TABLE dedupe_signatures;
    DROP TABLE dedupe_bands;
    CREATE TABLE lsh_docs (doc INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
        signature BLOB NOT NULL);
    CREATE TABLE lsh_bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID""",
))


def _shingle_hashes(words: list[str]) -> np.ndarray:
    if len(words) < SHINGLE_WORDS:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    return np.unique(np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32, count=len(grams)))


def shingles(text: str) -> np.ndarray:
    return _shingle_hashes(WORD.findall(text.lower()))


def _minhash(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    # The shingles are crc32 values already: the identity is their hash (no per-value SHA-1).
    minhash = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME, hashfunc=int)
    minhash.update_batch(values.tolist())
    return minhash.hashvalues.astype(np.uint32)


def _key(kind: int, values: np.ndarray) -> int:
    # A signed 32-bit integer takes 4 bytes in SQLite; an unsigned one above 2^31 takes 6.
    return zlib.crc32(bytes([kind]) + values.astype("<u4").tobytes()) - 2 ** 31


@dataclass(frozen=True)
class Fingerprint:
    size: int  # distinct shingles
    signature: np.ndarray  # uint32[NUM_PERM]
    keys: tuple[int, ...]  # LSH band keys, head keys included

    @property
    def compact(self) -> bytes:
        """The low BITS bits of every value, two to a byte."""
        low = (self.signature & 0xF).astype(np.uint8)
        return (low[0::2] | (low[1::2] << 4)).tobytes()


def fingerprint(text: str) -> Fingerprint:
    """The CPU part of dedupe, run in a worker process."""
    words = WORD.findall(text.lower())
    ids = _shingle_hashes(words)
    signature = _minhash(ids, NUM_PERM, SEED)
    keys = [_key(band, signature[band * ROWS:(band + 1) * ROWS]) for band in range(BANDS)]
    head = _shingle_hashes(words[:HEAD_WORDS])
    if len(head) >= MIN_HEAD_SHINGLES:
        values = _minhash(head, HEAD_PERM, HEAD_SEED)
        keys += [_key(BANDS + n, values[n * HEAD_ROWS:(n + 1) * HEAD_ROWS]) for n in range(HEAD_PERM // HEAD_ROWS)]
    return Fingerprint(len(ids), signature, tuple(keys))


def estimate(a_signature: bytes, a_size: int, b_signature: bytes, b_size: int) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger), estimated from two compact signatures."""
    if not a_size or not b_size:
        return 0.0, 0.0
    a, b = np.frombuffer(a_signature, np.uint8), np.frombuffer(b_signature, np.uint8)
    agree = (np.count_nonzero((a & 0xF) == (b & 0xF)) + np.count_nonzero((a >> 4) == (b >> 4))) / (2 * len(a))
    jaccard = max(0.0, (agree - CHANCE) / (1 - CHANCE))
    shared = jaccard * (a_size + b_size) / (1 + jaccard)
    return jaccard, min(1.0, shared / min(a_size, b_size))


@dataclass
class Match:
    id: str
    jaccard: float
    containment: float

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


class DuplicateIndex:
    def __init__(self, db: StateDB):
        self.db = db
        db.ensure(SCHEMA)

    def needs_rebuild(self) -> bool:
        """Signatures of another scheme (or none yet, after an upgrade) are in the table."""
        return self.db.meta("lsh_scheme") != SIGNATURE_VERSION

    def add(self, article_id: str, fp: Fingerprint) -> None:
        with self.db.transaction("dedupe_add") as tx:
            self._add(tx, article_id, fp)

    @staticmethod
    def _add(tx, article_id: str, fp: Fingerprint) -> None:
        tx.execute("INSERT INTO lsh_docs(article_id, size, signature) VALUES (?, ?, ?) ON CONFLICT(article_id) "
                   "DO UPDATE SET size = excluded.size, signature = excluded.signature",
                   (article_id, fp.size, fp.compact))
        doc = tx.execute("SELECT doc FROM lsh_docs WHERE article_id = ?", (article_id,)).fetchone()[0]
        # A revision's old keys stay (they can only add candidates, which are verified).
        tx.executemany("INSERT OR IGNORE INTO lsh_bands(key, doc) VALUES (?, ?)", [(k, doc) for k in fp.keys])

    def find(self, article_id: str, fp: Fingerprint) -> list[Match]:
        """Verified copies among every article of the index, best first."""
        if fp.size < MIN_SHINGLES:
            return []
        keys = sorted(set(fp.keys))
        rows = self.db.all(
            "SELECT DISTINCT d.article_id, d.size, d.signature FROM lsh_bands b JOIN lsh_docs d ON d.doc = b.doc "
            f"WHERE b.key IN ({','.join('?' * len(keys))})", keys)
        matches = []
        for candidate, size, signature in rows:
            if candidate == article_id or size < MIN_SHINGLES:
                continue
            jaccard, containment = estimate(fp.compact, fp.size, signature, size)
            if jaccard >= MIN_JACCARD or containment >= MIN_CONTAINMENT:
                matches.append(Match(candidate, jaccard, containment))
        return sorted(matches, key=lambda m: (-m.score, m.id))

    def remove(self, article_ids: list[str], tx=None) -> None:
        """Forgets pruned articles; their band rows go with the next `sweep`."""
        for chunk in in_chunks(list(article_ids)):
            (tx or self.db).execute(f"DELETE FROM lsh_docs WHERE article_id IN ({','.join('?' * len(chunk))})", chunk)

    def sweep(self) -> int:
        """Band rows of forgotten articles (one scan of the band table: a pruning job, not the crawl)."""
        return self.db.execute("DELETE FROM lsh_bands WHERE doc NOT IN (SELECT doc FROM lsh_docs)").rowcount

    def rebuild(self, texts: Iterable[tuple[str, str]], batch: int = 500) -> int:
        """Replaces every signature with one of this scheme, from (article id, text) pairs."""
        with self.db.transaction("dedupe_rebuild") as tx:
            tx.execute("DELETE FROM lsh_bands")
            tx.execute("DELETE FROM lsh_docs")
            self.db.set_meta("lsh_scheme", "rebuilding", tx)
        done = 0
        pending: list[tuple[str, str]] = []

        def write():
            with self.db.transaction("dedupe_rebuild") as tx:
                for article_id, text in pending:
                    self._add(tx, article_id, fingerprint(text))
            pending.clear()

        for article_id, text in texts:
            pending.append((article_id, text))
            done += 1
            if len(pending) >= batch:
                write()
        write()
        self.db.set_meta("lsh_scheme", SIGNATURE_VERSION)
        return done
