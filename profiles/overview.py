"""England-level views: the measures mapped for all 153 LAs, and the table of every LA."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st

from profiles.areas import ENGLAND
from profiles.charts import trajectory_chart
from profiles.exports import BOUNDARY_SOURCE, GLD_SOURCE, TARGET_SOURCE, Export, footer_lines
from profiles.maps import (
    LA_MAP_HEIGHT,
    NO_DATA_COLOUR,
    Legend,
    choropleth,
    classify,
    la_features,
    la_shapes,
    static_map,
)
from profiles.peers import la_latest
from profiles.profile import build_profile, summary_sentence, trajectory_data
from profiles.targets import academic_year


@dataclass(frozen=True)
class Measure:
    """A measure that can colour the LA map."""

    column: str
    title: str
    palette: str
    unit: str

    def label(self, year: int, since: int) -> str:
        return self.title.format(year=academic_year(year), since=academic_year(since))

    @property
    def choice(self) -> str:
        """The name offered in the measure picker and written to the link: no year in it, so a link
        made this year opens the same measure after the next release."""
        return self.title.replace(", {year}", "").format(since="2021/22")


MEASURES: dict[str, Measure] = {
    "gld_all": Measure("gld_all", "GLD, all children, {year} (%)", "blues", "%"),
    "gld_fsm": Measure("gld_fsm", "GLD, FSM-eligible children, {year} (%)", "blues", "%"),
    "to_gain_all": Measure(
        "to_gain_all",
        "Percentage points still to gain to the 2028 target, all children",
        "oranges",
        " percentage points",
    ),
    "to_gain_fsm": Measure(
        "to_gain_fsm",
        "Percentage points still to gain to the 2028 target, FSM children",
        "oranges",
        " percentage points",
    ),
    "change_all": Measure(
        "change_all", "Change in GLD since {since}, all children (percentage points)", "greens", " percentage points"
    ),
}


@st.cache_resource(show_spinner=False, max_entries=16)
def la_map(measure: str, year: int, since: int) -> tuple[pdk.Deck, Legend, str]:
    """The choropleth of all LAs for a measure, its legend and a one-sentence summary.

    Cached as a shared resource: the deck is never changed after it is built, and building its
    JSON for 153 LAs is the slowest step of the overview.
    """
    spec = MEASURES[measure]
    table = la_latest(year, since)
    shapes = la_shapes().merge(table, on="area_code", how="left")
    # Classes from one value per LA, as the PNG export makes them: the shapes table has a row per
    # polygon part (264 for 153 LAs), and quantiles over those moved about 25 LAs to another colour.
    fills, legend = classify(table[spec.column], spec.palette)
    fill_of = dict(zip(table["area_code"], fills, strict=True))
    shapes["fill"] = [fill_of.get(code, NO_DATA_COLOUR) for code in shapes["area_code"]]
    shapes["value"] = [
        "no value" if pd.isna(v) else f"{v:.1f}{spec.unit}" + (" (tiny cohort: low reliability)" if tiny else "")
        for v, tiny in zip(shapes[spec.column], shapes["tiny"])
    ]
    shapes = shapes[["area_code", "name", "region_name", "value", "polygon", "fill"]]
    deck = choropleth(
        shapes,
        "<b>{name}</b><br/>{region_name}<br/>" + spec.label(year, since) + ": <b>{value}</b>",
        "la_choropleth",
        height=LA_MAP_HEIGHT,
        decimals=1,  # a tenth of a pixel at the fitted zoom (about 110-125 m): keeps the JSON small
    )
    values = table[["name", spec.column, "tiny"]].dropna(subset=[spec.column])

    def named(row) -> str:
        flag = ", tiny cohort" if row["tiny"] else ""
        return f"{row['name']} ({row[spec.column]:.1f}{spec.unit}{flag})"

    top = values.sort_values(spec.column, ascending=False).iloc[0]
    bottom = values.sort_values(spec.column).iloc[0]
    sentence = (
        f"Map of {spec.label(year, since)} for the {len(values)} LAs with a value: highest {named(top)}, "
        f"lowest {named(bottom)}."
    )
    return deck, legend, sentence


@st.cache_data(show_spinner=False, max_entries=4)
def england_trajectory_export(latest: int) -> Export:
    """England's trajectory against the 75% ambition, with its summary sentence as alt text (cached)."""
    england = build_profile(ENGLAND)
    summary = summary_sentence(england)
    data = trajectory_data(england)
    return Export(
        "england_trajectory",
        trajectory_chart(
            data, "England", latest, "England: good level of development against the 75% ambition", description=summary
        ),
        data,
        summary,
        footer_lines(
            "England", f"2012/13–{academic_year(latest)}", True, "National ambition: 75% by 2028.", GLD_SOURCE
        ),
    )


MAP_NOTE = (
    "Hover for a value; click an LA to open its profile. Quantile colours: about 30 LAs in each class; "
    "grey = no value. Boundaries: ONS, December 2023."
)

# The table's filter by quarter of GLD (all children): the name shown and the quartile it keeps.
BANDS = {"All LAs": None, "Top quarter": 1, "Second quarter": 2, "Third quarter": 3, "Bottom quarter": 4}


def region_choices(table: pd.DataFrame) -> list[str]:
    """The regions the overview table can be filtered by, in order."""
    return sorted(table["Region"].dropna().unique())


def row_code(table: pd.DataFrame, position: int) -> str:
    """The LA code of a row of the (filtered) overview table."""
    return str(table.iloc[position]["Code"])


TABLE_NOTE = (
    "Sort by clicking a column; select a row to open its profile. Targets are derived as 2023/24 GLD + 9.0 "
    "percentage points unless published (see About). † tiny cohort: low reliability."
)


def filter_table(table: pd.DataFrame, regions: list[str], band: str) -> pd.DataFrame:
    """The overview table's rows in the chosen regions (all if none) and quarter (`BANDS`)."""
    shown = table[table["Region"].isin(regions)] if regions else table
    quartile = BANDS.get(band)
    return shown if quartile is None else shown[shown["Quartile (all)"] == quartile]


def overview_table(year: int, since: int) -> pd.DataFrame:
    """Every LA with region, latest GLD, targets, points to gain, change, rank and quartile."""
    table = la_latest(year, since)
    out = pd.DataFrame(
        {
            "Local authority": table["name"] + table["tiny"].map({True: " †", False: ""}),
            "Code": table["area_code"],
            "Region": table["region_name"],
            "GLD all %": table["gld_all"],
            "GLD FSM %": table["gld_fsm"],
            "FSM gap (percentage points)": table["fsm_gap"],
            "FSM gap against": table["gap_comparison"],
            "Target all %": table["target_all"],
            "Target FSM %": table["target_fsm"],
            "To gain, all (percentage points)": table["to_gain_all"],
            "To gain, FSM (percentage points)": table["to_gain_fsm"],
            f"Change since {academic_year(since)} (percentage points)": table["change_all"],
            "Rank (all)": table["rank_all"],
            "Quartile (all)": table["quartile_all"],
            "Rank (FSM)": table["rank_fsm"],
        }
    )
    return out


def la_map_export(measure: str, year: int, since: int) -> Export:
    """The national map of a measure as a static chart for PNG export, with its data."""
    spec = MEASURES[measure]
    table = la_latest(year, since)
    fills, legend = classify(table[spec.column], spec.palette)
    values = table[["area_code", "name", spec.column]].rename(columns={spec.column: "value"})
    values["label"] = values["value"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    chart = static_map(
        la_features(),
        "area_code",
        values,
        fills,
        legend,
        f"England: {spec.label(year, since)}",
        spec.label(year, since),
    )
    _, _, sentence = la_map(measure, year, since)
    return Export(
        f"england_map_{measure}",
        chart,
        values.drop(columns="label"),
        sentence,
        footer_lines(
            "England, 153 local authorities",
            academic_year(year),
            False,
            "Quantile classes: about 30 LAs in each colour; grey = no value.",
            f"{GLD_SOURCE} {BOUNDARY_SOURCE}" + (f" {TARGET_SOURCE}" if "target" in spec.label(year, since) else ""),
        ),
    )
