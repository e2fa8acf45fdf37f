"""Wards: deprivation and child population by ward for one LA, filterable, beside the LA's outcomes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from profiles.areas import ENGLAND, area_name
from profiles.exports import safe_name
from profiles.groups import PUPIL_CHOICES
from profiles.maps import DISTRICT_MAP_HEIGHT, WARD_MAP_HEIGHT, legend_html
from profiles.page_exports import ward_exports, where_children_export
from profiles.wards import (
    DECILE_FILTERS,
    DEFAULT_MEASURE,
    DISTRICT_NOTE,
    GRID_FORMATS,
    MAP_NOTE,
    WARD_MEASURES,
    WardFilters,
    apply_filters,
    context_rows,
    district_gld,
    district_map,
    half_of_the_children,
    method_note,
    summary,
    top_wards,
    ward_grid,
    ward_labels,
    ward_map_for,
    ward_table,
)
from views.common import chart_block, copy_link, csv_button, figures_table, frame_table, lazy_expander, png_buttons
from views.shell import current_la

URL_PATH = "wards"
WARD_CHOICE = "ward_choice"  # session state: {LA code: (measure, WardFilters)} last shown (widgets forget)
FIRST_VIEW = WardFilters()  # the defaults the background warming builds each LA's map with


def map_key() -> str:
    """The ward map's key: 'Reset map view' gives the maps a new key, so they are drawn afresh, fitted."""
    return f"ward_map_{st.session_state.get('map_resets', 0)}"


def reset_map_view() -> None:
    st.session_state["map_resets"] = st.session_state.get("map_resets", 0) + 1


def add_clicked_ward(code: str) -> None:
    """A ward clicked on the map joins the wards chosen by name (before the picker is drawn).

    Each click is handled once, so removing the ward from the list later is not undone.
    """
    event = st.session_state.get(map_key())
    picked = (event.get("selection", {}).get("objects", {}) or {}).get("ward_choropleth", []) if event else []
    if not picked or st.session_state.get("ward_click_done") == (code, picked[0]["ward_code"]):
        return
    st.session_state["ward_click_done"] = (code, picked[0]["ward_code"])
    chosen = list(st.session_state.get("wards", []))
    if picked[0]["ward_code"] not in chosen:
        st.session_state["wards"] = [*chosen, picked[0]["ward_code"]]


def controls(code: str, wards: pd.DataFrame) -> tuple[str, WardFilters]:
    """The map's measure and the filters, one wrapping row, each bound to its URL parameter."""
    if st.session_state.get("wards_of") != code:  # another LA: its wards, not the last LA's
        st.session_state["wards_of"] = code
        if st.session_state.get("wards"):
            st.session_state["wards"] = []
    labels = ward_labels(wards)
    row = st.container(horizontal=True, gap="medium")  # one block to redraw on an LA switch
    measure = row.selectbox(
        "Colour the map by",
        list(WARD_MEASURES),
        format_func=lambda m: WARD_MEASURES[m].label,
        key="measure",
        index=list(WARD_MEASURES).index(DEFAULT_MEASURE),
        width=380,
        bind="query-params",
    )
    decile_by = row.radio(
        "Filter by decile of",
        list(DECILE_FILTERS),
        format_func=DECILE_FILTERS.get,
        key="decby",
        horizontal=True,
        width="content",
        bind="query-params",
    )
    min_children = row.number_input(
        "At least this many children aged 0–15",
        min_value=0,
        max_value=100_000,
        value=FIRST_VIEW.min_children,
        step=100,
        key="minkids",
        width=220,
        bind="query-params",
    )
    deciles = row.slider(
        "Decile range (1 = most deprived 10% of wards in England)",
        1,
        10,
        FIRST_VIEW.decile_range,
        key="dec",
        width=420,
        bind="query-params",
    )
    chosen = row.multiselect(
        "Wards by name",
        list(wards["ward_code"]),
        format_func=lambda c: labels.get(c, c),
        key="wards",
        placeholder="All wards",
        width="stretch",
        bind="query-params",
    )
    return measure, WardFilters(tuple(chosen), decile_by, tuple(deciles), int(min_children))


def map_section(code: str, measure: str, filters: WardFilters, shown: pd.DataFrame) -> None:
    deck, legend = ward_map_for(code, measure, tuple(shown["ward_code"]))
    st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=map_key(), height=WARD_MAP_HEIGHT)
    st.markdown(legend_html(legend, WARD_MEASURES[measure].label, MAP_NOTE), unsafe_allow_html=True)
    with st.container(horizontal=True):
        png_buttons(
            lambda: ward_exports(code, measure, filters)[0],
            f"{safe_name(area_name(code))}_wards_map_{measure}_{date.today():%Y-%m-%d}",
            "ward_png",
            "of the map",
        )
        st.button(
            "Reset map view",
            key="ward_view_reset",
            on_click=reset_map_view,
            icon=":material/fit_screen:",
            help="Fit the whole LA in the maps on this page again. A zoom or pan you make stays when you change LA "
            "or filters.",
        )


def context_panel(name: str, code: str) -> None:
    """The LA as a whole beside the ward map: latest GLD, FSM eligibility, deprivation."""
    rows, deprivation = context_rows(code)
    if rows:
        figures_table(f"{name} as a whole", ["Measure", "Value"], rows, compact=True)
    if deprivation:
        st.markdown(deprivation)  # one element: fewer for the browser to redraw on an LA switch


def where_children_section(code: str) -> None:
    """The fewest wards that hold half of the LA's children in low-income families (and income-deprived
    ones): sentences, the running-share chart, its data and exports, and those wards listed."""
    item = where_children_export(code)
    chart_block("Where the children are", item)
    if not item.data.empty:
        low_income = item.data[item.data["counted"].str.contains("low income")]
        frame_table(
            half_of_the_children(low_income),
            "The wards that hold half of the LA's children in relative low income, most first.",
        )


def district_layer(code: str, name: str) -> None:
    """For two-tier counties, on request: 2021/22 GLD by district (the only recent year published)."""
    if district_gld(code).empty:
        return
    if not st.toggle("Show 2021/22 GLD by district (two-tier county)", key="districts", bind="query-params"):
        return
    group = st.radio(
        "District GLD for",
        list(PUPIL_CHOICES),
        format_func=PUPIL_CHOICES.get,
        horizontal=True,
        key="dgroup",
        bind="query-params",
    )
    result = district_map(code, group)
    st.caption(DISTRICT_NOTE)
    if result is None:
        st.info(f"No district boundaries are available for {name}'s 2021/22 districts.")
        return
    deck, legend, table = result
    # "Reset map view" under the ward map resets this map too.
    st.pydeck_chart(deck, height=DISTRICT_MAP_HEIGHT, key=f"district_{map_key()}")
    st.markdown(legend_html(legend, "GLD 2021/22 (%)"), unsafe_allow_html=True)
    st.dataframe(table, hide_index=True, width="stretch")


def wards_list(code: str, measure: str, shown: pd.DataFrame) -> None:
    """The first ten wards by the map's measure; every ward shown in a sortable grid, on request; CSV."""
    st.subheader(f"{len(shown)} ward{'' if len(shown) == 1 else 's'}")
    if not shown.empty:
        frame_table(*top_wards(shown, measure))
    table = ward_grid(shown)
    # The sortable grid is drawn only when opened: it is the heaviest thing on the page for the
    # browser to redraw on every LA switch (docs/PERFORMANCE.md).
    grid = lazy_expander("All the wards shown, every column, sortable", "ward_grid_open")
    if grid is not None:
        grid.dataframe(table, hide_index=True, width="stretch", column_config=GRID_FORMATS)
    csv_button(table, "Download CSV of these wards", f"wards_{code}.csv", "dl_wards")


def render() -> None:
    """One LA's wards: controls, map and LA context, districts, the wards of most need."""
    st.title("Wards")
    st.caption(
        "Deprivation (English Indices of Deprivation 2025) and children in low-income families (DWP, FYE 2025) by "
        "May 2024 ward, for deciding where family hubs and outreach go."
    )
    code = current_la()
    if not code or code == ENGLAND:
        st.info("Choose a local authority above to see its wards.")
        return
    wards, name = ward_table(code), area_name(code)
    if wards.empty:
        st.warning(f"No ward data for {name}.")
        return
    add_clicked_ward(code)
    st.header(name)
    st.info(method_note(name, wards), icon="ℹ️")
    measure, filters = controls(code, wards)
    st.session_state.setdefault(WARD_CHOICE, {})[code] = (measure, filters)  # for the report and pack
    shown = apply_filters(wards, filters)
    st.markdown(summary(name, wards, shown))
    left, right = st.columns([3, 1])
    with left:
        map_section(code, measure, filters, shown)
    with right:
        context_panel(name, code)
    where_children_section(code)
    district_layer(code, name)
    wards_list(code, measure, shown)
    copy_link()
