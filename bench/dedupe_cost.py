"""Dedupe cost and storage per article as the archive grows: the LSH band keys must keep a lookup
flat (no pairwise scans) and the state under 1 KB per article. Fills the state database's dedupe
tables with synthetic fingerprints (random MinHash values and the band keys they give, the same
shape as a real article's) up to --max articles, and at each size times find + add of 500 new
articles and measures the tables' bytes per article (SQLite's dbstat).

    .venv/bin/python bench/dedupe_cost.py [--max 1000000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.statedb import StateDB  # noqa: E402
from crawler.stories.copies import BANDS, HEAD_PERM, NUM_PERM, ROWS, DuplicateIndex, Fingerprint, _key  # noqa: E402

TABLES = ("lsh_docs", "lsh_bands", "sqlite_autoindex_lsh_docs_1")


def synthetic(rng) -> Fingerprint:
    signature = rng.integers(0, 2**32, size=NUM_PERM, dtype=np.uint32)
    head = rng.integers(0, 2**32, size=HEAD_PERM, dtype=np.uint32)
    keys = [_key(band, signature[band * ROWS:(band + 1) * ROWS]) for band in range(BANDS)]
    keys += [_key(BANDS + n, head[n:n + 1]) for n in range(HEAD_PERM)]
    return Fingerprint(int(rng.integers(300, 900)), signature, tuple(keys))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    checkpoints = [n for n in (1_000, 10_000, 100_000, 300_000, 1_000_000) if n <= args.max]
    with tempfile.TemporaryDirectory() as tmp:
        db = StateDB(Path(tmp) / "state.sqlite3")
        index = DuplicateIndex(db)
        size = 0
        print(f"{'indexed':>9} {'ms per article (find + add)':>28} {'candidates':>11} {'bytes per article':>18}")
        for checkpoint in checkpoints:
            while size < checkpoint:
                with db.transaction("bench") as tx:
                    for _ in range(min(5000, checkpoint - size)):
                        index._add(tx, f"{size:020x}", synthetic(rng))
                        size += 1
            probes = [synthetic(rng) for _ in range(500)]
            start = time.perf_counter()
            found = 0
            for n, fp in enumerate(probes):
                found += len(index.find(f"p{checkpoint}-{n}", fp))
                index.add(f"p{checkpoint}-{n}", fp)
            elapsed = (time.perf_counter() - start) / len(probes)
            size += len(probes)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            used = db.one(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({','.join('?' * len(TABLES))})", TABLES)[0]
            print(f"{checkpoint:>9} {elapsed * 1000:>28.2f} {found / len(probes):>11.2f} {used / size:>18.0f}",
                  flush=True)
        print(f"database file: {db.size_bytes() / 2**20:.0f} MiB for {size} articles")


if __name__ == "__main__":
    main()
