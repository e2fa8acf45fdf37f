"""Tests for DWP's children in low income tables: reading, ward staging and the upper-tier sums.

Fixtures (tests/fixtures/wards/raw/dwp-cilif-sianreilly) are tiny copies of the real layout: a
title and notes before the header, headers broken over lines with [note n], thousands commas,
'%' signs, [x] and [low], blank trailing rows, a UK row and a Welsh row.

District table, FYE 2024 / FYE 2025 (number, %), and the implied child population number / % x 100:
    Hartlepool E06000001    1,260 30.0 (4,200)    1,262 31.0 (4,070.97)
    Barnsley E08000016        980 24.5 (4,000)    1,015 25.0 (4,060)
    Amber Valley E07000032  3,000 20.0 (15,000)   3,100 20.0 (15,500)   } Derbyshire E10000007
    Erewash E07000036       2,000 25.0 (8,000)    2,200 25.0 (8,800)    }
Hand-worked upper tier:
- Derbyshire 2024: 5,000 children of 23,000 = 21.74 -> 21.7 %; 2025: 5,300 of 24,300 = 21.81 -> 21.8 %.
- England 2024: 7,240 of 31,200 = 23.21 -> 23.2 %; 2025: 7,577 of 32,430.97 = 23.36 -> 23.4 %.
- A unitary keeps its published figures (Hartlepool 31.0 %); Barnsley gets its current code E08000038.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl import low_income, raw_files, ward_readers
from etl.errors import BuildError

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "wards" / "raw"
REAL_RAW = Path(__file__).parents[1] / "data/raw"
WARD_FILE = raw_files.LOW_INCOME_WARD_FILE
DISTRICT_FILE = raw_files.LOW_INCOME_DISTRICT_FILE


def read_wards(raw: Path = FIXTURE_RAW) -> pd.DataFrame:
    return ward_readers.read_low_income(raw, WARD_FILE, low_income.WARD_AREA_COLUMNS)


def read_districts(raw: Path = FIXTURE_RAW) -> pd.DataFrame:
    return ward_readers.read_low_income(raw, DISTRICT_FILE, low_income.DISTRICT_AREA_COLUMNS)


def values(series: pd.Series) -> list:
    """A column as a list with None for missing values."""
    return [None if pd.isna(value) else value for value in series.tolist()]


def test_read_ward_table_skips_the_preamble_and_parses_commas_percentages_and_markers() -> None:
    frame = read_wards()
    assert list(frame.columns) == ["lad_name", "lad_code", "ward_name", "ward_code", "fye", "children", "pct"]
    # Five areas (UK, Alpha, Charlie, Bravo, Echo) in the file's order, each for FYE 2024 then 2025;
    # the blank rows at the end are dropped.
    assert frame["ward_code"].tolist() == [
        code for code in ["K02000001", "E05000001", "E05000003", "E05000002", "W05000001"] for _ in (2024, 2025)
    ]
    assert frame["fye"].tolist() == [2024, 2025] * 5
    assert values(frame["children"]) == [3296672, 3269339, 1234, 1250, None, 12, 980, 1015, 50, 55]
    assert values(frame["pct"]) == [26.3, 26.0, 30.1, 31.2, None, None, 24.5, 25.0, 20.0, 21.0]
    assert frame.loc[2, ["lad_name", "lad_code", "ward_name"]].tolist() == ["Hartlepool", "E06000001", "Alpha"]


def test_read_district_table() -> None:
    frame = read_districts()
    assert list(frame.columns) == ["lad_name", "lad_code", "fye", "children", "pct"]
    erewash = frame[frame["lad_code"] == "E07000036"]
    assert erewash[["fye", "children", "pct"]].values.tolist() == [[2024, 2000.0, 25.0], [2025, 2200.0, 25.0]]


def _edit(tmp_path: Path, file: str, old: str, new: str) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    path = raw / file
    text = path.read_bytes().decode("utf-8")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("utf-8"))
    return raw


def test_an_unknown_marker_names_file_column_and_value(tmp_path: Path) -> None:
    raw = _edit(tmp_path, WARD_FILE, "980,", "[c],")
    with pytest.raises(BuildError, match="4_AHC_Relative_Ward.csv: column 'Number of children FYE 2024'") as error:
        read_wards(raw)
    assert "'[c]'" in str(error.value)


def test_a_file_without_its_header_row_is_named(tmp_path: Path) -> None:
    raw = _edit(tmp_path, DISTRICT_FILE, "Local Authority [note 2]", "Council")
    with pytest.raises(BuildError, match="2_AHC_Relative_LA.csv: no header row starting 'Local Authority'"):
        read_districts(raw)


def test_a_missing_year_is_named(tmp_path: Path) -> None:
    raw = _edit(tmp_path, DISTRICT_FILE, "Number of children \nFYE 2024", "Number of children \nFYE 2023")
    with pytest.raises(BuildError, match="'Percentage of children FYE 2023' is missing"):
        read_districts(raw)


def test_implied_children_is_missing_without_a_positive_percentage() -> None:
    children = pd.Series([1250, 0, None, 30], dtype="Int64")
    pct = pd.Series([31.2, 0.0, 20.0, np.nan])
    implied = low_income.implied_children(children, pct)
    assert implied[0] == pytest.approx(1250 / 31.2 * 100)
    assert implied[1:].isna().all()


def test_stage_ward_low_income() -> None:
    staged = low_income.stage_ward_low_income(read_wards()).set_index("ward_code")
    # English wards only, sorted; the UK and Welsh rows are gone.
    assert staged.index.tolist() == ["E05000001", "E05000002", "E05000003"]
    assert values(staged["low_income_children_2025"]) == [1250, 1015, 12]
    assert values(staged["low_income_children_2024"]) == [1234, 980, None]
    assert values(staged["pct_low_income_2025"]) == [31.2, 25.0, None]
    assert values(staged["pct_low_income_2024"]) == [30.1, 24.5, None]
    # round(1250 / 31.2 x 100) = round(4006.4); 1015 / 25.0 x 100 = 4060; Charlie's % is suppressed.
    assert values(staged["children_0_15"]) == [4006, 4060, None]
    assert staged["low_income_children_2025"].dtype == "Int64" and staged["children_0_15"].dtype == "Int64"
    assert staged.loc["E05000002", ["ward_name", "lad_code", "lad_name"]].tolist() == [
        "Bravo",
        "E08000016",
        "Barnsley",
    ]


def lad_to_upper_tier() -> pd.DataFrame:
    return ward_readers.read_lad_to_upper_tier(FIXTURE_RAW)


LAS = ["E06000001", "E08000038", "E10000007"]


def test_build_low_income_la_sums_districts_to_upper_tier_and_england() -> None:
    result = low_income.build_low_income_la(read_districts(), lad_to_upper_tier(), LAS)
    assert list(result.columns) == low_income.LOW_INCOME_LA_COLUMNS
    assert result.values.tolist() == [
        ["E06000001", 2024, 1260, 30.0],
        ["E06000001", 2025, 1262, 31.0],
        ["E08000038", 2024, 980, 24.5],
        ["E08000038", 2025, 1015, 25.0],
        ["E10000007", 2024, 5000, 21.7],
        ["E10000007", 2025, 5300, 21.8],
        ["E92000001", 2024, 7240, 23.2],
        ["E92000001", 2025, 7577, 23.4],
    ]
    assert result["children"].dtype == "Int64" and result["fye"].dtype == "int64"


def test_a_suppressed_district_leaves_its_la_unknown_not_smaller() -> None:
    districts = read_districts()
    districts.loc[(districts["lad_code"] == "E07000036") & (districts["fye"] == 2025), "children"] = np.nan
    result = low_income.build_low_income_la(districts, lad_to_upper_tier(), LAS).set_index(["area_code", "fye"])
    assert pd.isna(result.loc[("E10000007", 2025), "children"]) and np.isnan(result.loc[("E10000007", 2025), "pct"])
    assert pd.isna(result.loc[("E92000001", 2025), "children"])
    assert result.loc[("E10000007", 2024), "children"] == 5000


def test_a_district_missing_from_the_upper_tier_lookup_is_named() -> None:
    lookup = lad_to_upper_tier()
    lookup = lookup[lookup["lad_code"] != "E07000036"]
    with pytest.raises(BuildError, match="2_AHC_Relative_LA.csv: district E07000036 is not in"):
        low_income.build_low_income_la(read_districts(), lookup, LAS)


def test_an_la_with_no_district_is_named() -> None:
    with pytest.raises(BuildError, match="no district of LA E06000002"):
        low_income.build_low_income_la(read_districts(), lad_to_upper_tier(), [*LAS, "E06000002"])


# --- real data -------------------------------------------------------------------------------

needs_real_data = pytest.mark.skipif(not (REAL_RAW / WARD_FILE).exists(), reason="data/raw is not present")
BIRMINGHAM = "E08000025"


@pytest.fixture(scope="module")
def real_comparison() -> pd.DataFrame:
    """Per LA and year: DWP's ward numbers summed, its district numbers summed, and the ward counts."""
    lad_to_la = ward_readers.read_lad_to_upper_tier(REAL_RAW)
    la_codes = ward_readers.read_la_polygons(REAL_RAW)["area_code"].tolist()
    wards = low_income.stage_ward_low_income(read_wards(REAL_RAW))
    wards["area_code"] = low_income.upper_tier_of(wards["lad_code"], lad_to_la)
    assert set(wards["area_code"]) == set(la_codes)
    by_la = low_income.build_low_income_la(read_districts(REAL_RAW), lad_to_la, la_codes).set_index(
        ["area_code", "fye"]
    )
    rows = []
    for year in low_income.FYES:
        grouped = wards.groupby("area_code")[f"low_income_children_{year}"]
        sums = pd.DataFrame(
            {"wards": grouped.sum(), "n": grouped.size(), "missing": grouped.apply(lambda s: s.isna().sum())}
        )
        sums["la"] = by_la.xs(year, level="fye")["children"].reindex(sums.index)
        rows.append(sums.assign(fye=year))
    frame = pd.concat(rows).reset_index()
    frame["difference"] = frame["wards"] - frame["la"]
    return frame


@needs_real_data
def test_real_ward_sums_are_close_to_the_district_table_for_all_153(real_comparison: pd.DataFrame) -> None:
    assert real_comparison["area_code"].nunique() == 153 and real_comparison["la"].notna().all()
    # DWP rounds every figure, so ward sums drift like the square root of the number of wards
    # (etl/contracts.py): measured, the largest |difference| / sqrt(wards) is 5.2 (Trafford FYE
    # 2024, -24 of 8,185) and the largest difference Essex's +43 of 64,782 (FYE 2025); the largest
    # share is the Isles of Scilly's -5 of 35 (FYE 2025), two of whose four wards are [low].
    allowed = 7 * np.sqrt(real_comparison["n"]) + 5 * real_comparison["missing"]
    assert (real_comparison["difference"].abs() <= allowed).all()
    assert real_comparison["difference"].abs().max() <= 50
    complete = real_comparison[real_comparison["missing"] == 0]
    assert (complete["difference"].abs() / complete["la"]).max() < 0.01


@needs_real_data
def test_real_birmingham_is_dwp_s_published_figures(real_comparison: pd.DataFrame) -> None:
    # DATA_GUIDE section 8: 69 wards, 115,184 children summed over wards vs 115,183 in the LA table.
    birmingham = real_comparison[(real_comparison["area_code"] == BIRMINGHAM) & (real_comparison["fye"] == 2025)]
    assert birmingham[["n", "wards", "la"]].values.tolist() == [[69, 115_184, 115_183]]
    wards = low_income.stage_ward_low_income(read_wards(REAL_RAW))
    in_birmingham = wards[wards["lad_code"] == BIRMINGHAM]
    most = in_birmingham.loc[in_birmingham["low_income_children_2025"].idxmax()]
    # Alum Rock has the most: 5,107 children, 66.0 %.
    assert (most["ward_name"], most["low_income_children_2025"], most["pct_low_income_2025"]) == (
        "Alum Rock",
        5107,
        66.0,
    )
