"""Percentiles and the p50/p95/max summary the benchmark reports."""

from __future__ import annotations

import random
import statistics


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


def ratio_interval(floor: list[float], page: list[float], draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 95% bootstrap interval for median(page) / median(floor), from switches taken in pairs.

    `floor[i]` and `page[i]` were measured one after the other, so each draw resamples whole pairs:
    whatever slowed the machine for one pair stays in that pair. Seeded, so a run's report is
    repeatable.
    """
    if len(floor) != len(page) or not floor:
        raise ValueError(f"need the same number of floor and page switches, not {len(floor)} and {len(page)}")
    chooser = random.Random(seed)
    pairs = list(zip(floor, page))
    ratios = []
    for _ in range(draws):
        sample = chooser.choices(pairs, k=len(pairs))
        ratios.append(statistics.median(p for _, p in sample) / statistics.median(f for f, _ in sample))
    return percentile(ratios, 0.025), percentile(ratios, 0.975)
