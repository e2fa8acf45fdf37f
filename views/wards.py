"""Wards: deprivation and child population by ward for one LA, filterable, beside the LA's outcomes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from profiles.areas import ENGLAND, area_name
from profiles.maps import DISTRICT_MAP_HEIGHT, WARD_MAP_HEIGHT, legend_html
from profiles.pack import ward_exports
from profiles.targets import academic_year
from profiles.wards import (
    DECILE_FILTERS,
    DEFAULT_MEASURE,
    METHOD_NOTE,
    WARD_MEASURES,
    WardFilters,
    apply_filters,
    district_gld,
    district_map,
    la_context,
    parse_decile_range,
    parse_ward_codes,
    summary,
    top_wards,
    ward_map_for,
    ward_table,
)
from views.common import (
    copy_link,
    figures_table,
    frame_table,
    lazy_expander,
    png_button,
    set_query_param,
    url_to_widget,
    widget_to_url,
)
from views.state import current_la

MAP_KEY = "ward_map"


def add_clicked_ward() -> None:
    """A ward clicked on the map joins the wards chosen by name.

    Runs before the widgets are drawn (the click's selection is already in session state) and
    handles each click once, so removing the ward from the list later is not undone.
    """
    event = st.session_state.get(MAP_KEY)
    picked = (event.get("selection", {}).get("objects", {}) or {}).get("ward_choropleth", []) if event else []
    if not picked:
        return
    ward = picked[0]["ward_code"]
    if st.session_state.get("ward_click_done") == ward:
        return
    st.session_state["ward_click_done"] = ward
    chosen = list(st.session_state.get("ward_names", []))
    if ward not in chosen:
        st.session_state["ward_names"] = [*chosen, ward]


def state_from_url(code: str, wards: pd.DataFrame) -> None:
    """Load measure, wards, decile range and minimum children from a new link into the widgets."""
    params = {key: st.query_params.get(key) for key in ("measure", "wards", "dec", "decby", "minkids")}
    signature = (code, tuple(params.values()))
    if st.session_state.get("wards_url_seen") == signature:
        return
    st.session_state["wards_url_seen"] = signature
    if params["measure"] in WARD_MEASURES:
        st.session_state["ward_measure"] = params["measure"]
    if params["decby"] in DECILE_FILTERS:
        st.session_state["ward_decile_by"] = params["decby"]
    decile_range = parse_decile_range(params["dec"])
    if decile_range:
        st.session_state["ward_deciles"] = decile_range
    if (
        params["minkids"]
        and params["minkids"].isascii()
        and params["minkids"].isdigit()
        and len(params["minkids"]) <= 6
    ):
        st.session_state["ward_min_children"] = int(params["minkids"])
    codes, dropped = parse_ward_codes(params["wards"], set(wards["ward_code"]))
    if params["wards"] is not None:
        st.session_state["ward_names"] = codes
    if dropped:
        st.warning(
            f"{dropped} ward code(s) in the link are not wards of {area_name(code)} and were left out.", icon="ℹ️"
        )


def write_url(code: str, filters: WardFilters, measure: str) -> None:
    values = {
        "measure": measure,
        "decby": filters.decile_measure,
        "dec": f"{filters.decile_range[0]}-{filters.decile_range[1]}",
        "minkids": str(filters.min_children),
        "wards": ",".join(filters.ward_codes) or None,
    }
    for key, value in values.items():
        set_query_param(key, value)
    st.session_state["wards_url_seen"] = (
        code,
        tuple(st.query_params.get(k) for k in ("measure", "wards", "dec", "decby", "minkids")),
    )


def map_view() -> int:
    """The maps' starting view (`maps.PLANE_VIEWS`) for this session: it changes only on a reset."""
    return st.session_state.get("map_view", 0)


def reset_map_view() -> None:
    st.session_state["map_view"] = 1 - map_view()


def context_panel(code: str, name: str) -> None:
    """The LA's deprivation, FSM eligibility and latest GLD, beside the ward map."""
    context = la_context(code)
    rows = []
    gld = context["gld"].set_index("pupil_group")
    if not gld.empty:
        year = academic_year(int(gld["year"].iloc[0]))
        for group, label in (("all", "all children"), ("fsm", "FSM-eligible")):
            pct = gld["pct"].get(group)
            rows.append((f"GLD {year}, {label}", [("—" if pct is None or pd.isna(pct) else f"{pct:.1f}%", "")]))
    if not context["fsm"].empty:
        row = context["fsm"].iloc[0]
        rows.append(
            (f"Primary pupils eligible for FSM (Jan {int(row['year'])})", [(f"{row['pct_primary_fsm']:.1f}%", "")])
        )
    if rows:
        figures_table(f"{name} as a whole", ["Measure", "Value"], rows, compact=True)
    else:
        st.markdown("**The LA as a whole**")
    lines = [
        f"**{row.edition}**: IMD rank of average score {int(row.imd_rank_of_avg_score)} of "
        f"{int(row.rank_of_avg_score_out_of)} (1 = most deprived); "
        f"{row.imd_prop_lsoas_most_deprived_10pct * 100:.0f}% of neighbourhoods in England's most deprived 10%"
        + (f"; IDACI rank {int(row.idaci_rank_of_avg_score)}" if pd.notna(row.idaci_rank_of_avg_score) else "")
        + "."
        for row in context["deprivation"].itertuples()
    ]
    if lines:
        st.markdown("\n\n".join(lines))  # one element: fewer for the browser to redraw on an LA switch


def district_layer(code: str, name: str) -> None:
    """For two-tier counties, as an option: 2021/22 GLD by district (the only recent year published)."""
    if not district_gld(code).shape[0]:
        return
    url_to_widget("districts", "show_districts", {"1": True, "0": False})
    url_to_widget("dgroup", "district_group", {"all": "all", "fsm": "fsm"})
    shown = st.toggle("Show 2021/22 GLD by district (two-tier county)", key="show_districts")
    widget_to_url("districts", "1" if shown else None)
    if not shown:
        widget_to_url("dgroup", None)
        return
    group = st.radio(
        "District GLD for",
        ["all", "fsm"],
        horizontal=True,
        key="district_group",
        format_func={"all": "All children", "fsm": "FSM-eligible children"}.get,
    )
    widget_to_url("dgroup", group)
    result = district_map(code, group)
    st.caption(
        "District GLD is published for 2021/22 only (official EYFSP 2021/22 file); it is "
        "not comparable with 2018/19 and later years are published by upper-tier LA only."
    )
    if result is None:
        st.info(f"No district boundaries are available for {name}'s 2021/22 districts.")
        return
    deck, legend, table = result
    # "Reset map view" under the ward map resets this map too.
    st.pydeck_chart(deck.starting_from(map_view()), height=DISTRICT_MAP_HEIGHT, key="district_map")
    st.markdown(legend_html(legend, "GLD 2021/22 (%)"), unsafe_allow_html=True)
    st.dataframe(
        table.rename(
            columns={
                "lad_code": "District code",
                "lad_name": "District",
                "gld_all": "GLD all %",
                "gld_fsm": "GLD FSM %",
                "children_all": "Children",
                "children_fsm": "FSM children",
            }
        ),
        hide_index=True,
        width="stretch",
    )


def render() -> None:
    st.title("Wards")
    st.caption(
        "Deprivation (English Indices of Deprivation 2019) and child population (mid-2015) by December 2023 "
        "ward, for deciding where family hubs and outreach go."
    )
    code = current_la()
    if not code or code == ENGLAND:
        st.info("Choose a local authority above to see its wards.")
        return
    wards = ward_table(code)
    name = area_name(code)
    if wards.empty:
        st.warning(f"No ward data for {name}.")
        return
    state_from_url(code, wards)
    add_clicked_ward()
    st.header(name)
    st.info(METHOD_NOTE, icon="ℹ️")

    first_view = WardFilters()  # the defaults the background warming builds this LA's map with
    st.session_state.setdefault("ward_measure", DEFAULT_MEASURE)
    st.session_state.setdefault("ward_decile_by", first_view.decile_measure)
    st.session_state.setdefault("ward_deciles", first_view.decile_range)
    st.session_state.setdefault("ward_min_children", first_view.min_children)
    labels = dict(zip(wards["ward_code"], wards["ward_name"]))
    # The five controls share one wrapping row (one block to redraw on an LA switch, not five columns).
    controls = st.container(horizontal=True, gap="medium")
    measure = controls.selectbox(
        "Colour the map by",
        list(WARD_MEASURES),
        format_func=lambda m: WARD_MEASURES[m].label,
        key="ward_measure",
        width=380,
    )
    decile_by = controls.radio(
        "Filter by decile of",
        list(DECILE_FILTERS),
        format_func=DECILE_FILTERS.get,
        key="ward_decile_by",
        horizontal=True,
        width="content",
    )
    min_children = controls.number_input(
        "At least this many children",
        min_value=0,
        max_value=100_000,
        step=100,
        key="ward_min_children",
        width=220,
    )
    deciles = controls.slider(
        "Decile range (1 = most deprived 10% of wards in England)", 1, 10, key="ward_deciles", width=420
    )
    chosen = controls.multiselect(
        "Wards by name",
        list(wards["ward_code"]),
        format_func=lambda c: labels.get(c, c),
        key="ward_names",
        placeholder="All wards",
        width="stretch",
    )
    filters = WardFilters(tuple(chosen), decile_by, tuple(deciles), int(min_children))
    write_url(code, filters, measure)
    shown = apply_filters(wards, filters)

    text = summary(name, wards, shown)
    st.markdown(text)
    left, right = st.columns([3, 1])
    with left:
        deck, legend = ward_map_for(code, measure, tuple(shown["ward_code"]))
        st.pydeck_chart(
            deck.starting_from(map_view()),
            on_select="rerun",
            selection_mode="single-object",
            key=MAP_KEY,
            height=WARD_MAP_HEIGHT,
        )
        note = (
            "Outline only: wards outside the filters. Orange outline: values estimated by area weighting. "
            "No base map: boundaries ONS December 2023. Zoom with the mouse wheel or a double click, drag to move "
            "(the view stays when you change LA or filters, until you press Reset map view); click a ward to add "
            "it to the wards chosen by name."
        )
        st.markdown(legend_html(legend, WARD_MEASURES[measure].label, note), unsafe_allow_html=True)
        buttons = st.container(horizontal=True)
        with buttons:
            png_button(
                lambda: ward_exports(code, measure, filters)[0],
                f"wards_map_{code}_{measure}.png",
                "ward_png",
                "Download map PNG",
            )
            st.button(
                "Reset map view",
                key="ward_view_reset",
                on_click=reset_map_view,
                icon=":material/fit_screen:",
                help="Fit the whole LA in the maps on this page again. A zoom or pan you make stays when you "
                "change LA or filters.",
            )
    with right:
        context_panel(code, name)

    district_layer(code, name)

    st.subheader(f"{len(shown)} ward{'' if len(shown) == 1 else 's'}")
    if not shown.empty:
        top, caption = top_wards(shown, measure)
        frame_table(top, caption)
    table = shown.rename(
        columns={
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
    )
    table["Method"] = table["Method"].map({"lsoa_point": "LSOA centres", "area_weighted": "area-weighted (estimate)"})
    # The sortable grid of every ward shown is drawn only when opened: it is the heaviest thing on
    # the page for the browser to redraw on every LA switch (about 30 ms of a 250 ms switch here).
    grid = lazy_expander("All the wards shown, every column, sortable", "ward_grid_open")
    if grid is not None:
        grid.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "Population (2015)": st.column_config.NumberColumn(format="%.0f"),
                "Children 0–15": st.column_config.NumberColumn(format="%.0f"),
                "IMD avg rank": st.column_config.NumberColumn(format="%.0f"),
                "IDACI avg rank": st.column_config.NumberColumn(format="%.0f"),
                "% LSOAs IMD decile 1": st.column_config.NumberColumn(format="%.1f"),
                "% children IDACI decile 1": st.column_config.NumberColumn(format="%.1f"),
            },
        )
    st.download_button(
        "Download CSV of these wards",
        data=lambda: table.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"wards_{code}.csv",
        mime="text/csv",
        key="dl_wards",
        on_click="ignore",
    )

    copy_link()


render()
