"""Altair chart builders. Large type and strong contrast so charts read on a projector and in print."""

from __future__ import annotations

import altair as alt
import pandas as pd

from profiles.targets import TARGET_YEAR

# What the FSM gap compares FSM-eligible children with (as in profiles.profile.COMPARISONS), in
# legend order: DfE's published measure first.
GAP_COMPARISONS = (
    "all other children (DfE's published gap)",
    "children known not to be eligible (unknown excluded)",
)

ALL_COLOUR = "#1d4e89"  # dark blue
FSM_COLOUR = "#c2410c"  # burnt orange, distinct from blue for colour-blind readers
ENGLAND_ALL = "#7f9cc0"
ENGLAND_FSM = "#e0a27c"
MUTED = "#9ca3af"
FONT = "Arial, Liberation Sans, DejaVu Sans, sans-serif"  # a list: the PNG renderer has no Arial

HEIGHT = 440
OLD_FRAMEWORK = (2013, 2019)
TARGET_LABEL_ROOM = 1.6  # years of x axis right of 2027/28 for the target labels
CLOSE_TARGETS_POINTS = 4  # targets closer than this: labels above and below their diamonds
NO_ASSESSMENT = (2020, 2021)


def _year_axis(title: str = "Academic year", values: list[int] | None = None) -> alt.Axis:
    # Show 2025 as 2024/25; ticks every year (or at `values` only).
    return alt.Axis(
        title=title,
        labelExpr="(datum.value - 1) + '/' + substring(toString(datum.value), 2, 4)",
        tickMinStep=1,
        labelAngle=-40,
        grid=False,
        **({"values": values} if values else {}),
    )


def configure(chart: alt.TopLevelMixin, fit: bool = True) -> alt.TopLevelMixin:
    """Apply the house look: big readable type, no chart border, no per-mark ARIA descriptions.

    `fit` stretches a single chart to the container's width; faceted charts cannot fit and keep
    their own fixed widths.
    """
    padding = {"top": 16, "left": 8, "right": 16, "bottom": 8}
    sized = (
        chart.properties(padding=padding, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        if fit
        else chart.properties(padding=padding)
    )
    return (
        sized.configure_axis(labelFontSize=14, titleFontSize=15, labelFont=FONT, titleFont=FONT)
        .configure_legend(
            labelFontSize=14,
            titleFontSize=14,
            labelFont=FONT,
            titleFont=FONT,
            orient="top",
            columns=2,
            symbolStrokeWidth=4,
            symbolOpacity=1,
            labelLimit=400,
            titleLimit=600,
        )
        .configure_title(fontSize=20, font=FONT, anchor="start", subtitleFontSize=14, subtitleFont=FONT)
        .configure_view(stroke=None)
        # No screen-reader description per point, line and label: a chart of 11 LAs over 4 years
        # would read out 40-odd "year: …; pct: …" strings. The chart's alt text (a sentence of its
        # message) and its "Table of the plotted data" say it better; axes, legend and title keep
        # theirs. It also spares the browser building those strings on every redraw.
        .configure_mark(aria=False)
    )


def _target_labels(targets: pd.DataFrame, x: alt.X, y: alt.Y, colour: alt.Color) -> alt.LayerChart:
    """'2028 target' and the value, on two lines right of each diamond, where no line runs.

    Each label is centred on its diamond; when the two targets are close, the higher label sits
    above its diamond and the lower one below, so they cannot overlap. Always two layers (the
    higher target, the lower), so the spec only changes between LAs when the placement does.
    """
    ranked = targets.sort_values("pct", ascending=False).assign(rank=range(len(targets)))
    close = len(ranked) == 2 and ranked["pct"].iloc[0] - ranked["pct"].iloc[1] < CLOSE_TARGETS_POINTS
    return alt.layer(
        *(
            alt.Chart(ranked)
            .transform_filter(alt.datum.rank == rank)
            .transform_calculate(label="'2028 target\\n' + datum.value")
            .mark_text(
                align="left",
                dx=14,
                baseline=("bottom", "top")[rank] if close else "middle",
                fontSize=14,
                fontWeight="bold",
                font=FONT,
                lineBreak="\n",
            )
            .encode(x=x, y=y, color=colour, text=alt.Text("label:N"))
            for rank in (0, 1)
        )
    )


def trajectory_chart(
    data: pd.DataFrame, area_name: str, latest_year: int, title: str | None = None, description: str | None = None
) -> alt.Chart:
    """GLD over time against the 2028 target, all and FSM, LA beside England.

    The 2013–2019 framework is drawn muted in its own segment, 2020–21 is shaded "no assessment",
    targets are diamonds at 2027/28 and the required path from the latest year is dashed.
    """
    series_order = list(dict.fromkeys(data["series"]))
    area_of = dict(zip(data["series"], data["area"], strict=False))
    colours = []
    for series in series_order:
        is_fsm = "FSM-eligible" in series
        is_england = area_of[series] == "England" and area_name != "England"
        colours.append(
            (ENGLAND_FSM if is_fsm else ENGLAND_ALL) if is_england else (FSM_COLOUR if is_fsm else ALL_COLOUR)
        )
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=series_order, range=colours))
    # Room right of 2027/28 for the target labels, clear of every line; no ticks there.
    x_scale = alt.Scale(domain=[OLD_FRAMEWORK[0] - 0.5, TARGET_YEAR + TARGET_LABEL_ROOM], nice=False, zero=False)
    x_axis = _year_axis(values=list(range(OLD_FRAMEWORK[0], TARGET_YEAR + 1)))
    x = alt.X("year:Q", axis=x_axis, scale=x_scale)
    y = alt.Y("pct:Q", title="% reaching a good level of development", scale=alt.Scale(zero=False, nice=True))
    tooltip = [
        alt.Tooltip("area:N", title="Area"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("academic_year:N", title="Year"),
        alt.Tooltip("value:N", title="GLD"),
        alt.Tooltip("kind:N", title="Type"),
    ]

    actual = data[data["kind"] == "actual"]
    old = actual[actual["framework"] == "2013-2019"]
    new = actual[actual["framework"] == "2022 onwards"]
    base_width = alt.condition(alt.datum.area == "England", alt.value(2.5), alt.value(4))

    bands = pd.DataFrame(
        [
            {
                "start": NO_ASSESSMENT[0] - 0.5,
                "end": NO_ASSESSMENT[1] + 0.5,
                "label": "No assessment",
                "label2": "(COVID-19)",
            },
        ]
    )
    band = (
        alt.Chart(bands)
        .mark_rect(color="#e5e7eb", opacity=0.8)
        .encode(x=alt.X("start:Q", scale=x_scale, axis=x_axis), x2="end:Q")
    )
    band_text = (
        alt.Chart(bands)
        .mark_text(align="center", baseline="top", dy=6, fontSize=13, color="#374151", font=FONT)
        .encode(x=alt.X("mid:Q", scale=x_scale), y=alt.value(0), text="label:N")
        .transform_calculate(mid="(datum.start + datum.end) / 2")
    )
    band_text2 = band_text.encode(text="label2:N", y=alt.value(18))
    old_note = (
        alt.Chart(pd.DataFrame([{"x": 2016, "text": "2013–2019 framework: not comparable with 2022 onwards"}]))
        .mark_text(fontSize=13, color="#4b5563", baseline="bottom", dy=-6, font=FONT, fontStyle="italic")
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.value(HEIGHT), text="text:N")
    )

    old_lines = (
        alt.Chart(old)
        .mark_line(point=alt.OverlayMarkDef(size=40), opacity=0.35)
        .encode(x=x, y=y, color=colour, detail="series:N", strokeWidth=base_width, tooltip=tooltip)
    )
    new_lines = (
        alt.Chart(new)
        .mark_line(point=alt.OverlayMarkDef(size=70, filled=True))
        .encode(
            x=x,
            y=y,
            color=colour,
            detail="series:N",
            strokeWidth=base_width,
            strokeDash=alt.condition(alt.datum.area == "England", alt.value([6, 3]), alt.value([1, 0])),
            tooltip=tooltip,
        )
    )
    required = (
        alt.Chart(data[data["kind"] == "required path"])
        .mark_line(strokeDash=[2, 4], strokeWidth=3)
        .encode(x=x, y=y, color=colour, detail="series:N", tooltip=tooltip)
    )
    targets = data[data["kind"] == "target"]
    target_points = (
        alt.Chart(targets)
        .mark_point(shape="diamond", size=260, filled=True, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
    )
    target_labels = _target_labels(targets, x, y, colour)
    latest = alt.Chart(new[(new["year"] == latest_year) & (new["area"] == area_name)]).encode(
        x=x, y=y, text=alt.Text("value:N")
    )
    text = {"align": "left", "dx": 6, "dy": 16, "fontSize": 14, "fontWeight": "bold", "font": FONT}
    # A white halo under each latest value keeps it legible where a line runs through it (when the
    # LA's all and FSM values, or England's, are close).
    latest_labels = alt.layer(
        latest.mark_text(**text, stroke="white", strokeWidth=5, strokeJoin="round", fill="white"),
        latest.mark_text(**text).encode(color=colour),
    )

    flagged = (
        actual[actual["low_reliability"] & actual["pct"].notna()] if "low_reliability" in actual else actual.iloc[0:0]
    )
    low_rings = (
        alt.Chart(flagged)
        .mark_point(shape="circle", size=260, filled=False, strokeWidth=2.5, color="#111827")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    # Words, not ◆ and ○: the PNG renderer's fonts lack those glyphs and it then sets the whole
    # subtitle in a serif fallback.
    subtitle = "Solid: actual · dashed thin: England · dotted: path needed to reach the target · diamond: 2028 target"
    if not flagged.empty:
        subtitle += " · open ring: low reliability (under 30 children)"
    chart = alt.layer(
        band,
        band_text,
        band_text2,
        old_note,
        old_lines,
        new_lines,
        required,
        target_points,
        target_labels,
        latest_labels,
        low_rings,
    ).properties(
        width="container",
        height=HEIGHT,
        title=alt.Title(title or f"{area_name}: good level of development against the 2028 target", subtitle=subtitle),
        description=description or f"Line chart of good level of development in {area_name} against the 2028 target",
    )
    return configure(chart)


def gap_chart(
    data: pd.DataFrame, area_name: str, title: str | None = None, description: str | None = None
) -> alt.Chart:
    """The FSM gap by year, the area beside England, one line per group the gap compares with.

    Solid: against all other children (DfE's published gap); dashed: against children known not to
    be eligible. The two are different measures and are never joined; 2021/22 has both.
    """
    plotted = data.dropna(subset=["gap_points"])
    england_colour = ALL_COLOUR if area_name == "England" else MUTED
    x_scale = alt.Scale(domain=[OLD_FRAMEWORK[0] - 0.5, int(data["year"].max()) + 0.5], nice=False, zero=False)
    x = alt.X("year:Q", axis=_year_axis(), scale=x_scale)
    y = alt.Y("gap_points:Q", title="Gap (percentage points)", scale=alt.Scale(zero=True))
    # Blue for the area, grey for England, named in the subtitle rather than a legend: the spec
    # then holds no LA name and the page redraws the chart in place for another LA.
    colour = alt.condition(alt.datum.area == "England", alt.value(england_colour), alt.value(ALL_COLOUR))
    comparisons = list(GAP_COMPARISONS)
    dash = alt.StrokeDash(
        "comparison:N",
        title="FSM-eligible children compared with",
        scale=alt.Scale(domain=comparisons, range=[[1, 0], [7, 4]]),
        legend=alt.Legend(orient="top", direction="vertical", symbolType="stroke", symbolSize=600),
    )
    shape = alt.Shape("comparison:N", scale=alt.Scale(domain=comparisons, range=["circle", "square"]), legend=None)
    tooltip = [
        alt.Tooltip("area:N", title="Area"),
        alt.Tooltip("academic_year:N", title="Year"),
        alt.Tooltip("comparison:N", title="Compared with"),
        alt.Tooltip("fsm_value:N", title="FSM GLD"),
        alt.Tooltip("comparison_value:N", title="Comparison group GLD"),
        alt.Tooltip("gap:N", title="Gap (percentage points)"),
    ]
    detail = [alt.Detail("area:N"), alt.Detail("comparison:N")]
    old = (
        alt.Chart(plotted[plotted["framework"] == "2013-2019"])
        .mark_line(point=True, opacity=0.35, strokeWidth=3)
        .encode(x=x, y=y, color=colour, strokeDash=dash, detail=detail, tooltip=tooltip)
    )
    new_lines = (
        alt.Chart(plotted[plotted["framework"] != "2013-2019"])
        .mark_line(strokeWidth=4)
        .encode(x=x, y=y, color=colour, strokeDash=dash, detail=detail, tooltip=tooltip)
    )
    new_points = (
        alt.Chart(plotted[plotted["framework"] != "2013-2019"])
        .mark_point(size=80, filled=True, opacity=1)
        .encode(x=x, y=y, color=colour, shape=shape, tooltip=tooltip)
    )
    labels = (
        alt.Chart(plotted[(plotted["framework"] != "2013-2019") & (plotted["area"] == area_name)])
        .mark_text(dy=-14, fontSize=13, font=FONT)
        .encode(x=x, y=y, color=colour, text=alt.Text("gap:N"))
    )
    bands = pd.DataFrame([{"start": NO_ASSESSMENT[0] - 0.5, "end": NO_ASSESSMENT[1] + 0.5}])
    band = (
        alt.Chart(bands)
        .mark_rect(color="#e5e7eb", opacity=0.8)
        .encode(x=alt.X("start:Q", scale=x_scale, axis=_year_axis()), x2="end:Q")
    )
    colours = "Blue: the LA · grey: England · " if area_name != "England" else ""
    chart = alt.layer(band, old, new_lines, new_points, labels).properties(
        width="container",
        height=340,
        title=alt.Title(
            title or f"{area_name}: gap between FSM-eligible children and others",
            subtitle=[
                f"{colours}percentage points between the comparison group's GLD and FSM-eligible children's",
                "Before 2020 muted (old framework, not comparable); 2019/20–2020/21 no assessment",
            ],
        ),
        description=description or f"Line chart of the FSM gap in {area_name} beside England",
    )
    return configure(chart)


def peer_dot_chart(data: pd.DataFrame, area_name: str, peer_label: str, year_label: str) -> alt.Chart:
    """Latest GLD (all and FSM) of the LA, its peers, the peer average, region and England.

    The LA is highlighted; the peer average is a simple mean of the peers excluding missing values,
    stated on the chart; hollow rings mark low-reliability values (tiny cohorts).
    """
    role_colour = alt.Scale(
        domain=["Selected LA", "Peer", "Peer average", "Comparator"],
        range=[ALL_COLOUR, "#6b7280", "#111827", "#9ca3af"],
    )
    base = alt.Chart(data).encode(
        # ordered by the all-children value (`order`), a field rather than a list of names, so the
        # spec is the same for every LA
        y=alt.Y(
            "name:N",
            sort=alt.EncodingSortField("order", op="min", order="ascending"),
            title=None,
            axis=alt.Axis(labelLimit=260),
        ),
        x=alt.X("pct:Q", title="% reaching a good level of development", scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip("name:N", title="Area"),
            alt.Tooltip("group:N", title="Pupils"),
            alt.Tooltip("pct:Q", title="GLD %", format=".1f"),
            alt.Tooltip("role:N", title="Role"),
        ],
    )
    dots = base.mark_point(filled=True, opacity=1).encode(
        color=alt.Color("role:N", scale=role_colour, title=None),
        shape=alt.Shape(
            "role:N",
            scale=alt.Scale(
                domain=["Selected LA", "Peer", "Peer average", "Comparator"],
                range=["circle", "circle", "diamond", "square"],
            ),
            title=None,
        ),
        size=alt.condition(alt.datum.role == "Selected LA", alt.value(320), alt.value(140)),
    )
    rings = base.transform_filter(alt.datum.low_reliability).mark_point(
        shape="circle", size=420, filled=False, strokeWidth=2, color="#b91c1c"
    )
    labels = base.mark_text(align="left", dx=12, fontSize=13, font=FONT).encode(
        text=alt.Text("pct:Q", format=".1f"),
        color=alt.condition(alt.datum.role == "Selected LA", alt.value(ALL_COLOUR), alt.value("#374151")),
    )
    chart = (
        alt.layer(dots, rings, labels)
        .properties(width=430, height=alt.Step(26))
        .facet(
            column=alt.Column(
                "group:N", title=None, header=alt.Header(labelFontSize=16, labelFont=FONT, labelFontWeight="bold")
            ),
        )
        .resolve_scale(x="independent")
        .properties(
            title=alt.Title(
                f"{area_name} beside {peer_label}, {year_label}",
                subtitle="Peer average = simple mean of the peers' values, excluding missing values · "
                "red ring: low reliability (tiny cohort)",
            ),
        )
    )
    return configure(chart, fit=False)


def peer_trend_chart(data: pd.DataFrame, area_name: str, group_label: str) -> alt.Chart:
    """GLD since 2021/22 for the LA (bold blue), England (dashed) and each peer (grey); the highest and
    lowest peer in the latest year are named at their line ends (readable on a projector or in a
    PNG); hover any line to highlight and name it."""
    highlight = alt.selection_point(name="highlight", fields=["name"], on="pointerover", nearest=True, empty=False)
    x = alt.X("year:Q", axis=_year_axis(), scale=alt.Scale(nice=False, zero=False))
    y = alt.Y("pct:Q", title=f"% reaching GLD ({group_label})", scale=alt.Scale(zero=False))
    data = data.copy()
    latest = int(data["year"].max()) if not data.empty else 0
    peers = data[(data["name"] != area_name) & (data["name"] != "England")].copy()
    ends = peers[peers["year"] == latest].dropna(subset=["pct"]).sort_values("pct")
    named = {ends["name"].iloc[0], ends["name"].iloc[-1]} if not ends.empty else set()
    # A column, not names in the spec: the on-screen spec stays the same for every LA.
    peers["end_label"] = peers["name"].isin(named) & (peers["year"] == latest)
    own = data[data["name"] == area_name]
    england = data[data["name"] == "England"]
    tooltip = [
        alt.Tooltip("name:N", title="LA"),
        alt.Tooltip("year:Q", title="Year ending"),
        alt.Tooltip("pct:Q", title="GLD %", format=".1f"),
    ]
    peer_lines = (
        alt.Chart(peers)
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            detail="name:N",
            tooltip=tooltip,
            color=alt.condition(highlight, alt.value("#111827"), alt.value("#9ca3af")),
            strokeWidth=alt.condition(highlight, alt.value(3), alt.value(1.5)),
        )
        .add_params(highlight)
        .properties(name="peer_lines")  # a fixed view name: Altair's default is random per chart
    )
    peer_names = (
        alt.Chart(peers)
        .mark_text(align="left", dx=6, fontSize=13, font=FONT, color="#374151")
        .encode(
            x=x,
            y=y,
            text="name:N",
            opacity=alt.condition(highlight | (alt.datum.end_label == True), alt.value(1), alt.value(0)),  # noqa: E712
        )
        .transform_filter(f"datum.year == {latest}")
    )
    england_line = (
        alt.Chart(england)
        .mark_line(point=alt.OverlayMarkDef(color="#4b5563"), strokeDash=[6, 4], strokeWidth=2.5, color="#4b5563")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    england_label = (
        alt.Chart(england[england["year"] == latest])
        .mark_text(align="left", dx=8, dy=10, fontSize=13, fontWeight="bold", font=FONT, color="#4b5563")
        .encode(x=x, y=y, text="name:N")
    )
    own_line = (
        alt.Chart(own)
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True), strokeWidth=4, color=ALL_COLOUR)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    own_label = (
        alt.Chart(own[own["year"] == own["year"].max()])
        .mark_text(align="left", dx=8, fontSize=14, fontWeight="bold", font=FONT, color=ALL_COLOUR)
        .encode(x=x, y=y, text="name:N")
    )
    chart = alt.layer(peer_lines, peer_names, england_line, england_label, own_line, own_label).properties(
        width="container",
        height=380,
        title=alt.Title(
            f"{area_name} and its peers since 2021/22: {group_label}",
            subtitle="Blue: the selected LA · dashed: England · grey: each peer, the highest and lowest named "
            "(hover to name any) · new framework only",
        ),
    )
    return configure(chart)


def cumulative_share_chart(
    data: pd.DataFrame, area_name: str, title: str | None = None, description: str | None = None
) -> alt.Chart:
    """Where the children are: the share of the LA's children held by its wards, most first, one line for
    each count (children in relative low income; in income-deprived families), with the half marked.

    `data`: counted (the line's name), rank (wards so far, most children first), ward, cumulative_pct,
    in_half (the ward is among the fewest that hold half).
    """
    # Not "count": Vega's facet adds a field of that name to each line's group, and the first line vanished.
    counts = list(dict.fromkeys(data["counted"]))
    colour = alt.Color(
        "counted:N",
        title=None,
        scale=alt.Scale(domain=counts, range=[FSM_COLOUR, ALL_COLOUR][: len(counts)]),
        legend=alt.Legend(orient="top", direction="vertical"),
    )
    x = alt.X(
        "rank:Q",
        title="Wards, those with the most children first",
        scale=alt.Scale(domainMin=0, nice=False),
        axis=alt.Axis(format="d", tickMinStep=1),
    )
    y = alt.Y("cumulative_pct:Q", title="% of the LA's children (running total)", scale=alt.Scale(domain=[0, 100]))
    tooltip = [
        alt.Tooltip("counted:N", title="Children"),
        alt.Tooltip("rank:Q", title="Wards"),
        alt.Tooltip("ward:N", title="Last ward added"),
        alt.Tooltip("cumulative_pct:Q", title="Running total (%)", format=".1f"),
    ]
    # The two counts often run almost together: the first is drawn wide and solid, the second thin and
    # dashed on top of it, so both stay visible where they overlap.
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=y,
            color=colour,
            strokeWidth=alt.StrokeWidth("counted:N", scale=alt.Scale(domain=counts, range=[6, 2.5]), legend=None),
            strokeDash=alt.StrokeDash("counted:N", scale=alt.Scale(domain=counts, range=[[1, 0], [6, 3]]), legend=None),
        )
    )
    points = alt.Chart(data).mark_point(filled=True, size=30).encode(x=x, y=y, color=colour, tooltip=tooltip)
    half = alt.Chart(pd.DataFrame({"y": [50]})).mark_rule(strokeDash=[6, 4], color="#4b5563").encode(y="y:Q")
    half_label = (
        alt.Chart(pd.DataFrame({"y": [50], "text": ["half"]}))
        .mark_text(align="left", dx=6, dy=-8, fontSize=13, color="#374151", font=FONT)
        .encode(y="y:Q", x=alt.value(0), text="text:N")
    )
    reached = (
        alt.Chart(data)
        .transform_filter(alt.datum.in_half)
        .transform_joinaggregate(last="max(rank)", groupby=["counted"])
        .transform_filter("datum.rank == datum.last")
        .mark_point(shape="diamond", size=200, filled=True, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
    )
    chart = alt.layer(half, half_label, lines, points, reached).properties(
        width="container",
        height=340,
        title=alt.Title(
            title or f"{area_name}: where the children are",
            subtitle="Running total of the LA's children, wards with the most first · diamond: the ward that makes half",
        ),
        description=description or f"Cumulative share of children by ward in {area_name}",
    )
    return configure(chart)


# The LA and what it is compared with on the focus page, in legend order.
FOCUS_ROLES = ("Selected LA", "Statistical neighbours' average", "Region", "England")
FOCUS_COLOURS = (ALL_COLOUR, "#111827", "#8b5cf6", MUTED)
FOCUS_SHAPES = ("circle", "diamond", "triangle-up", "square")


def _focus_colour(roles: tuple[str, ...] = FOCUS_ROLES) -> alt.Color:
    colours = dict(zip(FOCUS_ROLES, FOCUS_COLOURS, strict=True))
    return alt.Color(
        "role:N",
        title=None,
        scale=alt.Scale(domain=list(roles), range=[colours[role] for role in roles]),
        legend=alt.Legend(orient="top"),
    )


def comparison_dot_chart(
    data: pd.DataFrame,
    title: str,
    subtitle: str,
    x_title: str,
    description: str | None = None,
    roles: tuple[str, ...] = FOCUS_ROLES,
) -> alt.Chart:
    """One row per item (an area of learning, a pupil group): the LA's value beside its comparators.

    `data`: item, order (row order), role (one of FOCUS_ROLES), pct, label (the value as published),
    status ('published' or why there is no value), small (a red ring: a small or unknown group). An
    item whose LA value is not published says so in words at the left of its row; it never shows as 0.
    `roles`: those in the data, in legend order.
    """
    y = alt.Y(
        "item:N",
        sort=alt.EncodingSortField("order", op="min"),
        title=None,
        axis=alt.Axis(labelLimit=330, labelFontSize=14),
    )
    x = alt.X("pct:Q", title=x_title, scale=alt.Scale(zero=False, nice=True))
    tooltip = [
        alt.Tooltip("item:N", title="Row"),
        alt.Tooltip("role:N", title="Who"),
        alt.Tooltip("label:N", title="Value"),
    ]
    shown = alt.Chart(data).transform_filter("isValid(datum.pct)")
    rule = (
        shown.transform_aggregate(low="min(pct)", high="max(pct)", groupby=["item", "order"])
        .mark_rule(color="#d1d5db", strokeWidth=2)
        .encode(y=y, x="low:Q", x2="high:Q")
    )
    dots = shown.mark_point(filled=True, opacity=1).encode(
        y=y,
        x=x,
        color=_focus_colour(roles),
        shape=alt.Shape(
            "role:N",
            scale=alt.Scale(
                domain=list(roles), range=[dict(zip(FOCUS_ROLES, FOCUS_SHAPES, strict=True))[r] for r in roles]
            ),
            title=None,
        ),
        size=alt.condition(alt.datum.role == FOCUS_ROLES[0], alt.value(300), alt.value(130)),
        tooltip=tooltip,
    )
    rings = (
        shown.transform_filter(alt.datum.small)
        .mark_point(shape="circle", size=650, filled=False, strokeWidth=2.5, color="#b91c1c")
        .encode(y=y, x=x)
    )
    own_label = (
        shown.transform_filter(alt.datum.role == FOCUS_ROLES[0])
        .mark_text(align="left", dx=12, dy=-12, fontSize=13, fontWeight="bold", font=FONT, color=ALL_COLOUR)
        .encode(y=y, x=x, text="label:N")
    )
    hidden = (
        alt.Chart(data)
        .transform_filter(f"datum.role == '{FOCUS_ROLES[0]}' && !isValid(datum.pct)")
        .mark_text(align="left", fontSize=13, font=FONT, color="#b91c1c", fontStyle="italic")
        .encode(y=y, x=alt.value(6), text="status:N")
    )
    chart = alt.layer(rule, dots, rings, own_label, hidden).properties(
        width="container",
        height=alt.Step(40),
        title=alt.Title(title, subtitle=subtitle),
        description=description or title,
    )
    return configure(chart)


def small_multiples_chart(
    data: pd.DataFrame, title: str, subtitle: str, y_title: str, description: str | None = None, columns: int = 4
) -> alt.Chart:
    """A panel per item (an area of learning), each a line per role over the years, one shared y scale.

    `data`: item, panel (its header), order, year (end year), role, pct, label. Only the years given are drawn: the page
    passes the reformed framework's years only, so no line crosses the 2021 break.
    """
    x = alt.X("year:O", title=None, axis=alt.Axis(labelExpr=_ACADEMIC_YEAR, labelAngle=-40, labelFontSize=12))
    y = alt.Y("pct:Q", title=y_title, scale=alt.Scale(zero=False, nice=True))
    tooltip = [
        alt.Tooltip("item:N", title="Area"),
        alt.Tooltip("role:N", title="Who"),
        alt.Tooltip("year:O", title="Year ending"),
        alt.Tooltip("label:N", title="Value"),
    ]
    shown = alt.Chart(data).transform_filter("isValid(datum.pct)")
    lines = shown.mark_line(point=alt.OverlayMarkDef(size=50, filled=True)).encode(
        x=x,
        y=y,
        color=_focus_colour(),
        strokeWidth=alt.condition(alt.datum.role == FOCUS_ROLES[0], alt.value(4), alt.value(2)),
        strokeDash=alt.condition(alt.datum.role == FOCUS_ROLES[0], alt.value([1, 0]), alt.value([5, 3])),
        tooltip=tooltip,
    )
    # The LA's latest value written beside its last point, as on the other charts.
    latest = (
        shown.transform_filter(alt.datum.role == FOCUS_ROLES[0])
        .transform_joinaggregate(last="max(year)", groupby=["item"])
        .transform_filter("datum.year == datum.last")
        .mark_text(align="right", dx=-8, dy=-12, fontSize=13, fontWeight="bold", font=FONT, color=ALL_COLOUR)
        .encode(x=x, y=y, text="label:N")
    )
    halo = latest.mark_text(
        align="right", dx=-8, dy=-12, fontSize=13, fontWeight="bold", font=FONT, stroke="white", strokeWidth=4
    )
    chart = (
        alt.layer(lines, halo, latest)
        .properties(width=200, height=170)
        .facet(
            facet=alt.Facet(
                "panel:N",
                title=None,
                sort=alt.EncodingSortField("order", op="min"),
                # `panel` is the item with "|" where a long name breaks onto a second line
                header=alt.Header(
                    labelFontSize=14,
                    labelFont=FONT,
                    labelFontWeight="bold",
                    labelExpr="split(datum.value, '|')",
                    labelLimit=260,
                ),
            ),
            columns=columns,
            spacing={"row": 24, "column": 18},
        )
        # Each panel draws its own years: shared, a short last row leaves the axis of the column above
        # hanging under an empty slot.
        .resolve_axis(x="independent")
        .properties(title=alt.Title(title, subtitle=subtitle), description=description or title)
    )
    return configure(chart, fit=False)


_ACADEMIC_YEAR = "(datum.value - 1) + '/' + substring(toString(datum.value), 2, 4)"


def take_up_chart(
    data: pd.DataFrame, title: str, subtitle: str, target: float | None = None, description: str | None = None
) -> alt.Chart:
    """Two-year-old take-up of funded places over the years: the LA and its comparators, and a target.

    `data`: year (calendar year of the January count), role, pct, label.
    """
    x = alt.X("year:O", title="January of each year", axis=alt.Axis(labelAngle=0))
    y = alt.Y("pct:Q", title="% of eligible two-year-olds taking up a place", scale=alt.Scale(zero=False, nice=True))
    tooltip = [
        alt.Tooltip("role:N", title="Who"),
        alt.Tooltip("year:O", title="January"),
        alt.Tooltip("label:N", title="Take-up"),
    ]
    lines = (
        alt.Chart(data)
        .transform_filter("isValid(datum.pct)")
        .mark_line(point=alt.OverlayMarkDef(size=70, filled=True))
        .encode(
            x=x,
            y=y,
            color=_focus_colour(),
            strokeWidth=alt.condition(alt.datum.role == FOCUS_ROLES[0], alt.value(4), alt.value(2)),
            tooltip=tooltip,
        )
    )
    latest = (
        alt.Chart(data)
        .transform_filter(f"datum.role == '{FOCUS_ROLES[0]}' && isValid(datum.pct)")
        .transform_joinaggregate(last="max(year)")
        .transform_filter("datum.year == datum.last")
        .mark_text(align="left", dx=8, dy=-12, fontSize=14, fontWeight="bold", font=FONT, color=ALL_COLOUR)
        .encode(x=x, y=y, text="label:N")
    )
    layers = [lines, latest]
    # Always drawn (with no rows without a target): the spec keeps one shape whatever is typed.
    rule_data = pd.DataFrame(
        {"target": [target] if target is not None else [], "text": [f"Your target: {target:.1f}%"] if target else []}
    )
    rule = alt.Chart(rule_data).mark_rule(strokeDash=[8, 4], color=ALL_COLOUR, strokeWidth=2).encode(y="target:Q")
    rule_label = (
        alt.Chart(rule_data)
        .mark_text(align="left", dy=-9, fontSize=13, font=FONT, color=ALL_COLOUR, fontWeight="bold")
        .encode(y="target:Q", x=alt.value(6), text="text:N")
    )
    layers += [rule, rule_label]
    chart = alt.layer(*layers).properties(
        width="container", height=360, title=alt.Title(title, subtitle=subtitle), description=description or title
    )
    return configure(chart)
