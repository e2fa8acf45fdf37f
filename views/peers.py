"""Peers: the LA beside its statistical neighbours, its region or a custom set; ranks and FSM peers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from profiles.areas import ENGLAND, area_name, la_names
from profiles.groups import PUPIL_CHOICES
from profiles.page_exports import peer_exports_for, peer_trend_export
from profiles.peers import (
    MAX_CUSTOM,
    PEER_SETS,
    TABLE_NOTE,
    better_table,
    comparison,
    display_table,
    doing_better_for_fsm,
    doing_better_sentence,
    gap_definition,
    is_own,
    latest_and_since,
    own_row,
    peer_codes,
    peer_summary,
    peer_table,
    rank_rows,
)
from profiles.targets import academic_year
from views.common import (
    copy_link,
    csv_button,
    data_table,
    export_buttons,
    figures_table,
    frame_table,
    section,
    show_chart,
)
from views.shell import current_la

URL_PATH = "peers"
PEER_CHOICE = "peer_choice"  # session state: the last peer set chosen, for the pack and report (widgets forget)


def choose_peers(code: str) -> tuple[str, list[str]]:
    """The peer set (`?peers=`) and, for a custom set, its LAs (`?with=`, one per LA)."""
    peer_set = st.segmented_control(
        "Compare with",
        options=list(PEER_SETS),
        format_func=PEER_SETS.get,
        key="peers",
        selection_mode="single",
        required=True,
        default="sn2025",
        bind="query-params",
    )
    if peer_set != "custom":
        st.session_state[PEER_CHOICE] = (peer_set, ())
        return peer_set, []
    names = la_names()
    custom = st.multiselect(
        "LAs in your custom set",
        options=[c for c in names if c != code],
        format_func=names.get,  # names are unique: the link carries them
        key="with",
        max_selections=MAX_CUSTOM,
        bind="query-params",
    )
    st.session_state[PEER_CHOICE] = (peer_set, tuple(custom))
    return peer_set, custom


def latest_section(code: str, name: str, rows: pd.DataFrame, means: dict, peer_set: str, custom: list[str]) -> None:
    year, _ = latest_and_since()
    own = own_row(rows)
    caption = f"{name}: rank among all local authorities in England, {academic_year(year)}"
    figures_table(caption, ["Children", f"Rank, {academic_year(year)}"], rank_rows(own))
    section("Latest GLD beside the peers", peer_summary(name, own, means, academic_year(year)))
    dots = peer_exports_for(code, peer_set, tuple(custom))[0]
    show_chart(dots, width="content")
    data_table(dots)
    export_buttons(dots, "peer_dots")


def trend_section(code: str, peers: list[str], description: str) -> None:
    """The trend since 2021/22 of the LA and its peers, all or FSM children (`?pupils=`)."""
    _, since = latest_and_since()
    heading = st.container()  # drawn above the radio, written once the radio's value is known
    group = st.radio(
        "Pupils",
        list(PUPIL_CHOICES),
        format_func=PUPIL_CHOICES.get,
        horizontal=True,
        key="pupils",
        bind="query-params",
    )
    trend = peer_trend_export(code, tuple(peers), group, description)
    with heading:
        section(f"Trend since {academic_year(since)}", trend.alt_text)
    show_chart(trend)
    data_table(trend)
    export_buttons(trend, "peer_trend")


def table_section(code: str, name: str, rows: pd.DataFrame) -> None:
    year, since = latest_and_since()
    st.subheader("FSM gap and distance to each LA's own 2028 target")
    table = peer_table(rows, academic_year(since))
    frame_table(
        display_table(table),
        f"{name} and its peers, {academic_year(year)}. {gap_definition(rows['gap_comparison'])} {TABLE_NOTE}",
        highlight=is_own(table),
    )
    csv_button(table, "Download CSV", f"gld_peer_table_{code}.csv", "dl_peer_table")


def doing_better_section(code: str, name: str, rows: pd.DataFrame, peers: list[str]) -> None:
    """Peers (or, with `?similar=true`, any LA with a similar FSM rate) doing better for FSM children."""
    year, since = latest_and_since()
    heading = st.container()  # above the toggle, written once its value is known
    similar = st.toggle(
        "Look beyond the peer set: any LA with a similar primary FSM rate (within 2 percentage points)",
        key="similar",
        bind="query-params",
    )
    better = doing_better_for_fsm(code, peers, year, since, similar_fsm=similar)
    own = own_row(rows)
    with heading:
        section("Peers doing better for FSM children", doing_better_sentence(name, own, better, academic_year(year)))
    if not better.empty:
        frame_table(
            better_table(better),
            f"LAs with a higher FSM GLD than {name}, {academic_year(year)}, furthest ahead first. "
            f"Low reliability: fewer than 30 FSM-eligible children or suppressed. {gap_definition(better['gap_comparison'])}",
        )


def render() -> None:
    """The LA beside a peer set: rank, latest GLD, trend, FSM gap and distance to target, FSM peers."""
    st.title("Peers")
    year, since = latest_and_since()
    st.caption(
        f"GLD at the end of Reception, {academic_year(year)} and since {academic_year(since)} "
        "(DfE EYFSP via LAIT); peers from DfE's children's services statistical neighbours."
    )
    code = current_la()
    if not code or code == ENGLAND:
        st.info("Choose a local authority above to compare it with its peers.")
        return
    peer_set, custom = choose_peers(code)
    peers, description = peer_codes(code, peer_set, custom)
    name = area_name(code)
    section(name, description, level=2)
    if not peers:
        st.info("There are no peers to show for this set: choose another set or add LAs to a custom set.")
        return
    rows, means = comparison(code, peers, year, since)
    latest_section(code, name, rows, means, peer_set, custom)
    trend_section(code, peers, description)
    table_section(code, name, rows)
    doing_better_section(code, name, rows, peers)
    copy_link()
