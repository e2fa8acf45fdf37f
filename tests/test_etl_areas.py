"""LA codes: code changes, reorganisations and unknown codes, on a tiny hand-written lookup."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.areas import build_areas, build_code_history
from etl.errors import BuildError
from etl.gld import fix_lait_dorset, pick_best


def tiny_las() -> pd.DataFrame:
    # Barnsley (new code), Rotherham, the two Dorset successors and 149 made-up LAs fill 153 live rows.
    rows = [
        ("E08000038", "Barnsley", "E12000003", "live", "370"),
        ("E08000016", "Barnsley", "E12000003", "terminated", "370"),
        ("E08000018", "Rotherham", "E12000003", "live", "372"),
        ("E06000059", "Dorset", "E12000009", "live", "838"),
        ("E06000058", "Bournemouth, Christchurch and Poole", "E12000009", "live", "839"),
        ("E10000009", "Dorset", "E12000009", "terminated", "835"),
        ("E06000061 / E06000062", "North / West Northamptonshire", "E12000004", "live", "940 / 941"),
    ]
    rows += [(f"E09{i:06d}", f"LA {i}", "E12000007", "live", f"{500 + i}") for i in range(149)]
    frame = pd.DataFrame(rows, columns=["new_la_code", "la_name", "parent_geography_code", "status", "old_la_code"])
    frame["date_of_operation"] = ""
    return frame


def test_153_las_regions_and_england():
    areas, _ = build_areas(tiny_las())
    assert areas["level"].value_counts().to_dict() == {"la": 153, "region": 9, "england": 1}
    assert areas.loc[areas["area_code"] == "E06000059", "first_year"].item() == 2019


def test_old_code_of_same_area_resolves_to_current_code():
    _, resolver = build_areas(tiny_las())
    assert resolver.from_ons("E08000016", "f", "c") == "E08000038"  # Barnsley, May 2025
    assert resolver.from_number("370", "f", "c") == "E08000038"


def test_former_la_keeps_its_own_code():
    _, resolver = build_areas(tiny_las())
    assert resolver.from_number("835", "f", "c") == "E10000009"  # old Dorset county, not the new unitary
    assert resolver.from_ons("E10000009", "f", "c") == "E10000009"


def test_unknown_codes_are_named():
    _, resolver = build_areas(tiny_las())
    with pytest.raises(BuildError, match="unknown LA number '999'"):
        resolver.from_number("999", "dfe-lait/bds_long_0.parquet", "LA Number")
    with pytest.raises(BuildError, match="unknown LA code 'E06999999'"):
        resolver.from_ons("E06999999", "x.csv", "new_la_code")


def test_wrong_number_of_las_is_refused():
    with pytest.raises(BuildError, match="expected 153 live LAs, found 152"):
        build_areas(tiny_las().iloc[1:])


def test_code_history_covers_changes_and_splits():
    history = build_code_history()
    barnsley = history[history["old_code"] == "E08000016"].iloc[0]
    assert (barnsley["current_code"], barnsley["change"]) == ("E08000038", "code change")
    cumbria = history[history["old_code"] == "E10000006"]
    assert sorted(cumbria["current_code"]) == ["E06000063", "E06000064"]
    assert set(cumbria["year"]) == {2023}
    northants = history[history["old_code"] == "E10000021"]
    assert set(northants["year"]) == {2022}


def test_dorset_2018_value_filed_under_new_code_moves_to_former_county():
    frame = pd.DataFrame(
        {
            "area_code": ["E06000059", "E06000059", "E10000009"],
            "year": [2018, 2019, 2018],
            "pupil_group": ["fsm", "fsm", "all"],
            "value": [52.0, 55.0, 70.0],
        }
    )
    fixed = fix_lait_dorset(frame).sort_values(["area_code", "year", "pupil_group"])
    assert fixed[["area_code", "year", "pupil_group", "value"]].values.tolist() == [
        ["E06000059", 2019, "fsm", 55.0],
        ["E10000009", 2018, "all", 70.0],
        ["E10000009", 2018, "fsm", 52.0],
    ]


def test_best_source_wins_by_priority():
    candidates = pd.DataFrame(
        {
            "area_code": ["A", "A", "A"],
            "year": [2019, 2019, 2019],
            "pupil_group": ["fsm", "fsm", "all"],
            "pct": [57.0, 56.8, 70.0],
            "children": [None, 100, None],
            "achieved": [None, None, None],
            "source": ["lait", "smapey", "lait"],
            "priority": [4, 2, 4],
        }
    )
    best = pick_best(candidates)
    assert best.set_index("pupil_group")["pct"].to_dict() == {"all": 70.0, "fsm": 56.8}
