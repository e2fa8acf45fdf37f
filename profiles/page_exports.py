"""Every page's exports (charts and maps as Export, cached per page's arguments) and the plan pack of an LA.

The `*_for` functions are the pages' cached entry points: an Export holds a finished Vega-Lite spec,
so a page revisited for the same LA and options draws its charts without any Altair work.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from profiles import focus
from profiles.areas import ENGLAND, area_name
from profiles.charts import (
    FOCUS_ROLES,
    comparison_dot_chart,
    cumulative_share_chart,
    gap_chart,
    peer_dot_chart,
    peer_trend_chart,
    small_multiples_chart,
    take_up_chart,
    trajectory_chart,
)
from profiles.exports import (
    GLD_SOURCE,
    NEIGHBOURS_SOURCE,
    REFORMED_SOURCE,
    Export,
    document_png,
    footer_lines,
    plan_pack,
)
from profiles.groups import in_sentence
from profiles.maps import static_map, ward_features, ward_label_points
from profiles.peers import (
    PEER_SETS,
    comparison,
    dot_data,
    latest_and_since,
    own_row,
    peer_codes,
    peer_summary,
    reference_rows,
    trend,
)
from profiles.profile import (
    Profile,
    build_profile,
    gap_data,
    gap_sentence,
    headline_rows,
    summary_sentence,
    trajectory_data,
)
from profiles.report import Headline, report_docx
from profiles.targets import academic_year
from profiles.wards import (
    CHILD_COUNTS,
    VINTAGES,
    WARD_MEASURES,
    WARD_SOURCE,
    WardFilters,
    apply_filters,
    measure_colours,
    summary,
    top_wards,
    value_text,
    ward_grid,
    ward_table,
    where_children_are,
)


def _years(profile: Profile) -> str:
    years = sorted(profile.series["year"].unique())
    return f"{academic_year(int(years[0]))}–{academic_year(int(years[-1]))}" if years else "none"


def profile_exports(profile: Profile) -> list[Export]:
    """The profile's trajectory and FSM-gap charts as exports."""
    summary_text = summary_sentence(profile)
    trajectory = trajectory_data(profile)
    gaps = gap_data(profile)
    target_note = (
        "; ".join(
            f"{group.upper() if group == 'fsm' else 'All'} target {profile.target_text(group)} ({t['basis']})"
            for group, t in profile.targets.items()
            if t["value"] is not None
        )
        or None
    )
    return [
        Export(
            "profile_trajectory",
            trajectory_chart(trajectory, profile.name, profile.latest_year, description=summary_text),
            trajectory,
            summary_text,
            footer_lines(profile.name, _years(profile), True, target_note),
            screen_title="Good level of development against the 2028 target",
        ),
        Export(
            "profile_fsm_gap",
            gap_chart(gaps, profile.name, description=gap_sentence(profile, gaps)),
            gaps,
            gap_sentence(profile, gaps),
            footer_lines(
                profile.name,
                _years(profile),
                True,
                "Solid: gap against all other children (DfE's published measure, to 2021/22); dashed: against "
                "children known not to be eligible (2021/22 on).",
                GLD_SOURCE,
            ),
            screen_title="Gap between FSM-eligible children and others",
        ),
    ]


def profile_exports_for(code: str, target_all: float | None = None, target_fsm: float | None = None) -> list[Export]:
    """`profile_exports` of an LA's profile, with any session-only targets, cached."""
    # Always pass every argument positionally: Streamlit's cache key is made from the arguments as
    # given, so `f(x)` and `f(x, None, None)` would otherwise be two entries.
    return _profile_exports_cached(code, target_all, target_fsm)


@st.cache_data(show_spinner=False, max_entries=400)
def _profile_exports_cached(code: str, target_all: float | None, target_fsm: float | None) -> list[Export]:
    return profile_exports(build_profile(code, {"all": target_all, "fsm": target_fsm}))


def peer_exports_for(code: str, peer_set: str, custom: tuple[str, ...] = ()) -> list[Export]:
    """`peer_exports`, cached by LA, peer set and custom set."""
    return _peer_exports_cached(code, peer_set, tuple(custom))


@st.cache_data(show_spinner=False, max_entries=400)
def _peer_exports_cached(code: str, peer_set: str, custom: tuple[str, ...]) -> list[Export]:
    return peer_exports(code, peer_set, list(custom))


def peer_trend_sentence(name: str, data: pd.DataFrame, year: int, since: int) -> str:
    """Where the LA's line ends among its peers', and the highest and lowest peer, in words."""
    latest = data[(data["year"] == year) & data["pct"].notna()]
    peers = latest[(latest["name"] != name) & (latest["name"] != "England")].sort_values("pct")
    own = latest[latest["name"] == name]
    text = (
        f"Each line is one LA from {academic_year(since)} to {academic_year(year)}; {name} is in blue, England dashed."
    )
    if peers.empty or own.empty:
        return text
    above = int((peers["pct"] > own["pct"].iloc[0]).sum())
    high, low = peers.iloc[-1], peers.iloc[0]
    return (
        f"{text} In {academic_year(year)}, {above} of its {len(peers)} peers were above {name}; the highest was "
        f"{high['name']} ({high['pct']:.1f}%), the lowest {low['name']} ({low['pct']:.1f}%)."
    )


@st.cache_data(show_spinner=False, max_entries=400)
def peer_trend_export(code: str, peers: tuple[str, ...], group: str, description: str) -> Export:
    """The highlight-on-hover trend of the LA and its peers since the first post-2021 year, cached."""
    year, since = latest_and_since()
    name = area_name(code)
    data = trend((code, *peers, ENGLAND), group, since)
    group_label = in_sentence(group)
    text = peer_trend_sentence(name, data, year, since)
    return Export(
        f"peers_trend_{group}",
        peer_trend_chart(data, name, group_label),
        data,
        text,
        footer_lines(
            name, f"{academic_year(since)}–{academic_year(year)}", False, description, peer_source(description)
        ),
        screen_title=f"The LA and its peers since {academic_year(since)}: {group_label}",
    )


def peer_source(peer_set_or_description: str) -> str:
    """The peers charts' sources: GLD, and DfE's statistical neighbours of the vintage in use."""
    text = peer_set_or_description  # the peers charts show 2021/22 on only
    if text == "sn2025" or "May 2025" in text:
        return f"{REFORMED_SOURCE} {NEIGHBOURS_SOURCE}"
    if text == "sn2021" or "April 2021" in text:
        return f"{REFORMED_SOURCE} {NEIGHBOURS_SOURCE.replace('May 2025', 'April 2021')}"
    return REFORMED_SOURCE


def peer_exports(code: str, peer_set: str = "sn2025", custom: list[str] | None = None) -> list[Export]:
    """The peers dot chart as an export (empty if the LA has no peers in the set)."""
    year, since = latest_and_since()
    peers, description = peer_codes(code, peer_set, custom or [])
    if not peers:
        return []
    rows, means = comparison(code, peers, year, since)
    own = own_row(rows)
    name = area_name(code)
    dots = dot_data(rows, means, reference_rows(code, year))
    label = PEER_SETS[peer_set][0].lower() + PEER_SETS[peer_set][1:]
    return [
        Export(
            "peers_latest",
            peer_dot_chart(dots, name, label, academic_year(year)),
            dots,
            peer_summary(name, own, means, academic_year(year)),
            footer_lines(name, academic_year(year), False, description, peer_source(peer_set)),
            screen_title=f"The LA beside {label}, {academic_year(year)}",
        )
    ]


def ward_exports(code: str, measure: str = "idaci_decile", filters: WardFilters | None = None) -> list[Export]:
    """The ward map (static, with the first wards by the measure named on it) and where the children are."""
    wards = ward_table(code)
    if wards.empty:
        return []
    filters = filters or WardFilters()
    shown = apply_filters(wards, filters)
    name = area_name(code)
    spec = WARD_MEASURES[measure]
    values = wards.rename(columns={"ward_name": "name"}).copy()
    fills, legend = measure_colours(values[spec.column], measure)
    visible = set(shown["ward_code"])
    fills = [fill if c in visible else [255, 255, 255, 0] for fill, c in zip(fills, values["ward_code"])]
    values["label"] = [value_text(v, spec.kind) for v in values[spec.column]]
    top, _ = top_wards(shown, measure)
    named = shown[shown["ward_name"].isin(top["Ward"])]["ward_code"]
    chart = static_map(
        ward_features(tuple(values["ward_code"])),
        "ward_code",
        values,
        fills,
        legend,
        f"{name}: {spec.label} by ward",
        spec.label,
        labels=ward_label_points(tuple(named)),
    )
    data = ward_grid(shown)
    return [
        Export(
            "wards_map",
            chart,
            data,
            summary(name, wards, shown),
            footer_lines(
                name,
                VINTAGES,
                False,
                f"GLD is not published by ward. White: outside the filters. Named: the first {len(named)} wards "
                "by the map's measure.",
                WARD_SOURCE,
            ),
        ),
        where_children_export(code),
    ]


@st.cache_data(show_spinner=False, max_entries=256)
def where_children_export(code: str) -> Export:
    """The fewest wards that hold half of the LA's children in relative low income (and in income-deprived
    families): both sentences, and the running share of every ward as a chart, with its data."""
    wards, name = ward_table(code), area_name(code)
    parts, sentences = [], []
    for column, (what, source) in CHILD_COUNTS.items():
        sentence, data = where_children_are(name, wards, column)
        sentences.append(sentence)
        parts.append(data.assign(counted=f"{what[0].upper()}{what[1:]} ({source})"))
    data = pd.concat(parts, ignore_index=True)
    text = " ".join(sentences)
    chart_data = data[["counted", "rank", "ward", "district", "children", "share_pct", "cumulative_pct", "in_half"]]
    return Export(
        "wards_where_the_children_are",
        cumulative_share_chart(chart_data, name, description=text) if not chart_data.empty else alt.Chart().mark_text(),
        chart_data,
        text,
        footer_lines(name, VINTAGES, False, "GLD is not published by ward.", WARD_SOURCE),
        screen_title="Where the children are",
    )


@dataclass(frozen=True)
class Choices:
    """What the user set this session that the pack and the report must follow, as the pages do."""

    target_all: float | None = None  # confirmed 2028 targets typed on the profile page
    target_fsm: float | None = None
    two_year_target: float | None = None  # the focus page's local take-up target
    peer_set: str = "sn2025"
    peers: tuple[str, ...] = ()  # the LAs of a custom peer set
    ward_measure: str = "idaci_decile"  # the wards page's map measure and filters
    ward_filters: WardFilters = WardFilters()


def report_sections(code: str, choices: Choices) -> list[tuple[str, list[Export]]]:
    """Each page's charts for the pack and the report, built with the user's choices."""
    peers, description = peer_codes(code, choices.peer_set, list(choices.peers))
    peer_items = peer_exports(code, choices.peer_set, list(choices.peers))
    if peers:
        peer_items = [*peer_items, peer_trend_export(code, tuple(peers), "all", description)]
    return [
        ("LA profile", profile_exports_for(code, choices.target_all, choices.target_fsm)),
        ("Focus: what to work on, and for whom", focus_exports(code, choices.two_year_target)),
        ("Peers", peer_items),
        ("Wards", ward_exports(code, choices.ward_measure, choices.ward_filters)),
    ]


def ward_choice_text(measure: str, filters: WardFilters) -> str:
    """The ward map's measure and filters in words."""
    parts = [WARD_MEASURES[measure].label]
    if filters.decile_range != (1, 10):
        low, high = filters.decile_range
        parts.append(f"{WARD_MEASURES[filters.decile_measure].label}: {low} to {high}")
    if filters.min_children:
        parts.append(f"wards with at least {filters.min_children:,} children aged 0–15")
    if filters.ward_codes:
        parts.append(f"{len(filters.ward_codes)} wards chosen by name")
    return "; ".join(parts)


def choice_lines(code: str, choices: Choices) -> list[str]:
    """What the figures assume, in words, for the top of the report."""
    _, description = peer_codes(code, choices.peer_set, list(choices.peers))
    described = description.replace(" (kept in the link)", "").rstrip(".")  # a document has no link
    lines = [f"Peers: {described}."] if description else []
    if choices.target_all or choices.target_fsm:
        lines.append("2028 targets: the confirmed targets you entered this session (see 'Basis' in the table).")
    if choices.ward_measure != Choices.ward_measure or choices.ward_filters != WardFilters():
        lines.append(f"Ward map: {ward_choice_text(choices.ward_measure, choices.ward_filters)}.")
    if choices.two_year_target:
        lines.append(f"Two-year-old take-up: compared with your local target of {choices.two_year_target:.1f}%.")
    return lines


def report_for(
    code: str,
    choices: Choices = Choices(),
    sections: list[tuple[str, list[Export]]] | None = None,
    pictures: dict[str, bytes] | None = None,
) -> bytes:
    """The LA's Word report (profile, focus, peers and wards) with the user's choices; `sections` and
    `pictures` when the caller (the plan pack) has already made them."""
    profile = build_profile(code, {"all": choices.target_all, "fsm": choices.target_fsm})
    headings, rows = headline_rows(profile)
    return report_docx(
        profile.name,
        summary_sentence(profile),
        Headline(headings, rows),
        profile.notes,
        sections if sections is not None else report_sections(code, choices),
        choice_lines(code, choices),
        pictures,
    )


def plan_pack_for(code: str, choices: Choices = Choices()) -> bytes:
    """The Word report and every chart of the LA's pages as PNGs and CSV, with the user's choices, zipped."""
    sections = report_sections(code, choices)
    items = [item for _, section in sections for item in section]
    documents = {item.name: document_png(item) for item in items}  # once, for the report and the zip
    return plan_pack(area_name(code), report_for(code, choices, sections, documents), items, documents)


@st.cache_data(show_spinner=False, max_entries=512)
def focus_exports(code: str, two_year_target: float | None = None) -> list[Export]:
    """The focus page's charts: areas of learning (latest, and each since 2021/22), GLD by pupil group,
    two-year-old take-up (with the user's own target, if given)."""
    who = focus.comparators(code)
    name = who.name
    frame = focus.areas_of_learning(code)
    year = int(frame["year"].max()) if not frame.empty else None
    cohort, basis = focus.latest_cohort(code, year) if year else (None, None)
    latest = focus.areas_latest(frame, cohort)
    areas_text = focus.areas_sentence(name, latest, basis)
    year_label = academic_year(year) if year else ""
    versus = "its May 2025 statistical neighbours' average (simple mean), its region and England"
    items = [
        Export(
            "focus_areas_of_learning",
            comparison_dot_chart(
                focus.areas_chart_data(latest),
                f"{name}: areas of learning, {year_label}",
                f"% of children at the expected level in each area, beside {versus}",
                "% at the expected level",
                areas_text,
            ),
            focus.areas_table(latest, who),
            areas_text,
            footer_lines(name, year_label, False, focus.EYFSP_NOTE, focus.AREAS_SOURCE),
            screen_title=f"Areas of learning, {year_label}",
        )
    ]
    trend = focus.areas_trend_data(frame)
    first = academic_year(focus.REFORMED_FROM)
    trend_text = focus.areas_trend_sentence(name, frame)
    items.append(
        Export(
            "focus_areas_since_2022",
            small_multiples_chart(
                trend,
                f"{name}: areas of learning since {first}",
                "% at the expected level · the reformed framework only (not comparable with 2013–2019)",
                "% at the expected level",
                trend_text,
            ),
            trend,
            trend_text,
            footer_lines(name, f"{first}–{year_label}", False, focus.EYFSP_NOTE, focus.AREAS_SOURCE),
            screen_title=f"Areas of learning since {first}",
        )
    )
    groups = focus.pupil_groups(code)
    groups_data = focus.groups_chart_data(groups)
    groups_text = focus.pupil_groups_sentence(name, groups)
    groups_year = academic_year(int(groups["year"].iloc[0])) if not groups.empty else ""
    items.append(
        Export(
            "focus_pupil_groups",
            comparison_dot_chart(
                groups_data,
                f"{name}: GLD by pupil group, {groups_year}",
                f"% reaching a good level of development, beside England · red ring: fewer than {focus.SMALL_GROUP} "
                "children in 2021/22, or group size not published · red text: not published by LAIT",
                "% reaching a good level of development",
                groups_text,
                roles=(FOCUS_ROLES[0], FOCUS_ROLES[-1]),
            ),
            groups_data,
            groups_text,
            footer_lines(name, groups_year, False, focus.EYFSP_NOTE, focus.GROUPS_SOURCE),
            screen_title=f"GLD by pupil group, {groups_year}",
        )
    )
    take_up = focus.two_year_olds(code)
    take_up_text = focus.two_year_old_sentence(name, take_up, two_year_target)
    years = take_up.loc[take_up["la"].notna(), "year"]
    span = f"January {int(years.min())}–{int(years.max())}" if not years.empty else ""
    items.append(
        Export(
            "focus_two_year_olds",
            take_up_chart(
                focus.take_up_data(take_up),
                f"{name}: two-year-olds taking up funded early education",
                f"% of eligible two-year-olds, beside {versus}",
                two_year_target,
                take_up_text,
            ),
            focus.take_up_table(take_up, who),
            take_up_text,
            footer_lines(name, span, False, focus.TAKE_UP_NOTE, focus.TAKE_UP_SOURCE),
            screen_title="Two-year-olds taking up funded early education",
        )
    )
    return items
