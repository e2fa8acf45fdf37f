"""2028 target derivation and the published override, on hand-written values."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.context import derive_targets
from etl.errors import BuildError


def gld_2024(rows):
    return pd.DataFrame(rows, columns=["area_code", "year", "pupil_group", "pct"])


def test_derived_target_is_2023_24_plus_nine_points():
    gld = gld_2024(
        [("E08000018", 2024, "all", 64.3), ("E08000018", 2024, "fsm", 47.6), ("E08000018", 2025, "all", 64.9)]
    )
    targets = derive_targets(gld, ["E08000018"], pd.DataFrame(columns=["area_code", "pupil_group", "target", "source"]))
    row = targets.set_index("area_code").loc["E08000018"]
    assert (row["target_all"], row["target_fsm"]) == (73.3, 56.6)
    assert row["basis"] == "derived: 2023/24 + 9.0 percentage points"


def test_published_target_overrides_and_keeps_citation():
    gld = gld_2024([("E08000025", 2024, "all", 64.0), ("E08000025", 2024, "fsm", 59.3)])
    published = pd.DataFrame([{"area_code": "E08000025", "pupil_group": "all", "target": "74", "source": "Plan"}])
    row = derive_targets(gld, ["E08000025"], published).set_index("area_code").loc["E08000025"]
    assert (row["target_all"], row["basis_all"], row["source_all"]) == (74.0, "published", "Plan")
    assert (row["decimals_all"], row["decimals_fsm"]) == (0, 1)  # "74" was published as a whole number
    assert (row["target_fsm"], row["basis_fsm"]) == (68.3, "derived: 2023/24 + 9.0 percentage points")
    assert row["basis"] == "mixed"


def test_over_100_or_missing_is_not_derivable_and_never_capped():
    gld = gld_2024([("E09000001", 2024, "all", 84.2), ("E09000001", 2024, "fsm", 100.0)])
    row = derive_targets(
        gld, ["E09000001", "E06000053"], pd.DataFrame(columns=["area_code", "pupil_group", "target", "source"])
    )
    city = row.set_index("area_code").loc["E09000001"]
    assert city["target_all"] == 93.2
    assert pd.isna(city["target_fsm"]) and city["basis_fsm"] == "not derivable"
    scilly = row.set_index("area_code").loc["E06000053"]
    assert pd.isna(scilly["target_all"]) and scilly["basis"] == "not derivable"


def test_england_is_75():
    targets = derive_targets(gld_2024([]), [], pd.DataFrame(columns=["area_code", "pupil_group", "target", "source"]))
    assert targets.set_index("area_code").loc["E92000001", "target_all"] == 75.0


def test_published_target_for_unknown_area_is_refused():
    published = pd.DataFrame([{"area_code": "E0XXXX", "pupil_group": "all", "target": "70", "source": "?"}])
    with pytest.raises(BuildError, match="E0XXXX"):
        derive_targets(gld_2024([]), ["E08000018"], published)


def test_target_from_a_tiny_cohort_is_flagged_with_a_reason():
    gld = pd.DataFrame(
        [("E09000001", 2024, "all", 84.2, 27), ("E08000018", 2024, "all", 64.3, 3047)],
        columns=["area_code", "year", "pupil_group", "pct", "children"],
    )
    targets = derive_targets(
        gld, ["E09000001", "E08000018"], pd.DataFrame(columns=["area_code", "pupil_group", "target", "source"])
    ).set_index("area_code")
    assert targets.at["E09000001", "low_reliability_all"]
    assert "about 27 children" in targets.at["E09000001", "note_all"]
    assert not targets.at["E08000018", "low_reliability_all"] and pd.isna(targets.at["E08000018", "note_all"])


def test_published_target_that_is_not_a_percentage_is_refused():
    published = pd.DataFrame([{"area_code": "E08000018", "pupil_group": "all", "target": "730", "source": "typo"}])
    with pytest.raises(BuildError, match="not a percentage"):
        derive_targets(gld_2024([]), ["E08000018"], published)
