"""England overview: England against 75 %, a map of all 153 LAs, and a table of every LA."""

from __future__ import annotations

import streamlit as st

from profiles import queries
from profiles.maps import LA_MAP_HEIGHT, legend_html
from profiles.overview import MEASURES, england_trajectory_export, la_map, la_map_export, overview_table
from profiles.targets import academic_year
from views.common import copy_link, data_table, export_buttons, png_button, set_query_param, show_chart
from views.state import current_la, open_profile, picked_this_run


def clicked_la() -> str | None:
    """The LA just clicked on the map, if any (its selection is in session state before the rerun)."""
    event = st.session_state.get("overview_map")
    picked = (event.get("selection", {}).get("objects", {}) or {}).get("la_choropleth", []) if event else []
    return picked[0]["area_code"] if picked else None


def map_section(latest: int, since: int) -> None:
    """The LA map and its measure picker. (Not a fragment: a click selection inside a fragment was
    sometimes dropped in browser tests, and the page reruns fast enough without one.)"""
    st.subheader("Every local authority on a map")
    url_measure = st.query_params.get("map")
    if url_measure in MEASURES and url_measure != st.session_state.get("measure_in_url"):
        st.session_state["overview_measure"] = url_measure
    st.session_state["measure_in_url"] = url_measure
    measure = st.selectbox(
        "Measure", list(MEASURES), format_func=lambda m: MEASURES[m].label(latest, since), key="overview_measure"
    )
    set_query_param("map", measure)
    st.session_state["measure_in_url"] = measure
    deck, legend, sentence = la_map(measure, latest, since)
    st.markdown(sentence)
    st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="overview_map", height=LA_MAP_HEIGHT)
    note = (
        "Hover for a value; click an LA to open its profile. Quantile colours: about 30 LAs in each class; "
        "grey = no value. Boundaries: ONS, December 2023."
    )
    st.markdown(legend_html(legend, MEASURES[measure].label(latest, since), note), unsafe_allow_html=True)
    png_button(
        lambda: la_map_export(measure, latest, since), f"england_map_{measure}.png", "la_map_png", "Download map PNG"
    )


def table_state_from_url(regions: list[str], bands: list[str]) -> None:
    """Load the table filters (`regions=`, `band=`) from a new link into the widgets."""
    signature = (st.query_params.get("regions"), st.query_params.get("band"))
    if signature == st.session_state.get("table_url_seen"):
        return
    st.session_state["table_url_seen"] = signature
    if signature[0] is not None:
        st.session_state["overview_regions"] = [r for r in signature[0][:500].split(",") if r in regions]
    if signature[1] in bands:
        st.session_state["overview_band"] = signature[1]


def write_table_state(chosen_regions: list[str], band: str) -> None:
    set_query_param("regions", ",".join(chosen_regions) or None)
    set_query_param("band", None if band == "All LAs" else band)
    st.session_state["table_url_seen"] = (st.query_params.get("regions"), st.query_params.get("band"))


def render() -> None:
    if picked_this_run() and current_la():
        open_profile(current_la())  # choosing an LA on the overview opens its profile
    if code := clicked_la():  # a click on the map, handled before anything is drawn
        st.session_state.pop("overview_map", None)  # handled: do not reopen it on the way back
        open_profile(code)
    st.title("Good level of development in England")
    latest = queries.latest_year()
    since = queries.first_new_framework_year()
    st.caption(
        f"End-of-Reception results (DfE EYFSP) to {academic_year(latest)} for England and its 153 local "
        "authorities, against the national ambition of 75% by 2028."
    )
    england_export = england_trajectory_export(latest)
    st.markdown(england_export.alt_text)
    show_chart(england_export)
    data_table(england_export)
    export_buttons(england_export, "england_trajectory")

    map_section(latest, since)

    st.subheader(f"Every local authority, {academic_year(latest)}")
    table = overview_table(latest, since)
    regions = sorted(table["Region"].dropna().unique())
    bands = ["All LAs", "Top quarter", "Second quarter", "Third quarter", "Bottom quarter"]
    table_state_from_url(regions, bands)
    left, right = st.columns(2)
    chosen_regions = left.multiselect("Regions", regions, key="overview_regions", placeholder="All regions")
    band = right.selectbox("Band of GLD (all children)", bands, key="overview_band")
    write_table_state(chosen_regions, band)
    shown = table
    if chosen_regions:
        shown = shown[shown["Region"].isin(chosen_regions)]
    if band != "All LAs":
        shown = shown[
            shown["Quartile (all)"]
            == ["Top quarter", "Second quarter", "Third quarter", "Bottom quarter"].index(band) + 1
        ]
    st.caption(
        f"{len(shown)} LAs. Sort by clicking a column; select a row to open its profile. Targets are derived "
        "as 2023/24 GLD + 9.0 percentage points unless published (see About). † tiny cohort: low reliability."
    )
    selection = st.dataframe(
        shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="overview_table"
    )
    st.download_button(
        "Download CSV of these LAs",
        data=lambda: shown.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"gld_las_{latest}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    rows = selection.selection.get("rows", []) if selection else []
    if rows:
        open_profile(shown.iloc[rows[0]]["Code"])

    copy_link()


render()
