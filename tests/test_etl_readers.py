"""Reading raw files: every source's suppression markers, missing columns and academic years."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from etl import raw_files, readers
from etl.errors import BuildError
from etl.register import load_register

from .conftest import DATA_DIR


@pytest.mark.parametrize(
    ("source", "raw", "expected"),
    [
        ("lait", ["70.099999999999994", "-", "5"], [70.1, None, 5.0]),
        ("fingertips", ["45.3", "NA"], [45.3, None]),
        ("smapey", ["", "61.2"], [None, 61.2]),
        ("ees", ["z", "x", "c", "65.2"], [None, None, None, 65.2]),
        ("district_2019", [".", "12"], [None, 12.0]),
    ],
)
def test_each_source_marker_becomes_missing(source, raw, expected):
    parsed = readers.parse_numeric(pd.Series(raw, dtype="string"), source, "f.csv", "col").round(1)
    assert [None if pd.isna(v) else v for v in parsed] == expected


def test_unknown_marker_names_file_column_and_value():
    with pytest.raises(BuildError) as error:
        readers.parse_numeric(pd.Series(["61.0", "SUPP"]), "lait", "dfe-lait/x.parquet", "Values")
    message = str(error.value)
    assert "dfe-lait/x.parquet" in message and "'Values'" in message and "'SUPP'" in message


def test_a_marker_of_another_source_is_not_accepted():
    # `NA` is Fingertips' marker, not the EES file's.
    with pytest.raises(BuildError, match="'NA'"):
        readers.parse_numeric(pd.Series(["NA"]), "ees", "ees.csv", "gld_percentage")


@pytest.mark.parametrize(("raw", "year"), [("201819", 2019), ("2012/13", 2013), ("202425", 2025)])
def test_academic_year_is_the_year_the_summer_term_ends(raw, year):
    assert readers.academic_year_end(pd.Series([raw]), "f.csv").tolist() == [year]


def test_bad_academic_year_is_reported():
    with pytest.raises(BuildError, match="Academic year"):
        readers.academic_year_end(pd.Series(["Academic year"]), "f.csv")


def test_missing_column_is_named(tmp_path):
    folder = tmp_path / "trafford-dashboard-fingertips"
    folder.mkdir()
    (folder / "school_readiness_fsm.csv").write_text(
        "area_code,area_name,period,val\nE06000001,Hartlepool,2012/13,30.1\n"
    )
    with pytest.raises(BuildError) as error:
        readers.read_fingertips_fsm(tmp_path)
    assert "school_readiness_fsm.csv" in str(error.value) and "'value'" in str(error.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(BuildError, match="APS_GLD_ELG_EXP_2013_2019.csv: file is missing"):
        readers.read_aps(tmp_path)


def test_truncated_parquet_is_reported(tmp_path):
    folder = tmp_path / "dfe-lait"
    folder.mkdir()
    (folder / "bds_long_0.parquet").write_bytes(b"PAR1\x00\x00truncated")
    with pytest.raises(BuildError, match="cannot be read as Parquet"):
        readers.read_lait(tmp_path)


def test_every_registered_raw_file_has_one_name_in_the_registry():
    paths = {name: value for name, value in vars(raw_files).items() if name.endswith("_FILE")}
    assert len(set(paths.values())) == len(paths), "two names for one file"
    assert set(paths.values()) == {entry.path for entry in load_register(DATA_DIR / "sources.yml")}


def test_every_missing_column_is_named():
    with pytest.raises(BuildError) as error:
        readers.require_columns(pd.DataFrame(columns=["a"]), ["a", "b", "c"], "x/f.csv")
    assert str(error.value) == "data/raw/x/f.csv: column 'b' is missing (found: a, …; also missing: 'c')"


def test_a_missing_column_of_an_argument_names_the_parameter():
    with pytest.raises(BuildError, match=r"^lsoa_points: column 'long' is missing"):
        readers.require_columns(["lsoa_code", "lat"], ["lsoa_code", "long", "lat"], parameter="lsoa_points")


def test_geojson_missing_column_is_named(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"CODE": "E07000001"},
        "geometry": {"type": "Point", "coordinates": [-1.0, 52.0]},
    }
    (tmp_path / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert readers.read_geojson(tmp_path, "areas.geojson", ["CODE"])["CODE"].tolist() == ["E07000001"]
    with pytest.raises(BuildError, match=r"data/raw/areas.geojson: column 'NAME' is missing"):
        readers.read_geojson(tmp_path, "areas.geojson", ["CODE", "NAME"])
