"""Ward-level context for one LA: deprivation, children in low-income families, filters, map, LA context.

GLD is not published below LA level. Ward figures are built from IoD2025 LSOA ranks and the IDACI
numerator through ONS's best-fit LSOA 2021 → May 2024 ward lookup, and from DWP's children in
relative low income by May 2024 ward (see the `wards` table in data/SCHEMA.md).
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

# What each source is, for labels, notes, PNG footers and CSVs.
IOD = "IoD2025"  # English Indices of Deprivation 2025: indicators mostly from 2022
DWP = "DWP, FYE 2025"  # children in relative low income, financial year ending March 2025
VINTAGES = (
    "IoD2025 (English Indices of Deprivation 2025; its indicators mostly date from 2022); DWP children aged 0–15 "
    "in relative low income after housing costs, FYE 2025 and FYE 2024 (rounded; may be revised); May 2024 wards"
)

WARD_SOURCE = (
    "Source: MHCLG English Indices of Deprivation 2025 (LSOA 2021); DWP and HMRC Children in low income families "
    "(Stat-Xplore); ONS LSOA 2021 to ward (May 2024) best-fit lookup and LSOA 2021 boundaries."
)


@dataclass(frozen=True)
class WardMeasure:
    """A ward measure that can colour the map, with its source and year in its label."""

    column: str
    label: str
    kind: str  # 'rank' (1 = most deprived), 'decile', 'count', 'percent' or 'change' (percentage points)


WARD_MEASURES: dict[str, WardMeasure] = {
    "idaci_decile": WardMeasure("idaci_decile", f"IDACI ward decile, {IOD} (1 = most deprived)", "decile"),
    "pct_low_income_2025": WardMeasure(
        "pct_low_income_2025", f"% of children in relative low income, {DWP}", "percent"
    ),
    "low_income_children_2025": WardMeasure(
        "low_income_children_2025", f"Children in relative low income, {DWP}", "count"
    ),
    "low_income_change": WardMeasure(
        "low_income_change", "Change in % of children in relative low income, FYE 2024 to 2025", "change"
    ),
    "income_deprived_children": WardMeasure(
        "income_deprived_children", f"Children in income-deprived families, {IOD} (IDACI)", "count"
    ),
    "idaci_avg_rank": WardMeasure("idaci_avg_rank", f"IDACI average LSOA rank, {IOD} (1 = most deprived)", "rank"),
    "imd_decile": WardMeasure("imd_decile", f"IMD ward decile, {IOD} (1 = most deprived)", "decile"),
    "imd_avg_rank": WardMeasure("imd_avg_rank", f"IMD average LSOA rank, {IOD} (1 = most deprived)", "rank"),
    "children_0_15": WardMeasure("children_0_15", f"Children aged 0–15 (implied by {DWP})", "count"),
}
DEFAULT_MEASURE = "idaci_decile"  # the map's colour on a first visit (with `WardFilters()`: the page's first view)
DECILE_FILTERS = {"idaci_decile": "IDACI ward decile", "imd_decile": "IMD ward decile"}
PALETTE_OF_KIND = {"count": "purples", "percent": "purples", "rank": "purples", "change": "oranges"}


def method_note(name: str, wards: pd.DataFrame) -> str:
    """How this LA's ward figures were made, with its own count of wards that have no deprivation figures."""
    without = int((wards["method"] == "no_lsoa").sum())
    text = (
        f"GLD is not published by ward. Deprivation: {IOD} ranks of the neighbourhoods (LSOAs, 2021) that ONS's "
        "best-fit lookup puts in each May 2024 ward, averaged with each LSOA counting equally (the files give no "
        "population to weight by); IoD2025's indicators mostly date from 2022. Children in relative low income "
        f"after housing costs: {DWP} (rounded, may be revised); children aged 0–15 = that number ÷ its percentage. "
        "Ward shapes are those LSOAs joined together (May 2024 boundaries are not in the files), so their edges "
        "follow LSOA boundaries."
    )
    if without:
        text += (
            f" {without} of {name}'s {len(wards)} wards {'has' if without == 1 else 'have'} no LSOA of "
            f"{'its' if without == 1 else 'their'} own in the lookup: low-income figures but no deprivation "
            "figures and no shape on the map."
        )
    return text


@dataclass(frozen=True)
class WardFilters:
    """What the analyst has chosen: wards by name, a decile range, a minimum number of children aged 0–15."""

    ward_codes: tuple[str, ...] = ()
    decile_measure: str = "idaci_decile"
    decile_range: tuple[int, int] = (1, 10)
    min_children: int = 0


@st.cache_data(show_spinner=False, max_entries=256)
def ward_table(area_code: str) -> pd.DataFrame:
    """All May 2024 wards of one LA with their indicators (`low_income_change` in percentage points)."""
    wards = query(
        "SELECT ward_code, ward_name, lad_code, lad_name, lsoas, children_0_15, low_income_children_2025, "
        "low_income_children_2024, pct_low_income_2025, pct_low_income_2024, income_deprived_children, "
        "income_deprived_suppressed, imd_avg_rank, idaci_avg_rank, pct_lsoas_imd_decile1, pct_lsoas_idaci_decile1, "
        "imd_decile, idaci_decile, method FROM wards WHERE area_code = ? ORDER BY ward_name",
        [area_code],
    )
    wards["low_income_change"] = (wards["pct_low_income_2025"] - wards["pct_low_income_2024"]).round(1)
    return wards


def apply_filters(wards: pd.DataFrame, filters: WardFilters) -> pd.DataFrame:
    """Wards passing every filter (an empty name list means every ward).

    A ward with no deprivation figures passes the decile filter only while it is the whole range,
    and a ward with no child count only while the minimum is 0: a filter never keeps what it cannot
    judge.
    """
    low, high = sorted(filters.decile_range)  # a range written high to low (from a link) means the same
    deciles = wards[filters.decile_measure]
    whole_range = (low, high) == (1, 10)
    keep = deciles.between(low, high) | (deciles.isna() & whole_range)
    keep &= wards["children_0_15"].fillna(0) >= filters.min_children
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
    changed (its JSON is made once, see `maps.CompactDeck`), so sessions can share it.
    """
    wards = ward_table(area_code)
    return ward_map(area_code, measure, wards[wards["ward_code"].isin(shown_codes)], wards)


def measure_colours(values: pd.Series, measure: str) -> tuple[list[list[int]], Legend]:
    """The colour of each ward's value and the legend: national deciles in ten fixed colours, others in
    quantile classes (darker = more deprived, more children, or a larger rise)."""
    spec = WARD_MEASURES[measure]
    if spec.kind == "decile":
        return decile_colours(values)
    decimals = 1 if spec.kind in ("percent", "change") else 0
    return classify(values, PALETTE_OF_KIND[spec.kind], decimals=decimals, reverse=spec.kind == "rank")


def value_text(value: object, kind: str) -> str:
    """A ward's value as the map's tooltip and the PNG show it."""
    if pd.isna(value):
        return "no value"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "change":
        return f"{value:+.1f} percentage points"
    return f"{value:,.0f}"


def ward_map(area_code: str, measure: str, shown: pd.DataFrame, all_wards: pd.DataFrame) -> tuple[CompactDeck, Legend]:
    """The ward choropleth: every ward with a shape drawn, wards outside the filters faded.

    The tooltip names the ward and its district and gives the measure, the children and both deciles.
    """
    spec = WARD_MEASURES[measure]
    codes = tuple(all_wards["ward_code"])
    shapes = ward_shapes(codes).merge(all_wards, on="ward_code", how="left")
    # Classes from one value per ward, as the PNG export makes them (a ward in several parts has a
    # shape row for each, which would weigh it more in the quantiles).
    fills, legend = measure_colours(all_wards[spec.column], measure)
    fill_of = dict(zip(all_wards["ward_code"], fills, strict=True))
    visible = set(shown["ward_code"])
    shapes["fill"] = [fill_of[code] if code in visible else [255, 255, 255, 0] for code in shapes["ward_code"]]
    shapes["value"] = [value_text(v, spec.kind) for v in shapes[spec.column]]
    shapes["children_text"] = [value_text(v, "count") for v in shapes["children_0_15"]]
    shapes["low_income_text"] = [value_text(v, "percent") for v in shapes["pct_low_income_2025"]]
    for column in ("idaci_decile", "imd_decile"):
        shapes[column] = shapes[column].astype("Int64").astype(str).replace("<NA>", "–")
    shapes = shapes[
        [
            "ward_code",
            "ward_name",
            "lad_name",
            "value",
            "children_text",
            "low_income_text",
            "idaci_decile",
            "imd_decile",
            "polygon",
            "fill",
        ]
    ]
    deck = choropleth(
        shapes,
        "<b>{ward_name}</b>, {lad_name}<br/>" + spec.label + ": <b>{value}</b><br/>Children aged 0–15: "
        "{children_text} · in relative low income: {low_income_text}<br/>IDACI ward decile {idaci_decile} · "
        "IMD ward decile {imd_decile}",
        "ward_choropleth",
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
    low_income = query(
        "SELECT fye, children, pct FROM low_income_la WHERE area_code = ? ORDER BY fye DESC LIMIT 1", [area_code]
    )
    return {"deprivation": deprivation, "fsm": fsm, "gld": gld, "low_income": low_income}


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
    if not context["low_income"].empty:
        row = context["low_income"].iloc[0]
        rows.append(
            (
                f"Children in relative low income (DWP, FYE {int(row['fye'])})",
                [(pct(row["pct"]), f"{int(row['children']):,} children aged 0–15")],
            )
        )
    # IoD2019 is kept for the LA as a whole only: beside IoD2025 it shows how the LA's rank moved.
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
    "ward_code": "Ward code (May 2024)",
    "ward_name": "Ward",
    "lad_name": "District",
    "children_0_15": f"Children aged 0–15 ({DWP})",
    "low_income_children_2025": f"Children in relative low income ({DWP})",
    "pct_low_income_2025": f"% in relative low income ({DWP})",
    "pct_low_income_2024": "% in relative low income (DWP, FYE 2024)",
    "low_income_change": "Change FYE 2024 to 2025 (percentage points)",
    "income_deprived_children": f"Children in income-deprived families ({IOD})",
    "imd_avg_rank": f"IMD average LSOA rank ({IOD})",
    "idaci_avg_rank": f"IDACI average LSOA rank ({IOD})",
    "pct_lsoas_imd_decile1": f"% of LSOAs in IMD decile 1 ({IOD})",
    "pct_lsoas_idaci_decile1": f"% of LSOAs in IDACI decile 1 ({IOD})",
    "imd_decile": f"IMD ward decile ({IOD})",
    "idaci_decile": f"IDACI ward decile ({IOD})",
    "lsoas": "LSOAs (2021)",
    "method": "Deprivation figures",
}
METHOD_LABELS = {"best_fit": "from its LSOAs", "no_lsoa": "none: no LSOA of its own"}


def ward_grid(shown: pd.DataFrame) -> pd.DataFrame:
    """Every ward shown, every column, named with its source and year, as published: counts and ranks
    whole, percentages to one decimal place. The sortable grid and its CSV."""
    table = shown[list(WARD_COLUMNS)].copy()
    for column in ("imd_avg_rank", "idaci_avg_rank"):
        table[column] = table[column].round().astype("Int64")
    for column in ("pct_lsoas_imd_decile1", "pct_lsoas_idaci_decile1"):
        table[column] = table[column].round(1)
    table = table.rename(columns=WARD_COLUMNS)
    table[WARD_COLUMNS["method"]] = table[WARD_COLUMNS["method"]].map(METHOD_LABELS)
    return table


MAP_NOTE = (
    "Outline only: wards outside the filters. No base map; ward shapes are their LSOAs joined (ONS best-fit, May "
    "2024 wards). Zoom with the mouse wheel or a double click, drag to move (the view stays when you change LA or "
    "filters, until you press Reset map view); click a ward to add it to the wards chosen by name."
)
DISTRICT_NOTE = (
    "District GLD is published for 2021/22 only (official EYFSP 2021/22 file); it is not comparable with 2018/19 "
    "and later years are published by upper-tier LA only."
)
# How the sortable grid shows its numbers, as published: counts and ranks whole, shares to 1 dp.
GRID_FORMATS = {
    WARD_COLUMNS[column]: st.column_config.NumberColumn(format="%.0f")
    for column in ("children_0_15", "low_income_children_2025", "income_deprived_children", "imd_avg_rank")
} | {
    WARD_COLUMNS[column]: st.column_config.NumberColumn(format="%.1f")
    for column in ("pct_low_income_2025", "pct_low_income_2024", "low_income_change", "pct_lsoas_imd_decile1")
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
    children, all_children = shown["children_0_15"].sum(), wards["children_0_15"].sum()
    share = f" ({children / all_children * 100:.0f}% of the LA's)" if all_children else ""
    low_income = shown["low_income_children_2025"].sum()
    text = (
        f"{len(shown)} of {name}'s {len(wards)} wards match, home to about {children:,.0f} children aged 0–15"
        f"{share}, {low_income:,.0f} of them in relative low income ({DWP})."
    )
    ranked = shown.dropna(subset=["idaci_avg_rank"])
    if not ranked.empty:
        most = ranked.sort_values("idaci_avg_rank").iloc[0]
        text += (
            f" The most income-deprived for children is {most['ward_name']} (IDACI ward decile "
            f"{int(most['idaci_decile'])}, {IOD})."
        )
    return text


TOP_WARDS = 10


def top_wards(shown: pd.DataFrame, measure: str, count: int = TOP_WARDS) -> tuple[pd.DataFrame, str]:
    """The first `count` wards by need among those shown, by the map's measure, and a caption.

    Need is the lowest rank or decile (1 = most deprived), the most children, the highest share or
    the largest rise; ties go to the ward whose children are more income-deprived (lower IDACI rank).
    Columns: the ward and its district, the measure, children and those in low income, both deciles.
    """
    spec = WARD_MEASURES[measure]
    lowest_first = spec.kind in ("rank", "decile")
    top = shown.sort_values(
        [spec.column, "idaci_avg_rank"], ascending=[lowest_first, True], na_position="last", kind="stable"
    ).head(count)
    columns = {"ward_name": "Ward", "lad_name": "District", spec.column: spec.label}
    standing = {
        "children_0_15": "Children aged 0–15",
        "pct_low_income_2025": f"% in relative low income ({DWP})",
        "idaci_decile": "IDACI ward decile",
        "imd_decile": "IMD ward decile",
    }
    columns |= {column: label for column, label in standing.items() if column not in columns}
    table = top[list(columns)].rename(columns=columns)
    whole = [spec.column] if spec.kind in ("rank", "decile", "count") else []
    for column in [*whole, "children_0_15", "idaci_decile", "imd_decile"]:
        table[columns[column]] = top[column].round().astype("Int64").to_numpy()
    order = {
        "rank": "most deprived first",
        "decile": "most deprived first",
        "count": "most children first",
        "change": "largest rise first",
    }
    if len(table) < len(shown):
        lead = f"The first {len(table)} of the {len(shown)} wards shown"
    else:
        lead = f"The {len(shown)} ward{'' if len(shown) == 1 else 's'} shown"
    caption = f"{lead}, by {spec.label}, {order.get(spec.kind, 'highest first')}"
    return table, caption


# The counts of children whose spread over the wards the page shows: column, name, what it counts.
CHILD_COUNTS = {
    "low_income_children_2025": ("children in relative low income", DWP),
    "income_deprived_children": ("children in income-deprived families", f"{IOD}, IDACI"),
}


def where_children_are(name: str, wards: pd.DataFrame, column: str) -> tuple[str, pd.DataFrame]:
    """The fewest wards that hold half of the LA's children counted by `column`, in a sentence, and the
    cumulative share of every ward (most children first): rank, ward, district, children, share, cumulative
    share, whether the ward is among that half.

    "12 of Birmingham's 69 wards hold half of its 115,184 children in relative low income (DWP, FYE 2025)".
    """
    what, source = CHILD_COUNTS[column]
    counted = wards.dropna(subset=[column]).sort_values([column, "ward_name"], ascending=[False, True])
    total = float(counted[column].sum())
    if counted.empty or total <= 0:
        return f"No ward figures for {what} in {name} ({source}).", counted.iloc[0:0]
    cumulative = counted[column].cumsum() / total * 100
    half = int((cumulative < 50).sum()) + 1  # the first ward whose running total reaches half
    data = pd.DataFrame(
        {
            "rank": range(1, len(counted) + 1),
            "ward": counted["ward_name"].to_numpy(),
            "district": counted["lad_name"].to_numpy(),
            "children": counted[column].round().astype("Int64").to_numpy(),
            "share_pct": (counted[column] / total * 100).round(1).to_numpy(),
            "cumulative_pct": cumulative.round(1).to_numpy(),
            "in_half": [position < half for position in range(len(counted))],
        }
    )
    missing = len(wards) - len(counted)
    note = f" ({missing} ward{'' if missing == 1 else 's'} with no figure left out)" if missing else ""
    names = list(data.loc[data["in_half"], "ward"])
    listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    sentence = (
        f"{half} of {name}'s {len(counted)} wards {'holds' if half == 1 else 'hold'} half of its {total:,.0f} "
        f"{what} ({source}){note}: {listed}."
    )
    return sentence, data


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


def half_of_the_children(data: pd.DataFrame) -> pd.DataFrame:
    """The wards that together hold half of the LA's children in relative low income, as a table."""
    rows = data[data["in_half"]]
    return pd.DataFrame(
        {
            "Ward": rows["ward"],
            "District": rows["district"],
            f"Children in relative low income ({DWP})": rows["children"],
            "% of the LA's": rows["share_pct"],
            "Running total (%)": rows["cumulative_pct"],
        }
    )
