"""Target maths, intervals and reliability flags, with hand-computed values."""

from __future__ import annotations

import pytest

from profiles.targets import academic_year, children_needed, low_reliability, progress, wilson_interval

ROTHERHAM_ALL = {2022: 64.5, 2023: 67.3, 2024: 64.3, 2025: 64.9}


def test_barely_changed_is_said_in_words_not_as_a_ratio():
    result = progress("all", ROTHERHAM_ALL, 73.3, "published", latest_year=2025, since=2022)
    # 73.3 - 64.9 = 8.4 percentage points over 3 years = 2.8 a year; recent (64.9 - 64.5) / 3 = 0.13 a year,
    # under half a point: a ratio (21×) would mean nothing.
    assert result.points_to_gain == 8.4
    assert result.required_per_year == pytest.approx(2.8)
    assert result.recent_per_year == pytest.approx(0.4 / 3)
    assert result.ratio is None
    assert result.status == "has barely changed since 2021/22 and needs 2.8 percentage points a year"


def test_ratio_only_for_a_real_improvement():
    # needs (74.0 - 66.3) / 3 = 2.57 a year; improved (66.3 - 62.7) / 3 = 1.2 a year: 2.1 times.
    result = progress("all", {2022: 62.7, 2025: 66.3}, 74.0, "published", latest_year=2025, since=2022)
    assert result.ratio == pytest.approx(2.57 / 1.2, abs=0.01)
    assert result.status == (
        "needs 2.1 times its recent rate of improvement (1.2 percentage points a year since 2021/22; 2.6 needed)"
    )


def test_on_track_when_recent_rate_is_enough():
    result = progress("all", {2022: 60.0, 2025: 66.0}, 70.0, "derived", latest_year=2025, since=2022)
    # needs 4/3 = 1.33 a year; has improved 2.0 a year.
    assert result.status == "is on track: improving by 2.0 percentage points a year, 1.3 needed"


def test_falling_trend_is_said_plainly():
    result = progress("fsm", {2022: 51.7, 2025: 44.2}, 56.6, "published", latest_year=2025, since=2022)
    # fell 7.5 over 3 years = 2.5 a year; needs 12.4 / 3 = 4.13 a year.
    assert result.points_to_gain == 12.4
    assert result.status == (
        "has fallen since 2021/22 (by 2.5 percentage points a year on average) and needs 4.1 percentage points a year"
    )
    assert result.ratio is None


def test_a_need_beyond_any_la_is_said_to_be_so():
    result = progress("all", ROTHERHAM_ALL, 73.3, "published", latest_year=2025, since=2022, largest_gain=2.7)
    assert result.context == "More than any LA has gained a year since 2021/22 (the most was 2.7)."
    within = progress("all", ROTHERHAM_ALL, 73.3, "published", latest_year=2025, since=2022, largest_gain=3.0)
    assert within.context == ""


def test_already_above_target():
    result = progress("all", {2022: 80.0, 2025: 90.0}, 88.0, "derived", latest_year=2025, since=2022)
    assert result.points_to_gain == -2.0
    assert result.status == "already at or above its 2028 target"


def test_no_target_asks_for_one():
    result = progress("fsm", {2025: 100.0}, None, "not derivable", latest_year=2025, since=2022)
    assert result.target is None and "enter your confirmed target" in result.status


def test_children_needed():
    assert children_needed(8.4, 2800) == 235  # 8.4% of 2,800
    assert children_needed(-1.0, 2800) is None
    assert children_needed(3.0, None) is None


def test_wilson_interval_hand_computed():
    # centre (0.5 + 1.9207/100) / 1.038415 = 0.5; half-width 1.96 × 0.0509513 / 1.038415 = 0.0962
    assert wilson_interval(50.0, 100) == (40.4, 59.6)
    low, high = wilson_interval(100.0, 12)
    assert high == 100.0 and low == 75.8  # z²/(n+z²) = 3.8415/15.8415 → lower bound 0.7575
    assert wilson_interval(None, 100) == (None, None)


def test_low_reliability():
    assert low_reliability(55.0, 29)
    assert not low_reliability(55.0, 30)
    assert low_reliability(None, 500)


def test_academic_year_label():
    assert academic_year(2025) == "2024/25"
    assert academic_year(2013) == "2012/13"
