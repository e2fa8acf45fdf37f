"""Peer queries on the built database: sets, means excluding missing values, ranks and quartiles."""

from __future__ import annotations

import pandas as pd
import pytest

from profiles.maps import classify
from profiles.peers import doing_better_for_fsm, la_latest, peer_codes

ROTHERHAM = "E08000018"


def test_sn2025_neighbours_nearest_first():
    # DfE's May 2025 statistical neighbours of Rotherham (sn_may_2025.xlsx, LA 372: SN1 to SN10 =
    # 370, 357, 371, 384, 894, 332, 807, 394, 390, 840), as current ONS codes.
    codes, text = peer_codes(ROTHERHAM, "sn2025", [])
    assert codes == [
        "E08000038",  # Barnsley (new code from May 2025)
        "E08000008",  # Tameside
        "E08000017",  # Doncaster
        "E08000036",  # Wakefield
        "E06000020",  # Telford and Wrekin
        "E08000027",  # Dudley
        "E06000003",  # Redcar and Cleveland
        "E08000024",  # Sunderland
        "E08000037",  # Gateshead
        "E06000047",  # County Durham
    ]
    assert "nearest first" in text


def test_peer_mean_is_simple_mean_excluding_missing(monkeypatch):
    import profiles.peers as peers

    # Three peers, one with no FSM value: the mean is (50.0 + 61.0) / 2 = 55.5 over 2 LAs.
    table = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "name": ["Own", "Peer B", "Peer C", "Peer D"],
            "gld_all": [60.0, 62.0, 64.0, 66.0],
            "gld_fsm": [40.0, 50.0, None, 61.0],
            "fsm_gap": [20.0, 12.0, None, 5.0],
            "to_gain_all": [9.0, 8.0, 7.0, None],
            "to_gain_fsm": [9.0, 9.0, None, 9.0],
            "change_all": [1.0, 2.0, 3.0, 4.0],
        }
    )
    monkeypatch.setattr(peers, "la_latest", lambda year, since: table)
    peers.comparison.clear()
    rows, means = peers.comparison("A", ["B", "C", "D"], 2025, 2022)
    peers.comparison.clear()
    assert list(rows["role"]) == ["Selected LA", "Peer", "Peer", "Peer"]
    assert means["gld_fsm"] == (55.5, 2)
    assert means["gld_all"] == (64.0, 3)  # (62 + 64 + 66) / 3; the LA itself is not a peer
    assert means["to_gain_all"] == (7.5, 2)


def test_ranks_and_quartiles_cover_all_las():
    table = la_latest(2025, 2022)
    assert len(table) == 153
    assert table["rank_all"].min() == 1 and table["rank_all"].max() <= 153
    top = table.sort_values("gld_all", ascending=False).iloc[0]
    assert top["rank_all"] == 1 and top["quartile_all"] == 1
    # Tiny LAs are ranked but flagged.
    flagged = set(table.loc[table["tiny"], "name"])
    assert {"City of London", "Isles of Scilly"} <= flagged


def test_doing_better_for_fsm_is_sorted_and_positive():
    codes, _ = peer_codes(ROTHERHAM, "sn2025", [])
    better = doing_better_for_fsm(ROTHERHAM, codes, 2025, 2022)
    assert not better.empty
    assert (better["ahead_by"] > 0).all()
    assert list(better["ahead_by"]) == sorted(better["ahead_by"], reverse=True)


def test_quantile_classes_on_a_tiny_fixture():
    colours, legend = classify(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, None]), "blues", classes=4)
    assert colours[-1][:3] == [210, 210, 210]  # missing: grey
    assert colours[0] != colours[4]
    assert legend.entries[0][1] == "1.0 to 2.0" and legend.entries[-1][1] == "no data"


@pytest.mark.parametrize("peer_set", ["sn2021"])
def test_cumberland_has_no_2021_neighbours(peer_set):
    codes, text = peer_codes("E06000063", peer_set, [])
    assert codes == [] and "did not exist" in text


def test_kent_ward_map_payload_under_300_kb():
    from profiles.maps import payload_bytes
    from profiles.wards import ward_map, ward_table

    wards = ward_table("E10000016")
    assert len(wards) == 255  # Kent's May 2024 wards
    for measure in ("idaci_decile", "imd_avg_rank", "pct_low_income_2025"):
        deck, _ = ward_map("E10000016", measure, wards, wards)
        assert payload_bytes(deck) < 300_000, measure


def test_cached_ward_map_is_shared_and_fades_the_wards_filtered_out():
    import json

    from profiles.wards import ward_map_for, ward_table

    wards = ward_table("E08000018")
    shown = tuple(wards["ward_code"][:3])
    deck, _ = ward_map_for("E08000018", "idaci_decile", shown)
    assert ward_map_for("E08000018", "idaci_decile", shown)[0] is deck  # one deck, one JSON, shared
    rows = json.loads(deck.to_json())["layers"][0]["data"]
    assert {row["ward_code"] for row in rows} == set(wards["ward_code"])  # a row per part of each ward
    faded = {row["ward_code"] for row in rows if row["fill"][3] == 0}
    assert faded == set(wards["ward_code"]) - set(shown)


def test_outline_paths_draw_a_shared_border_once():
    from profiles.maps import outline_paths

    left = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    right = [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]
    paths = outline_paths([left, right])

    def segments(lines):
        return sorted(tuple(sorted((tuple(a), tuple(b)))) for line in lines for a, b in zip(line, line[1:]))

    # Two squares have 8 edges between them; the one they share is drawn once.
    assert segments(paths) == sorted(set(segments(left + right)))
    assert len(segments(paths)) == 7
    assert outline_paths([]) == []


def test_maps_fit_the_whole_area_and_start_from_one_view():
    import json

    from profiles.maps import FIT_MARGIN, FIT_WIDTH, WARD_MAP_HEIGHT, fit
    from profiles.wards import ward_map, ward_table

    # A 1-degree square on the equator in a 560-pixel map: its height limits the zoom, to
    # log2(560 × 0.92 / (512 / 360)) = 8.50 (the world is 512 pixels wide at zoom 0), and at that
    # zoom its corner (0.5°, 0.5°) is 512 × 2^8.50 / 720 = 257.6 pixels right of and above the centre.
    square = pd.DataFrame({"polygon": [[[[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]]]]})
    place = fit(square, 560)
    assert place.zoom == pytest.approx(8.50, abs=0.01)
    assert place.x == pytest.approx(0.5) and place.y == pytest.approx(0.5)
    (corner,) = place.plane([[[0.5, 0.5]]], 1)
    assert corner[0][0] == pytest.approx(257.6, abs=0.1) and corner[0][1] == pytest.approx(-257.6, abs=0.1)

    # Rotherham is taller than it is wide, Kent wider than tall: each fills its map's height or
    # width (less the margin), centred, and both maps start from the same view, so an LA switch
    # changes only the layers (the browser draws the map once, not twice).
    specs = []
    for code, limit in (("E08000018", "height"), ("E10000016", "width")):
        wards = ward_table(code)
        spec = json.loads(ward_map(code, "idaci_decile", wards, wards)[0].to_json())
        points = [point for row in spec["layers"][0]["data"] for ring in row["polygon"] for point in ring]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        half_width, half_height = FIT_WIDTH * FIT_MARGIN / 2, WARD_MAP_HEIGHT * FIT_MARGIN / 2
        assert max(xs) <= half_width + 0.01 and max(ys) <= half_height + 0.01
        assert max(xs) + min(xs) == pytest.approx(0, abs=0.02) and max(ys) + min(ys) == pytest.approx(0, abs=0.02)
        filled = max(ys) if limit == "height" else max(xs)
        assert filled == pytest.approx(half_height if limit == "height" else half_width, abs=0.01)
        specs.append(spec)
    start = {"target": [0, 0, 0], "zoom": 0, "minZoom": -1, "maxZoom": 7}
    assert specs[0]["initialViewState"] == specs[1]["initialViewState"] == start
    assert specs[0]["views"] == [{"@@type": "OrthographicView", "controller": True}]


def test_ward_map_layers_and_no_base_map():
    import json

    from profiles.wards import ward_map, ward_table

    wards = ward_table("E10000016")
    deck, _ = ward_map("E10000016", "idaci_decile", wards, wards)
    spec = json.loads(deck.to_json())
    # pydeck's placeholder style with no provider: Streamlit then draws no base map and asks no
    # tile server for one (with map_style=None it would put in Carto's).
    assert spec["mapStyle"] == "__MAP_STYLE__"
    fills, borders = spec["layers"]  # nothing is estimated by area any more: no outline layer
    assert [layer["id"] for layer in spec["layers"] if layer["pickable"]] == ["ward_choropleth"]
    assert len({row["ward_code"] for row in fills["data"]}) == 255 and not fills["stroked"]
    ring_segments = sum(len(ring) - 1 for row in fills["data"] for ring in row["polygon"])
    border_segments = sum(len(row["path"]) - 1 for row in borders["data"])
    assert border_segments < 0.6 * ring_segments  # Kent's shared borders drawn once: about half
    # The tooltip names the ward and its district, not codes.
    tooltip = deck._tooltip["html"]  # pydeck keeps the tooltip beside the JSON; Streamlit sends both
    assert "{ward_name}</b>, {lad_name}" in tooltip and "{ward_code}" not in tooltip
    # Borders are placed in the same pixels as the fills (not left in longitude and latitude).
    xs = [x for row in fills["data"] for ring in row["polygon"] for x, _ in ring]
    ys = [y for row in fills["data"] for ring in row["polygon"] for _, y in ring]
    border_points = [point for row in borders["data"] for point in row["path"]]
    assert all(min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) for x, y in border_points)
    assert min(x for x, _ in border_points) == min(xs) and max(y for _, y in border_points) == max(ys)


def test_a_cached_deck_is_never_changed_by_being_drawn():
    """A deck's JSON is made when it is built, before it is cached and shared: drawing it (as a page
    does, with st.pydeck_chart) leaves it exactly as it was."""

    def page():
        import copy
        import json

        import streamlit as st

        from profiles.wards import ward_map_for, ward_table

        shown = tuple(ward_table("E08000018")["ward_code"])
        deck, _ = ward_map_for("E08000018", "idaci_decile", shown)
        before, text = copy.copy(deck.__dict__), deck.to_json()
        st.pydeck_chart(deck, key="map")
        st.pydeck_chart(deck, key="again")
        spec = json.loads(text)
        st.markdown(
            f"unchanged={deck.__dict__ == before and deck.to_json() is text} "
            f"compact={chr(10) not in text and '_json' not in text} first_layer={spec['layers'][0]['id']}"
        )

    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(page).run()
    assert not app.exception, app.exception
    assert app.markdown[0].value == "unchanged=True compact=True first_layer=ward_choropleth"
    assert len(app.get("deck_gl_json_chart")) == 2


def test_top_wards_on_a_tiny_fixture():
    from profiles.wards import top_wards

    wards = pd.DataFrame(
        {
            "ward_name": ["A", "B", "C", "D"],
            "lad_name": ["North", "North", "South", "South"],
            "idaci_decile": [2, 1, 1, 5],
            "imd_decile": [2, 1, 3, 4],
            "idaci_avg_rank": [4000.4, 900.0, 700.0, 20000.0],
            "children_0_15": [1500.0, 800.6, 300.0, 2500.0],
            "pct_low_income_2025": [10.0, 55.5, 80.25, 0.0],
            "low_income_change": [0.4, -1.2, 2.5, 0.0],
        }
    )
    # Decile 1 first, the tie broken by the lower IDACI rank (C before B); then A; three asked for.
    table, caption = top_wards(wards, "idaci_decile", count=3)
    assert list(table["Ward"]) == ["C", "B", "A"] and list(table["District"]) == ["South", "North", "North"]
    assert caption == (
        "The first 3 of the 4 wards shown, by IDACI ward decile, IoD2025 (1 = most deprived), most deprived first"
    )
    assert list(table["Children aged 0–15"]) == [300, 801, 1500]
    assert list(table.columns) == [
        "Ward",
        "District",
        "IDACI ward decile, IoD2025 (1 = most deprived)",
        "Children aged 0–15",
        "% in relative low income (DWP, FYE 2025)",
        "IMD ward decile",
    ]  # a measure that is also a standing column is not repeated
    # Most children first; the highest share first; the largest rise first; all four fit, so the caption says so.
    assert list(top_wards(wards, "children_0_15")[0]["Ward"]) == ["D", "A", "B", "C"]
    table, caption = top_wards(wards, "pct_low_income_2025")
    assert list(table["Ward"]) == ["C", "B", "A", "D"] and table.iloc[0, 2] == 80.25
    assert caption.startswith("The 4 wards shown, by % of children in relative low income") and caption.endswith(
        "highest first"
    )
    assert list(top_wards(wards, "low_income_change")[0]["Ward"]) == ["C", "A", "D", "B"]
    assert top_wards(wards.head(1), "imd_decile")[1].startswith("The 1 ward shown,")


def test_where_the_children_are_on_a_tiny_fixture():
    from profiles.wards import where_children_are

    wards = pd.DataFrame(
        {
            "ward_name": ["A", "B", "C", "D", "E"],
            "lad_name": ["X"] * 5,
            "low_income_children_2025": [100, 400, 300, 200, None],
        }
    )
    # 1,000 children: B (400) holds 40%, with C (300) 70%: the fewest that hold half are B and C.
    sentence, data = where_children_are("Tiny", wards, "low_income_children_2025")
    assert sentence == (
        "2 of Tiny's 4 wards hold half of its 1,000 children in relative low income (DWP, FYE 2025) "
        "(1 ward with no figure left out): B, C."
    )
    assert list(data["ward"]) == ["B", "C", "D", "A"] and list(data["cumulative_pct"]) == [40.0, 70.0, 90.0, 100.0]
    assert list(data["in_half"]) == [True, True, False, False]
    # Exactly half with one ward: that ward alone.
    even = wards.assign(low_income_children_2025=[500, 200, 200, 100, None])
    assert where_children_are("Even", even, "low_income_children_2025")[0].startswith("1 of Even's 4 wards")


def test_ward_filters_keep_only_what_they_can_judge():
    from profiles.wards import WardFilters, apply_filters

    wards = pd.DataFrame(
        {
            "ward_code": ["A", "B", "N"],
            "idaci_decile": [1, 5, None],  # N: a ward with no LSOA of its own, no deprivation figures
            "imd_decile": [2, 2, None],
            "children_0_15": [100, 2000, None],
        }
    )
    assert list(apply_filters(wards, WardFilters())["ward_code"]) == ["A", "B", "N"]
    assert list(apply_filters(wards, WardFilters(decile_range=(1, 9)))["ward_code"]) == ["A", "B"]
    assert list(apply_filters(wards, WardFilters(min_children=50))["ward_code"]) == ["A", "B"]


def test_ward_filters_on_a_tiny_fixture():
    from profiles.wards import WardFilters, apply_filters, parse_decile_range

    wards = pd.DataFrame(
        {
            "ward_code": ["A", "B", "C"],
            "idaci_decile": [1, 5, 9],
            "imd_decile": [2, 2, 2],
            "children_0_15": [100, 2000, 3000],
        }
    )
    assert list(apply_filters(wards, WardFilters(decile_range=(1, 5)))["ward_code"]) == ["A", "B"]
    assert list(apply_filters(wards, WardFilters(min_children=1000))["ward_code"]) == ["B", "C"]
    assert list(apply_filters(wards, WardFilters(ward_codes=("C",), decile_range=(1, 10)))["ward_code"]) == ["C"]
    assert list(apply_filters(wards, WardFilters(decile_range=(5, 1)))["ward_code"]) == ["A", "B"]  # either way
    assert parse_decile_range("1-3") == (1, 3) and parse_decile_range("3-1") is None
    assert parse_decile_range("1;DROP") is None and parse_decile_range("0-11") is None


def test_national_map_payload_stays_small():
    # Streamlit drops click selections on much larger deck specs (docs/PERFORMANCE.md).
    from profiles.maps import payload_bytes
    from profiles.overview import la_map

    deck, legend, _ = la_map("gld_all", 2025, 2022)
    assert payload_bytes(deck) < 250_000
    assert len(legend.entries) == 5
