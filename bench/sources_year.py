"""A simulated year of polling (issue 14): what the adaptive interval rule (core/sources.py,
`next_interval`) costs and gains against polling at the outlet's fixed interval.

Two outlets: a busy wire (about 200 items a day, most by day, fewer at weekends) and a quiet
service (about 2 a day, weekdays only, and a two-week summer break). Items arrive as a Poisson
process with that hourly rate (seeded); a poll finds every item published since the previous
poll. Reported: requests per day, and the delay from publication to the poll that finds an item
(median, 95th percentile), for the fixed interval and for the adaptive rule between the default
floor (5 minutes) and ceiling (1 day), both starting from the same configured interval.

    .venv/bin/python bench/sources_year.py
"""
from __future__ import annotations

import math
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.sources import STRETCH, bounds, next_interval, settled_share  # noqa: E402

YEAR = 365 * 86400
FLOOR, CEILING = 300, 86400


def busy_rate(t: float) -> float:
    """Items per second: ~200 a day on weekdays, half at weekends, most between 06:00 and 22:00."""
    day, hour = int(t // 86400) % 7, (t % 86400) / 3600
    daily = 200 if day < 5 else 100
    share = 0.9 / 16 if 6 <= hour < 22 else 0.1 / 8
    return daily * share / 3600


def quiet_rate(t: float) -> float:
    """~2 items a day on weekdays, none at weekends, none for two weeks in August."""
    day, week = int(t // 86400) % 7, int(t // (7 * 86400))
    if day >= 5 or week in (31, 32):
        return 0.0
    hour = (t % 86400) / 3600
    return 2 * (1 / 10) / 3600 if 8 <= hour < 18 else 0.0


def arrivals(rate, seed: int) -> list[float]:
    """Poisson arrivals over the year by thinning, hour by hour."""
    rng = random.Random(seed)
    times = []
    for hour in range(YEAR // 3600):
        start = hour * 3600
        expected = rate(start + 1800) * 3600
        count = poisson(rng, expected)
        times += sorted(start + rng.random() * 3600 for _ in range(count))
    return times


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def simulate(items: list[float], start_interval: float, adaptive: bool) -> dict:
    t, interval, polls, delays, index = 0.0, start_interval, 0, [], 0
    low, high = bounds(start_interval, FLOOR, CEILING)
    while t < YEAR:
        t += interval
        polls += 1
        found = 0
        while index < len(items) and items[index] <= t:
            delays.append(t - items[index])
            index += 1
            found += 1
        if adaptive:
            interval = next_interval(interval, found, low, high)
    delays.sort()
    return {"requests_per_day": polls / 365, "median_delay_min": statistics.median(delays) / 60 if delays else 0,
            "p95_delay_min": delays[int(0.95 * (len(delays) - 1))] / 60 if delays else 0, "items": len(items)}


def main() -> None:
    print(f"rule: x{0.7} on news, x{1.25} on none; settles where {settled_share():.1%} of polls find news; "
          f"within {STRETCH:g}x of the configured interval, floor {FLOOR // 60} min, ceiling {CEILING // 3600} h")
    print("| outlet | configured interval | items/year | polling | requests/day | median delay | p95 delay |")
    print("|---|---|---|---|---|---|---|")
    for name, rate, start in (("busy wire", busy_rate, 900), ("quiet service", quiet_rate, 3600)):
        items = arrivals(rate, seed=14)
        for label, adaptive in (("fixed", False), ("adaptive", True)):
            r = simulate(items, start, adaptive)
            print(f"| {name} | {start // 60} min | {r['items']} | {label} | {r['requests_per_day']:.1f} | "
                  f"{r['median_delay_min']:.1f} min | {r['p95_delay_min']:.1f} min |")


if __name__ == "__main__":
    main()
