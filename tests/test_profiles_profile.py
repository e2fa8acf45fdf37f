"""The profile's figures and words on the built database, against DfE's published figures."""

from __future__ import annotations

import pandas as pd
import pytest

from profiles.numbers import fewer_places, pct, points
from profiles.page_exports import profile_exports
from profiles.profile import COMPARISONS, build_profile, gap_data, gap_sentence, summary_sentence, trajectory_data

ENGLAND, HACKNEY, ROTHERHAM = "E92000001", "E09000012", "E08000018"


def gap_row(gaps: pd.DataFrame, area: str, year: int, group: str) -> pd.Series:
    rows = gaps[(gaps["area"] == area) & (gaps["year"] == year) & (gaps["comparison"] == COMPARISONS[group])]
    assert len(rows) == 1
    return rows.iloc[0]


def test_numbers_are_written_at_their_precision():
    assert pct(56.0, 0) == "56%" and pct(56.5, 1) == "56.5%" and pct(None) == "—"
    assert points(8.4) == "8.4 percentage points" and points(1.0, 0) == "1 percentage point"
    assert points(0.13, signed=True) == "+0.1 percentage points"
    assert fewer_places(1, 0) == 0 and fewer_places(1, None) == 1


def test_england_gap_follows_dfe_in_2021_22_and_keeps_not_eligible_apart():
    gaps = gap_data(build_profile(ENGLAND))
    dfe = gap_row(gaps, "England", 2022, "all_other")
    assert (dfe["fsm_pct"], dfe["comparison_pct"], dfe["gap_points"]) == (49.1, 68.8, 19.7)
    assert gap_row(gaps, "England", 2022, "not_eligible")["gap_points"] == 20.4
    # 2018/19 from DfE's national tables: 74.3 − 56.5 (the app used to show 17.0 from whole numbers).
    assert gap_row(gaps, "England", 2019, "all_other")["gap_points"] == 17.8
    # After 2021/22 only "not eligible" exists, and it is labelled so.
    assert set(gaps.loc[gaps["year"] > 2022, "comparison"]) == {COMPARISONS["not_eligible"]}


def test_hackney_gap_2021_22_is_dfe_s_2_points():
    gaps = gap_data(build_profile(HACKNEY))
    assert gap_row(gaps, "Hackney", 2022, "all_other")["gap_points"] == 2.0
    assert gap_row(gaps, "Hackney", 2022, "not_eligible")["gap_points"] == 7.9


def test_gap_sentence_names_the_comparison_group():
    profile = build_profile(HACKNEY)
    sentence = gap_sentence(profile, gap_data(profile))
    assert "behind children known not to be eligible" in sentence
    assert "DfE's published gap compares with all other children" in sentence
    assert "In 2021/22 it was 2.0 percentage points, against 7.9 percentage points on the comparison used here" in (
        sentence
    )


def test_a_gap_from_a_whole_number_is_whole():
    # Rotherham 2018/19: LAIT's all other 73 and FSM 56, both whole numbers: a gap of 17, not 17.0.
    row = gap_row(gap_data(build_profile(ROTHERHAM)), "Rotherham", 2019, "all_other")
    assert (row["decimals"], row["gap"]) == (0, "17")


def test_trajectory_values_at_published_precision():
    data = trajectory_data(build_profile(ROTHERHAM))
    actual = data[(data["kind"] == "actual") & (data["year"] == 2019)].set_index(["area", "group"])["value"]
    assert actual[("Rotherham", "FSM-eligible children")] == "56%"  # LAIT, whole number
    assert actual[("England", "FSM-eligible children")] == "56.5%"  # DfE's national tables
    assert actual[("Rotherham", "All children")] == "70.3%"


def test_gap_chart_never_joins_the_two_comparison_groups():
    spec = profile_exports(build_profile(HACKNEY))[1].spec
    lines = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "line"]
    assert lines
    for layer in lines:
        details = layer["encoding"]["detail"]
        assert {"field": "comparison", "type": "nominal"} in details
        assert layer["encoding"]["strokeDash"]["field"] == "comparison"


def test_summary_sentence_in_words_people_can_repeat():
    text = summary_sentence(build_profile(ROTHERHAM))
    assert "73.3% (published): 8.4 percentage points to gain" in text
    assert "Rotherham has barely changed since 2021/22 and needs 2.8 percentage points a year" in text
    assert "×" not in text and " pts" not in text and " points a year" not in text.replace("percentage points", "")
    # The FSM count comes from a separate target: never "N more children, M of them FSM-eligible".
    assert "of them" not in text
    assert "Meeting the FSM target means about" in text and "they count towards both targets" in text


def test_published_target_shown_as_published():
    profile = build_profile("E08000025")  # Birmingham: 74 (all), published as a whole number
    assert profile.target_text("all") == "74%"
    assert "74% (published)" in summary_sentence(profile)


@pytest.mark.parametrize("code", ["E09000001", "E06000053"])
def test_tiny_la_target_is_flagged_with_a_reason(code):
    profile = build_profile(code)
    assert profile.targets["all"]["note"] and "children" in profile.targets["all"]["note"]
    assert any("2028 target for all children: low reliability" in note for note in profile.notes)
