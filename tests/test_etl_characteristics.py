"""2021/22 GLD by pupil characteristic, staged from a 13-row hand-written file (tests/fixtures/ees_2022)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from etl import raw_files, readers
from etl.areas import build_areas
from etl.characteristics import build_gld_characteristics_2022
from etl.errors import BuildError
from tests.conftest import RAW_DIR

SAMPLE = Path(__file__).parent / "fixtures" / "ees_2022" / "eyfsp_characteristics_2022_sample.csv"


@pytest.fixture(scope="module")
def resolver():
    return build_areas(readers.read_las(RAW_DIR))[1]


def raw_with(tmp_path: Path, edit=None) -> Path:
    """A raw folder holding the sample as the 2021/22 file, optionally edited line by line."""
    target = tmp_path / raw_files.EES_2022_FILE
    target.parent.mkdir(parents=True)
    if edit is None:
        shutil.copy(SAMPLE, target)
    else:
        target.write_text("\n".join(edit(line) for line in SAMPLE.read_text().splitlines()) + "\n")
    return tmp_path


def staged(tmp_path: Path, resolver, edit=None) -> pd.DataFrame:
    return build_gld_characteristics_2022(readers.read_ees_2022(raw_with(tmp_path, edit)), resolver)


def row(table: pd.DataFrame, code: str, characteristic: str, group: str) -> pd.Series:
    found = table[
        (table["area_code"] == code) & (table["characteristic"] == characteristic) & (table["pupil_group"] == group)
    ]
    assert len(found) == 1, (code, characteristic, group)
    return found.iloc[0]


def test_one_row_per_area_and_group_boys_and_girls_as_sex(tmp_path, resolver):
    table = staged(tmp_path, resolver)
    keys = set(zip(table["area_code"], table["characteristic"], table["pupil_group"]))
    # 13 rows in: White boys, North Yorkshire FSM girls and the district row are left out.
    assert keys == {
        ("E92000001", "Total", "Total"),
        ("E92000001", "Sex", "Girls"),
        ("E92000001", "Sex", "Boys"),
        ("E92000001", "Ethnic group: major", "White"),
        ("E13000001", "Total", "Total"),
        ("E10000006", "Total", "Total"),
        ("E10000006", "Sex", "Girls"),
        ("E10000006", "Sex", "Boys"),
        ("E06000065", "Free school meal eligibility", "Known to be eligible for free school meals"),
        ("E06000053", "Free school meal eligibility", "Known to be eligible for free school meals"),
    }
    boys = row(table, "E92000001", "Sex", "Boys")
    # 305 of 520 boys = 58.65% -> 58.7; all goals 295/520 = 56.7; communication and literacy 318/520 = 61.2.
    assert (boys["children"], boys["gld_children"], boys["gld_pct"]) == (520, 305, 58.7)
    assert (boys["elg_pct"], boys["comm_lang_lit_pct"], boys["average_elgs"]) == (56.7, 61.2, 13.3)
    assert row(table, "E92000001", "Ethnic group: major", "White")["gld_pct"] == 66.3  # 464 of 700, both sexes


def test_levels_codes_and_the_former_la(tmp_path, resolver):
    table = staged(tmp_path, resolver).drop_duplicates("area_code").set_index("area_code")
    assert table["level"].to_dict() == {
        "E92000001": "national",
        "E13000001": "regional",  # Inner London keeps its own code
        "E10000006": "la",
        "E06000065": "la",
        "E06000053": "la",
    }
    # Cumbria no longer exists: its 2021/22 code, flagged; North Yorkshire (same area) gets today's code.
    assert table["former"].to_dict() == {
        "E92000001": False,
        "E13000001": False,
        "E10000006": True,
        "E06000065": False,
        "E06000053": False,
    }


def test_z_is_null_with_its_status_and_counts_kept(tmp_path, resolver):
    table = staged(tmp_path, resolver)
    scilly = row(table, "E06000053", "Free school meal eligibility", "Known to be eligible for free school meals")
    assert scilly["status"] == "not applicable (z)"
    assert (scilly["children"], scilly["gld_children"]) == (0, 0)
    assert scilly[["gld_pct", "elg_pct", "comm_lang_lit_pct", "average_elgs"]].isna().all()
    assert set(table.loc[table["area_code"] != "E06000053", "status"]) == {"published"}
    assert str(table["children"].dtype) == "Int64" and str(table["gld_children"].dtype) == "Int64"


def test_a_marker_other_than_z_stops_the_build(tmp_path, resolver):
    def suppress_north_yorkshire(line: str) -> str:
        return line.replace(",23,46.000000", ",23,c") if "North Yorkshire" in line and ",Total," in line else line

    with pytest.raises(BuildError, match=r"1_eyfsp_headline_measures_2022.csv: column 'gld_percentage' has 'c'"):
        staged(tmp_path, resolver, suppress_north_yorkshire)


def test_an_unknown_characteristic_stops_the_build(tmp_path, resolver):
    def relabel(line: str) -> str:
        return line.replace("Ethnic group: major", "Ethnicity")

    with pytest.raises(BuildError, match=r"column 'characteristic' has an unexpected value 'Ethnicity'"):
        staged(tmp_path, resolver, relabel)


def test_headline_rows_keep_all_and_fsm_for_both_sexes_together(tmp_path):
    # The rows upper-tier GLD and the district layer read from the same frame.
    file = raw_files.EES_2022_FILE
    headline = readers.headline_rows(readers.read_ees_2022(raw_with(tmp_path)), file)
    got = sorted(zip(headline["geographic_level"], headline["new_la_code"], headline["pupil_group"]))
    assert got == [
        ("Local authority", "E06000053", "fsm"),
        ("Local authority", "E10000006", "all"),
        ("Local authority", "E10000023", "fsm"),
        ("Local authority district", "E06000047", "all"),
        ("National", "", "all"),
        ("Regional", "", "all"),
    ]
    assert headline.loc[headline["new_la_code"] == "E10000023", "gld_percentage"].item() == 46.0
    assert headline.loc[headline["new_la_code"] == "E06000053", "gld_percentage"].isna().all()
