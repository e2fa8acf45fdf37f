"""LA profile: GLD against the 2028 target, all and FSM, with the FSM gap and honest small numbers."""

from __future__ import annotations

from datetime import date

import streamlit as st

from profiles.exports import safe_name
from profiles.page_exports import Choices, plan_pack_for, profile_exports_for, report_for
from profiles.profile import Profile, build_profile, headline_rows, summary_sentence, table_view
from profiles.targets import academic_year
from profiles.text import EVERY_VALUE_NOTE, plan_pack_text
from profiles.wards import WardFilters
from views.common import chart_block, copy_link, figures_table, lazy_expander, section, show_chart
from views.focus import TWO_YEAR_TARGETS
from views.peers import PEER_CHOICE
from views.shell import TARGET_PARAMS, current_la
from views.wards import WARD_CHOICE

URL_PATH = "profile"
TRAJECTORY_HEADING = "Trajectory against the 2028 target"
GAP_HEADING = "The FSM gap"
CUSTOM_TARGETS = "custom_targets"  # session state: {LA code: {"all": pct, "fsm": pct}}, kept across LA switches


def keep_custom_target(code: str, group: str) -> None:
    """Store a typed target where it outlives its input (inputs not drawn lose their state)."""
    value = st.session_state.get(f"custom_target_{group}_{code}")
    st.session_state.setdefault(CUSTOM_TARGETS, {}).setdefault(code, {})[group] = value if value else None


LINKED_LA = "target_link_la"  # session state: the LA whose targets the link's parameters hold


def link_target(text: str | None) -> float | None:
    """A target percentage from the link, or None (missing, not a number, not above 0 and up to 100)."""
    try:
        value = round(float(text), 1) if text else None
    except ValueError:
        return None
    return value if value is not None and 0 < value <= 100 else None


def targets_in_link(code: str) -> None:
    """Keep the confirmed targets and the link in step: a link opened with `?target=` gives this LA its
    confirmed target; afterwards the link always says the current LA's typed targets (and none when
    the LA changes in this tab, so another LA never inherits them)."""
    stored = st.session_state.setdefault(CUSTOM_TARGETS, {})
    # Only the link that opened the session is read: a later URL (Back, Forward) may hold another
    # LA's targets beside this LA's code.
    if code not in stored and st.session_state.get(LINKED_LA) is None:
        for group, param in TARGET_PARAMS.items():
            text = st.query_params.get(param)
            value = link_target(text)
            if value is not None:
                stored.setdefault(code, {})[group] = value
            elif text:
                st.warning(f"The link's {param}={text[:20]!r} is not a percentage: it is left out.", icon="⚠️")
    st.session_state[LINKED_LA] = code
    for group, param in TARGET_PARAMS.items():
        value = stored.get(code, {}).get(group)
        if value:
            st.query_params[param] = f"{value:.1f}"
        elif param in st.query_params:
            del st.query_params[param]


def custom_target_inputs(code: str, draw: bool = True) -> dict[str, float | None]:
    """Let the user type a confirmed target for this session (per LA).

    The inputs are drawn only while the box is open (a closed box's content would still be redrawn
    on every LA switch); the values live in session state, so closing the box or visiting another
    LA loses nothing.
    """
    targets_in_link(code)
    stored = st.session_state.get(CUSTOM_TARGETS, {}).get(code, {})
    custom = {group: stored.get(group) for group in ("all", "fsm")}
    if not draw:
        return custom
    # A fixed label: a new label would be a new expander, drawn closed. The headline table's
    # "Basis: entered by you" shows when a typed target is in use.
    box = lazy_expander(
        "Use your own confirmed 2028 target (this session only)", "custom_target_open", icon=":material/edit:"
    )
    if box is None:
        return custom
    box.caption(
        "Leave at 0 to use the stored target. Values are kept while this browser tab is open, "
        "for each LA you enter them for."
    )
    left, right = box.columns(2)
    for column, group, label in ((left, "all", "All children (%)"), (right, "fsm", "FSM-eligible children (%)")):
        column.number_input(  # a change is stored by keep_custom_target before this run: `custom` has it
            label,
            min_value=0.0,
            max_value=100.0,
            value=custom[group] or 0.0,
            step=0.1,
            format="%.1f",
            key=f"custom_target_{group}_{code}",
            on_change=keep_custom_target,
            args=(code, group),
        )
    return custom


def headline_section(profile: Profile) -> None:
    """The LA's summary sentence, its notes and the headline figures."""
    section(profile.name, summary_sentence(profile), level=2)
    for note in profile.notes:
        st.warning(note, icon="⚠️")
    headings, rows = headline_rows(profile)
    figures_table(f"{profile.name}: headline figures, {academic_year(profile.latest_year)}", headings, rows)
    if profile.cohort_basis and (profile.children_needed["all"] or profile.children_needed["fsm"]):
        st.caption(f"Children counts are based on {profile.cohort_basis}.")


def every_value(profile: Profile) -> None:
    box = lazy_expander(
        "Every value, with cohort sizes and intervals", "every_value_open", icon=":material/table_view:"
    )
    if box is not None:
        box.caption(EVERY_VALUE_NOTE)
        box.dataframe(table_view(profile), hide_index=True, width="stretch")


def session_choices(code: str) -> Choices:
    """What this session chose that the pack and report follow: targets typed here and on the focus
    page, the peer set last chosen on the peers page and this LA's ward map measure and filters."""
    targets = st.session_state.get(CUSTOM_TARGETS, {}).get(code, {})
    peer_set, peers = st.session_state.get(PEER_CHOICE, ("sn2025", ()))
    ward_measure, ward_filters = st.session_state.get(WARD_CHOICE, {}).get(code, (Choices.ward_measure, WardFilters()))
    return Choices(
        targets.get("all"),
        targets.get("fsm"),
        st.session_state.get(TWO_YEAR_TARGETS, {}).get(code),
        peer_set,
        tuple(peers),
        ward_measure,
        ward_filters,
    )


def plan_pack_section(code: str, name: str) -> None:
    section("Report and plan pack", plan_pack_text(name))
    # Read now, in this run: a deferred download runs outside the session and cannot see its state.
    choices = session_choices(code)
    stem = f"{safe_name(name)}_GLD_{{}}_{date.today():%Y-%m-%d}"
    row = st.container(horizontal=True)
    row.download_button(
        "Download Word report",
        data=lambda: report_for(code, choices),
        file_name=stem.format("report") + ".docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="word_report",
        icon=":material/description:",
        type="primary",
        on_click="ignore",
    )
    row.download_button(
        "Download plan pack (zip)",
        data=lambda: plan_pack_for(code, choices),
        file_name=stem.format("plan_pack") + ".zip",
        mime="application/zip",
        key="plan_pack",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


def render() -> None:
    """One LA: headline figures against its 2028 targets, the trajectory and FSM-gap charts, the plan pack."""
    present = bool(st.session_state.get("present"))
    if not present:  # on a projector the navigation names the page; the first chart comes first
        st.title("Local authority profile")
        st.caption(
            "Share of children reaching a good level of development (GLD) at the end of Reception — "
            "DfE Early Years Foundation Stage Profile, 2012/13–2018/19 and 2021/22 onwards."
        )
    code = current_la()
    if not code:
        st.info("Choose a local authority above to see its profile.")
        return
    custom = custom_target_inputs(code, draw=not present)
    profile = build_profile(code, custom)
    trajectory, gap = profile_exports_for(code, custom["all"], custom["fsm"])
    if present:
        show_chart(trajectory)  # first, and with no heading above it: in view without scrolling
        headline_section(profile)
        chart_block(GAP_HEADING, gap)
    else:
        headline_section(profile)
        summary = summary_sentence(profile)
        for heading, item in ((TRAJECTORY_HEADING, trajectory), (GAP_HEADING, gap)):
            chart_block(heading, item, summarise=item.alt_text != summary)  # the trajectory's is the summary
        every_value(profile)
    plan_pack_section(code, profile.name)
    copy_link()
