"""England overview: England against 75 %, a map of all 153 LAs, and a table of every LA."""

from __future__ import annotations

from datetime import date

import streamlit as st

from profiles import queries
from profiles.maps import LA_MAP_HEIGHT, legend_html
from profiles.overview import (
    BANDS,
    MAP_NOTE,
    MEASURES,
    TABLE_NOTE,
    england_trajectory_export,
    filter_table,
    la_map,
    la_map_export,
    overview_table,
    region_choices,
    row_code,
)
from profiles.targets import academic_year
from views.common import copy_link, csv_button, data_table, export_buttons, png_buttons, show_chart
from views.shell import current_la, open_profile, picked_this_run

URL_PATH = "overview"


def clicked_la() -> str | None:
    """The LA just clicked on the map, if any (its selection is in session state before the rerun)."""
    event = st.session_state.get("overview_map")
    picked = (event.get("selection", {}).get("objects", {}) or {}).get("la_choropleth", []) if event else []
    return picked[0]["area_code"] if picked else None


def england_section(latest: int) -> None:
    england = england_trajectory_export(latest)
    st.markdown(england.alt_text)
    show_chart(england)
    data_table(england)
    export_buttons(england, "england_trajectory")


def map_section(latest: int, since: int) -> None:
    """The LA map and its measure picker. (Not a fragment: a click selection inside a fragment was
    sometimes dropped in browser tests, and the page reruns fast enough without one.)"""
    st.subheader("Every local authority on a map")
    measure = st.selectbox(
        "Measure", list(MEASURES), format_func=lambda m: MEASURES[m].choice, key="map", bind="query-params"
    )
    deck, legend, sentence = la_map(measure, latest, since)
    st.markdown(sentence)
    st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="overview_map", height=LA_MAP_HEIGHT)
    st.markdown(legend_html(legend, MEASURES[measure].label(latest, since), MAP_NOTE), unsafe_allow_html=True)
    with st.container(horizontal=True):
        png_buttons(
            lambda: la_map_export(measure, latest, since),
            f"England_map_{measure}_{date.today():%Y-%m-%d}",
            "la_map_png",
            "of the map",
        )


def table_section(latest: int, since: int) -> None:
    """Every LA, filtered by region and quarter; a row click opens its profile."""
    st.subheader(f"Every local authority, {academic_year(latest)}")
    table = overview_table(latest, since)
    left, right = st.columns(2)
    regions = left.multiselect(
        "Regions",
        region_choices(table),
        key="regions",
        placeholder="All regions",
        bind="query-params",
    )
    band = right.selectbox("Band of GLD (all children)", list(BANDS), key="band", bind="query-params")
    shown = filter_table(table, regions, band)
    st.caption(f"{len(shown)} LAs. {TABLE_NOTE}")
    selection = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="overview_table"
    )
    csv_button(shown, "Download CSV of these LAs", f"gld_las_{latest}.csv", "dl_las")
    rows = selection.selection.get("rows", []) if selection else []
    if rows:
        open_profile(row_code(shown, rows[0]))


def render() -> None:
    """England against the ambition, the LA map and the table of every LA."""
    if picked_this_run() and current_la():
        open_profile(current_la())  # choosing an LA on the overview opens its profile
    if code := clicked_la():  # a click on the map, handled before anything is drawn
        st.session_state.pop("overview_map", None)  # handled: do not reopen it on the way back
        open_profile(code)
    st.title("Good level of development in England")
    latest, since = queries.latest_year(), queries.first_new_framework_year()
    st.caption(
        f"End-of-Reception results (DfE EYFSP) to {academic_year(latest)} for England and its 153 local "
        "authorities, against the national ambition of 75% by 2028."
    )
    england_section(latest)
    map_section(latest, since)
    table_section(latest, since)
    copy_link()
