"""Exports: PNGs for documents and slides with their footer, CSVs of the plotted data, the plan pack."""

from __future__ import annotations

import io
import zipfile

import altair as alt
import pandas as pd
import pytest

from profiles.exports import (
    DOC_SCALE,
    DOC_WIDTH,
    FRAMEWORK_NOTE,
    Export,
    csv_bytes,
    document_png,
    export_csv,
    footer_lines,
    png_size,
    screen_spec,
    sized_figure,
    slide_png,
)
from profiles.page_exports import plan_pack_for


def tiny_export() -> Export:
    data = pd.DataFrame({"year": [2022, 2025], "pct": [60.0, 62.5]})
    chart = alt.Chart(data).mark_line().encode(x="year:Q", y="pct:Q").properties(title="Tiny")
    return Export("tiny", chart, data, "A tiny line.", footer_lines("Somewhere", "2021/22–2024/25", True))


def test_a_document_png_reads_at_16_cm_and_a_slide_png_is_full_hd():
    width, height = png_size(document_png(tiny_export()))
    assert DOC_WIDTH * DOC_SCALE * 0.9 <= width <= (DOC_WIDTH + 10) * DOC_SCALE and height > 300
    assert png_size(slide_png(tiny_export())) == (1920, 1080)


def test_footer_carries_la_years_source_note_and_date():
    lines = footer_lines("Rotherham", "2012/13–2024/25", True)
    assert lines[0] == "Rotherham · data 2012/13–2024/25"
    assert any(line.startswith("Source:") for line in lines)
    assert FRAMEWORK_NOTE in lines
    assert lines[-1].startswith("Generated ")
    item = tiny_export()
    item.footer = lines
    footer = sized_figure(item, DOC_WIDTH, 400, 300, True)["vconcat"][0]["title"]["text"]
    assert " ".join(footer) == " ".join(lines)  # long lines wrap; nothing is lost


def test_csv_is_exactly_the_plotted_data():
    text = export_csv(tiny_export()).decode("utf-8-sig")
    assert text.splitlines() == ["year,pct", "2022,60.0", "2025,62.5"]


def test_not_a_png_is_refused():
    with pytest.raises(ValueError):
        png_size(b"GIF89a....")


@pytest.mark.slow
def test_plan_pack_for_rotherham():
    """The published-target pack: PNGs for documents and slides, the report's text says what the page says."""
    from docx import Document

    archive = zipfile.ZipFile(io.BytesIO(plan_pack_for("E08000018")))
    names = archive.namelist()
    assert sum(name.endswith("_document.png") for name in names) == sum(name.endswith(".csv") for name in names) == 10
    for name in names:
        content = archive.read(name)
        assert content, name
        if name.endswith("_slide.png"):
            assert png_size(content) == (1920, 1080)
        elif name.endswith("_document.png"):
            assert png_size(content)[0] <= (DOC_WIDTH + 10) * DOC_SCALE
    report = Document(io.BytesIO(archive.read(next(name for name in names if name.endswith(".docx")))))
    text = "\n".join(paragraph.text for paragraph in report.paragraphs)
    assert "furthest behind its statistical neighbours' average in Personal, social and emotional" in text
    assert "7 of Rotherham's 25 wards hold half of its" in text  # where the children are, in words
    assert "73.3%" in text and "Rotherham" in text
    # every chart's source, once: GLD, the focus page's early-education sources, the ward sources
    from profiles.exports import SOURCE_LINE
    from profiles.focus import AREAS_SOURCE, GROUPS_SOURCE, TAKE_UP_SOURCE
    from profiles.wards import WARD_SOURCE

    lines = [paragraph.text for paragraph in report.paragraphs]
    assert all(
        lines.count(line) == 1 for line in (SOURCE_LINE, AREAS_SOURCE, GROUPS_SOURCE, TAKE_UP_SOURCE, WARD_SOURCE)
    )


def test_warming_builds_each_charts_once_and_pages_then_reuse_them(monkeypatch):
    import profiles.page_exports as pack
    from profiles.peers import peer_codes
    from profiles.warm import warm_all

    built, trends = [], []
    real, real_trend = pack.profile_exports, pack.peer_trend_chart
    monkeypatch.setattr(pack, "profile_exports", lambda profile: built.append(profile.code) or real(profile))
    monkeypatch.setattr(
        pack, "peer_trend_chart", lambda data, name, *a: trends.append(name) or real_trend(data, name, *a)
    )
    pack._profile_exports_cached.clear()
    pack.peer_trend_export.clear()
    assert warm_all(["E08000018", "E08000038"], pause=0) == 2
    first = pack.profile_exports_for("E08000018", None, None)  # exactly as the profile page asks
    assert built == ["E08000018", "E08000038"]  # built by the warmer, not again for the page
    peers, description = peer_codes("E08000018", "sn2025", [])
    pack.peer_trend_export("E08000018", tuple(peers), "all", description)  # exactly as the peers page asks
    assert trends == ["Rotherham", "Barnsley"]  # E08000038 is Barnsley
    assert [item.name for item in first] == ["profile_trajectory", "profile_fsm_gap"]
    import pyarrow as pa

    assert isinstance(first[0].display_spec["datasets"][next(iter(first[0].display_spec["datasets"]))], pa.Table)


def test_screen_spec_renames_datasets_and_sets_the_page_title():
    """Hand-made spec: datasets named by position everywhere they are used, title replaced, no description."""
    spec = {
        "title": {"text": "Kent: tiny", "subtitle": "key"},
        "description": "Kent went up.",
        "layer": [{"data": {"name": "data-abc"}, "mark": "line"}, {"data": {"name": "data-def"}, "mark": "point"}],
        "datasets": {"data-abc": [{"x": 1}], "data-def": [{"x": 2}]},
    }
    shown = screen_spec(spec, "Tiny")
    assert shown["title"] == {"text": "Tiny", "subtitle": "key"}
    assert "description" not in shown
    assert [layer["data"]["name"] for layer in shown["layer"]] == ["dataset_0", "dataset_1"]
    assert shown["datasets"] == {"dataset_0": [{"x": 1}], "dataset_1": [{"x": 2}]}
    assert spec["title"]["text"] == "Kent: tiny"  # the export's own spec is left alone


@pytest.mark.parametrize("exports_for", ["profile", "peers"])
def test_on_screen_charts_differ_between_las_only_in_their_data(exports_for):
    """What lets the browser redraw a chart in place on an LA switch; the PNG keeps the LA's name."""
    import vl_convert as vlc

    from profiles.page_exports import peer_exports_for, profile_exports_for

    def exports(code: str) -> list[Export]:
        return profile_exports_for(code, None, None) if exports_for == "profile" else peer_exports_for(code, "sn2025")

    rotherham, kent = exports("E08000018"), exports("E10000016")
    assert len(rotherham) == len(kent) > 0
    for one, other in zip(rotherham, kent, strict=True):
        assert {k: v for k, v in one.display_spec.items() if k != "datasets"} == {
            k: v for k, v in other.display_spec.items() if k != "datasets"
        }
        assert list(one.display_spec["datasets"]) == list(other.display_spec["datasets"])
        assert one.screen_alt == other.screen_alt and "Rotherham" not in one.screen_alt
        assert one.spec["title"]["text"].startswith("Rotherham")  # the PNG's title names the LA
        vlc.vegalite_to_svg(screen_spec(one.spec, one.screen_title))  # and the page's spec compiles


@pytest.mark.parametrize(("fsm_target", "baselines"), [(68.3, ["middle", "middle"]), (74.6, ["bottom", "top"])])
def test_target_labels_sit_right_of_the_diamonds_and_apart(fsm_target, baselines):
    from profiles.charts import _target_labels

    targets = pd.DataFrame(
        {"series": ["FSM-eligible children", "All children"], "year": [2028, 2028], "pct": [fsm_target, 78.2]}
    )
    spec = _target_labels(targets, alt.X("year:Q"), alt.Y("pct:Q"), alt.Color("series:N")).to_dict()
    layers = spec["layer"]
    (rows,) = spec["datasets"].values()
    assert {row["pct"]: row["rank"] for row in rows} == {78.2: 0, fsm_target: 1}
    assert [layer["mark"]["baseline"] for layer in layers] == baselines
    assert all(layer["mark"]["align"] == "left" and layer["mark"]["dx"] > 0 for layer in layers)
    # the higher target is the first layer; each label is "2028 target" over the value
    assert [layer["transform"][0]["filter"] for layer in layers] == ["(datum.rank === 0)", "(datum.rank === 1)"]
    assert "'2028 target\\n'" in layers[0]["transform"][1]["calculate"]


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text():
    import io

    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "Bristol, City of", None],
            "change": [-0.4, 1.0, -2.5, 0.0, 3.0, None],
        }
    )
    text = csv_bytes(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert list(back["name"][:4]) == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)"]
    assert back["name"][4] == "Bristol, City of" and pd.isna(back["name"][5])
    assert list(back["change"][:3]) == [-0.4, 1.0, -2.5]  # numbers stay numbers


def colour_pixels(png: bytes, hex_colour: str, tolerance: int = 40) -> int:
    """How many pixels of a PNG are within `tolerance` (per channel) of a colour."""
    import numpy as np
    from PIL import Image

    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(pixels - target).max(axis=2) <= tolerance).sum())


def test_where_the_children_are_draws_both_lines_even_when_they_coincide():
    from profiles.charts import ALL_COLOUR, FSM_COLOUR, cumulative_share_chart

    # Two counts with the same running shares (40, 70, 90, 100 %): the lines lie on each other.
    rows = [
        {"counted": counted, "rank": rank, "ward": f"W{rank}", "cumulative_pct": pct, "in_half": rank <= 2}
        for counted in ("Children in relative low income", "Children in income-deprived families")
        for rank, pct in zip(range(1, 5), (40.0, 70.0, 90.0, 100.0), strict=True)
    ]
    chart = cumulative_share_chart(pd.DataFrame(rows), "Tiny")
    png = slide_png(Export("tiny", chart, pd.DataFrame(rows), "", footer_lines("Tiny", "2025", False)))
    # The first line (orange) is drawn wide beneath the second (blue, thin, dashed): each shows along
    # the whole chart (about 1,100 px of steps), far more than its legend symbol and points.
    assert colour_pixels(png, FSM_COLOUR) > 3_000
    assert colour_pixels(png, ALL_COLOUR) > 1_500


def test_long_footer_lines_wrap_instead_of_being_cut():
    long_line = "IoD2025 " + "and a long vintage statement " * 12
    lines = footer_lines("Somewhere", long_line.strip(), False)
    item = tiny_export()
    item.footer = lines
    printed = sized_figure(item, 800, 400, 300, False)["vconcat"][0]["title"]["text"]
    assert len(printed) > len(lines) + 3 and all(len(line) <= 100 for line in printed)
    assert " ".join(printed) == " ".join(lines)  # every word kept, in order


def test_a_png_puts_its_title_above_a_top_legend():
    spec = sized_figure(tiny_export(), DOC_WIDTH, 400, 300, True)
    assert spec["title"]["text"] == ["Tiny"] and "title" not in spec["vconcat"][0]["vconcat"][0]


@pytest.mark.slow
def test_ward_exports_name_the_ward_sources_not_the_gld_ones():
    from profiles.page_exports import ward_exports
    from profiles.wards import DEFAULT_MEASURE, WardFilters

    for item in ward_exports("E08000018", DEFAULT_MEASURE, WardFilters()):
        footer = " ".join(item.footer)
        assert "English Indices of Deprivation 2025" in footer and "Children in low income families" in footer
        assert "IoD2019" not in footer and "LAIT" not in footer
        assert "May 2024 ward" in footer and "FYE 2025" in footer


def _png_fills(export) -> dict[str, str]:
    """Area code -> fill colour of a static map export (its GeoJSON features)."""

    def found(node):  # the GeoJSON features, wherever Altair put them in the spec
        if isinstance(node, list) and node and isinstance(node[0], dict) and node[0].get("type") == "Feature":
            return node
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        return next((hit for child in children if (hit := found(child))), None)

    features = found(export.spec)
    key = next(k for k in features[0]["properties"] if k.endswith("_code"))
    return {feature["properties"][key]: feature["properties"]["fill"] for feature in features}


def _deck_fills(deck, key: str) -> dict[str, str]:
    rows = next(
        layer.data for layer in deck.layers if isinstance(layer.data, list) and layer.data and "fill" in layer.data[0]
    )
    assert {row["fill"][3] for row in rows} <= {0, 255}  # opaque, as the key and the PNG (0: outside the filters)
    return {row[key]: "#{:02x}{:02x}{:02x}".format(*row["fill"][:3]) for row in rows if row["fill"][3] > 0}


@pytest.mark.parametrize("measure", ["gld_all", "to_gain_fsm", "change_all"])
def test_the_england_map_png_has_the_screens_colours(measure):
    """Every LA in the same colour on screen and in the PNG (classes from one value per LA)."""
    from profiles.overview import la_map, la_map_export
    from profiles.peers import latest_and_since

    year, since = latest_and_since()
    deck, _, _ = la_map(measure, year, since)
    png = _png_fills(la_map_export(measure, year, since))
    assert len(png) == 153
    assert png == _deck_fills(deck, "area_code")


def test_a_ward_map_png_has_the_screens_colours():
    from profiles.page_exports import ward_exports
    from profiles.wards import WardFilters, apply_filters, ward_map_for, ward_table

    kent = "E10000016"  # 255 wards drawn as 271 shapes: some wards come in parts
    measure = "pct_low_income_2025"
    wards = ward_table(kent)
    deck, _ = ward_map_for(kent, measure, tuple(apply_filters(wards, WardFilters())["ward_code"]))
    export = ward_exports(kent, measure, WardFilters())[0]
    assert _png_fills(export) == _deck_fills(deck, "ward_code")


def test_each_chart_names_its_own_sources_only():
    from profiles.page_exports import Choices, report_sections

    footers = {
        item.name: " ".join(item.footer) for _, section in report_sections("E08000018", Choices()) for item in section
    }
    assert "2028 targets: as each LA published it" in footers["profile_trajectory"]
    assert "2028 targets" not in footers["profile_fsm_gap"] and "Fingertips" in footers["profile_fsm_gap"]
    for peers in ("peers_latest", "peers_trend_all"):
        assert "statistical neighbours (May 2025)" in footers[peers]
        assert "Fingertips" not in footers[peers] and "IoD" not in footers[peers]
    assert "LAIT" not in footers["wards_map"] and "Indices of Deprivation 2025" in footers["wards_map"]
    assert all("…" not in footer for footer in footers.values())


def test_the_peers_trend_names_its_lines_without_hovering():
    """Rotherham's May 2025 neighbours in 2024/25 (LAIT): Wakefield highest (69.6), Tameside lowest (61.6)."""
    from profiles.page_exports import peer_trend_export
    from profiles.peers import peer_codes

    peers, description = peer_codes("E08000018", "sn2025", [])
    item = peer_trend_export("E08000018", tuple(peers), "all", description)
    assert "the highest was Wakefield (69.6%), the lowest Tameside (61.6%)" in item.alt_text
    assert "England" in set(item.data["name"])
    labelled = [
        row["name"]
        for name, rows in item.spec["datasets"].items()
        for row in rows
        if isinstance(row, dict) and row.get("end_label")
    ]
    assert sorted(labelled) == ["Tameside", "Wakefield"]
