"""Read the ward layer's raw files as they are: ward and LA polygons, the lookups, LSOA files.

December 2023 ward polygons come as an R ``sf`` table, read with ``rdata`` and constructors for
the sf classes; the LSOA and LA polygons are GeoJSON; the lookups and the IoD2019 LSOA files
(File 3 ranks and deciles, File 6 mid-2015 populations) are CSV. Each reader checks the columns
it needs, and a bad value stops the build with the file, the column and an example value
(``etl.readers`` does the CSV and GeoJSON reading and the checks). ``etl.wards`` stages and
aggregates what these return.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rdata
import shapely

from etl.errors import BuildError
from etl.raw_files import (
    CTYUA_LOOKUP_FILE,
    IOD_POPULATION_FILE,
    IOD_SUPPLEMENTARY_FILE,
    LA_POLYGONS_FILE,
    LSOA_POLYGONS_FILE,
    WARD_LOOKUP_FILE,
    WARD_POLYGONS_FILE,
)
from etl.readers import parse_numeric, raw_path, read_csv, read_geojson, require_columns, unreadable
from etl.reorganisations import current_code

WGS84 = "EPSG:4326"

# Raw column -> staged column. The IoD files spell out conventions in their headers.
_IMD = "Index of Multiple Deprivation (IMD)"
_IDACI = "Income Deprivation Affecting Children Index (IDACI)"
IOD_SUPPLEMENTARY_COLUMNS = {
    "LSOA code (2011)": "lsoa_code",
    "Local Authority District code (2019)": "lad19_code",
    f"{_IMD} Rank (where 1 is most deprived)": "imd_rank",
    f"{_IMD} Decile (where 1 is most deprived 10% of LSOAs)": "imd_decile",
    f"{_IDACI} Rank (where 1 is most deprived)": "idaci_rank",
    f"{_IDACI} Decile (where 1 is most deprived 10% of LSOAs)": "idaci_decile",
}
IOD_POPULATION_COLUMNS = {
    "LSOA code (2011)": "lsoa_code",
    "Total population: mid 2015 (excluding prisoners)": "population",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "children_0_15",
}

# English upper-tier LAs: unitaries (E06), metropolitan districts (E08), London boroughs and the
# City (E09) and counties (E10).
UPPER_TIER_PREFIXES = ("E06", "E08", "E09", "E10")
UPPER_TIER_LA_COUNT = 153

# A geometry shifted by one row (the rdata pitfall) puts almost every label point outside its
# polygon; a correct read puts all but a handful inside.
MIN_LABEL_POINTS_INSIDE = 0.99


def _sf_constructors(crs_seen: list[str]) -> dict[str, Any]:
    """Constructors that let ``rdata`` turn an R ``sf`` table into pandas and shapely objects.

    ``crs_seen`` collects the WKT of each geometry column's CRS, so the caller can check it.
    """

    def geometry(obj: list[Any], attrs: dict[str, Any]) -> shapely.Geometry:
        # An sfg's class is c("XY", "<TYPE>", "sfg"); rings arrive as (n, 2) coordinate arrays.
        kind = attrs["class"][1]
        if kind == "POLYGON":
            return shapely.Polygon(obj[0], obj[1:])
        if kind == "MULTIPOLYGON":
            return shapely.MultiPolygon([(polygon[0], polygon[1:]) for polygon in obj])
        raise BuildError(f"data/raw/{WARD_POLYGONS_FILE}: unsupported sf geometry type {kind!r}")

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
        }
    )
    return constructors


def read_ward_table(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read the December 2023 ward ``sf`` table as it is (all UK wards, all columns).

    Parameters:
        raw_dir: folder holding the raw files (``wardboundaries/wards_dec2023.rda`` inside it).

    Returns:
        GeoDataFrame in EPSG:4326 with the source columns (``WD23CD``, ``WD23NM``,
        ``LAD23CD``, ``LONG``, ``LAT`` ...) and ``geometry``, indexed from 0.

    Raises:
        BuildError: if the file is missing, damaged or holds no data frame, a required column
            is missing, or the geometry's CRS is not WGS84.
    """
    file = WARD_POLYGONS_FILE
    path = raw_path(raw_dir, file)
    crs_seen: list[str] = []
    try:
        with warnings.catch_warnings():
            # The file reads without warnings; rdata warns (then fails) on a damaged one, e.g.
            # "Unknown file type: assumed RDS" for an empty file, so a warning is the reason.
            warnings.simplefilter("error", UserWarning)
            # The strings are UTF-8 (Welsh names such as "Ynys Môn") but not flagged as such.
            objects = rdata.read_rda(path, constructor_dict=_sf_constructors(crs_seen), default_encoding="utf-8")
    except BuildError:
        raise
    except Exception as error:  # the decompressors and the parser raise many types for a damaged file
        raise unreadable(file, "an R data file", error, path) from error
    frames = [value for value in objects.values() if isinstance(value, pd.DataFrame)]
    if len(frames) != 1:
        raise BuildError(f"data/raw/{file}: expected one data frame, found objects {list(objects)}")
    frame = frames[0]
    require_columns(frame, ["WD23CD", "WD23NM", "LONG", "LAT", "geometry"], file)
    if not crs_seen or pyproj.CRS.from_user_input(crs_seen[0]).to_epsg() != 4326:
        raise BuildError(f"data/raw/{file}: geometry column CRS is not WGS84 (EPSG:4326): {crs_seen[:1]}")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def check_label_points(ward_table: gpd.GeoDataFrame) -> pd.DataFrame:
    """Check that each ward's LONG/LAT label point lies inside its own polygon.

    This proves the geometries were not shifted against the attributes while reading.

    Parameters:
        ward_table: output of ``read_ward_table`` (needs ``WD23CD``, ``LONG``, ``LAT``).

    Returns:
        The wards whose label point is outside their polygon (``WD23CD``, ``LONG``, ``LAT``).

    Raises:
        BuildError: if fewer than ``MIN_LABEL_POINTS_INSIDE`` of label points are inside.
    """
    points = gpd.points_from_xy(ward_table["LONG"], ward_table["LAT"], crs=ward_table.crs)
    inside = ward_table.geometry.values.contains(points)
    share_inside = float(inside.mean())
    outside = pd.DataFrame(ward_table.loc[~inside, ["WD23CD", "LONG", "LAT"]])
    if share_inside < MIN_LABEL_POINTS_INSIDE:
        raise BuildError(
            f"data/raw/{WARD_POLYGONS_FILE}: only {share_inside:.1%} of ward label points lie inside their "
            f"polygons (e.g. {outside['WD23CD'].iloc[0]}); geometries are probably shifted against rows"
        )
    return outside


def stage_ward_polygons(ward_table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep English wards (E05 codes) with ``ward_code``, ``ward_name`` and ``geometry``.

    Raises:
        BuildError: naming a ward code that appears more than once.
    """
    english = ward_table[ward_table["WD23CD"].str.startswith("E05")]
    wards = gpd.GeoDataFrame(
        {
            "ward_code": english["WD23CD"].astype(str).to_numpy(),
            "ward_name": english["WD23NM"].astype(str).to_numpy(),
        },
        geometry=english.geometry.to_numpy(),
        crs=ward_table.crs,
    )
    if not wards["ward_code"].is_unique:
        duplicate = wards.loc[wards["ward_code"].duplicated(), "ward_code"].iloc[0]
        raise BuildError(f"data/raw/{WARD_POLYGONS_FILE}: ward code {duplicate} appears more than once")
    return wards


def read_ward_polygons(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read the December 2023 English ward polygons.

    Parameters:
        raw_dir: folder holding the raw files.

    Returns:
        GeoDataFrame with ``ward_code``, ``ward_name`` and ``geometry`` (EPSG:4326), English
        wards (E05...) only, as generalised as the source.

    Raises:
        BuildError: see ``read_ward_table``; also if the label points show shifted geometry.
    """
    ward_table = read_ward_table(raw_dir)
    check_label_points(ward_table)
    return stage_ward_polygons(ward_table)


def read_ward_lookup(raw_dir: Path) -> pd.DataFrame:
    """Read the December 2023 ward -> LAD lookup for English wards.

    Returns:
        DataFrame with ``ward_code``, ``ward_name`` and ``lad_code``, one row per ward.

    Raises:
        BuildError: if a column is missing or a ward appears twice.
    """
    columns = {"WD23CD": "ward_code", "WD23NM": "ward_name", "LAD23CD": "lad_code"}
    lookup = read_csv(raw_dir, WARD_LOOKUP_FILE, list(columns)).rename(columns=columns)
    lookup = lookup[lookup["ward_code"].str.startswith("E05")].reset_index(drop=True)
    if not lookup["ward_code"].is_unique:
        duplicate = lookup.loc[lookup["ward_code"].duplicated(), "ward_code"].iloc[0]
        raise BuildError(f"data/raw/{WARD_LOOKUP_FILE}: ward code {duplicate} appears more than once in WD23CD")
    return lookup


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


def read_lsoa_polygons(raw_dir: Path) -> gpd.GeoDataFrame:
    """Read English 2011 LSOA polygons with their label points.

    Returns:
        GeoDataFrame with ``lsoa_code``, ``long``, ``lat`` (label point) and ``geometry``
        (EPSG:4326), English LSOAs (E01...) only.

    Raises:
        BuildError: if a column is missing or a label point is missing.
    """
    layer = read_geojson(raw_dir, LSOA_POLYGONS_FILE, ["LSOA11CD", "LONG", "LAT"])
    english = layer[layer["LSOA11CD"].str.startswith("E01")]
    lsoas = gpd.GeoDataFrame(
        {
            "lsoa_code": english["LSOA11CD"].astype(str).to_numpy(),
            "long": english["LONG"].astype("float64").to_numpy(),
            "lat": english["LAT"].astype("float64").to_numpy(),
        },
        geometry=english.geometry.to_numpy(),
        crs=layer.crs,
    ).to_crs(WGS84)
    missing = lsoas[["long", "lat"]].isna().any(axis=1)
    if missing.any():
        raise BuildError(
            f"data/raw/{LSOA_POLYGONS_FILE}: LONG/LAT missing for {int(missing.sum())} LSOAs, "
            f"e.g. {lsoas.loc[missing, 'lsoa_code'].iloc[0]}"
        )
    return lsoas


def _read_lsoa_csv(raw_dir: Path, file: str, columns: dict[str, str], numeric: list[str]) -> pd.DataFrame:
    """Read ``columns`` (raw name -> staged name) of an IoD2019 LSOA file, staged.

    The staged columns named in ``numeric`` become float64. Every LSOA has every value, so a
    blank is reported like any other non-number (file, column as in the file, example value).
    """
    frame = read_csv(raw_dir, file, list(columns))
    for raw, staged in columns.items():
        if staged in numeric:
            frame[raw] = parse_numeric(frame[raw], "iod_lsoa", file, raw)
    return frame.rename(columns=columns)


def read_lsoa_deprivation(raw_dir: Path) -> pd.DataFrame:
    """Read IoD2019 IMD and IDACI ranks and deciles per 2011 LSOA (File 3).

    Returns:
        DataFrame with ``lsoa_code``, ``lad19_code``, ``imd_rank``, ``imd_decile``,
        ``idaci_rank`` and ``idaci_decile`` (int64; rank 1 and decile 1 = most deprived).

    Raises:
        BuildError: if a column is missing or a rank/decile is missing or not a number.
    """
    ranks = ["imd_rank", "imd_decile", "idaci_rank", "idaci_decile"]
    frame = _read_lsoa_csv(raw_dir, IOD_SUPPLEMENTARY_FILE, IOD_SUPPLEMENTARY_COLUMNS, ranks)
    # Published as "29199.00": whole numbers written as decimals.
    for column in ranks:
        frame[column] = frame[column].astype("int64")
    return frame


def read_lsoa_population(raw_dir: Path) -> pd.DataFrame:
    """Read mid-2015 total population and children aged 0-15 per 2011 LSOA (File 6).

    Returns:
        DataFrame with ``lsoa_code``, ``population`` and ``children_0_15`` (float64).

    Raises:
        BuildError: if a column is missing or a count is missing or not a number.
    """
    return _read_lsoa_csv(raw_dir, IOD_POPULATION_FILE, IOD_POPULATION_COLUMNS, ["population", "children_0_15"])
