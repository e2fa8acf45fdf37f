"""Exports: PNGs at slide resolution with their footer, CSVs of the plotted data, the plan pack."""

from __future__ import annotations

import io
import zipfile

import altair as alt
import pandas as pd
import pytest

from profiles.exports import (
    FRAMEWORK_NOTE,
    MIN_WIDTH_PX,
    Export,
    csv_bytes,
    export_csv,
    export_png,
    footer_lines,
    png_size,
    screen_spec,
    with_footer,
)
from profiles.page_exports import plan_pack_for


def tiny_export() -> Export:
    data = pd.DataFrame({"year": [2022, 2025], "pct": [60.0, 62.5]})
    chart = alt.Chart(data).mark_line().encode(x="year:Q", y="pct:Q").properties(title="Tiny")
    return Export("tiny", chart, data, "A tiny line.", footer_lines("Somewhere", "2021/22–2024/25", True))


def test_png_is_a_png_at_least_1600_wide():
    png = export_png(tiny_export())
    width, height = png_size(png)
    assert width >= MIN_WIDTH_PX and height > 200


def test_footer_carries_la_years_source_note_and_date():
    lines = footer_lines("Rotherham", "2012/13–2024/25", True)
    assert lines[0] == "Rotherham · data 2012/13–2024/25"
    assert any(line.startswith("Source:") for line in lines)
    assert FRAMEWORK_NOTE in lines
    assert lines[-1].startswith("Generated ")
    spec = with_footer(tiny_export().spec, lines)
    footer = spec["vconcat"][1]["data"]["values"]
    assert [row["line"] for row in footer] == lines


def test_csv_is_exactly_the_plotted_data():
    text = export_csv(tiny_export()).decode("utf-8-sig")
    assert text.splitlines() == ["year,pct", "2022,60.0", "2025,62.5"]


def test_not_a_png_is_refused():
    with pytest.raises(ValueError):
        png_size(b"GIF89a....")


@pytest.mark.slow
def test_plan_pack_for_rotherham():
    archive = zipfile.ZipFile(io.BytesIO(plan_pack_for("E08000018")))
    names = set(archive.namelist())
    expected = {"profile_trajectory", "profile_fsm_gap", "peers_latest", "wards_map"}
    assert names == {f"{n}.png" for n in expected} | {f"{n}.csv" for n in expected} | {"summary.md"}
    for name in names:
        content = archive.read(name)
        assert content, name
        if name.endswith(".png"):
            assert png_size(content)[0] >= MIN_WIDTH_PX
    summary = archive.read("summary.md").decode()
    assert summary.count("Alt text: ") == 4
    assert "73.3%" in summary and "Rotherham" in summary


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
