"""The focus page's figures: published values from the built database, sentences and flags from tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from profiles import focus
from profiles.areas import ENGLAND

ROTHERHAM = "E08000018"


# --- published figures (the built database) ------------------------------------------------


def test_rotherham_areas_of_learning_2024_25_are_laits():
    latest = focus.areas_latest(focus.areas_of_learning(ROTHERHAM), None).set_index("measure")
    assert int(latest["year"].iloc[0]) == 2025
    # LAIT bds_long_0.parquet, Rotherham, Years 2025 (DATA_GUIDE section 4).
    assert latest.at["FSP_NEW_COMMS", "la"] == 77.7
    assert latest.at["FSP_NEW_LIT", "la"] == 67.0
    assert latest.at["FSP_NEW_MATHS", "la"] == 74.2
    table = focus.areas_table(latest.reset_index(), focus.comparators(ROTHERHAM)).set_index("Area of learning")
    # LAIT stores "67" (it drops trailing zeros); DfE published 67.0, at the series' one decimal place.
    assert table.at["Literacy", "Rotherham"] == "67.0"
    raw = focus.context_table()
    assert raw[(raw["measure"] == "HCP_PHOF")]["decimals"].eq(1).all()  # stored unrounded, shown as OHID does


def test_neighbour_average_is_the_simple_mean_of_the_neighbours_with_a_value():
    who = focus.comparators(ROTHERHAM)
    assert len(who.neighbours) == 10 and who.region_name == "Yorkshire and The Humber"
    frame = focus.beside_comparators(who, ["FSP_NEW_COMMS"], 2025)
    values = focus.context_table()
    values = values[(values["measure"] == "FSP_NEW_COMMS") & (values["year"] == 2025)].set_index("area_code")["value"]
    mine = [values[c] for c in who.neighbours if c in values.index]
    assert frame["neighbours"].iloc[0] == round(sum(mine) / len(mine), 1)
    assert frame["neighbours_n"].iloc[0] == len(mine)


def test_areas_trend_never_includes_the_old_framework():
    data = focus.areas_trend_data(focus.areas_of_learning(ROTHERHAM))
    assert data["year"].min() == 2022 and set(data["year"]) == {2022, 2023, 2024, 2025}
    # LAIT also holds 2016-2019 values under the same measure names: they must not reach the page.
    raw = focus.context_table()
    assert (raw[(raw["measure"] == "FSP_NEW_COMMS") & (raw["area_code"] == ROTHERHAM)]["year"] < 2020).any()


def test_england_2021_22_gld_of_boys_and_girls_is_dfes():
    detail = focus.detail_2022(ROTHERHAM).set_index("group")
    assert detail.at["Boys", "england"] == 58.7 and detail.at["Girls", "england"] == 71.9
    assert detail.at["Girls", "la"] == 72.1 and detail.at["Girls", "children"] == 1529
    assert detail.at["Boys", "vs_reference"] == round(detail.at["Boys", "la"] - 72.1, 1)
    assert detail.at["Boys", "england_vs_reference"] == round(58.7 - 71.9, 1)


def test_a_group_laits_does_not_publish_is_flagged_not_zero():
    # Find an LA with a '-' for an ethnic group in the latest year (small groups are suppressed).
    values = focus.context_table()
    latest = int(values.loc[values["measure"] == "FSP_Gooddev_Chinese", "year"].max())
    published = set(values[(values["measure"] == "FSP_Gooddev_Chinese") & (values["year"] == latest)]["area_code"])
    las = values[(values["measure"] == "FSP_Gooddev_White") & (values["year"] == latest)]["area_code"]
    hidden = sorted(set(las) - published - {ENGLAND})
    assert hidden, "expected some LAs without a published figure for Chinese children"
    groups = focus.pupil_groups(hidden[0]).set_index("group")
    assert groups.at["Chinese", "status"] == focus.NOT_PUBLISHED and pd.isna(groups.at["Chinese", "la"])
    data = focus.groups_chart_data(groups.reset_index())
    row = data[(data["item"] == "Ethnic group: Chinese") & (data["role"] == "Selected LA")].iloc[0]
    assert row["status"] == focus.NOT_PUBLISHED and pd.isna(row["pct"]) and row["label"] == "—"


# --- hand-computed from tiny frames --------------------------------------------------------


def tiny_latest() -> pd.DataFrame:
    # Three areas; the LA's cohort is 1,000 children.
    frame = pd.DataFrame(
        {
            "measure": ["FSP_NEW_COMMS", "FSP_NEW_LIT", "FSP_NEW_MATHS"],
            "year": [2025] * 3,
            "area": ["Communication and language", "Literacy", "Mathematics"],
            "order": [0, 3, 4],
            "la": [80.0, 60.0, 75.0],
            "la_decimals": [1, 0, 1],
            "england": [79.0, 66.5, 76.0],
            "region": [78.0, 64.0, 75.5],
            "neighbours": [81.2, 63.4, 75.0],
            "neighbours_n": [10, 10, 10],
        }
    )
    return focus.areas_latest(frame, 1000.0)


def test_gaps_and_children_are_hand_computed():
    latest = tiny_latest().set_index("area")
    # Literacy: 60 - 63.4 = -3.4 points of 1,000 children = 34 children; Communication: -1.2 -> 12.
    assert latest.at["Literacy", "vs_neighbours"] == -3.4 and latest.at["Literacy", "children_vs_neighbours"] == 34
    assert latest.at["Communication and language", "children_vs_neighbours"] == 12
    assert pd.isna(latest.at["Mathematics", "children_vs_neighbours"])  # level with the neighbours: none behind
    assert latest.at["Literacy", "vs_england"] == -6.5


def test_areas_sentence_names_the_areas_furthest_behind():
    text = focus.areas_sentence("Tiny", tiny_latest(), "estimated: …")
    assert text.startswith(
        "In 2024/25, Tiny was furthest behind its statistical neighbours' average in Literacy (60%, 3.4 percentage "
        "points below, about 34 children) and Communication and language (80.0%, 1.2 percentage points below, about "
        "12 children)."
    )
    assert (
        "Against England, it was furthest behind in Literacy (60%, 6.5 percentage points below) and Mathematics" in text
    )
    assert text.endswith("Children are estimated from the estimated year-group size.")


def test_children_round_to_fives_above_a_hundred():
    assert focus.children_for(-3.4, 10_000) == 340
    assert focus.children_for(-1.23, 10_000) == 125  # 123 -> 125
    assert focus.children_for(-0.5, 1_000) == 5
    assert focus.children_for(-1.0, None) is None


def test_two_year_old_sentence_with_a_target():
    frame = pd.DataFrame(
        {
            "measure": ["%_2yr_olds"] * 2,
            "year": [2024, 2025],
            "la": [88.4, 83.5],
            "la_decimals": [1, 1],
            "england": [75.0, 77.0],
            "region": [80.0, 81.0],
            "neighbours": [82.0, 80.9],
            "neighbours_n": [10, 10],
            "children": pd.array([816, 813], dtype="Int64"),
        }
    )
    text = focus.two_year_old_sentence("Tiny", frame, target=88.1)
    # 813 children at 83.5% -> 973.7 eligible; 4.6 points of them = 44.8 -> about 45 children.
    assert "83.5% of eligible two-year-olds in Tiny (813 children)" in text
    assert "That is 4.9 percentage points down on January 2024." in text
    assert text.endswith("Your target of 88.1% is 4.6 percentage points above it, about 45 more children.")
    assert "England's rate moved" not in text  # England up 2.0 points: an ordinary year

    frame["england"] = [75.0, 65.2]  # January 2025's national fall
    text = focus.two_year_old_sentence("Tiny", frame)
    assert "England's rate moved 9.8 percentage points down the same year" in text


def test_detail_sentence_puts_each_gap_beside_englands():
    detail = pd.DataFrame(
        {
            "characteristic": ["Sex", "Sex", "Term of birth", "Term of birth"],
            "group": ["Boys", "Girls", "Autumn-born", "Summer-born"],
            "reference": ["Girls", "Girls", "Autumn-born", "Autumn-born"],
            "children": pd.array([100, 90, 70, 25], dtype="Int64"),
            "la": [55.0, 70.0, 72.0, 50.0],
            "england": [58.7, 71.9, 74.0, 55.0],
        }
    )
    detail["vs_england"] = (detail["la"] - detail["england"]).round(1)
    detail["vs_reference"] = [-15.0, 0.0, 0.0, -22.0]
    detail["england_vs_reference"] = [-13.2, 0.0, 0.0, -19.0]
    detail["small"] = detail["children"].astype(float) < focus.SMALL_GROUP
    text = focus.detail_sentence("Tiny", detail)
    assert text == (
        # summer-born: 22.0 behind, England 19.0 (3.0 wider); boys: 15.0 behind, England 13.2 (1.8 wider)
        "In 2021/22, the last year DfE published these by LA, the gaps in Tiny that were widest compared with "
        "England's: summer-born children were 22.0 percentage points behind autumn-born children (England: 19.0 "
        "percentage points); boys were 15.0 percentage points behind girls (England: 13.2 percentage points)."
    )
    assert list(detail["small"]) == [False, False, False, True]
    table = focus.detail_table(detail, "Tiny")
    assert table["Flag"].tolist()[3].startswith("small group")


@pytest.mark.parametrize("column", ["la", "england"])
def test_long_by_role_keeps_a_missing_value_as_not_published(column):
    frame = pd.DataFrame({"item": ["A"], "order": [0], "la": [70.0], "la_decimals": [1], "england": [65.2]})
    frame.loc[0, column] = np.nan
    data = focus.long_by_role(frame, ["item", "order"]).set_index("role")
    role = "Selected LA" if column == "la" else "England"
    assert data.at[role, "status"] == focus.NOT_PUBLISHED and data.at[role, "label"] == "—"
    other = "England" if column == "la" else "Selected LA"
    assert data.at[other, "label"] == ("65.2%" if other == "England" else "70.0%")
