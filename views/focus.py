"""Focus: which areas of learning, which children, and early-education take-up, against England, region and neighbours."""

from __future__ import annotations

import streamlit as st

from profiles import focus
from profiles.areas import ENGLAND
from profiles.exports import Export
from profiles.page_exports import focus_exports
from views.common import (
    chart_block,
    copy_link,
    csv_button,
    data_table,
    export_buttons,
    figures_table,
    frame_table,
    lazy_expander,
    section,
    show_chart,
)
from views.shell import current_la

URL_PATH = "focus"
TWO_YEAR_TARGETS = "two_year_targets"  # session state: {LA code: % target}, kept across LA switches


def keep_two_year_target(code: str) -> None:
    """Store a typed target where it outlives its input (an input not drawn loses its state)."""
    value = st.session_state.get(f"two_year_target_{code}")
    st.session_state.setdefault(TWO_YEAR_TARGETS, {})[code] = value if value else None


def two_year_target_input(code: str) -> None:
    """A session-only box for the LA's own two-year-old take-up target (DfE set some; no list is published)."""
    stored = st.session_state.get(TWO_YEAR_TARGETS, {}).get(code)
    box = lazy_expander(
        "Use your own two-year-old take-up target (this session only)", "two_year_target_open", icon=":material/edit:"
    )
    if box is not None:
        box.caption(
            "DfE set some LAs a local target for take-up of funded places by eligible two-year-olds (Gateshead's "
            "is 88.1%); no full list is published. Leave at 0 for none. Kept while this browser tab is open."
        )
        box.number_input(
            "Two-year-old take-up target (%)",
            min_value=0.0,
            max_value=100.0,
            value=stored or 0.0,
            step=0.1,
            format="%.1f",
            key=f"two_year_target_{code}",
            on_change=keep_two_year_target,
            args=(code,),
        )


def trend_section(trend: Export) -> None:
    """The seven small multiples cost the browser more than the rest of the page together: its
    sentence, table and downloads are always there, the chart is drawn once asked for."""
    section("Each area since 2021/22", trend.alt_text)
    box = lazy_expander("Show the chart: each area since 2021/22", "areas_trend_open", icon=":material/show_chart:")
    if box is not None:
        with box:
            show_chart(trend)
    data_table(trend)
    export_buttons(trend, trend.name)


def detail_section(code: str, name: str) -> None:
    """2021/22 by sex, term of birth, first language, SEN provision and FSM: the widest gaps in words;
    the 12-row table (drawn when opened, as a table costs every LA switch) and its CSV."""
    detail = focus.detail_2022(code)
    section("2021/22 in more detail", focus.detail_sentence(name, detail))
    if detail.empty:
        return
    table = focus.detail_table(detail, name)
    box = lazy_expander("Table: GLD by pupil characteristic, 2021/22", "detail_2022_open", icon=":material/table:")
    if box is not None:
        with box:
            frame_table(
                table,
                f"{name}, 2021/22: GLD by pupil characteristic beside England (DfE, Explore Education Statistics). "
                f"Small groups (fewer than {focus.SMALL_GROUP} children) are flagged: a few children move their % "
                "a lot.",
            )
    csv_button(table, "Download CSV", f"gld_2021-22_by_characteristic_{code}.csv", "dl_detail_2022")


def render() -> None:
    """One LA: areas of learning, GLD by pupil group, two-year-old take-up and context."""
    st.title("Focus: what to work on, and for whom")
    st.caption(
        "Areas of learning, pupil groups and early-education take-up (DfE via LAIT), beside England, the region "
        "and the LA's May 2025 statistical neighbours."
    )
    code = current_la()
    if not code or code == ENGLAND:
        st.info("Choose a local authority above to see where it is furthest behind, and for which children.")
        return
    target = st.session_state.get(TWO_YEAR_TARGETS, {}).get(code)  # the box is drawn in its section
    areas, trend, groups, take_up = focus_exports(code, target)
    who = focus.comparators(code)
    section(who.name, level=2)

    chart_block("Areas of learning", areas)
    trend_section(trend)

    chart_block("Which children", groups)
    detail_section(code, who.name)

    chart_block("Early education: two-year-olds", take_up)
    two_year_target_input(code)
    figures_table(
        f"{who.name}: other early-years measures",
        ["Measure", who.name, "England"],
        focus.early_education_rows(code),
        compact=True,
    )

    context = focus.context_rows(code)
    section("Context", "Measures that shape the areas above, each with its year and unit (DfE via LAIT).")
    if not context.empty:
        frame_table(context, f"{who.name}: context, latest year of each measure.")
    copy_link()
