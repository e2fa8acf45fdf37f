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
    export_csv,
    export_png,
    footer_lines,
    png_size,
    with_footer,
)
from profiles.pack import plan_pack_for


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
    import profiles.pack as pack
    from profiles.warm import warm_all

    built = []
    real = pack.profile_exports
    monkeypatch.setattr(pack, "profile_exports", lambda profile: built.append(profile.code) or real(profile))
    pack._profile_exports_cached.clear()
    assert warm_all(["E08000018", "E08000038"], pause=0) == 2
    first = pack.profile_exports_for("E08000018", None, None)  # exactly as the profile page asks
    assert built == ["E08000018", "E08000038"]  # built by the warmer, not again for the page
    assert [item.name for item in first] == ["profile_trajectory", "profile_fsm_gap"]
    assert isinstance(first[0].display_spec["datasets"][next(iter(first[0].display_spec["datasets"]))], bytes)
