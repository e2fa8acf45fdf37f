"""Read the ward layer's raw files as they are: R data files, the IoD2025 workbook, DWP tables, lookups.

ONS's LSOA 2021 -> ward 2024 -> district lookup, the LSOA 2021 polygons (an R ``sf`` table) and the
IoD2025 LSOA files of the humaniverse R packages are R data files, read with ``rdata`` and
constructors for the sf and tibble classes. IDACI ranks come from the official IoD2025 File 3
workbook; DWP's children in low income tables are CSV files with a preamble; the upper-tier lookup
is CSV and the LA polygons GeoJSON. Each reader checks the columns it needs, and a bad value stops
the build with the file, the column and an example value (``etl.readers`` does the CSV, Excel and
GeoJSON reading and the checks). ``etl.wards`` and ``etl.low_income`` stage what these return.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rdata
import shapely

from etl import parsed_cache
from etl.errors import BuildError
from etl.raw_files import (
    CTYUA_LOOKUP_FILE,
    IOD2025_INDICATORS_FILE,
    IOD2025_LSOA_FILE,
    IOD2025_SUPPLEMENTARY_FILE,
    LA_POLYGONS_FILE,
    LSOA_POLYGONS_FILE,
    LSOA_WARD_LOOKUP_FILE,
)
from etl.readers import parse_numeric, raw_path, read_csv, read_excel, read_geojson, require_columns, unreadable
from etl.reorganisations import current_code

WGS84 = "EPSG:4326"

# English upper-tier LAs: unitaries (E06), metropolitan districts (E08), London boroughs and the
# City (E09) and counties (E10).
UPPER_TIER_PREFIXES = ("E06", "E08", "E09", "E10")
UPPER_TIER_LA_COUNT = 153

# File 3 spells out its conventions in its headers; raw column -> staged column.
_IMD = "Index of Multiple Deprivation (IMD)"
_IDACI = "Income Deprivation Affecting Children Index (IDACI)"
IOD2025_SUPPLEMENTARY_SHEET = "IoD2025 IDACI & IDAOPI"
IOD2025_SUPPLEMENTARY_COLUMNS = {
    "LSOA code (2021)": "lsoa_code",
    "Local Authority District code (2024)": "lad_code",
    f"{_IMD} Rank (where 1 is most deprived)": "imd_rank",
    f"{_IMD} Decile (where 1 is most deprived 10% of LSOAs)": "imd_decile",
    f"{_IDACI} Rank (where 1 is most deprived)": "idaci_rank",
    f"{_IDACI} Decile (where 1 is most deprived 10% of LSOAs)": "idaci_decile",
}
# The humaniverse package's names for IoD2025 Files 5/7 (IMD) and File 8 (indicators).
IOD2025_LSOA_COLUMNS = {
    "lsoa21_code": "lsoa_code",
    "IMD_rank": "imd_rank",
    "IMD_decile": "imd_decile",
    "IMD_score": "imd_score",
}
IDACI_NUMERATOR_COLUMN = "income_deprivation_affecting_children_index_idaci_numerator"
LSOA_WARD_LOOKUP_COLUMNS = {
    "lsoa21_code": "lsoa_code",
    "ward24_code": "ward_code",
    "ward24_name": "ward_name",
    "ltla24_code": "lad_code",
    "ltla24_name": "lad_name",
}


def _sf_constructors(crs_seen: list[str], file: str) -> dict[str, Any]:
    """Constructors that let ``rdata`` turn an R ``sf`` table or tibble into pandas and shapely objects.

    ``crs_seen`` collects the WKT of each geometry column's CRS, so the caller can check it;
    ``file`` is named if a geometry type is not supported.
    """

    def geometry(obj: list[Any], attrs: dict[str, Any]) -> shapely.Geometry:
        # An sfg's class is c("XY", "<TYPE>", "sfg"); rings arrive as (n, 2) coordinate arrays.
        kind = attrs["class"][1]
        if kind == "POLYGON":
            return shapely.Polygon(obj[0], obj[1:])
        if kind == "MULTIPOLYGON":
            return shapely.MultiPolygon([(polygon[0], polygon[1:]) for polygon in obj])
        raise BuildError(f"data/raw/{file}: unsupported sf geometry type {kind!r}")

    def geometry_column(obj: list[Any], attrs: dict[str, Any]) -> list[Any]:
        crs = attrs.get("crs")
        if isinstance(crs, dict) and crs.get("wkt") is not None:
            crs_seen.append(str(np.asarray(crs["wkt"]).ravel()[0]))
        # A plain list, not a Series: rdata indexes data frames from 1, and a Series indexed
        # from 0 would be aligned on that index and shift every geometry down one row.
        return list(obj)

    def data_frame(obj: Any, attrs: dict[str, Any]) -> pd.DataFrame:
        frame = rdata.conversion.dataframe_constructor(obj, attrs)
        return frame.reset_index(drop=True)

    constructors: dict[str, Any] = dict(rdata.conversion.DEFAULT_CLASS_MAP)
    constructors.update(
        {
            "XY": geometry,
            "POLYGON": geometry,
            "MULTIPOLYGON": geometry,
            "sfc_POLYGON": geometry_column,
            "sfc_MULTIPOLYGON": geometry_column,
            "sfc_GEOMETRY": geometry_column,
            # crs and bbox are attributes we only inspect; keep their converted values.
            "crs": lambda obj, attrs: obj,
            "bbox": lambda obj, attrs: obj,
            "sf": data_frame,
            "tbl_df": data_frame,
            "tbl": data_frame,
        }
    )
    return constructors


def read_rda_table(raw_dir: Path, file: str, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Read the one data frame (a tibble or an sf table) an R data file holds, as it is.

    Parameters:
        raw_dir: folder holding the raw files.
        file: the file's path under it (a name from ``etl.raw_files``).
        columns: the columns that must be present.

    Returns:
        The data frame (all columns, indexed from 0; an sf geometry column is a column of
        shapely geometries) and the WKT of each geometry column's CRS (empty for a tibble).

    Raises:
        BuildError: if the file is missing, damaged or does not hold exactly one data frame, or
            a required column is missing.
    """
    path = raw_path(raw_dir, file)

    def parse() -> tuple[pd.DataFrame, dict]:
        crs_seen: list[str] = []
        try:
            with warnings.catch_warnings():
                # These files read without warnings; rdata warns (then fails) on a damaged one,
                # e.g. "Unknown file type: assumed RDS" for an empty file, so a warning is the reason.
                warnings.simplefilter("error", UserWarning)
                # The strings are UTF-8 (Welsh names such as "Ynys Môn") but not flagged as such.
                constructors = _sf_constructors(crs_seen, file)
                objects = rdata.read_rda(path, constructor_dict=constructors, default_encoding="utf-8")
        except BuildError:
            raise
        except Exception as error:  # the decompressors and the parser raise many types for a damaged file
            raise unreadable(file, "an R data file", error, path) from error
        frames = [value for value in objects.values() if isinstance(value, pd.DataFrame)]
        if len(frames) != 1:
            raise BuildError(f"data/raw/{file}: expected one data frame, found objects {list(objects)}")
        return frames[0], {"crs_seen": crs_seen}

    # Parsing is slow (9 s for the LSOA polygons); an unchanged file's frame is kept between builds.
    where = parsed_cache.cache_path(raw_dir, file, [Path(__file__)], [rdata.__version__])
    frame, extra = parsed_cache.cached(where, parse)
    require_columns(frame, columns, file)
    return frame, extra["crs_seen"]


def _english_lsoas(frame: pd.DataFrame, column: str, file: str) -> pd.DataFrame:
    """The rows of English LSOAs (E01...), checked to be one per LSOA."""
    codes = frame[column].astype("string")
    english = frame[codes.str.startswith("E01").fillna(False)].reset_index(drop=True)
    if not english[column].is_unique:
        duplicate = english.loc[english[column].duplicated(), column].iloc[0]
        raise BuildError(f"data/raw/{file}: LSOA {duplicate} appears more than once in '{column}'")
    return english


def whole_numbers(values: pd.Series, file: str, column: str) -> pd.Series:
    """A column of ranks or deciles as int64, checked to be whole numbers with none missing.

    Raises:
        BuildError: naming the file, the column and the missing or an example fractional value.
    """
    numbers = parse_numeric(values, "iod_lsoa", file, column)
    if numbers.isna().any():
        raise BuildError(f"data/raw/{file}: column '{column}' is missing for {int(numbers.isna().sum())} LSOAs")
    fractional = numbers != np.round(numbers)
    if fractional.any():
        raise BuildError(
            f"data/raw/{file}: column '{column}' has a fractional value {float(numbers[fractional].iloc[0])!r} "
            f"({int(fractional.sum())} rows)"
        )
    return numbers.astype("int64")


def read_lsoa_ward_lookup(raw_dir: Path) -> pd.DataFrame:
    """Read ONS's LSOA 2021 -> ward (May 2024) -> district best-fit lookup for England.

    Returns:
        DataFrame with ``lsoa_code``, ``ward_code``, ``ward_name``, ``lad_code`` and ``lad_name``
        (LAD 2024), one row per English LSOA.

    Raises:
        BuildError: if a column is missing, an LSOA appears twice, a value is missing, or a ward
            has two districts or two names.
    """
    file = LSOA_WARD_LOOKUP_FILE
    frame, _ = read_rda_table(raw_dir, file, list(LSOA_WARD_LOOKUP_COLUMNS))
    lookup = _english_lsoas(frame, "lsoa21_code", file)[list(LSOA_WARD_LOOKUP_COLUMNS)]
    lookup = lookup.rename(columns=LSOA_WARD_LOOKUP_COLUMNS)
    missing = lookup.isna().any(axis=1)
    if missing.any():
        raise BuildError(
            f"data/raw/{file}: {int(missing.sum())} English LSOAs lack a ward or district, "
            f"e.g. {lookup.loc[missing, 'lsoa_code'].iloc[0]}"
        )
    lookup = lookup.astype(str)
    per_ward = lookup.groupby("ward_code")[["ward_name", "lad_code"]].nunique()
    split = per_ward[(per_ward > 1).any(axis=1)]
    if not split.empty:
        raise BuildError(f"data/raw/{file}: ward {split.index[0]} has more than one name or district")
    return lookup


def read_lsoa_polygons(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read the English LSOA 2021 polygons (an R ``sf`` table).

    Returns:
        GeoDataFrame with ``lsoa_code`` and ``geometry`` (EPSG:4326), one row per English LSOA,
        as generalised as the source.

    Raises:
        BuildError: see ``read_rda_table``; also if the geometry's CRS is not WGS84 or an LSOA
            appears twice.
    """
    file = LSOA_POLYGONS_FILE
    frame, crs_seen = read_rda_table(raw_dir, file, ["lsoa21_code", "geometry"])
    if not crs_seen or pyproj.CRS.from_user_input(crs_seen[0]).to_epsg() != 4326:
        raise BuildError(f"data/raw/{file}: geometry column CRS is not WGS84 (EPSG:4326): {crs_seen[:1]}")
    english = _english_lsoas(frame, "lsoa21_code", file)
    return gpd.GeoDataFrame(
        {"lsoa_code": english["lsoa21_code"].astype(str).to_numpy()},
        geometry=list(english["geometry"]),
        crs=WGS84,
    )


def read_lsoa_imd(raw_dir: Path) -> pd.DataFrame:
    """Read IoD2025 IMD ranks, deciles and scores per 2021 LSOA (humaniverse's copy of Files 5/7).

    Returns:
        DataFrame with ``lsoa_code``, ``imd_rank``, ``imd_decile`` (int64; 1 = most deprived)
        and ``imd_score`` (float64; higher = more deprived), one row per English LSOA.

    Raises:
        BuildError: if a column is missing, an LSOA appears twice, or a value is missing or not
            a number (a rank or decile also when it is not whole).
    """
    file = IOD2025_LSOA_FILE
    frame, _ = read_rda_table(raw_dir, file, list(IOD2025_LSOA_COLUMNS))
    frame = _english_lsoas(frame, "lsoa21_code", file)
    for column in ("IMD_rank", "IMD_decile"):
        frame[column] = whole_numbers(frame[column], file, column)
    score = parse_numeric(frame["IMD_score"], "iod_lsoa", file, "IMD_score")
    if score.isna().any():
        raise BuildError(f"data/raw/{file}: column 'IMD_score' is missing for {int(score.isna().sum())} LSOAs")
    frame["IMD_score"] = score
    frame["lsoa21_code"] = frame["lsoa21_code"].astype(str)
    return frame[list(IOD2025_LSOA_COLUMNS)].rename(columns=IOD2025_LSOA_COLUMNS)


def read_lsoa_idaci(raw_dir: Path) -> pd.DataFrame:
    """Read IoD2025 File 3: IMD and IDACI ranks and deciles and the LSOA's district, per 2021 LSOA.

    Returns:
        DataFrame with ``lsoa_code``, ``lad_code`` (LAD 2024), ``imd_rank``, ``imd_decile``,
        ``idaci_rank`` and ``idaci_decile`` (int64; 1 = most deprived), one row per LSOA.

    Raises:
        BuildError: if the sheet or a column is missing, an LSOA appears twice, or a rank or
            decile is missing or not a whole number.
    """
    file = IOD2025_SUPPLEMENTARY_FILE
    columns = IOD2025_SUPPLEMENTARY_COLUMNS
    # As text, with no NA markers of pandas' own ("n/a" would silently become NaN): whole_numbers
    # then names any value that is not a number.
    frame = read_excel(
        raw_dir, file, list(columns), sheet_name=IOD2025_SUPPLEMENTARY_SHEET, dtype=str, keep_default_na=False
    )
    frame = _english_lsoas(frame, "LSOA code (2021)", file)
    for raw, staged in columns.items():
        if staged.endswith(("_rank", "_decile")):
            frame[raw] = whole_numbers(frame[raw], file, raw)
        else:
            frame[raw] = frame[raw].astype(str).str.strip()
    return frame.rename(columns=columns)


def read_idaci_numerator(raw_dir: Path) -> pd.DataFrame:
    """Read the IDACI numerator per 2021 LSOA (IoD2025 File 8): children 0-15 in income-deprived families.

    Returns:
        DataFrame with ``lsoa_code`` and ``income_deprived_children`` (float64; NaN where the
        count is suppressed, as R's NA in the source), one row per English LSOA.

    Raises:
        BuildError: if a column is missing, an LSOA appears twice, or a count is negative.
    """
    file = IOD2025_INDICATORS_FILE
    frame, _ = read_rda_table(raw_dir, file, ["lsoa21_code", IDACI_NUMERATOR_COLUMN])
    frame = _english_lsoas(frame, "lsoa21_code", file)
    counts = parse_numeric(frame[IDACI_NUMERATOR_COLUMN], "iod", file, IDACI_NUMERATOR_COLUMN)
    # R's NA is a NaN with a payload that numpy's rounding flags as invalid: make it a plain NaN.
    counts = counts.where(counts.notna())
    if (counts < 0).any():
        raise BuildError(f"data/raw/{file}: column '{IDACI_NUMERATOR_COLUMN}' has a negative count")
    return pd.DataFrame(
        {"lsoa_code": frame["lsoa21_code"].astype(str).to_numpy(), "income_deprived_children": counts.to_numpy()}
    )


# DWP's headers carry notes and units ("Percentage of children \nFYE 2025\n(%)\n[note 3]"): these
# are removed, and each "Area Code" is named after the column before it ("Ward code").
_DWP_HEADER_NOISE = re.compile(r"\s*(\[note \d+\]|\(%\))")
_DWP_YEAR_COLUMN = re.compile(r"(Number|Percentage) of children FYE (\d{4})")


def _dwp_header(cells: list[str]) -> list[str]:
    names: list[str] = []
    for cell in cells:
        name = _DWP_HEADER_NOISE.sub("", " ".join(cell.split())).strip()
        names.append(f"{names[-1]} code" if name == "Area Code" and names else name)
    return names


def read_low_income(raw_dir: Path, file: str, area_columns: dict[str, str]) -> pd.DataFrame:
    """Read a DWP children in low income families table (by ward or by district), in long form.

    The CSV has a title and notes before its header row (the first that starts "Local
    Authority"), numbers with thousands commas, percentages with a '%' sign, and ``[x]``
    (suppressed) or ``[low]`` (a very small number) where there is no figure: those become NaN.

    Parameters:
        raw_dir: folder holding the raw files.
        file: the table's path under it (``LOW_INCOME_WARD_FILE`` or ``LOW_INCOME_DISTRICT_FILE``).
        area_columns: header name (notes removed; an "Area Code" is named after the column before
            it, e.g. "Ward code") -> staged name, for the area columns to keep.

    Returns:
        DataFrame with the staged area columns, ``fye`` (int64, the financial year ending),
        ``children`` (number of children aged 0-15 in relative low income) and ``pct`` (their
        percentage of all children 0-15), one row per area and year, in the file's order.

    Raises:
        BuildError: if the file is missing or not CSV, has no header row, lacks a column or a
            year's number or percentage, has a row of another length, or a value is neither a
            number nor a known marker.
    """
    path = raw_path(raw_dir, file)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise unreadable(file, "CSV", error, path) from error
    start = next((i for i, row in enumerate(rows) if row and row[0].startswith("Local Authority")), None)
    if start is None:
        raise BuildError(f"data/raw/{file}: no header row starting 'Local Authority' (is the file cut short?)")
    header = _dwp_header(rows[start])
    require_columns(header, area_columns, file)
    years = sorted({int(match[2]) for name in header if (match := _DWP_YEAR_COLUMN.fullmatch(name))})
    for year in years:
        require_columns(header, [f"Number of children FYE {year}", f"Percentage of children FYE {year}"], file)
    if not years:
        raise BuildError(f"data/raw/{file}: no 'Number of children FYE <year>' column (found: {', '.join(header)})")
    body = []
    for line_number, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue  # the sheet's trailing blank rows
        if len(row) != len(header):
            raise BuildError(
                f"data/raw/{file}: line {line_number} has {len(row)} fields, the header has {len(header)} "
                "(is the file cut short or damaged?)"
            )
        body.append(row)
    table = pd.DataFrame(body, columns=range(len(header)), dtype="string")
    area = pd.DataFrame({staged: table[header.index(raw)].str.strip() for raw, staged in area_columns.items()})
    long = []
    for year in years:
        number_column = f"Number of children FYE {year}"
        pct_column = f"Percentage of children FYE {year}"
        numbers = table[header.index(number_column)].str.replace(",", "", regex=False)
        pcts = table[header.index(pct_column)].str.strip().str.removesuffix("%")
        long.append(
            area.assign(
                fye=year,
                children=parse_numeric(numbers, "dwp", file, number_column).to_numpy(),
                pct=parse_numeric(pcts, "dwp", file, pct_column).to_numpy(),
                row=np.arange(len(area)),
            )
        )
    frame = pd.concat(long, ignore_index=True).sort_values(["row", "fye"], kind="stable")
    return frame.drop(columns="row").reset_index(drop=True)


def read_lad_to_upper_tier(raw_dir: Path) -> pd.DataFrame:
    """Map each English LAD to its current upper-tier LA (CTYUA) from the May 2024 lookup.

    The ONS lookup still uses Barnsley's and Sheffield's pre-May-2025 codes, so every CTYUA
    code is passed through ``current_code``.

    Returns:
        DataFrame with ``lad_code`` and ``area_code``, one row per LAD.

    Raises:
        BuildError: if a column is missing or a LAD maps to more than one upper-tier LA.
    """
    columns = {"LAD24CD": "lad_code", "CTYUA24CD": "area_code"}
    lookup = read_csv(raw_dir, CTYUA_LOOKUP_FILE, list(columns)).rename(columns=columns)
    lookup = lookup[lookup["lad_code"].str.startswith("E")].drop_duplicates()
    if not lookup["lad_code"].is_unique:
        split = lookup.loc[lookup["lad_code"].duplicated(), "lad_code"].iloc[0]
        raise BuildError(f"data/raw/{CTYUA_LOOKUP_FILE}: LAD {split} maps to more than one CTYUA24CD")
    lookup["area_code"] = lookup["area_code"].map(current_code)
    return lookup.reset_index(drop=True)


def read_la_polygons(raw_dir: Path, *, expected_count: int = UPPER_TIER_LA_COUNT) -> gpd.GeoDataFrame:
    """Read the December 2023 upper-tier LA polygons for England.

    Parameters:
        raw_dir: folder holding the raw files.
        expected_count: number of English upper-tier LAs the file must hold (153; smaller
            only for test fixtures).

    Returns:
        GeoDataFrame with ``area_code`` (current code), ``name`` and ``geometry``
        (EPSG:4326), one row per LA, sorted by ``area_code``.

    Raises:
        BuildError: if a column is missing or the English count is not ``expected_count``.
    """
    layer = read_geojson(raw_dir, LA_POLYGONS_FILE, ["CTYUA23CD", "CTYUA23NM"])
    english = layer[layer["CTYUA23CD"].str[:3].isin(UPPER_TIER_PREFIXES)]
    las = gpd.GeoDataFrame(
        {
            "area_code": english["CTYUA23CD"].map(current_code).astype(str).to_numpy(),
            "name": english["CTYUA23NM"].astype(str).to_numpy(),
        },
        geometry=english.geometry.to_numpy(),
        crs=layer.crs,
    ).to_crs(WGS84)
    if len(las) != expected_count or not las["area_code"].is_unique:
        raise BuildError(
            f"data/raw/{LA_POLYGONS_FILE}: expected {expected_count} unique English CTYUA23CD codes, "
            f"found {las['area_code'].nunique()} in {len(las)} rows"
        )
    return las.sort_values("area_code", ignore_index=True)
