"""Dedupe cost per article as the archive grows: the LSH band tables must keep a lookup flat (no
pairwise scans). Fills a DuplicateIndex with synthetic articles (random shingle sets the size of
a news article's) up to 100,000, and at each size times find+add of 200 new articles.

    .venv/bin/python bench/dedupe_cost.py [--max 100000]
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

from crawler.dedupe import DuplicateIndex  # noqa: E402


def article(rng) -> np.ndarray:
    return np.unique(rng.integers(0, 2**32, size=int(rng.integers(300, 900)), dtype=np.uint32))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    checkpoints = [n for n in (1_000, 10_000, 30_000, 100_000) if n <= args.max]
    with tempfile.TemporaryDirectory() as tmp:
        index = DuplicateIndex(Path(tmp) / "state.sqlite3", window_days=3650)
        size = 0
        print(f"{'indexed':>8} {'ms per article (find + add)':>28} {'candidates per lookup':>22}")
        for checkpoint in checkpoints:
            with index.db:
                while size < checkpoint:
                    index.add(f"a{size}", article(rng), "2025-11-05T00:00:00Z")
                    size += 1
            probes = [article(rng) for _ in range(200)]
            start = time.perf_counter()
            found = 0
            for n, ids in enumerate(probes):
                found += len(index.find(f"p{checkpoint}-{n}", ids, "2025-11-05T00:00:00Z"))
                index.add(f"p{checkpoint}-{n}", ids, "2025-11-05T00:00:00Z")
            elapsed = (time.perf_counter() - start) / len(probes)
            size += len(probes)
            print(f"{checkpoint:>8} {elapsed * 1000:>28.2f} {found / len(probes):>22.2f}")
        print(f"database: {(Path(tmp) / 'state.sqlite3').stat().st_size / 2**20:.0f} MiB for {size} articles")


if __name__ == "__main__":
    main()
