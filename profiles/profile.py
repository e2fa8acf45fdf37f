"""Everything the profile page shows for one area, assembled from queries and target maths."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from profiles import queries
from profiles.areas import ENGLAND, area_row
from profiles.charts import GAP_COMPARISONS
from profiles.groups import GROUP_LABELS, TARGET_GROUPS, in_sentence
from profiles.numbers import fewer_places, pct, points
from profiles.targets import (
    TARGET_YEAR,
    Progress,
    academic_year,
    children_needed,
    low_reliability,
    progress,
    wilson_interval,
)

# What the FSM gap compares FSM-eligible children with. DfE's published gap uses "all other"
# children (not eligible or eligibility unknown); from 2022/23 only "not eligible" (unknown
# excluded) is published by LA, which gives a different, usually larger, gap.
COMPARISONS = dict(zip(("all_other", "not_eligible"), GAP_COMPARISONS, strict=True))


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

    def latest_text(self, group: str, frame: pd.DataFrame | None = None) -> str:
        """The latest value at its published precision ('68.3%'), or '—'."""
        frame = self.series if frame is None else frame
        rows = frame[(frame["pupil_group"] == group) & (frame["year"] == self.latest_year)]
        return "—" if rows.empty else pct(rows.iloc[0]["pct"], rows.iloc[0]["decimals"])

    def target_text(self, group: str) -> str:
        """The 2028 target as published ('74%', '73.3%'), or '—'."""
        target = self.targets[group]
        return pct(target["value"], target["decimals"])


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
        decimals = stored.get(f"decimals_{group}", 1)
        note = stored.get(f"note_{group}")
        custom = (custom_targets or {}).get(group)
        if custom is not None:
            value, basis, source, decimals, note = float(custom), "entered by you, this session only", None, 1, None
        targets[group] = {
            "value": None if value is None or pd.isna(value) else float(value),
            "basis": basis,
            "source": source,
            "decimals": 1 if decimals is None or pd.isna(decimals) else int(decimals),
            "note": note if isinstance(note, str) else None,
        }
    progress_by_group = {
        group: progress(
            group,
            _series_dict(series, group),
            targets[group]["value"],
            targets[group]["basis"],
            latest,
            since,
            largest_gain=queries.largest_recent_gain(group, since, latest),
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
        basis_all = cohort.set_index("pupil_group")["counts_basis"].get("all", "")
        cohort_basis = (
            f"the {academic_year(TARGET_YEAR)} Reception year group, about {int(cohort_by_group.get('all', 0)):,} "
            f"children, of whom about {int(cohort_by_group.get('fsm', 0) or 0):,} FSM-eligible "
            f"({str(basis_all).removeprefix('estimated: ')})"
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
    """Caveats specific to this area (tiny cohorts, unreliable targets, successor LAs, estimated counts)."""
    notes = []
    latest = profile.series[profile.series["year"] == profile.latest_year]
    fsm = latest[latest["pupil_group"] == "fsm"]
    if fsm.empty or fsm["low_reliability"].any():
        notes.append(
            "FSM results here are low reliability: the FSM cohort is under 30 children or the value is "
            "suppressed, so small changes swing the percentage widely."
        )
    for group in TARGET_GROUPS:
        label = in_sentence(group)
        note = profile.targets[group]["note"]
        if note:
            notes.append(f"The 2028 target for {label}: {note[0].lower()}{note[1:]}")
    for row in profile.former_las.itertuples():
        notes.append(
            f"{profile.name} was created from {row.name} ({row.note}). Its own series starts after that; "
            f"{row.name}'s earlier results are not copied into it."
        )
    if latest["counts_basis"].fillna("").str.startswith("estimated").any():
        notes.append(
            f"Cohort sizes for {academic_year(profile.latest_year)} are not published by LA: the counts and "
            "intervals shown are estimates (the 2021/22 published cohort moved by ONS population change)."
        )
    return notes


def _low_reliability(profile: Profile, group: str) -> bool:
    rows = profile.series[(profile.series["year"] == profile.latest_year) & (profile.series["pupil_group"] == group)]
    return rows.empty or bool(rows["low_reliability"].any())


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
            england_text = profile.latest_text("all", profile.england)
            comparison = (
                f" ({points(abs(diff))} {'above' if diff > 0 else 'below'} England's {england_text})"
                if abs(diff) >= 0.05
                else f" (the same as England's {england_text})"
            )
        parts.append(
            f"In {year}, {profile.latest_text('all')} of children in {profile.name} reached a good level of "
            f"development{comparison}."
        )
    if fsm_p.latest_pct is not None:
        flag = " (low reliability: a very small cohort)" if _low_reliability(profile, "fsm") else ""
        parts.append(f"For children eligible for free school meals it was {profile.latest_text('fsm')}{flag}.")
    for group, label, prog in ((group, in_sentence(group), profile.progress[group]) for group in TARGET_GROUPS):
        if prog.target is None:
            continue
        target = profile.targets[group]
        flag = ", low reliability" if target["note"] else ""
        if prog.points_to_gain is not None and prog.points_to_gain > 0:
            parts.append(
                f"The 2028 target for {label} is {profile.target_text(group)} ({prog.basis}{flag}): "
                f"{points(prog.points_to_gain)} to gain. {profile.name} {prog.status}."
            )
            if prog.context:
                parts.append(prog.context)
        elif prog.points_to_gain is not None:
            parts.append(
                f"{profile.name} is already at or above its 2028 target for {label} ({profile.target_text(group)})."
            )
    parts += children_sentences(profile)
    return " ".join(parts)


def children_sentences(profile: Profile) -> list[str]:
    """The points to gain in children, for each target separately: the two come from separate targets
    and FSM-eligible children count towards both, so the FSM figure is not a part of the other."""
    needed_all, needed_fsm = profile.children_needed["all"], profile.children_needed["fsm"]
    sentences = []
    if needed_all:
        sentences.append(
            f"Meeting the target for all children means about {needed_all:,} more children in each year group "
            "reaching a good level of development (estimated)."
        )
    if needed_fsm:
        sentences.append(
            f"Meeting the FSM target means about {needed_fsm:,} more FSM-eligible children reaching it "
            "(estimated; they count towards both targets)."
        )
    return sentences


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


def _trajectory_row(area: str, group: str, year: int, value: float, decimals: int, series: str, kind: str) -> dict:
    return {
        "area": area,
        "group": GROUP_LABELS[group],
        "year": year,
        "academic_year": academic_year(year),
        "pct": value,
        "decimals": decimals,
        "value": pct(value, decimals),
        "series": series,
        "kind": kind,
        "framework": "2013-2019" if year <= 2019 else "2022 onwards",
        "ci_low": np.nan,
        "ci_high": np.nan,
        "low_reliability": False,
    }


def trajectory_data(profile: Profile) -> pd.DataFrame:
    """Exactly the points the trajectory chart plots: actual values, targets and required paths.

    `value` is the figure as text at its published precision ('56%' for a whole-number value).
    """
    rows = []
    for area_label, frame in _area_frames(profile):
        for group in ("all", "fsm"):
            part = frame[frame["pupil_group"] == group]
            for record in part.itertuples():
                row = _trajectory_row(
                    area_label,
                    group,
                    int(record.year),
                    record.pct,
                    int(record.decimals),
                    _series_label(area_label, group, profile.name),
                    "actual",
                )
                row |= {
                    "ci_low": record.ci_low,
                    "ci_high": record.ci_high,
                    "low_reliability": bool(record.low_reliability),
                }
                rows.append(row)
    for group in ("all", "fsm"):
        prog = profile.progress[group]
        if prog.target is None:
            continue
        label = GROUP_LABELS[group]  # the area's own series
        decimals = profile.targets[group]["decimals"]
        rows.append(_trajectory_row(profile.name, group, TARGET_YEAR, prog.target, decimals, label, "target"))
        if prog.latest_pct is not None and prog.points_to_gain and prog.points_to_gain > 0:
            latest_decimals = int(
                profile.series.loc[
                    (profile.series["pupil_group"] == group) & (profile.series["year"] == profile.latest_year),
                    "decimals",
                ].iloc[0]
            )
            for year, value, places in (
                (profile.latest_year, prog.latest_pct, latest_decimals),
                (TARGET_YEAR, prog.target, decimals),
            ):
                rows.append(_trajectory_row(profile.name, group, year, value, places, label, "required path"))
    return pd.DataFrame(rows)


def gap_data(profile: Profile) -> pd.DataFrame:
    """The FSM gap by year for the area and England, with the group each year's gap compares with.

    One row per area, year and comparison group with both values: 'all other children' (DfE's
    published gap: 2012/13–2018/19 and 2021/22 by LA) and 'children known not to be eligible'
    (LAIT, 2021/22 on). 2021/22 has both, so the two measures can be seen side by side; they are
    never joined into one line. `gap_points` has the precision of the less precise value.
    """
    rows = []
    for area_label, frame in _area_frames(profile):
        indexed = frame.set_index(["year", "pupil_group"])
        for year in sorted(frame["year"].unique()):
            if (year, "fsm") not in indexed.index:
                continue
            fsm = indexed.loc[(year, "fsm")]
            for group, comparison in COMPARISONS.items():
                if (year, group) not in indexed.index:
                    continue
                other = indexed.loc[(year, group)]
                both = pd.notna(fsm["pct"]) and pd.notna(other["pct"])
                decimals = fewer_places(fsm["decimals"], other["decimals"])
                gap = round(float(other["pct"] - fsm["pct"]), decimals) if both else np.nan
                rows.append(
                    {
                        "area": area_label,
                        "year": int(year),
                        "academic_year": academic_year(int(year)),
                        "framework": fsm["framework"],
                        "comparison": comparison,
                        "fsm_pct": fsm["pct"],
                        "fsm_value": pct(fsm["pct"], fsm["decimals"]),
                        "comparison_pct": other["pct"],
                        "comparison_value": pct(other["pct"], other["decimals"]),
                        "gap_points": gap,
                        "decimals": decimals,
                        "gap": points(gap, decimals, unit=False),
                    }
                )
    columns = [
        "area",
        "year",
        "academic_year",
        "framework",
        "comparison",
        "fsm_pct",
        "fsm_value",
        "comparison_pct",
        "comparison_value",
        "gap_points",
        "decimals",
        "gap",
    ]
    return pd.DataFrame(rows, columns=columns)


def table_view(profile: Profile) -> pd.DataFrame:
    """The area's GLD series as a readable table (years, groups, % as published, interval, cohort, basis)."""
    frame = profile.series.copy()
    frame["Academic year"] = frame["year"].map(academic_year)
    frame["Pupils"] = frame["pupil_group"].map(GROUP_LABELS)
    frame["GLD"] = [pct(value, places) for value, places in zip(frame["pct"], frame["decimals"])]
    frame["Precision"] = frame["decimals"].map({0: "whole number", 1: "1 decimal place"})
    frame["95% interval"] = [
        f"{low:.1f}–{high:.1f}" if pd.notna(low) else "" for low, high in zip(frame["ci_low"], frame["ci_high"])
    ]
    frame["Reliability"] = np.where(frame["low_reliability"], "low (cohort under 30 or suppressed)", "")
    return frame.rename(
        columns={
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
            "GLD",
            "Precision",
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
    """One sentence on the latest FSM gap, naming the group it compares with (it doubles as alt text).

    DfE's own gap (against all other children) where the latest year has it; otherwise the gap
    against children known not to be eligible, said so, with DfE's measure from the last year that
    has it beside it.
    """
    year = academic_year(profile.latest_year)
    own = gaps[(gaps["area"] == profile.name) & gaps["gap_points"].notna()]
    latest = own[own["year"] == profile.latest_year]
    if latest.empty:
        return f"No FSM gap can be given for {profile.name} in {year}: a value is suppressed or missing."
    preferred = latest.sort_values("comparison", key=lambda c: c != COMPARISONS["all_other"]).iloc[0]
    gap = float(preferred["gap_points"])
    direction = "behind" if gap > 0 else "ahead of"
    sentence = (
        f"In {year}, FSM-eligible children in {profile.name} were {points(abs(gap), preferred['decimals'])} "
        f"{direction} {preferred['comparison'].split(' (')[0]}"
    )
    england = gaps[
        (gaps["area"] == "England")
        & (gaps["year"] == profile.latest_year)
        & (gaps["comparison"] == preferred["comparison"])
    ]
    if profile.name != "England" and not england.empty and pd.notna(england.iloc[0]["gap_points"]):
        england_gap = float(england.iloc[0]["gap_points"])
        sentence += (
            f" (England: {points(abs(england_gap), england.iloc[0]['decimals'])} "
            f"{'behind' if england_gap > 0 else 'ahead'})"
        )
    sentence += "."
    if preferred["comparison"] != COMPARISONS["all_other"]:
        sentence += (
            " DfE's published gap compares with all other children, including those whose eligibility is "
            "unknown; the files behind this explorer have it only up to 2021/22."
        )
        dfe = own[own["comparison"] == COMPARISONS["all_other"]]
        if not dfe.empty:
            last = dfe.iloc[-1]
            same_year = own[(own["year"] == last["year"]) & (own["comparison"] == preferred["comparison"])]
            sentence += f" In {last['academic_year']} it was {points(last['gap_points'], last['decimals'])}"
            if not same_year.empty:
                sentence += f", against {points(same_year.iloc[0]['gap_points'], same_year.iloc[0]['decimals'])} "
                sentence += "on the comparison used here"
            sentence += "."
    if _low_reliability(profile, "fsm"):
        sentence += " The FSM figure is low reliability (fewer than 30 children or suppressed)."
    return sentence


def headline_rows(profile: Profile) -> tuple[list[str], list[tuple[str, list[tuple[str, ...]]]]]:
    """The headline table: its column headings and, for all and FSM children, the latest GLD beside
    England and region, the 2028 target and its basis, the percentage points to gain and the status
    in words, each a (figure, note) or (figure, note, 'status') cell."""
    rows = []
    for group, label in ((group, GROUP_LABELS[group]) for group in TARGET_GROUPS):
        prog = profile.progress[group]
        target = profile.targets[group]
        compare = f"England {profile.latest_text(group, profile.england)}" + (
            f" · {profile.region_name} {profile.latest_text(group, profile.region)}" if profile.region_name else ""
        )
        basis = f"Basis: {target['basis']}" + (f" — {target['source']}" if target.get("source") else "")
        if target["note"]:
            basis += " · low reliability (tiny cohort: see the note above)"
        recent = (
            f"recent change {points(prog.recent_per_year, signed=True)} a year since "
            f"{academic_year(prog.recent_from_year)}"
            if prog.recent_per_year is not None
            else "no recent trend"
        )
        needed = f"{points(prog.required_per_year)} a year needed" if prog.required_per_year else ""
        children = profile.children_needed[group]
        who = "more children" if group == "all" else "more FSM-eligible children"
        more = f"About {children:,} {who} a year group to reach GLD (estimate)." if children else ""
        rows.append(
            (
                label,
                [
                    (profile.latest_text(group), compare),
                    (profile.target_text(group), basis),
                    (points(prog.points_to_gain, unit=False), " · ".join(x for x in (needed, recent) if x)),
                    (
                        prog.status[0].upper() + prog.status[1:],
                        " ".join(x for x in (prog.context, more) if x),
                        "status",
                    ),
                ],
            )
        )
    headings = ["Children", f"GLD {academic_year(profile.latest_year)}", "2028 target"]
    return [*headings, "Percentage points still to gain", "Status"], rows
