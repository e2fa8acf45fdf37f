"""Peer comparison: statistical neighbours, region or a custom set; ranks, quartiles and FSM peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from profiles import queries
from profiles.areas import ENGLAND, all_areas
from profiles.db import query
from profiles.groups import GROUP_LABELS, TARGET_GROUPS
from profiles.numbers import pct
from profiles.targets import LOW_RELIABILITY_COHORT

SELECTED = "Selected LA"  # the `role` of the LA itself among its peers
PEER_SETS = {
    "sn2025": "Statistical neighbours (May 2025)",
    "sn2021": "Statistical neighbours (April 2021)",
    "region": "All LAs in the region",
    "custom": "A custom set",
}
MAX_CUSTOM = 40
TINY_COHORT = 100  # fewer children than this in a year group: City of London, Isles of Scilly
SIMILAR_FSM_POINTS = 2.0


@st.cache_data(show_spinner=False)
def la_latest(year: int, since: int) -> pd.DataFrame:
    """One row per LA with latest GLD (all, FSM, comparison groups), gap, targets, change, ranks, quartiles.

    Ranks are among LAs with a value (1 = highest GLD, ties share the better rank); quartile 1 is
    the top quarter. The FSM gap is DfE's (against all other children) where the year has it, else
    against children known not to be eligible; `gap_comparison` says which. `tiny` marks LAs whose
    cohort is under 100 children and `fsm_low_reliability` FSM values from under 30 children or
    suppressed: they are ranked but always flagged.
    """
    frame = query(
        """
        SELECT a.area_code, a.name, a.region_code, a.region_name,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'all' THEN g.pct END) AS gld_all,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'fsm' THEN g.pct END) AS gld_fsm,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'all_other' THEN g.pct END) AS gld_all_other,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'not_eligible' THEN g.pct END) AS gld_not_eligible,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'all' THEN g.children END) AS children_all,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'fsm' THEN g.children END) AS children_fsm,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'all' THEN g.pct END) AS gld_all_since,
               max(CASE WHEN g.year = ? AND g.pupil_group = 'fsm' THEN g.pct END) AS gld_fsm_since,
               any_value(t.target_all) AS target_all, any_value(t.target_fsm) AS target_fsm,
               any_value(t.decimals_all) AS target_decimals_all, any_value(t.decimals_fsm) AS target_decimals_fsm,
               any_value(t.basis_all) AS basis_all, any_value(t.basis_fsm) AS basis_fsm,
               any_value(f.pct_primary_fsm) AS pct_primary_fsm
        FROM areas a
        LEFT JOIN gld g ON g.area_code = a.area_code
        LEFT JOIN targets_2028 t ON t.area_code = a.area_code
        LEFT JOIN fsm_eligibility f ON f.area_code = a.area_code
             AND f.year = (SELECT max(year) FROM fsm_eligibility WHERE pct_primary_fsm IS NOT NULL)
        WHERE a.level = 'la'
        GROUP BY ALL
        ORDER BY a.name
        """,
        [year] * 6 + [since] * 2,
    )
    frame = with_fsm_gap(frame)
    frame["to_gain_all"] = (frame["target_all"] - frame["gld_all"]).round(1)
    frame["to_gain_fsm"] = (frame["target_fsm"] - frame["gld_fsm"]).round(1)
    frame["change_all"] = (frame["gld_all"] - frame["gld_all_since"]).round(1)
    frame["change_fsm"] = (frame["gld_fsm"] - frame["gld_fsm_since"]).round(1)
    frame["tiny"] = frame["children_all"].fillna(0) < TINY_COHORT
    frame["fsm_low_reliability"] = frame["gld_fsm"].isna() | (frame["children_fsm"].fillna(0) < LOW_RELIABILITY_COHORT)
    for group in ("all", "fsm"):
        values = frame[f"gld_{group}"]
        frame[f"rank_{group}"] = values.rank(ascending=False, method="min").astype("Int64")
        counted = int(values.notna().sum())
        frame[f"quartile_{group}"] = np.ceil(frame[f"rank_{group}"].astype(float) / counted * 4).astype("Int64")
        frame[f"ranked_of_{group}"] = counted
    return frame


@st.cache_data(show_spinner=False, max_entries=512)
def neighbour_codes(code: str, sn_set: str) -> pd.DataFrame:
    """The statistical neighbours of an LA, nearest first, with closeness ('2025' or '2021' set)."""
    return query(
        "SELECT neighbour_code, neighbour_rank, closeness FROM statistical_neighbours "
        "WHERE area_code = ? AND sn_set = ? ORDER BY neighbour_rank",
        [code, sn_set],
    )


def peer_codes(code: str, peer_set: str, custom: list[str]) -> tuple[list[str], str]:
    """The peer LAs for a set, and a sentence saying what the set is."""
    areas = all_areas().set_index("area_code")
    if peer_set in ("sn2025", "sn2021"):
        year = peer_set[2:]
        neighbours = neighbour_codes(code, year)
        codes = [c for c in neighbours["neighbour_code"] if c in areas.index]
        missing = len(neighbours) - len(codes)
        text = (
            f"{PEER_SETS[peer_set]}: DfE's children's services statistical neighbours, the {len(codes)} LAs "
            f"most similar to {areas.at[code, 'name']}, nearest first."
        )
        if neighbours.empty:
            text = f"{areas.at[code, 'name']} has no neighbours in the {year} set (it did not exist then)."
        elif missing:
            text += f" {missing} of its {year} neighbours no longer exist and are left out."
        return codes, text
    if peer_set == "region":
        region = areas.at[code, "region_code"]
        region_las = all_areas()
        codes = region_las[
            (region_las["level"] == "la") & (region_las["region_code"] == region) & (region_las["area_code"] != code)
        ]["area_code"].tolist()
        return codes, f"All {len(codes)} other LAs in {areas.at[code, 'region_name']}."
    codes = [c for c in custom if c != code]
    return codes, f"A custom set of {len(codes)} LAs chosen by you (kept in the link)."


@st.cache_data(show_spinner=False, max_entries=512)
def comparison(code: str, peers: list[str], year: int, since: int) -> tuple[pd.DataFrame, dict]:
    """The LA and its peers (one row each) plus the simple peer means (excluding missing values)."""
    table = la_latest(year, since).set_index("area_code")
    rows = table.loc[[code] + [p for p in peers if p in table.index]].reset_index()
    rows["role"] = np.where(rows["area_code"] == code, SELECTED, "Peer")
    peer_rows = rows[rows["role"] == "Peer"]
    means = {
        column: (
            round(float(peer_rows[column].mean()), 1) if peer_rows[column].notna().any() else None,
            int(peer_rows[column].notna().sum()),
        )
        for column in ("gld_all", "gld_fsm", "fsm_gap", "to_gain_all", "to_gain_fsm", "change_all")
    }
    return rows, means


def reference_rows(code: str, year: int) -> pd.DataFrame:
    """England and the LA's region: latest GLD all and FSM."""
    areas = all_areas().set_index("area_code")
    codes = [ENGLAND]
    if code in areas.index and isinstance(areas.at[code, "region_code"], str):
        codes.insert(0, areas.at[code, "region_code"])
    frame = query(
        "SELECT g.area_code, a.name, "
        "max(CASE WHEN pupil_group='all' THEN pct END) AS gld_all, "
        "max(CASE WHEN pupil_group='fsm' THEN pct END) AS gld_fsm, "
        "max(CASE WHEN pupil_group='all_other' THEN pct END) AS gld_all_other, "
        "max(CASE WHEN pupil_group='not_eligible' THEN pct END) AS gld_not_eligible "
        "FROM gld g JOIN areas a USING (area_code) WHERE g.year = ? AND list_contains(?, g.area_code) GROUP BY ALL",
        [year, codes],
    )
    return with_fsm_gap(frame)


GAP_AGAINST = {"all_other": "all other children", "not_eligible": "children known not to be eligible"}


def with_fsm_gap(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `fsm_gap` (percentage points) and `gap_comparison`: DfE's gap against all other children
    where there is a value, else the gap against children known not to be eligible. Never a mix
    without saying so: `gap_comparison` names the group of each row."""
    out = frame.copy()
    dfe = out["gld_all_other"].notna()
    other = out["gld_all_other"].where(dfe, out["gld_not_eligible"])
    out["fsm_gap"] = (other - out["gld_fsm"]).round(1)
    out["gap_comparison"] = np.where(dfe, GAP_AGAINST["all_other"], GAP_AGAINST["not_eligible"])
    out.loc[out["fsm_gap"].isna(), "gap_comparison"] = None
    return out


def gap_definition(comparisons: pd.Series) -> str:
    """The sentence a table caption gives for its FSM gap column, naming the comparison group(s)."""
    used = [c for c in dict.fromkeys(comparisons.dropna())]
    if used == [GAP_AGAINST["not_eligible"]]:
        return (
            "FSM gap = GLD of children known not to be FSM-eligible − FSM GLD (percentage points); DfE's published "
            "gap, against all other children (including unknown eligibility), is not in the files for this year."
        )
    if used == [GAP_AGAINST["all_other"]]:
        return "FSM gap = GLD of all other children − FSM GLD (percentage points): DfE's published gap."
    return (
        "FSM gap (percentage points) = FSM GLD subtracted from all other children's GLD (DfE's published gap) "
        "where published, else from that of children known not to be eligible; 'Gap against' says which."
    )


def dot_data(rows: pd.DataFrame, means: dict, references: pd.DataFrame) -> pd.DataFrame:
    """Long data for the dot chart: one row per area and group (all / FSM), plus flags."""
    parts = []
    for group, label in ((group, GROUP_LABELS[group]) for group in TARGET_GROUPS):
        part = rows[["name", "role", f"gld_{group}", "tiny", "fsm_low_reliability"]].rename(
            columns={f"gld_{group}": "pct"}
        )
        part["low_reliability"] = part["tiny"] if group == "all" else (part["fsm_low_reliability"] | part["tiny"])
        ref = references[["name", f"gld_{group}"]].rename(columns={f"gld_{group}": "pct"})
        ref["role"] = "Comparator"
        ref["low_reliability"] = False
        mean, count = means[f"gld_{group}"]
        average = pd.DataFrame(
            [{"name": f"Peer average ({count} LAs)", "role": "Peer average", "pct": mean, "low_reliability": False}]
        )
        combined = pd.concat([part.drop(columns=["tiny", "fsm_low_reliability"]), average, ref], ignore_index=True)
        combined["group"] = label
        parts.append(combined)
    data = pd.concat(parts, ignore_index=True)
    # Rows top to bottom by the all-children value, highest first, missing values last.
    ranked = data[data["group"] == GROUP_LABELS["all"]].sort_values("pct", ascending=False, na_position="last")["name"]
    data["order"] = data["name"].map({name: position for position, name in enumerate(ranked)})
    return data


@st.cache_data(show_spinner=False, max_entries=256)
def trend(codes: tuple[str, ...], group: str, since: int) -> pd.DataFrame:
    """GLD since the first new-framework year for a set of areas."""
    return query(
        "SELECT a.name, g.area_code, g.year, g.pct FROM gld g JOIN areas a USING (area_code) "
        "WHERE list_contains(?, g.area_code) AND g.pupil_group = ? AND g.year >= ? ORDER BY a.name, g.year",
        [list(codes), group, since],
    )


@st.cache_data(show_spinner=False, max_entries=512)
def doing_better_for_fsm(code: str, peers: list[str], year: int, since: int, similar_fsm: bool = False) -> pd.DataFrame:
    """Peers whose FSM GLD is higher than the LA's, by how much (optionally: any LA with similar FSM rate)."""
    table = la_latest(year, since).set_index("area_code")
    if code not in table.index or pd.isna(table.at[code, "gld_fsm"]):
        return pd.DataFrame()
    own = table.at[code, "gld_fsm"]
    if similar_fsm:
        rate = table.at[code, "pct_primary_fsm"]
        if pd.isna(rate):
            return pd.DataFrame()
        candidates = table[(table["pct_primary_fsm"] - rate).abs() <= SIMILAR_FSM_POINTS].index.drop(
            code, errors="ignore"
        )
    else:
        candidates = [p for p in peers if p in table.index]
    better = table.loc[list(candidates)]
    better = better[better["gld_fsm"] > own].copy()
    better["ahead_by"] = (better["gld_fsm"] - own).round(1)
    better = better.sort_values("ahead_by", ascending=False).reset_index()
    return better[
        [
            "area_code",
            "name",
            "region_name",
            "gld_fsm",
            "ahead_by",
            "pct_primary_fsm",
            "fsm_gap",
            "gap_comparison",
            "fsm_low_reliability",
            "tiny",
        ]
    ]


PEER_COLUMNS = {
    "name": "LA",
    "role": "Role",
    "gld_all": "GLD all %",
    "gld_fsm": "GLD FSM %",
    "fsm_gap": "FSM gap (percentage points)",
    "gap_comparison": "Gap against",
    "target_all": "Target all %",
    "to_gain_all": "To gain, all (percentage points)",
    "target_fsm": "Target FSM %",
    "to_gain_fsm": "To gain, FSM (percentage points)",
    "basis_all": "Target basis (all)",
    "basis_fsm": "Target basis (FSM)",
    "change_all": "Change since {since} (percentage points)",
    "rank_all": "Rank all (of 153)",
    "rank_fsm": "Rank FSM",
    "tiny": "Tiny cohort",
    "fsm_low_reliability": "FSM low reliability",
}


def peer_table(rows: pd.DataFrame, since_label: str) -> pd.DataFrame:
    """The LA and its peers with readable column names: what the table shows and the CSV holds.

    Targets are text at their published precision ('74', '73.3').
    """
    names = {column: label.format(since=since_label) for column, label in PEER_COLUMNS.items()}
    shaped = rows.copy()
    for group in ("all", "fsm"):
        shaped[f"target_{group}"] = [
            pct(value, places, suffix="") if pd.notna(value) else None
            for value, places in zip(shaped[f"target_{group}"], shaped[f"target_decimals_{group}"])
        ]
    return shaped[list(PEER_COLUMNS)].rename(columns=names)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The peer table as shown: the two basis columns and two flags each folded into one column."""

    def short(basis) -> str:
        return "none" if not isinstance(basis, str) or basis == "not derivable" else basis.split(":")[0]

    shown = table.drop(columns=["Target basis (all)", "Target basis (FSM)", "Tiny cohort", "FSM low reliability"])
    shown.insert(
        shown.columns.get_loc("To gain, FSM (percentage points)") + 1,
        "Target basis",
        [
            short(a) if short(a) == short(f) else f"all {short(a)}, FSM {short(f)}"
            for a, f in zip(table["Target basis (all)"], table["Target basis (FSM)"])
        ],
    )
    if shown["Gap against"].nunique(dropna=True) <= 1:  # one comparison group: the caption names it
        shown = shown.drop(columns="Gap against")
    shown["Caveat"] = [
        "; ".join(text for flag, text in ((tiny, "tiny cohort"), (fsm_low, "FSM: low reliability")) if flag)
        for tiny, fsm_low in zip(table["Tiny cohort"], table["FSM low reliability"])
    ]
    return shown


def latest_and_since() -> tuple[int, int]:
    """The latest data year and the first new-framework year."""
    return queries.latest_year(), queries.first_new_framework_year()


def peer_summary(name: str, own: pd.Series, means: dict, year_label: str) -> str:
    """One sentence comparing the LA with its peer average (it doubles as alt text)."""
    mean_all, n_all = means["gld_all"]
    mean_fsm, n_fsm = means["gld_fsm"]
    if mean_all is None or pd.isna(own["gld_all"]):
        return f"{name}: no peer average can be given for {year_label}."
    text = (
        f"In {year_label}, {own['gld_all']:.1f}% of children in {name} reached a good level of development "
        f"against a peer average of {mean_all:.1f}% (simple mean of {n_all} LAs)"
    )
    if mean_fsm is not None and pd.notna(own["gld_fsm"]):
        text += f"; for FSM-eligible children {own['gld_fsm']:.1f}% against {mean_fsm:.1f}% ({n_fsm} LAs)"
    return text + "."


def rank_parts(row: pd.Series, group: str) -> tuple[str, str]:
    """The LA's rank among all LAs ('130 of 153') and what to read with it (its quarter, any caveat)."""
    rank, of, quartile = row[f"rank_{group}"], row[f"ranked_of_{group}"], row[f"quartile_{group}"]
    if rank is None or pd.isna(rank):
        return "not ranked", "no value"
    flag = ""
    if row["tiny"] or (group == "fsm" and row["fsm_low_reliability"]):
        flag = " — low reliability: tiny cohort, treat the rank with caution"
    band = {1: "top quarter", 2: "second quarter", 3: "third quarter", 4: "bottom quarter"}[int(quartile)]
    return f"{int(rank)} of {of}", f"{band}{flag}"


def rank_rows(own: pd.Series) -> list[tuple[str, list[tuple[str, str]]]]:
    """The rank table's rows: all children and FSM-eligible children."""
    return [(GROUP_LABELS[group], [rank_parts(own, group)]) for group in TARGET_GROUPS]


def doing_better_sentence(name: str, own: pd.Series, better: pd.DataFrame, year_label: str) -> str:
    """The sentence above the table of LAs doing better for FSM children."""
    if better.empty:
        return f"No LA in this comparison has a higher FSM GLD than {name} in {year_label}."
    first = better.iloc[0]
    return (
        f"{len(better)} LAs have a higher FSM GLD than {name} ({own['gld_fsm']:.1f}%) — worth a conversation. "
        f"The highest is {first['name']}, {first['ahead_by']:.1f} percentage points ahead."
    )


BETTER_COLUMNS = {
    "name": "LA",
    "region_name": "Region",
    "gld_fsm": "GLD FSM %",
    "ahead_by": "Ahead by (percentage points)",
    "pct_primary_fsm": "Primary FSM %",
    "fsm_gap": "FSM gap (percentage points)",
    "gap_comparison": "Gap against",
    "fsm_low_reliability": "Low reliability",
    "tiny": "Tiny cohort",
}


def better_table(better: pd.DataFrame) -> pd.DataFrame:
    """The LAs doing better for FSM children, with readable column names."""
    return better[list(BETTER_COLUMNS)].rename(columns=BETTER_COLUMNS)


def own_row(rows: pd.DataFrame) -> pd.Series:
    """The LA's own row among its peers (`comparison`)."""
    return rows[rows["role"] == SELECTED].iloc[0]


def is_own(table: pd.DataFrame) -> pd.Series:
    """Which rows of the peer table (`peer_table`) are the LA itself: the row to highlight."""
    return table["Role"] == SELECTED


TABLE_NOTE = (
    "To gain = the LA's own 2028 target − its latest GLD (percentage points); targets are derived (2023/24 + 9.0 "
    "percentage points) unless published. – no value."
)
