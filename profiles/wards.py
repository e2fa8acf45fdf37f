"""Ward-level context for one LA: deprivation and child population, filters, map and LA context.

GLD is not published below LA level; these are IoD2019 LSOA ranks and mid-2015 populations
aggregated to December 2023 wards during the build (see the `wards` table in data/SCHEMA.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from profiles.db import query
from profiles.groups import in_sentence
from profiles.maps import (
    DISTRICT_MAP_HEIGHT,
    CompactDeck,
    Legend,
    choropleth,
    classify,
    decile_colours,
    ward_borders,
    ward_shapes,
)
from profiles.targets import academic_year


@dataclass(frozen=True)
class WardMeasure:
    """A ward measure that can colour the map."""

    column: str
    label: str
    kind: str  # 'rank' (1 = most deprived), 'decile', 'count' or 'percent'


WARD_MEASURES: dict[str, WardMeasure] = {
    "idaci_decile": WardMeasure("idaci_decile", "IDACI national ward decile (1 = most deprived)", "decile"),
    "idaci_avg_rank": WardMeasure("idaci_avg_rank", "IDACI average rank (1 = most deprived)", "rank"),
    "imd_decile": WardMeasure("imd_decile", "IMD national ward decile (1 = most deprived)", "decile"),
    "imd_avg_rank": WardMeasure("imd_avg_rank", "IMD average rank (1 = most deprived)", "rank"),
    "children_0_15": WardMeasure("children_0_15", "Children aged 0–15 (mid-2015)", "count"),
    "pct_children_idaci_decile1": WardMeasure(
        "pct_children_idaci_decile1", "% of children in the most deprived IDACI decile", "percent"
    ),
}
DEFAULT_MEASURE = "idaci_decile"  # the map's colour on a first visit (with `WardFilters()`: the page's first view)
DECILE_FILTERS = {"idaci_decile": "IDACI ward decile", "imd_decile": "IMD ward decile"}
METHOD_NOTE = (
    "GLD is not published by ward. Ward figures are built from the English Indices of Deprivation 2019 "
    "(LSOA ranks, rank 1 = most deprived) and mid-2015 populations: each 2011 LSOA is assigned to the "
    "December 2023 ward containing its centre (6 LSOAs snapped to the nearest ward); IMD ranks are "
    "population-weighted and IDACI ranks child-weighted. 58 small wards contain no LSOA centre: their "
    "values are estimated by overlapping LSOA areas and they are outlined in orange."
)


@dataclass(frozen=True)
class WardFilters:
    """What the analyst has chosen: wards by name, a decile range, a minimum number of children."""

    ward_codes: tuple[str, ...] = ()
    decile_measure: str = "idaci_decile"
    decile_range: tuple[int, int] = (1, 10)
    min_children: int = 0


@st.cache_data(show_spinner=False, max_entries=256)
def ward_table(area_code: str) -> pd.DataFrame:
    """All December 2023 wards of one LA with their indicators."""
    return query(
        "SELECT ward_code, ward_name, lad_code, population, children_0_15, imd_avg_rank, idaci_avg_rank, "
        "pct_lsoas_imd_decile1, pct_children_idaci_decile1, imd_decile, idaci_decile, method "
        "FROM wards WHERE area_code = ? ORDER BY ward_name",
        [area_code],
    )


def apply_filters(wards: pd.DataFrame, filters: WardFilters) -> pd.DataFrame:
    """Wards passing every filter (an empty name list means every ward)."""
    low, high = sorted(filters.decile_range)  # a range written high to low (from a link) means the same
    keep = wards[filters.decile_measure].between(low, high) & (wards["children_0_15"] >= filters.min_children)
    if filters.ward_codes:
        keep &= wards["ward_code"].isin(filters.ward_codes)
    return wards[keep]


def parse_decile_range(text: str | None) -> tuple[int, int] | None:
    """An old link's '1-3' → (1, 3); None for anything else (reversed, outside 1–10, not ASCII digits)."""
    if not text or len(text) > 5:
        return None
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    low, high = int(parts[0]), int(parts[1])
    return (low, high) if 1 <= low <= high <= 10 else None


@st.cache_resource(show_spinner=False, max_entries=256)
def ward_map_for(area_code: str, measure: str, shown_codes: tuple[str, ...]) -> tuple[CompactDeck, Legend]:
    """`ward_map` of an LA's wards with `shown_codes` not faded, built once and shared.

    Building the deck and its JSON is most of the wards page's server time. A cached deck is never
    changed (its JSON is made once, see `maps.CompactDeck`), so sessions can share it; the 153 LAs'
    unfiltered maps come to about 5.4 MB of JSON.
    """
    wards = ward_table(area_code)
    return ward_map(area_code, measure, wards[wards["ward_code"].isin(shown_codes)], wards)


def ward_map(area_code: str, measure: str, shown: pd.DataFrame, all_wards: pd.DataFrame) -> tuple[CompactDeck, Legend]:
    """The ward choropleth: every ward drawn, filtered-out wards faded, estimated wards outlined."""
    spec = WARD_MEASURES[measure]
    codes = tuple(all_wards["ward_code"])
    shapes = ward_shapes(codes).merge(all_wards, on="ward_code", how="left")
    if spec.kind == "decile":
        fills, legend = decile_colours(shapes[spec.column])
    else:
        fills, legend = classify(shapes[spec.column], "purples", decimals=0, reverse=spec.kind == "rank")
    visible = set(shown["ward_code"])
    shapes["fill"] = [fill if code in visible else [255, 255, 255, 0] for fill, code in zip(fills, shapes["ward_code"])]
    shapes["value"] = [
        "no value" if pd.isna(v) else (f"{v:,.0f}" if spec.kind != "percent" else f"{v:.1f}%")
        for v in shapes[spec.column]
    ]
    shapes["estimated"] = shapes["method"].map({"area_weighted": "yes: area-weighted estimate"}).fillna("no")
    shapes["children_text"] = shapes["children_0_15"].map(lambda v: f"{v:,.0f}")
    shapes = shapes[
        [
            "ward_code",
            "ward_name",
            "value",
            "children_text",
            "idaci_decile",
            "imd_decile",
            "estimated",
            "polygon",
            "fill",
            "method",
        ]
    ]
    estimated = set(shapes.loc[shapes["method"] == "area_weighted", "ward_code"])
    deck = choropleth(
        shapes.drop(columns="method"),
        "<b>{ward_name}</b> ({ward_code})<br/>" + spec.label + ": <b>{value}</b><br/>Children 0–15: {children_text}"
        "<br/>IDACI decile {idaci_decile} · IMD decile {imd_decile}<br/>Estimated: {estimated}",
        "ward_choropleth",
        highlight_key="ward_code",
        highlighted=estimated,
        highlight_colour=[234, 88, 12, 255],
        borders=ward_borders(codes),
    )
    return deck, legend


@st.cache_data(show_spinner=False, max_entries=256)
def la_context(area_code: str) -> dict:
    """LA deprivation (IoD2019 and IoD2025), latest FSM eligibility and latest GLD (all and FSM, with precision)."""
    deprivation = query("SELECT * FROM deprivation_la WHERE area_code = ? ORDER BY edition", [area_code])
    fsm = query(
        "SELECT year, pct_primary_fsm, pct_secondary_fsm FROM fsm_eligibility WHERE area_code = ? "
        "AND pct_primary_fsm IS NOT NULL ORDER BY year DESC LIMIT 1",
        [area_code],
    )
    gld = query(
        "SELECT pupil_group, pct, decimals, year FROM gld WHERE area_code = ? AND year = (SELECT max(year) FROM gld) "
        "AND pupil_group IN ('all', 'fsm')",
        [area_code],
    )
    return {"deprivation": deprivation, "fsm": fsm, "gld": gld}


def context_rows(area_code: str) -> tuple[list[tuple[str, list[tuple[str, str]]]], str]:
    """The LA as a whole beside its ward map: figure rows (latest GLD, primary FSM eligibility) and one
    paragraph on its deprivation (each IoD edition's rank and share of most deprived neighbourhoods)."""
    from profiles.numbers import pct

    context = la_context(area_code)
    rows = []
    gld = context["gld"].set_index("pupil_group")
    if not gld.empty:
        year = academic_year(int(gld["year"].iloc[0]))
        for group, label in (("all", "all children"), ("fsm", "FSM-eligible")):
            value = gld["pct"].get(group)
            rows.append((f"GLD {year}, {label}", [(pct(value, gld["decimals"].get(group)), "")]))
    if not context["fsm"].empty:
        row = context["fsm"].iloc[0]
        rows.append((f"Primary pupils eligible for FSM (Jan {int(row['year'])})", [(pct(row["pct_primary_fsm"]), "")]))
    lines = [
        f"**{row.edition}**: IMD rank of average score {int(row.imd_rank_of_avg_score)} of "
        f"{int(row.rank_of_avg_score_out_of)} (1 = most deprived); "
        f"{row.imd_prop_lsoas_most_deprived_10pct * 100:.0f}% of neighbourhoods in England's most deprived 10%"
        + (f"; IDACI rank {int(row.idaci_rank_of_avg_score)}" if pd.notna(row.idaci_rank_of_avg_score) else "")
        + "."
        for row in context["deprivation"].itertuples()
    ]
    return rows, "\n\n".join(lines)


def ward_labels(wards: pd.DataFrame) -> dict[str, str]:
    """Each ward's name as the picker shows it and the link carries it: the name, with its code where
    another ward of the LA has the same name (Kent has two 'Bridge' wards)."""
    repeated = wards["ward_name"].duplicated(keep=False)
    return {
        code: f"{name} ({code})" if twin else name
        for code, name, twin in zip(wards["ward_code"], wards["ward_name"], repeated)
    }


WARD_COLUMNS = {
    "ward_code": "Ward code",
    "ward_name": "Ward",
    "lad_code": "District",
    "population": "Population (2015)",
    "children_0_15": "Children 0–15",
    "imd_avg_rank": "IMD avg rank",
    "idaci_avg_rank": "IDACI avg rank",
    "pct_lsoas_imd_decile1": "% LSOAs IMD decile 1",
    "pct_children_idaci_decile1": "% children IDACI decile 1",
    "imd_decile": "IMD ward decile",
    "idaci_decile": "IDACI ward decile",
    "method": "Method",
}
METHOD_LABELS = {"lsoa_point": "LSOA centres", "area_weighted": "area-weighted (estimate)"}


def ward_grid(shown: pd.DataFrame) -> pd.DataFrame:
    """Every ward shown, every column, with readable names: the sortable grid and its CSV."""
    table = shown[list(WARD_COLUMNS)].rename(columns=WARD_COLUMNS)
    table["Method"] = table["Method"].map(METHOD_LABELS)
    return table


MAP_NOTE = (
    "Outline only: wards outside the filters. Orange outline: values estimated by area weighting. No base map: "
    "boundaries ONS December 2023. Zoom with the mouse wheel or a double click, drag to move (the view stays when "
    "you change LA or filters, until you press Reset map view); click a ward to add it to the wards chosen by name."
)
DISTRICT_NOTE = (
    "District GLD is published for 2021/22 only (official EYFSP 2021/22 file); it is not comparable with 2018/19 "
    "and later years are published by upper-tier LA only."
)
# How the sortable grid shows its numbers: counts and ranks whole, shares to 1 dp.
GRID_FORMATS = {
    "Population (2015)": st.column_config.NumberColumn(format="%.0f"),
    "Children 0–15": st.column_config.NumberColumn(format="%.0f"),
    "IMD avg rank": st.column_config.NumberColumn(format="%.0f"),
    "IDACI avg rank": st.column_config.NumberColumn(format="%.0f"),
    "% LSOAs IMD decile 1": st.column_config.NumberColumn(format="%.1f"),
    "% children IDACI decile 1": st.column_config.NumberColumn(format="%.1f"),
}

DISTRICT_COLUMNS = {
    "lad_code": "District code",
    "lad_name": "District",
    "gld_all": "GLD all %",
    "gld_fsm": "GLD FSM %",
    "children_all": "Children",
    "children_fsm": "FSM children",
}


def summary(name: str, wards: pd.DataFrame, shown: pd.DataFrame) -> str:
    """One sentence about the filtered wards (doubles as the map's alt text)."""
    if shown.empty:
        return f"No ward of {name} matches these filters."
    children = shown["children_0_15"].sum()
    share = children / wards["children_0_15"].sum() * 100 if wards["children_0_15"].sum() else 0
    most = shown.sort_values("idaci_avg_rank").iloc[0]
    return (
        f"{len(shown)} of {name}'s {len(wards)} wards match, home to about {children:,.0f} children aged 0–15 "
        f"({share:.0f}% of the LA's, mid-2015). The most income-deprived for children is {most['ward_name']} "
        f"(IDACI ward decile {most['idaci_decile']})."
    )


TOP_WARDS = 10


def top_wards(shown: pd.DataFrame, measure: str, count: int = TOP_WARDS) -> tuple[pd.DataFrame, str]:
    """The first `count` wards by need among those shown, by the map's measure, and a caption.

    Need is the lowest rank or decile (1 = most deprived), the most children, or the highest share
    of children in the most deprived IDACI decile; ties go to the ward whose children are more
    income-deprived (lower IDACI rank). Columns: the ward, the measure, the IDACI rank (the
    tie-break), children, both deciles, and whether the ward's values are area-weighted estimates.
    """
    spec = WARD_MEASURES[measure]
    lowest_first = spec.kind in ("rank", "decile")
    top = shown.sort_values(
        [spec.column, "idaci_avg_rank"], ascending=[lowest_first, True], na_position="last", kind="stable"
    ).head(count)
    columns = {
        "ward_name": "Ward",
        spec.column: spec.label,
        "idaci_avg_rank": "IDACI avg rank",
        "children_0_15": "Children 0–15",
        "idaci_decile": "IDACI ward decile",
        "imd_decile": "IMD ward decile",
    }
    table = top[list(columns)].rename(columns=columns)
    for column, label in columns.items():
        if column not in ("ward_name", "pct_children_idaci_decile1"):
            table[label] = table[label].round().astype("Int64")  # ranks, deciles and children are whole
    table["Estimated"] = (top["method"] == "area_weighted").to_numpy()
    order = {"rank": "most deprived first", "decile": "most deprived first", "count": "most children first"}
    if len(table) < len(shown):
        lead = f"The first {len(table)} of the {len(shown)} wards shown"
    else:
        lead = f"The {len(shown)} ward{'' if len(shown) == 1 else 's'} shown"
    caption = f"{lead}, by {spec.label}, {order.get(spec.kind, 'highest first')}"
    return table, caption


@st.cache_data(show_spinner=False, max_entries=128)
def district_gld(area_code: str) -> pd.DataFrame:
    """2021/22 GLD (all and FSM) of the shire districts of a county: one row per district."""
    return query(
        "SELECT lad_code, any_value(lad_name) AS lad_name, "
        "max(CASE WHEN pupil_group = 'all' THEN pct END) AS gld_all, "
        "max(CASE WHEN pupil_group = 'fsm' THEN pct END) AS gld_fsm, "
        "max(CASE WHEN pupil_group = 'all' THEN children END) AS children_all, "
        "max(CASE WHEN pupil_group = 'fsm' THEN children END) AS children_fsm "
        "FROM gld_district_2022 WHERE area_code = ? GROUP BY lad_code ORDER BY lad_name",
        [area_code],
    )


def district_map(area_code: str, group: str) -> tuple[CompactDeck, Legend, pd.DataFrame] | None:
    """The county's districts coloured by 2021/22 GLD (all or FSM); None if it has no districts."""
    from profiles.maps import district_shapes

    table = district_gld(area_code)
    if table.empty:
        return None
    shapes = district_shapes(tuple(table["lad_code"]))
    if shapes.empty:
        return None
    shapes = shapes.merge(table, on="lad_code", how="left")
    column = f"gld_{group}"
    fills, legend = classify(shapes[column], "blues")
    shapes["fill"] = fills
    shapes["value"] = [
        "suppressed" if pd.isna(v) else f"{v:.1f}% of {int(n):,} children" + (" (low reliability)" if n < 30 else "")
        for v, n in zip(shapes[column], shapes[f"children_{group}"].fillna(0))
    ]
    label = in_sentence(group)
    deck = choropleth(
        shapes[["lad_code", "lad_name", "value", "polygon", "fill"]],
        "<b>{lad_name}</b> ({lad_code})<br/>GLD 2021/22, " + label + ": <b>{value}</b>",
        "district_choropleth",
        height=DISTRICT_MAP_HEIGHT,
    )
    return deck, legend, table.rename(columns=DISTRICT_COLUMNS)
