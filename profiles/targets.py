"""Target maths: points still to gain, the yearly gain needed against the recent rate, in words."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from etl.ambition import TARGET_YEAR

LOW_RELIABILITY_COHORT = 30
# A recent change smaller than this (percentage points a year, either way) is "barely changed":
# within the year-to-year noise of an LA's result, so a ratio to it would mean nothing.
STEADY_CHANGE = 0.5


@dataclass(frozen=True)
class Progress:
    """Where one pupil group stands against its 2028 target."""

    group: str
    latest_year: int
    latest_pct: float | None
    target: float | None
    basis: str
    points_to_gain: float | None
    years_left: int
    required_per_year: float | None
    recent_per_year: float | None
    recent_from_year: int | None
    ratio: float | None
    status: str
    # A need beyond what any LA has managed, said beside the status ("" when not).
    context: str = ""


def recent_yearly_change(series: dict[int, float], since: int, latest_year: int) -> tuple[float | None, int | None]:
    """Average yearly change from `since` to `latest_year` (a straight difference over the years).

    Returns (change per year, the start year used), or (None, None) if either end is missing.
    """
    start = series.get(since)
    end = series.get(latest_year)
    if start is None or end is None or latest_year <= since or _missing(start) or _missing(end):
        return None, None
    return (end - start) / (latest_year - since), since


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def progress(
    group: str,
    series: dict[int, float],
    target: float | None,
    basis: str,
    latest_year: int,
    since: int,
    target_year: int = TARGET_YEAR,
    largest_gain: float | None = None,
) -> Progress:
    """Compute progress of one group towards its target, with the answer in words.

    A ratio to the recent rate ("needs 2.4 times its recent rate of improvement") is given only
    when the recent change is a real improvement (STEADY_CHANGE or more a year); a change nearer
    zero, or a fall, is said in words with the yearly gain needed.

    Parameters:
        group: 'all' or 'fsm'.
        series: year → GLD % for the post-2021 framework.
        target: the 2028 target (None if not derivable and not entered).
        basis: how the target was set, shown beside it.
        latest_year: the latest data year (e.g. 2025 for 2024/25).
        since: the start of the "recent" window (the first post-2021 year, 2022).
        largest_gain: the largest average yearly gain of any LA over the same window; a need above
            it is said to be so.
    """
    latest = series.get(latest_year)
    latest = None if _missing(latest) else latest
    years_left = target_year - latest_year
    recent, recent_from = recent_yearly_change(series, since, latest_year)
    base = Progress(group, latest_year, latest, None, basis, None, years_left, None, recent, recent_from, None, "")
    if latest is None:
        return replace(base, target=target, status="no published value for the latest year")
    if _missing(target):
        return replace(base, status="no target: enter your confirmed target to see progress")
    gap = round(target - latest, 1)
    if gap <= 0:
        return replace(
            base, target=target, points_to_gain=gap, required_per_year=0.0, status="already at or above its 2028 target"
        )
    required = gap / years_left if years_left > 0 else math.inf
    needs = f"needs {required:.1f} percentage points a year"
    context = ""
    if largest_gain is not None and required > largest_gain > 0:
        context = f"More than any LA has gained a year since {academic_year(since)} (the most was {largest_gain:.1f})."
    ratio = None
    if recent is None:
        status = f"{needs}; there is no recent trend to compare"
    elif recent <= -STEADY_CHANGE:
        status = (
            f"has fallen since {academic_year(since)} (by {-recent:.1f} percentage points a year on average) "
            f"and {needs}"
        )
    elif recent < STEADY_CHANGE:
        status = f"has barely changed since {academic_year(since)} and {needs}"
    else:
        ratio = required / recent
        status = (
            f"is on track: improving by {recent:.1f} percentage points a year, {required:.1f} needed"
            if ratio <= 1
            else f"needs {ratio:.1f} times its recent rate of improvement ({recent:.1f} percentage points a year "
            f"since {academic_year(since)}; {required:.1f} needed)"
        )
    return replace(
        base,
        target=target,
        points_to_gain=gap,
        required_per_year=required,
        ratio=ratio,
        status=status,
        context=context,
    )


def children_needed(points_to_gain: float | None, cohort: float | None) -> int | None:
    """About how many more children per year group must reach GLD to close the gap."""
    if points_to_gain is None or cohort is None or _missing(cohort) or points_to_gain <= 0:
        return None
    return int(round(points_to_gain / 100 * cohort))


def wilson_interval(pct: float | None, n: float | None, z: float = 1.959964) -> tuple[float | None, float | None]:
    """Wilson score 95 % interval for a percentage from n children, in percent (1 dp)."""
    if _missing(pct) or _missing(n) or n is None or n <= 0:
        return None, None
    p = pct / 100
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(100 * max(0.0, centre - half), 1), round(100 * min(1.0, centre + half), 1)


def low_reliability(pct: float | None, children: float | None) -> bool:
    """A value is low reliability if suppressed (missing) or its cohort is under 30 children."""
    return _missing(pct) or (children is not None and not _missing(children) and children < LOW_RELIABILITY_COHORT)


def academic_year(year: int) -> str:
    """2025 → '2024/25'."""
    return f"{year - 1}/{str(year)[-2:]}"
