"""What to work on, and for whom: areas of learning, pupil groups, early education and context for one LA.

Every comparison is with England, the LA's region and the simple mean of its May 2025 statistical
neighbours (excluding missing values, as LAIT does). Areas of learning are compared only from
2021/22, the first year of the reformed framework; 2013-2019 values are never joined to them.
LAIT writes '-' where a figure is suppressed or not collected: such a group is listed as
"not published", never as a bare 0 or 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from profiles.areas import ENGLAND, all_areas, area_name
from profiles.db import query
from profiles.numbers import missing, pct, points
from profiles.peers import neighbour_codes
from profiles.targets import academic_year

REFORMED_FROM = 2022  # 2021/22: the first year of the reformed EYFS profile
# LAIT's measures for the seven areas of learning, in the order of the EYFS framework.
AREAS_OF_LEARNING = {
    "FSP_NEW_COMMS": "Communication and language",
    "FSP_NEW_PSE": "Personal, social and emotional development",
    "FSP_NEW_PHY": "Physical development",
    "FSP_NEW_LIT": "Literacy",
    "FSP_NEW_MATHS": "Mathematics",
    "FSP_NEW_WORLD": "Understanding the world",
    "FSP_NEW_ART": "Expressive arts and design",
}
# Panel headers too long for one line: "|" breaks them.
PANEL_HEADERS = {"Personal, social and emotional development": "Personal, social and|emotional development"}
# GLD by pupil group in LAIT (latest years): characteristic and group.
# Each LAIT group's 2021/22 group in DfE's characteristics file, for its size (LAIT gives no counts).
SIZE_2022 = {
    "FSP_Gooddev_With_SENSTATE": ("SEN provision", "EHC plan"),
    "FSP_Gooddev_Without_SENSTATE": ("SEN provision", "SEN support"),
    "FSP_Gooddev_White": ("Ethnic group: major", "White"),
    "FSP_Gooddev_Mixed": ("Ethnic group: major", "Mixed/multiple ethnic groups"),
    "FSP_Gooddev_Asian": ("Ethnic group: major", "Asian/Asian British"),
    "FSP_Gooddev_Black": ("Ethnic group: major", "Black/African/Caribbean/Black British"),
    "FSP_Gooddev_Other": ("Ethnic group: major", "Other ethnic group"),
}
LAIT_GROUPS = {
    # LAIT's "with statement" is an EHC plan; "without" is SEN support (SEN without an EHC plan).
    "FSP_Gooddev_With_SENSTATE": ("Special educational needs", "EHC plan"),
    "FSP_Gooddev_Without_SENSTATE": ("Special educational needs", "SEN support"),
    "FSP_Gooddev_White": ("Ethnic group", "White"),
    "FSP_Gooddev_Mixed": ("Ethnic group", "Mixed"),
    "FSP_Gooddev_Asian": ("Ethnic group", "Asian"),
    "FSP_Gooddev_Black": ("Ethnic group", "Black"),
    "FSP_Gooddev_Chinese": ("Ethnic group", "Chinese"),
    "FSP_Gooddev_Other": ("Ethnic group", "Any other ethnic group"),
}
ETHNIC_PHRASES = {
    "White": "White children",
    "Mixed": "children of mixed ethnicity",
    "Asian": "Asian children",
    "Black": "Black children",
    "Chinese": "Chinese children",
    "Any other ethnic group": "children of any other ethnic group",
}
SMALL_GROUP = 30  # fewer children than this: a few children change the % by several points
NOT_PUBLISHED = "not published"
NOT_PUBLISHED_NOTE = "not published: LAIT shows '–' (suppressed to protect small numbers, or not collected)"
TWO_YEAR_OLDS = "%_2yr_olds"
TWO_YEAR_OLD_NUMBER = "No_2yr_olds"
CONTEXT = {  # measure: what it is, in words for a table, and what its year means
    "EALPri": ("Primary pupils with English as an additional language", "January {year} (school census)"),
    "ChildPov": (
        "Children under 16 in relative low-income families (before housing costs; DWP)",
        "financial year ending {year}",
    ),
    "Ever6_FSM_Prim": (
        "Primary pupils eligible for FSM at any time in the last six years (Ever-6)",
        "January {year} (school census)",
    ),
}


CODE_CACHE = 200  # more than the 153 LAs plus England and the regions


@st.cache_data(show_spinner=False)
def context_table() -> pd.DataFrame:
    """Every row of `context_measures` (about 29,000): filtered in pandas, one query per server.

    `decimals` is replaced by the measure's usual precision (its most common number of decimal places
    since 2021/22): LAIT drops trailing zeros, so a 1-dp series holds "67" for DfE's 67.0. A series
    stored unrounded (ASQ-3 offered, 5-8 places) is shown to 1 decimal place, as OHID publishes it.
    """
    frame = query("SELECT * FROM context_measures")
    recent = frame[frame["year"] >= REFORMED_FROM]
    usual = recent.groupby("measure")["decimals"].agg(lambda d: int(d.mode().iloc[0]))
    usual = usual.where(usual <= 2, 1)
    frame["decimals"] = frame["measure"].map(usual).fillna(1).astype("int64")
    return frame


@dataclass(frozen=True)
class Comparators:
    """Who an LA is compared with: its region and its May 2025 statistical neighbours."""

    code: str
    name: str
    region_code: str | None
    region_name: str | None
    neighbours: tuple[str, ...]


def comparators(code: str) -> Comparators:
    areas = all_areas().set_index("area_code")
    region = areas.at[code, "region_code"] if code in areas.index else None
    region = region if isinstance(region, str) else None
    neighbours = tuple(c for c in neighbour_codes(code, "2025")["neighbour_code"] if c in areas.index)
    return Comparators(
        code,
        area_name(code),
        region,
        areas.at[code, "region_name"] if region else None,
        neighbours,
    )


def beside_comparators(who: Comparators, measures: list[str], first_year: int | None = None) -> pd.DataFrame:
    """One row per measure and year: the LA's value (and decimals), England's, the region's and the
    neighbours' simple mean (with how many neighbours have a value)."""
    table = context_table()
    table = table[table["measure"].isin(measures)]
    if first_year is not None:
        table = table[table["year"] >= first_year]
    keys = ["measure", "year"]
    own = table[table["area_code"] == who.code][[*keys, "value", "decimals"]].rename(
        columns={"value": "la", "decimals": "la_decimals"}
    )
    frame = table[keys].drop_duplicates().merge(own, on=keys, how="left")
    for column, codes in (("england", [ENGLAND]), ("region", [who.region_code])):
        values = table[table["area_code"].isin(codes)][[*keys, "value"]].rename(columns={"value": column})
        frame = frame.merge(values, on=keys, how="left")
    peers = table[table["area_code"].isin(who.neighbours)].groupby(keys)["value"].agg(["mean", "count"]).reset_index()
    peers = peers.rename(columns={"mean": "neighbours", "count": "neighbours_n"})
    frame = frame.merge(peers, on=keys, how="left")
    frame["neighbours"] = frame["neighbours"].round(1)
    frame["neighbours_n"] = frame["neighbours_n"].fillna(0).astype("int64")
    return frame.sort_values(keys, ignore_index=True)


def latest_cohort(code: str, year: int) -> tuple[float | None, str | None]:
    """The LA's number of children in the year group (published or estimated) and its basis."""
    frame = query(
        "SELECT children, counts_basis FROM gld WHERE area_code = ? AND year = ? AND pupil_group = 'all'", [code, year]
    )
    if frame.empty or missing(frame.iloc[0]["children"]):
        return None, None
    return float(frame.iloc[0]["children"]), frame.iloc[0]["counts_basis"]


def children_for(gap_points: float, cohort: float | None) -> int | None:
    """About how many children a gap in percentage points is, in a cohort (rounded to 5 above 100)."""
    if cohort is None or missing(gap_points):
        return None
    children = abs(gap_points) / 100 * cohort
    return int(round(children / 5) * 5) if children >= 100 else int(round(children))


# --- areas of learning -----------------------------------------------------------------------


def areas_of_learning(code: str) -> pd.DataFrame:
    """The seven areas since 2021/22: one row per area and year, the LA beside its comparators."""
    frame = beside_comparators(comparators(code), list(AREAS_OF_LEARNING), REFORMED_FROM)
    frame["area"] = frame["measure"].map(AREAS_OF_LEARNING)
    frame["order"] = frame["measure"].map({m: i for i, m in enumerate(AREAS_OF_LEARNING)})
    return frame.sort_values(["order", "year"], ignore_index=True)


def areas_latest(frame: pd.DataFrame, cohort: float | None) -> pd.DataFrame:
    """The latest year of `areas_of_learning`: differences to each comparator and, where the cohort is
    known, about how many children the gap to the neighbours is."""
    latest = frame[frame["year"] == frame["year"].max()].copy()
    for column in ("england", "region", "neighbours"):
        latest[f"vs_{column}"] = (latest["la"] - latest[column]).round(1)
    latest["children_vs_neighbours"] = pd.array(
        [children_for(gap, cohort) if not missing(gap) and gap < 0 else None for gap in latest["vs_neighbours"]],
        dtype="Int64",
    )
    return latest.reset_index(drop=True)


def _behind_list(latest: pd.DataFrame, column: str, with_children: bool) -> str:
    behind = latest[latest[f"vs_{column}"] < 0].sort_values(f"vs_{column}").head(2)
    parts = []
    for row in behind.itertuples():
        text = f"{row.area} ({pct(row.la, row.la_decimals)}, {points(-getattr(row, f'vs_{column}'))} below"
        if with_children and not missing(row.children_vs_neighbours):
            text += f", about {row.children_vs_neighbours:,} children"
        parts.append(text + ")")
    return " and ".join(parts)


def areas_sentence(name: str, latest: pd.DataFrame, counts_basis: str | None) -> str:
    """Which areas of learning are furthest behind the neighbours and England, latest year."""
    if latest.empty or latest["la"].isna().all():
        return f"No areas-of-learning figures are published for {name}."
    year = academic_year(int(latest["year"].iloc[0]))
    sentences = []
    if latest["neighbours"].notna().any():
        behind = _behind_list(latest, "neighbours", with_children=True)
        sentences.append(
            f"In {year}, {name} was furthest behind its statistical neighbours' average in {behind}."
            if behind
            else f"In {year}, {name} was at or above its statistical neighbours' average in every area of learning."
        )
    behind = _behind_list(latest, "england", with_children=False)
    sentences.append(
        f"Against England, it was furthest behind in {behind}."
        if behind
        else "It was at or above England in every area."
    )
    if counts_basis and counts_basis.startswith("estimated") and latest["children_vs_neighbours"].notna().any():
        sentences.append("Children are estimated from the estimated year-group size.")
    return " ".join(sentences)


def _moved(change: float) -> str:
    if not change:
        return "did not change"
    return f"{'rose' if change > 0 else 'fell'} {points(abs(change))}"


def areas_trend_sentence(name: str, frame: pd.DataFrame) -> str:
    """How each area moved since 2021/22 against England's move: the one that lost most ground, and the one
    that gained most."""
    reformed = frame[frame["year"] >= REFORMED_FROM].dropna(subset=["la", "england"])
    if reformed.empty or reformed["year"].nunique() < 2:
        return f"There is not yet a trend since {academic_year(REFORMED_FROM)} for {name}."
    first, last = int(reformed["year"].min()), int(reformed["year"].max())
    ends = reformed[reformed["year"].isin([first, last])]
    ends = ends.pivot_table(index="area", columns="year", values=["la", "england"]).dropna()
    own = (ends[("la", last)] - ends[("la", first)]).round(1)
    england = (ends[("england", last)] - ends[("england", first)]).round(1)
    relative = (own - england).round(1).sort_values()
    worst, best = relative.index[0], relative.index[-1]
    text = (
        f"Between {academic_year(first)} and {academic_year(last)}, {name}'s {worst.lower()} {_moved(own[worst])} "
        f"while England's {_moved(england[worst])}"
    )
    if best != worst and relative[best] > 0:
        text += f"; its {best.lower()} {_moved(own[best])} (England: {_moved(england[best])})"
    return text + "."


def areas_table(latest: pd.DataFrame, who: Comparators) -> pd.DataFrame:
    """The latest areas of learning as the page and the CSV show them."""
    return pd.DataFrame(
        {
            "Area of learning": latest["area"],
            who.name: [pct(v, d, "") for v, d in zip(latest["la"], latest["la_decimals"])],
            "England": latest["england"],
            who.region_name or "Region": latest["region"],
            "Neighbour average": latest["neighbours"],
            "Difference from neighbours (percentage points)": latest["vs_neighbours"],
            "Difference from England (percentage points)": latest["vs_england"],
            "About this many children behind the neighbours' rate": latest["children_vs_neighbours"].astype("Int64"),
        }
    )


# --- pupil groups ----------------------------------------------------------------------------


def pupil_groups(code: str) -> pd.DataFrame:
    """GLD by SEN status and ethnic group (LAIT), latest year with figures: LA, England and gap.

    A group whose LA value LAIT does not publish is kept, with `status` 'not published'.
    """
    who = comparators(code)
    frame = beside_comparators(who, list(LAIT_GROUPS))
    if frame.empty:
        return frame
    year = int(frame.loc[frame["england"].notna(), "year"].max())
    frame = frame[frame["year"] == year].copy()
    frame["characteristic"] = frame["measure"].map(lambda m: LAIT_GROUPS[m][0])
    frame["group"] = frame["measure"].map(lambda m: LAIT_GROUPS[m][1])
    frame["order"] = frame["measure"].map({m: i for i, m in enumerate(LAIT_GROUPS)})
    frame["vs_england"] = (frame["la"] - frame["england"]).round(1)
    frame["status"] = np.where(frame["la"].isna(), NOT_PUBLISHED, "published")
    sizes = characteristics_2022()
    sizes = sizes[sizes["area_code"] == code].set_index(["characteristic", "pupil_group"])["children"]
    frame["children_2022"] = pd.array(
        [sizes.get(SIZE_2022[m], pd.NA) if m in SIZE_2022 else pd.NA for m in frame["measure"]], dtype="Int64"
    )
    # Small: under 30 children in 2021/22, or a size DfE did not publish by LA (Chinese children).
    frame["small"] = frame["la"].notna() & (frame["children_2022"].isna() | (frame["children_2022"] < SMALL_GROUP))
    return frame.sort_values("order", ignore_index=True)


def small_note(group: pd.Series) -> str:
    """'; a small group: 8 children in 2021/22' for a flagged group, so a sentence never gives a bare 0 or 100."""
    if not group["small"]:
        return ""
    if pd.isna(group["children_2022"]):
        return "; group size not published, so a few children may move it a lot"
    return f"; a small group: {int(group['children_2022'])} children in 2021/22"


def pupil_groups_sentence(name: str, groups: pd.DataFrame) -> str:
    if groups.empty:
        return f"No GLD by pupil group is published for {name}."
    year = academic_year(int(groups["year"].iloc[0]))
    by = groups.set_index("group")
    parts = []
    sen = [g for g in ("SEN support", "EHC plan") if g in by.index and not missing(by.at[g, "la"])]
    if sen:
        parts.append(
            " and ".join(
                f"{GROUP_PHRASES[g]} reached GLD at {pct(by.at[g, 'la'], by.at[g, 'la_decimals'])} "
                f"(England {pct(by.at[g, 'england'])}{small_note(by.loc[g])})"
                for g in sen
            )
        )
    published = groups[groups["status"] == "published"]
    ethnic = published[published["characteristic"] == "Ethnic group"]
    ethnic = ethnic[~ethnic["small"]]
    if not ethnic.empty:
        lowest = ethnic.sort_values("vs_england").iloc[0]
        parts.append(
            f"of the ethnic groups with at least {SMALL_GROUP} children, {ETHNIC_PHRASES[lowest['group']]} were "
            f"furthest below England's rate for the same group ({pct(lowest['la'], lowest['la_decimals'])} "
            f"against {pct(lowest['england'])})"
        )
    hidden = groups[groups["status"] == NOT_PUBLISHED]["group"].tolist()
    text = f"In {year} in {name}, " + "; ".join(parts) + "." if parts else f"In {year}:"
    if hidden:
        text += f" Not published for {name}: {', '.join(hidden)} (too few children, or not collected)."
    return text


@st.cache_data(show_spinner=False)
def characteristics_2022() -> pd.DataFrame:
    """DfE's 2021/22 GLD by pupil characteristic, every area (the last year it was published by LA)."""
    return query("SELECT * FROM gld_characteristics_2022")


# The 2021/22 groups shown, with the group each is compared with inside the LA.
DETAIL_2022 = {
    "Sex": ("Girls", ["Boys", "Girls"]),
    "Term of birth": ("Autumn-born", ["Autumn-born", "Spring-born", "Summer-born"]),
    "First language": (
        "Known or believed to be English",
        ["Known or believed to be English", "Known or believed to be other than English"],
    ),
    "SEN provision": ("No identified SEN", ["No identified SEN", "SEN support", "EHC plan"]),
    "Free school meal eligibility": (
        "Not known to be eligible for free school meals",
        ["Known to be eligible for free school meals", "Not known to be eligible for free school meals"],
    ),
}


# How each 2021/22 group reads inside a sentence.
GROUP_PHRASES = {
    "Boys": "boys",
    "Girls": "girls",
    "Autumn-born": "autumn-born children",
    "Spring-born": "spring-born children",
    "Summer-born": "summer-born children",
    "Known or believed to be English": "children whose first language is English",
    "Known or believed to be other than English": "children whose first language is not English",
    "No identified SEN": "children with no identified SEN",
    "SEN support": "children on SEN support",
    "EHC plan": "children with an EHC plan",
    "Known to be eligible for free school meals": "FSM-eligible children",
    "Not known to be eligible for free school meals": "children not known to be FSM-eligible",
}


@st.cache_data(show_spinner=False, max_entries=CODE_CACHE)  # per LA: a switch back is instant
def detail_2022(code: str) -> pd.DataFrame:
    """2021/22 GLD by sex, term of birth, first language, SEN provision and FSM: LA (with children) beside
    England, the gap to England and the gap to the group it is compared with inside the LA."""
    table = characteristics_2022()
    rows = []
    for characteristic, (reference, groups) in DETAIL_2022.items():
        for group in groups:
            own = table[
                (table["area_code"] == code)
                & (table["characteristic"] == characteristic)
                & (table["pupil_group"] == group)
            ]
            england = table[
                (table["area_code"] == ENGLAND)
                & (table["characteristic"] == characteristic)
                & (table["pupil_group"] == group)
            ]
            rows.append(
                {
                    "characteristic": characteristic,
                    "group": group,
                    "reference": reference,
                    "children": own["children"].iloc[0] if not own.empty else pd.NA,
                    "la": own["gld_pct"].iloc[0] if not own.empty else np.nan,
                    "england": england["gld_pct"].iloc[0] if not england.empty else np.nan,
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["vs_england"] = (frame["la"] - frame["england"]).round(1)
    reference = frame[frame["group"] == frame["reference"]].set_index("characteristic")
    frame["vs_reference"] = (frame["la"] - frame["characteristic"].map(reference["la"])).round(1)
    frame["england_vs_reference"] = (frame["england"] - frame["characteristic"].map(reference["england"])).round(1)
    frame["small"] = frame["children"].fillna(0).astype(float) < SMALL_GROUP
    return frame


def detail_sentence(name: str, detail: pd.DataFrame) -> str:
    """The gaps inside the LA in 2021/22 that were widest compared with the same gaps in England."""
    if detail.empty or detail["la"].isna().all():
        return f"DfE published no 2021/22 figures by pupil characteristic for {name} as it is now."
    gaps = detail[(detail["group"] != detail["reference"]) & detail["vs_reference"].notna()].copy()
    gaps["wider_by"] = (gaps["england_vs_reference"] - gaps["vs_reference"]).round(1)
    wider = gaps[(gaps["vs_reference"] < 0) & (gaps["wider_by"] > 0)].sort_values("wider_by", ascending=False).head(3)
    lead = "In 2021/22, the last year DfE published these by LA"
    if wider.empty:
        return f"{lead}, every gap between groups in {name} was no wider than England's."
    parts = [
        f"{GROUP_PHRASES.get(row.group, row.group)} were {points(-row.vs_reference)} behind "
        f"{GROUP_PHRASES.get(row.reference, row.reference)} (England: {points(-row.england_vs_reference)})"
        for row in wider.itertuples()
    ]
    return f"{lead}, the gaps in {name} that were widest compared with England's: " + "; ".join(parts) + "."


def detail_table(detail: pd.DataFrame, name: str) -> pd.DataFrame:
    """The 2021/22 detail as shown and downloaded; each gap names the group it is measured from."""
    is_reference = detail["group"] == detail["reference"]
    return pd.DataFrame(
        {
            "Characteristic": detail["characteristic"],
            "Group": detail["group"],
            f"{name}: GLD %": detail["la"],
            f"{name}: children": detail["children"].astype("Int64"),
            "England: GLD %": detail["england"],
            "Difference from England (percentage points)": detail["vs_england"],
            "Gap measured from": np.where(is_reference, "(the comparison group)", detail["reference"]),
            f"Gap in {name} (percentage points)": detail["vs_reference"].mask(is_reference),
            "Same gap in England (percentage points)": detail["england_vs_reference"].mask(is_reference),
            "Flag": np.where(detail["small"], f"small group (fewer than {SMALL_GROUP} children)", ""),
        }
    )


# --- early education and context ------------------------------------------------------------


def two_year_olds(code: str) -> pd.DataFrame:
    """Take-up of funded places by eligible two-year-olds: % beside comparators, and the LA's number."""
    who = comparators(code)
    frame = beside_comparators(who, [TWO_YEAR_OLDS])
    numbers = context_table()
    numbers = numbers[(numbers["measure"] == TWO_YEAR_OLD_NUMBER) & (numbers["area_code"] == code)]
    frame = frame.merge(numbers[["year", "value"]].rename(columns={"value": "children"}), on="year", how="left")
    frame["children"] = frame["children"].round().astype("Int64")
    return frame


def take_up_table(frame: pd.DataFrame, who: Comparators) -> pd.DataFrame:
    """Two-year-old take-up as the CSV gives it: one row per January."""
    return pd.DataFrame(
        {
            "January": frame["year"],
            f"{who.name}: % taking up a place": frame["la"],
            f"{who.name}: children taking up a place": frame["children"],
            "England %": frame["england"],
            f"{who.region_name or 'Region'} %": frame["region"],
            "Statistical neighbours' average %": frame["neighbours"],
        }
    )


def eligible_implied(row: pd.Series) -> float | None:
    """The number of eligible two-year-olds implied by the number taking up a place and the %."""
    if missing(row["children"]) or missing(row["la"]) or not row["la"]:
        return None
    return float(row["children"]) / float(row["la"]) * 100


NATIONAL_SHIFT = 3.0  # points: an England change this large on a year says the count or base moved nationally


def two_year_old_sentence(name: str, frame: pd.DataFrame, target: float | None = None) -> str:
    """The latest take-up, beside England and the neighbours, the change on the year, and any target."""
    known = frame[frame["la"].notna()]
    if known.empty:
        return f"No take-up figures for funded places for two-year-olds are published for {name}."
    latest = known.iloc[-1]
    year = int(latest["year"])
    text = f"In January {year}, {pct(latest['la'], latest['la_decimals'])} of eligible two-year-olds in {name}"
    if not missing(latest["children"]):
        text += f" ({int(latest['children']):,} children)"
    text += f" took up a funded early education place, against {pct(latest['england'])} in England"
    if not missing(latest["neighbours"]):
        text += f" and {pct(latest['neighbours'])} on average among its statistical neighbours"
    text += "."
    if float(latest["la"]) > 100:
        text += " (Over 100%: children living elsewhere take up places here, and are counted here but not in the base.)"
    before = known[known["year"] == year - 1]
    if not before.empty:
        change = round(float(latest["la"]) - float(before.iloc[0]["la"]), 1)
        text += (
            f" That is {points(abs(change))} {'up' if change > 0 else 'down'} on January {year - 1}."
            if change
            else f" Unchanged on January {year - 1}."
        )
        national = round(float(latest["england"]) - float(before.iloc[0]["england"]), 1)
        if abs(national) >= NATIONAL_SHIFT:  # e.g. January 2025: England 75.0 -> 65.2
            text += (
                f" England's rate moved {points(abs(national))} {'up' if national > 0 else 'down'} the same year, "
                "so compare with England and the neighbours rather than with the year before."
            )
    if target is not None:
        gap = round(target - float(latest["la"]), 1)
        eligible = eligible_implied(latest)
        if gap > 0:
            more = f", about {children_for(gap, eligible):,} more children" if eligible else ""
            text += f" Your target of {pct(target)} is {points(gap)} above it{more}."
        else:
            text += f" It meets your target of {pct(target)}."
    return text


@st.cache_data(show_spinner=False, max_entries=CODE_CACHE)  # per LA: a switch back is instant
def early_education_rows(code: str) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Figures-table rows: three- and four-year-old take-up and ASQ-3 reviews offered, LA beside England."""
    rows = []
    who = comparators(code)
    for measure, label, when in (
        ("%_3&4yr_olds", "Three- and four-year-olds taking up funded early education", "January {year}"),
        (
            "HCP_PHOF",
            "Children aged 2–2½ offered an ASQ-3 review (Healthy Child Programme)",
            "financial year {previous}/{short}",
        ),
    ):
        frame = beside_comparators(who, [measure])
        known = frame[frame["la"].notna()]
        if known.empty:
            rows.append((label, [("—", NOT_PUBLISHED), ("", "")]))
            continue
        latest = known.iloc[-1]
        year = int(latest["year"])
        rows.append(
            (
                label,
                [
                    (
                        pct(latest["la"], latest["la_decimals"]),
                        when.format(year=year, previous=year - 1, short=str(year)[-2:]),
                    ),
                    (pct(latest["england"], latest["la_decimals"]), ""),
                ],
            )
        )
    return rows


@st.cache_data(show_spinner=False, max_entries=CODE_CACHE)  # per LA: a switch back is instant
def context_rows(code: str) -> pd.DataFrame:
    """EAL, children in low-income families and Ever-6 FSM: the latest LA value beside England, the region and
    the neighbours, each at the measure's precision, with its unit and what its year is."""
    who = comparators(code)
    table = context_table()
    rows = []
    for measure, (label, when) in CONTEXT.items():
        frame = beside_comparators(who, [measure])
        known = frame[frame["la"].notna()]
        if known.empty:
            continue
        latest = known.iloc[-1]
        places = latest["la_decimals"]
        rows.append(
            {
                "Measure": label,
                who.name: pct(latest["la"], places, ""),
                "England": pct(latest["england"], places, ""),
                who.region_name or "Region": pct(latest["region"], places, ""),
                "Neighbour average": pct(latest["neighbours"], 1, ""),
                "Unit": table.loc[table["measure"] == measure, "unit"].iloc[0],
                "When": when.format(year=int(latest["year"])),
            }
        )
    return pd.DataFrame(rows)


# --- chart data ------------------------------------------------------------------------------

ROLE_COLUMNS = {
    "la": "Selected LA",
    "neighbours": "Statistical neighbours' average",
    "region": "Region",
    "england": "England",
}


def long_by_role(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`frame` (columns `keys` plus la / neighbours / region / england) as one row per key and role, with
    the value as shown (the LA's at its published precision) and whether it is published."""
    parts = []
    for column, role in ROLE_COLUMNS.items():
        if column not in frame.columns:
            continue
        part = frame[keys].copy()
        part["role"] = role
        part["pct"] = frame[column].to_numpy()
        decimals = frame["la_decimals"] if "la_decimals" in frame.columns else [1] * len(frame)
        part["label"] = [pct(value, places) for value, places in zip(part["pct"], decimals)]
        part["status"] = np.where(part["pct"].isna(), NOT_PUBLISHED, "published")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def areas_chart_data(latest: pd.DataFrame) -> pd.DataFrame:
    data = long_by_role(latest.rename(columns={"area": "item"}), ["item", "order"])
    data["small"] = False  # whole year groups
    return data[["item", "order", "role", "pct", "label", "status", "small"]]


def areas_trend_data(frame: pd.DataFrame) -> pd.DataFrame:
    data = long_by_role(
        frame[frame["year"] >= REFORMED_FROM].rename(columns={"area": "item"}), ["item", "order", "year"]
    )
    data["panel"] = data["item"].replace(PANEL_HEADERS)
    return data[["item", "panel", "order", "year", "role", "pct", "label"]]  # never the 2013-2019 framework


def groups_chart_data(groups: pd.DataFrame) -> pd.DataFrame:
    frame = groups.assign(item=[f"{c}: {g}" for c, g in zip(groups["characteristic"], groups["group"])])
    data = long_by_role(frame.drop(columns=["region", "neighbours"]), ["item", "order", "small", "children_2022"])
    data["small"] = data["small"] & (data["role"] == ROLE_COLUMNS["la"])  # a flag on the LA's own value only
    return data[["item", "order", "role", "pct", "label", "status", "small", "children_2022"]]


def take_up_data(frame: pd.DataFrame) -> pd.DataFrame:
    return long_by_role(frame, ["year"])[["year", "role", "pct", "label"]]


# Each chart's own source and note, so a PNG pasted alone says where its figures come from.
NEIGHBOURS_SOURCE = "statistical neighbours: DfE, May 2025"
AREAS_SOURCE = f"Source: DfE Early Years Foundation Stage Profile, via DfE's LAIT; {NEIGHBOURS_SOURCE}."
GROUPS_SOURCE = (
    "Source: DfE Early Years Foundation Stage Profile, via DfE's LAIT; group sizes: DfE, Explore Education "
    "Statistics, 2021/22."
)
TAKE_UP_SOURCE = f"Source: DfE Education provision: children under 5 years of age, via DfE's LAIT; {NEIGHBOURS_SOURCE}."
EYFSP_NOTE = "Academic years (2024/25 = summer 2025 assessments); reformed framework from 2021/22 only."
TAKE_UP_NOTE = "January count of each year; the % can pass 100 where children cross LA borders."
