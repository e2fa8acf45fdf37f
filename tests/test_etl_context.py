"""LAIT context measures: published precision, LAIT's misfiled years and which areas are kept, on tiny frames."""

from __future__ import annotations

import pandas as pd
import pytest

from etl import readers
from etl.areas import build_areas
from etl.context import build_context_measures, fix_lait_years, published_value
from tests.conftest import RAW_DIR


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("77.7", 77.7, 1),
        ("67", 67.0, 0),  # LAIT's text for DfE's 67.0: the trailing zero is not in LAIT
        ("67.0", 67.0, 1),  # text that keeps its zero keeps its place
        ("92.337760000000003", 92.33776, 5),  # float artefact: 10 significant digits, trailing zeros dropped
        ("18.989999999999998", 18.99, 2),
        ("70.099999999999994", 70.1, 1),
        ("96.088481251686005", 96.08848125, 8),  # an unrounded ratio keeps 10 significant digits
        ("154962", 154962.0, 0),
        ("100", 100.0, 0),
        ("0", 0.0, 0),
        (" 5.25 ", 5.25, 2),
    ],
)
def test_published_value_removes_artefacts_and_counts_places(text, value, decimals):
    assert published_value(text) == (value, decimals)


@pytest.mark.parametrize("text", ["-", "", "n/a", "nan"])
def test_published_value_refuses_non_numbers(text):
    with pytest.raises(ValueError, match="not a number"):
        published_value(text)


def lait(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    """A frame shaped like `readers.read_lait` output from (LA number, year, measure, text as in LAIT)."""
    frame = pd.DataFrame(rows, columns=["la_number", "year", "measure", "published"])
    frame["name"] = ""
    frame["value"] = pd.to_numeric(frame["published"], errors="coerce").round(1)
    return frame


@pytest.fixture(scope="module")
def resolver():
    return build_areas(readers.read_las(RAW_DIR))[1]


def test_context_keeps_published_values_of_current_areas(resolver):
    rows = [
        ("372", 2025, "FSP_NEW_LIT", "67"),  # Rotherham
        ("372", 2025, "HCP_PHOF", "92.337760000000003"),
        ("372", 2024, "FSP_NEW_COMMS", "-"),  # not published: no row
        ("372", 2025, "PriFSM", "30.1"),  # not a context measure
        ("987", 2025, "FSP_NEW_COMMS", "80.1"),  # Inner London: not an area of this product
        ("909", 2022, "FSP_NEW_COMMS", "79.9"),  # Cumbria: a former LA
        ("838", 2018, "FSP_Gooddev_White", "70"),  # unitary Dorset before it existed: the old county's value
        ("942", 2022, "ChildPov", "20.5"),  # Cumberland, DWP's back series on today's boundaries
        ("986", 2025, "FSP_NEW_ALL-ELGS", "66.900000000000006"),  # London
        ("970", 2025, "No_2yr_olds", "95031"),  # England
    ]
    out = build_context_measures(lait(rows), pd.DataFrame(columns=["measure", "label"]), resolver)
    got = {(r.area_code, r.year, r.measure): (r.value, r.decimals) for r in out.itertuples()}
    assert got == {
        ("E08000018", 2025, "FSP_NEW_LIT"): (67.0, 0),
        ("E08000018", 2025, "HCP_PHOF"): (92.33776, 5),
        ("E06000063", 2022, "ChildPov"): (20.5, 1),
        ("E12000007", 2025, "FSP_NEW_ALL-ELGS"): (66.9, 1),
        ("E92000001", 2025, "No_2yr_olds"): (95031.0, 0),
    }
    assert str(out["decimals"].dtype) == "int64"


def test_labels_are_plain_english(resolver):
    measures = ["FSP_NEW_ALL-ELGS", "FSP_NEW_COMMS", "No_2yr_olds", "%_2yr_olds", "%_3&4yr_olds", "HCP_PHOF"]
    # LAIT's own titles for these: terse, misspelt in its data items.
    dictionary = pd.DataFrame(
        {
            "measure": measures,
            "label": [
                "FSP (NEW) - % achieving at least expetced level across all ELGs",
                "Foundation Stage - Communication & Language",
                "Number of 2 year old children benefitting from funded early education",
                "Percentage of 2 year old children benefitting from funded early education",
                "Percentage of 3 & 4 year olds taking up some free education",
                "Proportion of children aged 2-2½yrs offered ASQ-3",
            ],
        }
    )
    out = build_context_measures(lait([("970", 2024, m, "50") for m in measures]), dictionary, resolver)
    for label in out["label"]:
        assert not any(word in label for word in ("expetced", "benefitting", "Foundation Stage", "&", "yrs")), label


def test_a_value_lait_files_under_the_wrong_year_moves_unless_lait_has_that_year():
    # LAIT files Chinese children's 2021/22 GLD under 2021 (no assessment that year).
    moved = fix_lait_years(lait([("970", 2021, "FSP_Gooddev_Chinese", "74.900000000000006")]))
    assert moved[["year", "published"]].values.tolist() == [[2022, "74.900000000000006"]]
    both = fix_lait_years(
        lait([("970", 2021, "FSP_Gooddev_Chinese", "74.9"), ("970", 2022, "FSP_Gooddev_Chinese", "75.1")])
    )
    assert both[["year", "published"]].values.tolist() == [[2022, "75.1"]]
    other = fix_lait_years(lait([("970", 2021, "%_2yr_olds", "61.8")]))  # a January 2021 count: a real year
    assert other["year"].tolist() == [2021]


def test_read_lait_keeps_the_published_text(tmp_path):
    folder = tmp_path / "dfe-lait"
    folder.mkdir()
    pd.DataFrame(
        {
            "Short Desc": ["HCP_PHOF", "FSP_NEW_LIT"],
            "Years": ["2024", "2025"],
            "LA and Regions": ["Rotherham", "Rotherham"],
            "Values": ["92.337760000000003", "-"],
            "LA Number": [372.0, 372.0],
        }
    ).to_parquet(folder / "bds_long_0.parquet")
    frame = readers.read_lait(tmp_path)
    assert frame["published"].tolist() == ["92.337760000000003", "-"]
    assert frame["value"].iloc[0] == 92.3 and pd.isna(frame["value"].iloc[1])  # GLD's 1 dp, as before
