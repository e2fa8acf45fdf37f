"""Everything the profile page shows for one area, assembled from queries and target maths."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from profiles import queries
from profiles.areas import ENGLAND, area_row
from profiles.targets import (
    TARGET_YEAR,
    Progress,
    academic_year,
    children_needed,
    low_reliability,
    progress,
    wilson_interval,
)

GROUP_LABELS = {"all": "All children", "fsm": "FSM-eligible children", "non_fsm": "Not FSM-eligible"}


@dataclass
class Profile:
    """The numbers, tables and words of one area's profile."""

    code: str
    name: str
    region_code: str | None
    region_name: str | None
    latest_year: int
    since_year: int
    series: pd.DataFrame  # the area's GLD rows with interval and reliability columns
    england: pd.DataFrame
    region: pd.DataFrame
    progress: dict[str, Progress]
    targets: dict
    children_needed: dict[str, int | None]
    cohort_basis: str | None
    former_las: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def latest(self, group: str, frame: pd.DataFrame | None = None) -> float | None:
        frame = self.series if frame is None else frame
        rows = frame[(frame["pupil_group"] == group) & (frame["year"] == self.latest_year)]
        return None if rows.empty or pd.isna(rows.iloc[0]["pct"]) else float(rows.iloc[0]["pct"])


def add_intervals(series: pd.DataFrame) -> pd.DataFrame:
    """Add Wilson 95 % bounds and a low-reliability flag to GLD rows."""
    out = series.copy()
    bounds = [wilson_interval(p, n) for p, n in zip(out["pct"], out["children"].astype("float"))]
    out["ci_low"] = [b[0] for b in bounds]
    out["ci_high"] = [b[1] for b in bounds]
    out["low_reliability"] = [low_reliability(p, n) for p, n in zip(out["pct"], out["children"].astype("float"))]
    return out


def _series_dict(frame: pd.DataFrame, group: str, framework: str = "2022 onwards") -> dict[int, float]:
    rows = frame[(frame["pupil_group"] == group) & (frame["framework"] == framework)]
    return {int(y): float(p) for y, p in zip(rows["year"], rows["pct"]) if pd.notna(p)}


@st.cache_data(show_spinner=False, max_entries=400)
def build_profile(code: str, custom_targets: dict[str, float | None] | None = None) -> Profile:
    """Assemble the profile of one area.

    Parameters:
        code: a current area code (an LA or England).
        custom_targets: {'all': x, 'fsm': y} typed by the user for this session; they replace the
            stored targets and are labelled "entered by you".
    """
    area = area_row(code)
    latest = queries.latest_year()
    since = queries.first_new_framework_year()
    series = add_intervals(queries.gld_series(code))
    england = add_intervals(queries.gld_series(ENGLAND))
    region_code = area.get("region_code") if area.get("level") == "la" else None
    region = add_intervals(queries.gld_series(region_code)) if region_code else england.iloc[0:0]
    stored = queries.target(code) or {}
    targets = {}
    for group in ("all", "fsm"):
        value = stored.get(f"target_{group}")
        basis = stored.get(f"basis_{group}") or "not derivable"
        source = stored.get(f"source_{group}")
        custom = (custom_targets or {}).get(group)
        if custom is not None:
            value, basis, source = float(custom), "entered by you (this session only)", None
        targets[group] = {
            "value": None if value is None or pd.isna(value) else float(value),
            "basis": basis,
            "source": source,
        }
    progress_by_group = {
        group: progress(
            group, _series_dict(series, group), targets[group]["value"], targets[group]["basis"], latest, since
        )
        for group in ("all", "fsm")
    }
    cohort = queries.cohort_estimate(code, TARGET_YEAR)
    cohort_by_group = dict(zip(cohort["pupil_group"], cohort["children"])) if not cohort.empty else {}
    needed = {
        group: children_needed(progress_by_group[group].points_to_gain, cohort_by_group.get(group))
        for group in ("all", "fsm")
    }
    cohort_basis = None
    if not cohort.empty:
        cohort_basis = (
            f"the {academic_year(TARGET_YEAR)} Reception year group, estimated from ONS mid-2023 population "
            f"aged 0 (about {int(cohort_by_group.get('all', 0)):,} children, of whom about "
            f"{int(cohort_by_group.get('fsm', 0) or 0):,} FSM-eligible, estimated)"
        )
    profile = Profile(
        code=code,
        name=str(area["name"]),
        region_code=region_code,
        region_name=area.get("region_name") if region_code else None,
        latest_year=latest,
        since_year=since,
        series=series,
        england=england,
        region=region,
        progress=progress_by_group,
        targets=targets,
        children_needed=needed,
        cohort_basis=cohort_basis,
        former_las=queries.former_las_for(code),
    )
    profile.notes = notes_for(profile)
    return profile


def notes_for(profile: Profile) -> list[str]:
    """Caveats specific to this area (tiny cohorts, successor LAs, estimated counts)."""
    notes = []
    latest = profile.series[profile.series["year"] == profile.latest_year]
    fsm = latest[latest["pupil_group"] == "fsm"]
    if fsm.empty or fsm["low_reliability"].any():
        notes.append(
            "FSM results here are low reliability: the FSM cohort is under 30 children or the value is "
            "suppressed, so small changes swing the percentage widely."
        )
    for row in profile.former_las.itertuples():
        notes.append(
            f"{profile.name} was created from {row.name} ({row.note}). Its own series starts after that; "
            f"{row.name}'s earlier results are not copied into it."
        )
    if latest["counts_basis"].fillna("").str.startswith("estimated").any():
        notes.append(
            f"Cohort sizes for {academic_year(profile.latest_year)} are not published by LA: the counts and "
            "intervals shown are estimates from ONS population and FSM rates."
        )
    return notes


def summary_sentence(profile: Profile) -> str:
    """A plain-English summary generated from the numbers; it doubles as alt text."""
    year = academic_year(profile.latest_year)
    all_p, fsm_p = profile.progress["all"], profile.progress["fsm"]
    england_all = profile.latest("all", profile.england)
    parts = []
    if all_p.latest_pct is not None:
        comparison = ""
        if england_all is not None and profile.code != ENGLAND:
            diff = all_p.latest_pct - england_all
            comparison = (
                f" ({abs(diff):.1f} points {'above' if diff > 0 else 'below'} England's {england_all:.1f}%)"
                if abs(diff) >= 0.05
                else f" (the same as England's {england_all:.1f}%)"
            )
        parts.append(
            f"In {year}, {all_p.latest_pct:.1f}% of children in {profile.name} reached a good level of "
            f"development{comparison}."
        )
    if fsm_p.latest_pct is not None:
        fsm_rows = profile.series[
            (profile.series["year"] == profile.latest_year) & (profile.series["pupil_group"] == "fsm")
        ]
        flag = " (low reliability: a very small cohort)" if fsm_rows["low_reliability"].any() else ""
        parts.append(f"For children eligible for free school meals it was {fsm_p.latest_pct:.1f}%{flag}.")
    for label, prog in (("all children", all_p), ("FSM-eligible children", fsm_p)):
        if prog.target is None:
            continue
        if prog.points_to_gain is not None and prog.points_to_gain > 0:
            parts.append(
                f"The 2028 target for {label} is {prog.target:.1f}% ({prog.basis}): {prog.points_to_gain:.1f} points "
                f"to gain, {prog.required_per_year:.1f} a year; {profile.name} {prog.status}."
            )
        elif prog.points_to_gain is not None:
            parts.append(f"{profile.name} is already at or above its 2028 target for {label} ({prog.target:.1f}%).")
    needed_all, needed_fsm = profile.children_needed["all"], profile.children_needed["fsm"]
    if needed_all:
        fsm_part = f", {needed_fsm:,} of them FSM-eligible" if needed_fsm else ""
        parts.append(f"That is about {needed_all:,} more children per year group{fsm_part} (estimated).")
    return " ".join(parts)


def _area_frames(profile: Profile) -> list[tuple[str, pd.DataFrame]]:
    """The area's series, and England's beside it unless the area is England."""
    frames = [(profile.name, profile.series)]
    if profile.code != ENGLAND:
        frames.append(("England", profile.england))
    return frames


def _series_label(area_label: str, group: str, own_name: str) -> str:
    """'All children' for the area itself, 'England: all children' for England beside it.

    The area's name is left out (the chart's title and the `area` column carry it), so the chart
    is the same for every LA apart from its data and the browser can redraw it in place.
    """
    if area_label == own_name:
        return GROUP_LABELS[group]
    return f"{area_label}: {GROUP_LABELS[group].replace('All', 'all')}"


def trajectory_data(profile: Profile) -> pd.DataFrame:
    """Exactly the points the trajectory chart plots: actual values, targets and required paths."""
    rows = []
    for area_label, frame in _area_frames(profile):
        for group in ("all", "fsm"):
            part = frame[frame["pupil_group"] == group]
            for record in part.itertuples():
                rows.append(
                    {
                        "area": area_label,
                        "group": GROUP_LABELS[group],
                        "year": int(record.year),
                        "academic_year": academic_year(int(record.year)),
                        "pct": record.pct,
                        "series": _series_label(area_label, group, profile.name),
                        "kind": "actual",
                        "framework": record.framework,
                        "ci_low": record.ci_low,
                        "ci_high": record.ci_high,
                        "low_reliability": bool(record.low_reliability),
                    }
                )
    for group in ("all", "fsm"):
        prog = profile.progress[group]
        if prog.target is None:
            continue
        label = GROUP_LABELS[group]  # the area's own series
        rows.append(
            {
                "area": profile.name,
                "group": GROUP_LABELS[group],
                "year": TARGET_YEAR,
                "academic_year": academic_year(TARGET_YEAR),
                "pct": prog.target,
                "series": label,
                "kind": "target",
                "framework": "2022 onwards",
                "ci_low": np.nan,
                "ci_high": np.nan,
                "low_reliability": False,
            }
        )
        if prog.latest_pct is not None and prog.points_to_gain and prog.points_to_gain > 0:
            for year, value in ((profile.latest_year, prog.latest_pct), (TARGET_YEAR, prog.target)):
                rows.append(
                    {
                        "area": profile.name,
                        "group": GROUP_LABELS[group],
                        "year": year,
                        "academic_year": academic_year(year),
                        "pct": value,
                        "series": label,
                        "kind": "required path",
                        "framework": "2022 onwards",
                        "ci_low": np.nan,
                        "ci_high": np.nan,
                        "low_reliability": False,
                    }
                )
    return pd.DataFrame(rows)


def gap_data(profile: Profile) -> pd.DataFrame:
    """The FSM gap (non-FSM minus FSM GLD, points) by year for the area and England."""
    rows = []
    for area_label, frame in _area_frames(profile):
        wide = frame.pivot_table(index=["year", "framework"], columns="pupil_group", values="pct", aggfunc="first")
        for (year, framework), values in wide.iterrows():
            fsm, non_fsm = values.get("fsm"), values.get("non_fsm")
            rows.append(
                {
                    "area": area_label,
                    "year": int(year),
                    "academic_year": academic_year(int(year)),
                    "framework": framework,
                    "fsm_pct": fsm,
                    "non_fsm_pct": non_fsm,
                    "gap_points": round(non_fsm - fsm, 1) if pd.notna(fsm) and pd.notna(non_fsm) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def table_view(profile: Profile) -> pd.DataFrame:
    """The area's GLD series as a readable table (years, groups, %, interval, cohort, basis)."""
    frame = profile.series.copy()
    frame["Academic year"] = frame["year"].map(academic_year)
    frame["Pupils"] = frame["pupil_group"].map(GROUP_LABELS)
    frame["95% interval"] = [
        f"{low:.1f}–{high:.1f}" if pd.notna(low) else "" for low, high in zip(frame["ci_low"], frame["ci_high"])
    ]
    frame["Reliability"] = np.where(frame["low_reliability"], "low (cohort under 30 or suppressed)", "")
    return frame.rename(
        columns={
            "pct": "GLD %",
            "children": "Children",
            "achieved": "Reached GLD",
            "counts_basis": "Counts",
            "framework": "Framework",
            "source": "Source",
        }
    )[
        [
            "Academic year",
            "Pupils",
            "GLD %",
            "95% interval",
            "Children",
            "Reached GLD",
            "Counts",
            "Reliability",
            "Framework",
            "Source",
        ]
    ]


def gap_sentence(profile: Profile, gaps: pd.DataFrame) -> str:
    """One sentence on the latest FSM gap, the area beside England (it doubles as alt text)."""
    year = academic_year(profile.latest_year)
    latest = gaps[gaps["year"] == profile.latest_year].set_index("area")["gap_points"]
    own = latest.get(profile.name)
    england = latest.get("England")
    if own is None or pd.isna(own):
        return f"No FSM gap can be given for {profile.name} in {year}: a value is suppressed or missing."
    direction = "behind" if own > 0 else "ahead of"
    sentence = (
        f"In {year}, FSM-eligible children in {profile.name} were {abs(own):.1f} points {direction} other children"
    )
    if england is not None and pd.notna(england) and profile.name != "England":
        sentence += f" (England: {england:.1f} points behind)"
    sentence += "."
    fsm = profile.series[(profile.series["year"] == profile.latest_year) & (profile.series["pupil_group"] == "fsm")]
    if fsm.empty or fsm["low_reliability"].any():
        sentence += " The FSM figure is low reliability (fewer than 30 children or suppressed)."
    return sentence
