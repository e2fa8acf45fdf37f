"""The benchmark's statistics: percentiles and the interval around a page's ratio to the floor."""

from __future__ import annotations

import pytest

from bench.stats import percentile, ratio_interval


def test_percentile_takes_the_nearest_rank():
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(values, 0.5) == 0.3
    assert percentile(values, 0.0) == 0.1
    assert percentile(values, 1.0) == 0.5


def test_a_page_always_twice_the_floor_has_no_spread():
    low, high = ratio_interval([0.1, 0.12, 0.11], [0.2, 0.24, 0.22])
    assert low == pytest.approx(2.0)
    assert high == pytest.approx(2.0)


def test_the_interval_holds_the_ratio_and_stays_within_what_resampling_can_give():
    floor = [1.0] * 9
    page = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]  # median 3.0: ratio 3.0
    low, high = ratio_interval(floor, page)
    assert 1.0 <= low < 3.0 < high <= 5.0
    assert ratio_interval(floor, page) == (low, high)  # seeded: the same report twice


def test_pairs_must_match():
    with pytest.raises(ValueError, match="same number"):
        ratio_interval([0.1, 0.2], [0.3])
    with pytest.raises(ValueError, match="same number"):
        ratio_interval([], [])
