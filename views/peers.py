"""Peers: the LA beside its statistical neighbours, its region or a custom set; ranks and FSM peers."""

from __future__ import annotations

import streamlit as st

from profiles.areas import ENGLAND, area_name, picker_options
from profiles.pack import peer_exports_for, peer_trend_export
from profiles.peers import (
    PEER_SETS,
    comparison,
    display_table,
    doing_better_for_fsm,
    gap_definition,
    latest_and_since,
    parse_custom,
    peer_codes,
    peer_summary,
    peer_table,
)
from profiles.targets import academic_year
from views.common import (
    copy_link,
    data_table,
    export_buttons,
    figures_table,
    frame_table,
    section,
    set_query_param,
    show_chart,
    url_to_widget,
    widget_to_url,
)
from views.state import current_la


def peer_set_from_url() -> None:
    """Load `peers=` and `with=` from the URL into the widgets once per new link."""
    url_set = st.query_params.get("peers")
    url_with = st.query_params.get("with")
    if url_set is not None and url_set != st.session_state.get("peers_in_url"):
        st.session_state["peers_in_url"] = url_set
        if url_set in PEER_SETS:
            st.session_state["peer_set"] = url_set
        else:
            st.warning("Unknown peer set in the link: showing statistical neighbours (May 2025).", icon="ℹ️")
    if url_with is not None and url_with != st.session_state.get("with_in_url"):
        st.session_state["with_in_url"] = url_with
        codes, rejected = parse_custom(url_with)
        st.session_state["custom_peers"] = codes
        if rejected:
            st.warning(f"Left out {len(rejected)} item(s) of the custom set that are not LA codes.", icon="ℹ️")


def write_url(peer_set: str, custom: list[str]) -> None:
    set_query_param("peers", peer_set)
    st.session_state["peers_in_url"] = peer_set
    value = ",".join(custom) if peer_set == "custom" and custom else None
    set_query_param("with", value)
    if value is not None:
        st.session_state["with_in_url"] = value


def rank_parts(row, group: str) -> tuple[str, str]:
    """The LA's rank among all LAs ('130 of 153') and what to read with it (its quarter, any caveat)."""
    rank, of, quartile = row[f"rank_{group}"], row[f"ranked_of_{group}"], row[f"quartile_{group}"]
    if rank is None or str(rank) == "<NA>":
        return "not ranked", "no value"
    flag = ""
    if row["tiny"] or (group == "fsm" and row["fsm_low_reliability"]):
        flag = " — low reliability: tiny cohort, treat the rank with caution"
    band = {1: "top quarter", 2: "second quarter", 3: "third quarter", 4: "bottom quarter"}[int(quartile)]
    return f"{int(rank)} of {of}", f"{band}{flag}"


def render() -> None:
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
    peer_set_from_url()
    st.session_state.setdefault("peer_set", "sn2025")
    peer_set = (
        st.segmented_control(
            "Compare with", options=list(PEER_SETS), format_func=PEER_SETS.get, key="peer_set", selection_mode="single"
        )
        or "sn2025"
    )
    custom = st.session_state.get("custom_peers", [])
    if peer_set == "custom":
        codes, labels = picker_options()
        custom = st.multiselect(
            "LAs in your custom set",
            options=[c for c in codes if c != ENGLAND],
            format_func=lambda c: labels.get(c, c),
            key="custom_peers",
            max_selections=40,
        )
    write_url(peer_set, custom)

    peers, description = peer_codes(code, peer_set, custom)
    name = area_name(code)
    section(name, description, level=2)
    if not peers:
        st.info("There are no peers to show for this set: choose another set or add LAs to a custom set.")
        return
    rows, means = comparison(code, peers, year, since)
    own = rows[rows["role"] == "Selected LA"].iloc[0]

    figures_table(
        f"{name}: rank among all local authorities in England, {academic_year(year)}",
        ["Children", f"Rank, {academic_year(year)}"],
        [
            (label, [rank_parts(own, group)])
            for group, label in (("all", "All children"), ("fsm", "FSM-eligible children"))
        ],
    )

    summary = peer_summary(name, own, means, academic_year(year))
    section("Latest GLD beside the peers", summary)
    dot_export = peer_exports_for(code, peer_set, tuple(custom))[0]
    show_chart(dot_export, width="content")
    data_table(dot_export)
    export_buttons(dot_export, "peer_dots")

    if st.query_params.get("pupils") in ("all", "fsm") and st.query_params.get("pupils") != st.session_state.get(
        "pupils_in_url"
    ):
        st.session_state["peer_trend_group"] = st.query_params.get("pupils")
    # The heading and its sentence are one element above the radio (fewer elements to redraw on an
    # LA switch), so the sentence is written from the radio's state before the radio is drawn.
    chosen = st.session_state.setdefault("peer_trend_group", "all")
    trend_export = peer_trend_export(code, tuple(peers), chosen, description)
    section(f"Trend since {academic_year(since)}", trend_export.alt_text)
    group = st.radio(
        "Pupils",
        ["all", "fsm"],
        horizontal=True,
        key="peer_trend_group",
        format_func={"all": "All children", "fsm": "FSM-eligible children"}.get,
    )
    set_query_param("pupils", group)
    st.session_state["pupils_in_url"] = group
    show_chart(trend_export)
    data_table(trend_export)
    export_buttons(trend_export, "peer_trend")

    st.subheader("FSM gap and distance to each LA's own 2028 target")
    table = peer_table(rows, academic_year(since))
    frame_table(
        display_table(table),
        f"{name} and its peers, {academic_year(year)}. {gap_definition(rows['gap_comparison'])} "
        "To gain = the LA's own 2028 target − its latest GLD (percentage points); targets are derived "
        "(2023/24 + 9.0 percentage points) unless published. – no value.",
        highlight=table["Role"] == "Selected LA",
    )
    st.download_button(
        "Download CSV",
        data=lambda: table.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"gld_peer_table_{code}.csv",
        mime="text/csv",
        key="dl_peer_table",
        on_click="ignore",
    )

    url_to_widget("similar", "similar_fsm", {"1": True, "0": False})
    similar = bool(st.session_state.setdefault("similar_fsm", False))  # drawn below its heading and sentence
    better = doing_better_for_fsm(code, peers, year, since, similar_fsm=similar)
    if better.empty:
        sentence = f"No LA in this comparison has a higher FSM GLD than {name} in {academic_year(year)}."
    else:
        sentence = (
            f"{len(better)} LAs have a higher FSM GLD than {name} ({own['gld_fsm']:.1f}%) — "
            f"worth a conversation. The highest is {better.iloc[0]['name']}, {better.iloc[0]['ahead_by']:.1f} "
            "percentage points ahead."
        )
    section("Peers doing better for FSM children", sentence)
    st.toggle(
        "Look beyond the peer set: any LA with a similar primary FSM rate (within 2 percentage points)",
        key="similar_fsm",
    )
    widget_to_url("similar", "1" if similar else None)
    if not better.empty:
        frame_table(
            better.drop(columns=["area_code"]).rename(
                columns={
                    "name": "LA",
                    "region_name": "Region",
                    "gld_fsm": "GLD FSM %",
                    "ahead_by": "Ahead by (percentage points)",
                    "pct_primary_fsm": "Primary FSM %",
                    "fsm_gap": "FSM gap (percentage points)",
                    "gap_comparison": "Gap against",
                    "fsm_low_reliability": "Low reliability",
                    "tiny": "Tiny cohort",
                }
            ),
            f"LAs with a higher FSM GLD than {name}, {academic_year(year)}, furthest ahead first. "
            "Low reliability: fewer than 30 FSM-eligible children or suppressed.",
        )

    copy_link()


render()
