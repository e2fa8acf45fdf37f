"""Tests for etl/ward_readers.py and etl/wards.py: reading, LSOA -> ward aggregation, ward shapes.

The fixture world is a grid of 0.01-degree cells near (-1.00 E, 52.00 N). Cell (x, y) is the
point (-1.00 + 0.01 x, 52.00 + 0.01 y). The CSV fixtures (the May 2024 upper-tier lookup and
DWP's two tables) live in tests/fixtures/wards/raw; the R data files, the IoD2025 File 3 workbook
and the LA GeoJSON are written into a temporary copy of that folder by ``fixture_raw_dir``, from
the values below, so that the inputs and the expectations sit together here.

Best-fit lookup (Welsh LSOA W01000001 in ward W05000001 must be dropped):
    Alpha E05000001 (Hartlepool E06000001 -> LA E06000001): L1 x0-1, L2 x1-2, L3 x2-3 (all y0-2)
    Bravo E05000002 (Barnsley E08000016 -> LA E08000038): L4 x0-1 y2-3, L5 x2-3 y2-3 (two parts)
    Delta E05000004 (Amber Valley E07000032 -> LA E10000007): L6 x3-4 y0-2
    Charlie E05000003 (Hartlepool) has no LSOA: only DWP publishes it -> method no_lsoa.
    Delta is not in DWP's ward table -> no low-income figures.

LSOA values (IMD rank, decile, score; IDACI rank, decile; IDACI numerator, NA = suppressed):
    L1 100, 1, 60.0;     50, 1;  120       L4 3000, 1, 45.0; 20000, 6; 200
    L2 20000, 6, 15.0; 3000, 1;   80       L5 9000, 3, 30.0; 16000, 5;  40
    L3 30000, 9, 5.0; 33000, 10;  NA       L6 33755, 10, 1.0; 33755, 10; NA
Hand-worked wards (each LSOA weighted equally):
- Alpha: 3 LSOAs; IMD (100 + 20000 + 30000) / 3 = 16700; IDACI (50 + 3000 + 33000) / 3 =
  12016.67; 1 of 3 LSOAs in IMD decile 1 = 33.33 %, 2 of 3 in IDACI decile 1 = 66.67 %;
  120 + 80 = 200 income-deprived children, 1 LSOA suppressed.
- Bravo: 2; IMD (3000 + 9000) / 2 = 6000; IDACI (20000 + 16000) / 2 = 18000; 50 %, 0 %; 240, 0.
- Delta: 1; IMD 33755; IDACI 33755; 0 %, 0 %; its only LSOA suppressed: unknown (NA), 1.
- Charlie: 0 LSOAs and no deprivation figures.
- Ward deciles over the 3 wards with LSOAs, ceil(10 p / 3) for p = 1..3 -> 4, 7, 10:
  IMD order Bravo, Alpha, Delta; IDACI order Alpha, Bravo, Delta.
DWP (tests/fixtures/wards/raw/dwp-cilif-sianreilly), FYE 2024 and 2025:
- Alpha "1,234", "1,250", 30.1 %, 31.2 %: children 0-15 = round(1250 / 31.2 x 100) = 4006.
- Bravo 980, "1,015", 24.5 %, 25.0 %: round(1015 / 25.0 x 100) = 4060.
- Charlie [low], 12, [x], [x]: numbers NA and 12, percentages NA, children NA.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
from etl.low_income import upper_tier_of
from etl.reorganisations import current_code

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "wards" / "raw"
REAL_RAW = Path(__file__).parents[1] / "data/raw"
LON0, LAT0, CELL = -1.00, 52.00, 0.01
# R's NA for doubles: a NaN with the payload 1954, as R writes it.
R_NA = struct.unpack("<d", struct.pack("<Q", 0x7FF00000000007A2))[0]


def at(x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude of grid point (x, y)."""
    return (LON0 + CELL * x, LAT0 + CELL * y)


def rectangle(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A grid rectangle as a WGS84 polygon."""
    return shapely.box(*at(x0, y0), *at(x1, y1))


# LSOA, ward, ward name, district, district name, grid rectangle; the lookup lists them in this
# (unsorted) order, with the Welsh LSOA in the middle.
FIXTURE_LOOKUP = [
    ("E01000004", "E05000002", "Bravo", "E08000016", "Barnsley", (0, 2, 1, 3)),
    ("E01000001", "E05000001", "Alpha", "E06000001", "Hartlepool", (0, 0, 1, 2)),
    ("W01000001", "W05000001", "Echo", "W06000001", "Isle of Anglesey", (10, 10, 11, 11)),
    ("E01000006", "E05000004", "Delta", "E07000032", "Amber Valley", (3, 0, 4, 2)),
    ("E01000002", "E05000001", "Alpha", "E06000001", "Hartlepool", (1, 0, 2, 2)),
    ("E01000003", "E05000001", "Alpha", "E06000001", "Hartlepool", (2, 0, 3, 2)),
    ("E01000005", "E05000002", "Bravo", "E08000016", "Barnsley", (2, 2, 3, 3)),
]
# LSOA: IMD rank, decile, score; IDACI rank, decile; IDACI numerator (None = suppressed).
FIXTURE_IOD = {
    "E01000001": (100, 1, 60.0, 50, 1, 120),
    "E01000002": (20000, 6, 15.0, 3000, 1, 80),
    "E01000003": (30000, 9, 5.0, 33000, 10, None),
    "E01000004": (3000, 1, 45.0, 20000, 6, 200),
    "E01000005": (9000, 3, 30.0, 16000, 5, 40),
    "E01000006": (33755, 10, 1.0, 33755, 10, None),
}
FIXTURE_LAS = [
    ("E06000001", "Hartlepool", (0, 0, 3, 2)),
    ("E08000016", "Barnsley", (0, 2, 3, 3)),
    ("E10000007", "Derbyshire", (3, 0, 4, 2)),
    ("W06000001", "Isle of Anglesey", (10, 10, 11, 11)),
]


@dataclass
class _RClassed:
    """A Python value with R attributes (including ``class``), for writing tibbles and sf objects."""

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


def _sfg(polygon: shapely.Polygon) -> _RClassed:
    """An sf MULTIPOLYGON of one part: rings are closed (n, 2) coordinate matrices."""
    ring = np.array(polygon.exterior.coords, dtype="float64")
    return _RClassed([[ring]], {"class": np.array(["XY", "MULTIPOLYGON", "sfg"])})


def _sfc(polygons: list[shapely.Polygon]) -> _RClassed:
    return _RClassed(
        [_sfg(polygon) for polygon in polygons],
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
            "class": np.array(["sfc_MULTIPOLYGON", "sfc"]),
        },
    )


def write_rda_table(path: Path, name: str, columns: dict[str, Any], geometry: list | None = None) -> None:
    """Write a tibble (or, with ``geometry``, an sf table) shaped like the humaniverse files.

    Row names are R's compact c(NA, -n), which rdata reads as an index from 1 (the pitfall the
    sf reader must survive).
    """
    values = dict(columns)
    if geometry is not None:
        values["geometry"] = _sfc(geometry)
    rows = len(next(iter(columns.values())))
    attributes = {
        "names": np.array(list(values)),
        "row.names": np.ma.array([R_INT_NA, -rows], mask=[True, False]),
        "class": np.array(["sf", "data.frame"] if geometry is not None else ["tbl_df", "tbl", "data.frame"]),
    }
    if geometry is not None:
        attributes["sf_column"] = np.array(["geometry"])
    path.parent.mkdir(parents=True, exist_ok=True)
    rdata.write_rda(
        path,
        {name: _RClassed(list(values.values()), attributes)},
        constructor_dict={**DEFAULT_CLASS_MAP, _RClassed: _write_classed},
    )


def _column_letter(index: int) -> str:
    return chr(ord("A") + index)


def write_xlsx(path: Path, sheet: str, rows: list[list[Any]]) -> None:
    """Write a one-sheet .xlsx workbook (strings inline, numbers as numbers): enough for calamine."""
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{_column_letter(c)}{r}"
            if isinstance(value, str):
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)


def write_geojson(path: Path, features: list[tuple[dict[str, Any], shapely.Geometry]]) -> None:
    """Write a WGS84 GeoJSON FeatureCollection."""
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geom)}
            for properties, geom in features
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def write_fixture_files(raw: Path, iod: dict[str, tuple] = FIXTURE_IOD) -> None:
    """Write the R data files, File 3 and the LA GeoJSON of the fixture world into ``raw``."""
    lookup_columns = ["lsoa21_code", "ward24_code", "ward24_name", "ltla24_code", "ltla24_name"]
    write_rda_table(
        raw / raw_files.LSOA_WARD_LOOKUP_FILE,
        "lookup_lsoa21_ward24_ltla24",
        {
            "lsoa21_name": np.array([f"{row[4]} 001{i}" for i, row in enumerate(FIXTURE_LOOKUP)]),
            **{name: np.array([row[i] for row in FIXTURE_LOOKUP]) for i, name in enumerate(lookup_columns)},
        },
    )
    # The polygons come in yet another order, so a reader that shifted or sorted rows is caught.
    polygons = sorted(FIXTURE_LOOKUP, key=lambda row: row[0], reverse=True)
    write_rda_table(
        raw / raw_files.LSOA_POLYGONS_FILE,
        "boundaries_lsoa21",
        {"lsoa21_name": np.array([row[4] for row in polygons]), "lsoa21_code": np.array([row[0] for row in polygons])},
        geometry=[rectangle(*row[5]) for row in polygons],
    )
    codes = list(iod)
    write_rda_table(
        raw / raw_files.IOD2025_LSOA_FILE,
        "imd2025_england_lsoa21",
        {
            "lsoa21_code": np.array(codes),
            "IMD_decile": np.array([float(iod[code][1]) for code in codes]),
            "IMD_rank": np.array([float(iod[code][0]) for code in codes]),
            "IMD_score": np.array([iod[code][2] for code in codes]),
        },
    )
    write_rda_table(
        raw / raw_files.IOD2025_INDICATORS_FILE,
        "imd2025_england_lsoa21_indicators",
        {
            "lsoa21_code": np.array(codes),
            "income_domain_numerator": np.array([100.0] * len(codes)),
            ward_readers.IDACI_NUMERATOR_COLUMN: np.array(
                [R_NA if iod[code][5] is None else float(iod[code][5]) for code in codes]
            ),
        },
    )
    district = {row[0]: (row[3], row[4]) for row in FIXTURE_LOOKUP}
    header = [
        "LSOA code (2021)",
        "LSOA name (2021)",
        "Local Authority District code (2024)",
        "Local Authority District name (2024)",
        *list(ward_readers.IOD2025_SUPPLEMENTARY_COLUMNS)[2:],
        "Income Deprivation Affecting Older People (IDAOPI) Rank (where 1 is most deprived)",
        "Income Deprivation Affecting Older People (IDAOPI) Decile (where 1 is most deprived 10% of LSOAs)",
    ]
    body = [
        [code, f"LSOA {code}", *district[code], iod[code][0], iod[code][1], iod[code][3], iod[code][4], 1, 1]
        for code in codes
    ]
    path = raw / raw_files.IOD2025_SUPPLEMENTARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(path, ward_readers.IOD2025_SUPPLEMENTARY_SHEET, [header, *body])
    write_geojson(
        raw / raw_files.LA_POLYGONS_FILE,
        [({"CTYUA23CD": code, "CTYUA23NM": name}, rectangle(*box)) for code, name, box in FIXTURE_LAS],
    )


@pytest.fixture
def fixture_raw_dir(tmp_path: Path) -> Path:
    """A copy of the CSV fixtures plus the generated R data, workbook and GeoJSON files."""
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    write_fixture_files(raw)
    return raw


# --- reading ---------------------------------------------------------------------------------


def test_read_lsoa_polygons_keeps_each_geometry_on_its_own_row(fixture_raw_dir: Path) -> None:
    polygons = ward_readers.read_lsoa_polygons(fixture_raw_dir)
    assert list(polygons.columns) == ["lsoa_code", "geometry"]
    # Written in reverse code order; the Welsh LSOA is dropped.
    assert polygons["lsoa_code"].tolist() == [f"E0100000{i}" for i in range(6, 0, -1)]
    assert polygons.crs.to_epsg() == 4326
    # L1 is grid x0-1, y0-2: lon -1.00 to -0.99, lat 52.00 to 52.02; L6 is x3-4.
    by_code = polygons.set_index("lsoa_code").geometry
    assert by_code["E01000001"].bounds == pytest.approx((-1.00, 52.00, -0.99, 52.02))
    assert by_code["E01000006"].bounds == pytest.approx((-0.97, 52.00, -0.96, 52.02))


def test_read_lsoa_ward_lookup_keeps_english_lsoas(fixture_raw_dir: Path) -> None:
    lookup = ward_readers.read_lsoa_ward_lookup(fixture_raw_dir)
    assert list(lookup.columns) == ["lsoa_code", "ward_code", "ward_name", "lad_code", "lad_name"]
    assert lookup["lsoa_code"].tolist() == [
        "E01000004",
        "E01000001",
        "E01000006",
        "E01000002",
        "E01000003",
        "E01000005",
    ]
    assert lookup.loc[lookup["lsoa_code"] == "E01000006"].iloc[0].tolist() == [
        "E01000006",
        "E05000004",
        "Delta",
        "E07000032",
        "Amber Valley",
    ]


def test_a_ward_in_two_districts_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_rda_table(
        raw / raw_files.LSOA_WARD_LOOKUP_FILE,
        "lookup",
        {
            "lsoa21_code": np.array(["E01000001", "E01000002"]),
            "ward24_code": np.array(["E05000001", "E05000001"]),
            "ward24_name": np.array(["Alpha", "Alpha"]),
            "ltla24_code": np.array(["E06000001", "E06000002"]),
            "ltla24_name": np.array(["Hartlepool", "Middlesbrough"]),
        },
    )
    with pytest.raises(BuildError, match="lookup_lsoa21_ward24_ltla24.rda: ward E05000001 has more than one"):
        ward_readers.read_lsoa_ward_lookup(raw)


def test_iod2025_files_are_read_as_numbers_with_suppressed_counts_missing(fixture_raw_dir: Path) -> None:
    imd = ward_readers.read_lsoa_imd(fixture_raw_dir)
    assert imd["imd_rank"].tolist() == [100, 20000, 30000, 3000, 9000, 33755]
    assert (imd[["imd_rank", "imd_decile"]].dtypes == "int64").all()
    assert imd["imd_score"].tolist() == [60.0, 15.0, 5.0, 45.0, 30.0, 1.0]
    idaci = ward_readers.read_lsoa_idaci(fixture_raw_dir)
    assert list(idaci.columns) == ["lsoa_code", "lad_code", "imd_rank", "imd_decile", "idaci_rank", "idaci_decile"]
    assert idaci["idaci_rank"].tolist() == [50, 3000, 33000, 20000, 16000, 33755]
    assert idaci["lad_code"].tolist() == ["E06000001"] * 3 + ["E08000016"] * 2 + ["E07000032"]
    numerators = ward_readers.read_idaci_numerator(fixture_raw_dir)
    counts = numerators.set_index("lsoa_code")["income_deprived_children"]
    # R's NA (suppressed) is missing, never 0.
    assert counts.isna().tolist() == [False, False, True, False, False, True]
    assert counts.dropna().tolist() == [120.0, 80.0, 200.0, 40.0]


@pytest.mark.parametrize("bad", [2.5, "n/a"])
def test_a_bad_rank_in_file_3_names_file_column_and_value(tmp_path: Path, bad: Any) -> None:
    raw = tmp_path / "raw"
    write_fixture_files(raw, {**FIXTURE_IOD, "E01000002": (20000, 6, 15.0, bad, 1, 80)})
    with pytest.raises(BuildError, match="File_3_IoD2025") as error:
        ward_readers.read_lsoa_idaci(raw)
    assert "'Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)'" in str(error.value)
    assert repr(bad) in str(error.value)


# A file cut short (a download stopped early) or to nothing: one error naming the file, never a
# traceback, and never the absolute path some parsers quote.
@pytest.mark.parametrize(
    ("file", "read", "kind"),
    [
        (raw_files.LSOA_POLYGONS_FILE, ward_readers.read_lsoa_polygons, "an R data file"),
        (raw_files.LSOA_WARD_LOOKUP_FILE, ward_readers.read_lsoa_ward_lookup, "an R data file"),
        (raw_files.IOD2025_LSOA_FILE, ward_readers.read_lsoa_imd, "an R data file"),
        (raw_files.IOD2025_INDICATORS_FILE, ward_readers.read_idaci_numerator, "an R data file"),
        (raw_files.IOD2025_SUPPLEMENTARY_FILE, ward_readers.read_lsoa_idaci, "an Excel workbook"),
        (raw_files.LA_POLYGONS_FILE, ward_readers.read_la_polygons, "GeoJSON"),
    ],
    ids=["lsoa-polygons", "lookup", "imd", "indicators", "file-3", "counties-geojson"],
)
@pytest.mark.parametrize("kept", [0.5, 0.0], ids=["cut-in-half", "cut-to-nothing"])
def test_a_cut_file_is_one_error_naming_it(fixture_raw_dir: Path, file, read, kind, kept: float) -> None:
    path = fixture_raw_dir / file
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * kept)])
    with pytest.raises(BuildError) as error:
        read(fixture_raw_dir)
    message = str(error.value)
    assert message.startswith(f"data/raw/{file}: cannot be read as {kind} ("), message
    assert str(fixture_raw_dir) not in message and "\n" not in message, message


def cache_files(raw: Path) -> list[Path]:
    return sorted((raw.parent / "cache").glob("*.parquet"))


def test_a_parsed_r_file_is_kept_and_read_back_unchanged(fixture_raw_dir: Path, monkeypatch) -> None:
    first = ward_readers.read_lsoa_polygons(fixture_raw_dir)
    kept = cache_files(fixture_raw_dir)
    assert [path.name.split(".rda.")[0] for path in kept] == ["ons-lsoa21-geographr__boundaries_lsoa21"]

    def no_parsing(*args, **kwargs):
        raise AssertionError("the R file was parsed again")

    monkeypatch.setattr(rdata, "read_rda", no_parsing)
    again = ward_readers.read_lsoa_polygons(fixture_raw_dir)
    assert again["lsoa_code"].tolist() == first["lsoa_code"].tolist()
    assert all(a.equals_exact(b, 0) for a, b in zip(again.geometry, first.geometry, strict=True))
    assert again.crs.to_epsg() == 4326


def test_a_changed_r_file_is_parsed_afresh_and_the_old_copy_removed(fixture_raw_dir: Path) -> None:
    ward_readers.read_lsoa_polygons(fixture_raw_dir)
    old = cache_files(fixture_raw_dir)
    # L1 (x0-1, y0-2) is moved to x9-10: a reader that served the kept copy would not see it.
    write_rda_table(
        fixture_raw_dir / raw_files.LSOA_POLYGONS_FILE,
        "boundaries_lsoa21",
        {"lsoa21_name": np.array(["Hartlepool 001"]), "lsoa21_code": np.array(["E01000001"])},
        geometry=[rectangle(9, 0, 10, 2)],
    )
    moved = ward_readers.read_lsoa_polygons(fixture_raw_dir)
    assert moved["lsoa_code"].tolist() == ["E01000001"]
    assert moved.geometry.iloc[0].bounds == pytest.approx((-0.91, 52.00, -0.90, 52.02))
    new = cache_files(fixture_raw_dir)
    assert len(new) == 1 and new != old


def test_a_cut_r_file_fails_even_when_its_intact_copy_was_kept(fixture_raw_dir: Path) -> None:
    ward_readers.read_lsoa_ward_lookup(fixture_raw_dir)
    path = fixture_raw_dir / raw_files.LSOA_WARD_LOOKUP_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(BuildError, match="cannot be read as an R data file"):
        ward_readers.read_lsoa_ward_lookup(fixture_raw_dir)


def test_a_damaged_or_unwritable_cache_is_never_an_error(fixture_raw_dir: Path) -> None:
    expected = ward_readers.read_lsoa_ward_lookup(fixture_raw_dir)
    (kept,) = cache_files(fixture_raw_dir)
    kept.write_bytes(b"not parquet")
    pd.testing.assert_frame_equal(ward_readers.read_lsoa_ward_lookup(fixture_raw_dir), expected)
    assert kept.read_bytes()[:4] == b"PAR1"  # parsed afresh and kept again
    kept.unlink()
    cache = kept.parent
    cache.chmod(0o555)
    try:
        pd.testing.assert_frame_equal(ward_readers.read_lsoa_ward_lookup(fixture_raw_dir), expected)
    finally:
        cache.chmod(0o755)
    if os.geteuid() != 0:  # root writes to read-only folders anyway
        assert cache_files(fixture_raw_dir) == []


# --- staging and aggregation -----------------------------------------------------------------


def fixture_lsoas() -> pd.DataFrame:
    """The fixture LSOAs as ``assign_lsoas_to_wards`` returns them."""
    ward = {row[0]: row[1] for row in FIXTURE_LOOKUP}
    rows = [
        (code, ward[code], imd, imd_decile, score, idaci, idaci_decile, count)
        for code, (imd, imd_decile, score, idaci, idaci_decile, count) in FIXTURE_IOD.items()
    ]
    columns = [column for column in wards.LSOA_COLUMNS if column != "lad_code"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["income_deprived_children"] = frame["income_deprived_children"].astype("Int64")
    return frame


def test_ward_indicators_weight_each_lsoa_equally() -> None:
    result = wards.ward_indicators(fixture_lsoas()).set_index("ward_code")
    assert result.index.tolist() == ["E05000001", "E05000002", "E05000004"]
    assert result["lsoas"].tolist() == [3, 2, 1]
    assert result["imd_avg_rank"].tolist() == pytest.approx([16700.0, 6000.0, 33755.0])
    assert result["idaci_avg_rank"].tolist() == pytest.approx([36050 / 3, 18000.0, 33755.0])
    assert result["pct_lsoas_imd_decile1"].tolist() == pytest.approx([100 / 3, 50.0, 0.0])
    assert result["pct_lsoas_idaci_decile1"].tolist() == pytest.approx([200 / 3, 0.0, 0.0])
    # Alpha's suppressed LSOA adds nothing; Delta's only LSOA is suppressed, so its count is unknown.
    assert result["income_deprived_children"].tolist()[:2] == [200, 240]
    assert pd.isna(result.loc["E05000004", "income_deprived_children"])
    assert result["income_deprived_suppressed"].tolist() == [1, 0, 1]
    assert result["imd_decile"].tolist() == [7, 4, 10]
    assert result["idaci_decile"].tolist() == [4, 7, 10]


def test_national_decile_one_is_most_deprived() -> None:
    twenty = pd.Series(np.arange(1.0, 21.0), name="imd_avg_rank")
    assert wards.national_decile(twenty).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]
    # Ties share the more deprived position: positions 1, 1, 3, 4 of 4.
    tied = pd.Series([5.0, 5.0, 7.0, 9.0], name="imd_avg_rank")
    assert wards.national_decile(tied).tolist() == [3, 3, 8, 10]


def test_iod2025_files_that_disagree_on_imd_are_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_fixture_files(raw)
    imd = ward_readers.read_lsoa_imd(raw)
    imd.loc[imd["lsoa_code"] == "E01000003", "imd_rank"] = 29999
    with pytest.raises(BuildError, match=r"different IMD ranks or deciles for 1 LSOAs, e\.g\. E01000003"):
        wards.stage_lsoa_indicators(imd, ward_readers.read_lsoa_idaci(raw), ward_readers.read_idaci_numerator(raw))


# Column -> expected values by ward code (None = missing); lists, so that no dtype is imposed.
EXPECTED_WARDS: dict[str, list[Any]] = {
    "ward_code": ["E05000001", "E05000002", "E05000003", "E05000004"],
    "ward_name": ["Alpha", "Bravo", "Charlie", "Delta"],
    "lad_code": ["E06000001", "E08000016", "E06000001", "E07000032"],
    "lad_name": ["Hartlepool", "Barnsley", "Hartlepool", "Amber Valley"],
    # Barnsley's ONS code E08000016 becomes the current E08000038.
    "area_code": ["E06000001", "E08000038", "E06000001", "E10000007"],
    "lsoas": [3, 2, 0, 1],
    "imd_avg_rank": [16700.0, 6000.0, None, 33755.0],
    "idaci_avg_rank": [12016.666667, 18000.0, None, 33755.0],
    "pct_lsoas_imd_decile1": [33.333333, 50.0, None, 0.0],
    "pct_lsoas_idaci_decile1": [66.666667, 0.0, None, 0.0],
    "imd_decile": [7, 4, None, 10],
    "idaci_decile": [4, 7, None, 10],
    "income_deprived_children": [200, 240, None, None],
    "income_deprived_suppressed": [1, 0, 0, 1],
    "low_income_children_2025": [1250, 1015, 12, None],
    "low_income_children_2024": [1234, 980, None, None],
    "pct_low_income_2025": [31.2, 25.0, None, None],
    "pct_low_income_2024": [30.1, 24.5, None, None],
    "children_0_15": [4006, 4060, None, None],
    "method": ["best_fit", "best_fit", "no_lsoa", "best_fit"],
}


def test_build_ward_outputs_on_fixture(fixture_raw_dir: Path) -> None:
    outputs = wards.build_ward_outputs(fixture_raw_dir, expected_la_count=3)
    result = outputs.wards
    assert list(result.columns) == wards.WARD_COLUMNS
    for column, expected in EXPECTED_WARDS.items():
        found = [None if pd.isna(value) else value for value in result[column].tolist()]
        assert found == (pytest.approx(expected) if isinstance(expected[0], float) else expected), column
    for column in ("lsoas", "income_deprived_suppressed"):
        assert result[column].dtype == "int64", column
    for column in ("imd_decile", "income_deprived_children", "low_income_children_2025", "children_0_15"):
        assert result[column].dtype == "Int64", column

    lsoas = outputs.ward_lsoas
    assert list(lsoas.columns) == wards.LSOA_COLUMNS
    assert lsoas["lsoa_code"].tolist() == [f"E0100000{i}" for i in range(1, 7)]
    assert lsoas["ward_code"].tolist() == ["E05000001"] * 3 + ["E05000002"] * 2 + ["E05000004"]

    # DWP's district table summed to the fixture LAs (hand-worked in tests/test_etl_low_income.py).
    assert outputs.low_income_la["area_code"].tolist() == [
        "E06000001",
        "E06000001",
        "E08000038",
        "E08000038",
        "E10000007",
        "E10000007",
        "E92000001",
        "E92000001",
    ]
    assert outputs.low_income_la["children"].tolist() == [1260, 1262, 980, 1015, 5000, 5300, 7240, 7577]

    shapes = outputs.ward_geometry.set_index("ward_code").geometry
    assert outputs.ward_geometry.crs.to_epsg() == 4326
    assert list(outputs.ward_geometry.columns) == ["ward_code", "geometry"]
    # Only wards with LSOAs have a shape: Alpha is L1-L3 merged into one rectangle, Bravo two
    # separate cells, Delta its one LSOA.
    assert shapes.index.tolist() == ["E05000001", "E05000002", "E05000004"]
    assert shapes["E05000001"].geom_type == "Polygon" and shapes["E05000001"].equals(rectangle(0, 0, 3, 2))
    assert shapes["E05000002"].geom_type == "MultiPolygon" and len(shapes["E05000002"].geoms) == 2
    assert shapes["E05000002"].equals(shapely.union_all([rectangle(0, 2, 1, 3), rectangle(2, 2, 3, 3)]))
    assert shapes["E05000004"].equals(rectangle(3, 0, 4, 2))
    assert outputs.la_geometry["area_code"].tolist() == ["E06000001", "E08000038", "E10000007"]


def test_dissolve_falls_back_to_overlay_where_a_shared_edge_is_noded_on_one_side() -> None:
    # The left cell has an extra vertex on the shared edge, a hair inside its neighbour (as 3 real
    # wards' LSOAs do): a coverage union refuses that; the overlay gives one cell of area 2.
    left = shapely.Polygon([(0, 0), (1, 0), (1.0000001, 0.5), (1, 1), (0, 1)])
    right = shapely.box(1, 0, 2, 1)
    with pytest.raises(shapely.errors.GEOSException):
        shapely.coverage_union_all([left, right])
    polygons = gpd.GeoDataFrame({"lsoa_code": ["E01000001", "E01000002"]}, geometry=[left, right], crs=4326)
    assignment = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002"], "ward_code": ["E05000001"] * 2})
    dissolved = wards.dissolve_by_ward(polygons, assignment)
    shape = dissolved.geometry.iloc[0]
    assert shape.geom_type == "Polygon" and shape.is_valid
    assert shape.area == pytest.approx(2.0)


def test_shifted_lsoa_geometry_is_refused(fixture_raw_dir: Path) -> None:
    polygons = ward_readers.read_lsoa_polygons(fixture_raw_dir)
    ward_lsoas = fixture_lsoas().assign(
        lad_code=["E06000001", "E06000001", "E06000001", "E08000016", "E08000016", "E07000032"]
    )
    lad_to_la = ward_readers.read_lad_to_upper_tier(fixture_raw_dir)
    las = ward_readers.read_la_polygons(fixture_raw_dir, expected_count=3)
    assert wards.check_lsoas_in_their_las(polygons, ward_lsoas, lad_to_la, las) == 0
    shifted = polygons.set_geometry(np.roll(polygons.geometry.to_numpy(), 1), crs=polygons.crs)
    with pytest.raises(BuildError, match="shifted"):
        wards.check_lsoas_in_their_las(shifted, ward_lsoas, lad_to_la, las)


def test_a_ward_whose_district_has_no_upper_tier_la_is_named() -> None:
    lookup = pd.DataFrame([row[:5] for row in FIXTURE_LOOKUP if row[0].startswith("E")])
    lookup.columns = ["lsoa_code", "ward_code", "ward_name", "lad_code", "lad_name"]
    no_dwp = pd.DataFrame(columns=["ward_code", "ward_name", "lad_code", "lad_name"])
    lad_to_la = pd.DataFrame({"lad_code": ["E06000001", "E08000016"], "area_code": ["E06000001", "E08000038"]})
    la_codes = ["E06000001", "E08000038"]
    with pytest.raises(BuildError, match=r"ward E05000004 \(LAD E07000032\) does not map"):
        wards.assemble_wards(lookup, wards.ward_indicators(fixture_lsoas()), no_dwp, lad_to_la, la_codes)


def test_a_ward_in_another_district_at_dwp_is_named() -> None:
    lookup = pd.DataFrame(
        [["E01000001", "E05000001", "Alpha", "E06000001", "Hartlepool"]],
        columns=["lsoa_code", "ward_code", "ward_name", "lad_code", "lad_name"],
    )
    dwp = pd.DataFrame([["E05000001", "Alpha", "E06000002", "Middlesbrough"]], columns=lookup.columns[1:])
    with pytest.raises(BuildError, match="ward E05000001 is in district E06000001 .* but E06000002"):
        wards.assemble_wards(lookup, pd.DataFrame({"ward_code": []}), dwp, pd.DataFrame(), ["E06000001"])


# --- real data -------------------------------------------------------------------------------
# Expected values here come from published figures, DATA_GUIDE or the raw files read directly
# with pandas, never from a run of the code under test. How long the build takes is the
# benchmark's business (`python -m bench`), not these tests'.

needs_real_data = pytest.mark.skipif(
    not (REAL_RAW / raw_files.LSOA_WARD_LOOKUP_FILE).exists(), reason="data/raw is not present"
)
# DATA_GUIDE section 8: IoD2025 ranks 33,755 English LSOAs; ONS's best-fit lookup puts them in
# 6,784 English May 2024 wards.
ENGLAND_LSOAS = 33_755
LOOKUP_WARDS = 6_784
KENT = "E10000016"


@needs_real_data
def test_real_lookup_puts_each_english_lsoa_in_one_of_6784_wards() -> None:
    lookup = ward_readers.read_lsoa_ward_lookup(REAL_RAW)
    assert len(lookup) == ENGLAND_LSOAS and lookup["lsoa_code"].is_unique
    assert lookup["ward_code"].nunique() == LOOKUP_WARDS
    assert lookup["ward_code"].str.startswith("E05").all()


def published_iod2025_upper_tier() -> pd.DataFrame:
    """File 11 (IoD2025 upper-tier summaries) read directly with pandas, indexed by LA code."""
    frame = pd.read_csv(REAL_RAW / raw_files.IOD2025_UPPER_FILE, encoding="utf-8-sig")
    frame.columns = frame.columns.str.strip()  # headers carry trailing spaces
    return frame.set_index("Upper Tier Local Authority District code (2024)")


@needs_real_data
def test_real_lsoas_reproduce_the_published_iod2025_upper_tier_summaries() -> None:
    lsoas = wards.stage_lsoa_indicators(
        ward_readers.read_lsoa_imd(REAL_RAW),
        ward_readers.read_lsoa_idaci(REAL_RAW),
        ward_readers.read_idaci_numerator(REAL_RAW),
    )
    assert len(lsoas) == ENGLAND_LSOAS
    # Each LSOA in the upper-tier LA of its own (File 3) district, as the published summaries are.
    lad_to_la = ward_readers.read_lad_to_upper_tier(REAL_RAW)
    lsoas["area_code"] = upper_tier_of(lsoas["lad_code"], lad_to_la)
    ours = wards.summarise_lsoas(lsoas, "area_code").set_index("area_code")
    published = published_iod2025_upper_tier()
    published.index = published.index.map(current_code)  # File 11 keeps Barnsley's and Sheffield's 2024 codes
    assert len(published) == 153 and sorted(published.index) == sorted(ours.index)
    ours = ours.loc[published.index]

    # The proportion of LSOAs in the most deprived 10 % is a count: exact at File 11's 4 dp.
    share = (ours["pct_lsoas_imd_decile1"] / 100).round(4)
    assert (share == published["IMD - Proportion of LSOAs in most deprived 10% nationally"]).all()
    # Average rank (published with 33,756 - mean, so higher = more deprived) and average score are
    # population-weighted in File 11; we weight LSOAs equally. Measured: the largest differences
    # are 982 ranks and 2.16 points (both Oldham, whose most deprived LSOAs are its most
    # populous), the medians 164 and 0.22.
    rank_gap = (ENGLAND_LSOAS + 1 - ours["imd_avg_rank"] - published["IMD - Average rank"]).abs()
    score_gap = (ours["imd_avg_score"] - published["IMD - Average score"]).abs()
    assert rank_gap.max() <= 1_100, rank_gap.sort_values().tail()
    assert rank_gap.median() <= 200
    assert score_gap.max() <= 2.5, score_gap.sort_values().tail()
    assert score_gap.median() <= 0.3


@pytest.fixture(scope="module")
def real_outputs() -> wards.WardOutputs:
    return wards.build_ward_outputs(REAL_RAW)


@needs_real_data
@pytest.mark.slow
def test_real_build_ward_outputs(real_outputs: wards.WardOutputs) -> None:
    result = real_outputs.wards
    assert list(result.columns) == wards.WARD_COLUMNS and result["ward_code"].is_unique
    best_fit = result[result["method"] == "best_fit"]
    assert len(best_fit) == LOOKUP_WARDS
    assert best_fit["lsoas"].sum() == ENGLAND_LSOAS and (best_fit["lsoas"] > 0).all()
    # PROVENANCE: DWP's ward table has English wards the lookup gives no LSOA (City of London,
    # Isles of Scilly and a few small wards elsewhere): they come in as no_lsoa, with no shape.
    dwp = pd.read_csv(
        REAL_RAW / raw_files.LOW_INCOME_WARD_FILE, skiprows=9, usecols=[3], dtype=str, encoding="utf-8-sig"
    )
    dwp_wards = set(dwp.iloc[:, 0].dropna()) - {"K02000001"}
    dwp_english = {code for code in dwp_wards if code.startswith("E05")}
    assert set(result.loc[result["method"] == "no_lsoa", "ward_code"]) == dwp_english - set(best_fit["ward_code"])
    assert set(result["ward_code"]) == dwp_english | set(best_fit["ward_code"])
    assert (result.loc[result["method"] == "no_lsoa", "lsoas"] == 0).all()

    la_codes = set(real_outputs.la_geometry["area_code"])
    assert len(la_codes) == 153 and set(result["area_code"]) == la_codes
    assert {"E08000038", "E08000039"} <= la_codes and "E08000016" not in la_codes
    for column in ("imd_decile", "idaci_decile"):
        # 6,784 / 10 = 678.4 wards a decile.
        counts = best_fit[column].value_counts()
        assert sorted(counts.index) == list(range(1, 11)) and counts.between(676, 681).all()

    geometry = real_outputs.ward_geometry
    assert geometry["ward_code"].tolist() == sorted(best_fit["ward_code"])
    assert geometry.crs.to_epsg() == 4326 and shapely.is_valid(geometry.geometry.to_numpy()).all()
    # Kent's page sends all its ward polygons: about 37 bytes of map JSON per coordinate were
    # measured, so 8,000 coordinates keep it under 300 kB.
    kent = set(result.loc[result["area_code"] == KENT, "ward_code"])
    kent_coordinates = shapely.get_num_coordinates(geometry.loc[geometry["ward_code"].isin(kent)].geometry.to_numpy())
    assert kent_coordinates.sum() <= 8_000


@needs_real_data
@pytest.mark.slow
def test_real_dissolved_wards_match_an_overlay_union(real_outputs: wards.WardOutputs) -> None:
    # A coverage union that went wrong at a badly noded edge would leave a ward in extra pieces or
    # with a hairline hole; the overlay union (slower, but exact about topology) shows none.
    polygons = ward_readers.read_lsoa_polygons(REAL_RAW).merge(real_outputs.ward_lsoas[["lsoa_code", "ward_code"]])
    overlay = polygons.dissolve("ward_code").geometry
    ours = real_outputs.ward_geometry.set_index("ward_code").geometry.loc[overlay.index]
    assert (shapely.get_num_geometries(ours.to_numpy()) == shapely.get_num_geometries(overlay.to_numpy())).all()
    area_change = np.abs(shapely.area(ours.to_numpy()) - shapely.area(overlay.to_numpy())) / shapely.area(
        overlay.to_numpy()
    )
    assert area_change.max() < 1e-6
