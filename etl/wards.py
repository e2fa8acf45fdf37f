"""Ward-level deprivation, children in low income and map geometry for England's May 2024 wards.

GLD is not published below LA level, so the ward layer gives context only. Deprivation is the
English Indices of Deprivation 2025 (mostly 2022 data) at 2021 LSOAs, summarised to May 2024
wards by ONS's best-fit lookup, in which every English LSOA belongs to exactly one ward. The
files give no LSOA populations, so each LSOA counts equally (LSOAs are built to similar
populations): a ward's average rank is the plain mean of its LSOAs' ranks (**rank 1 = most
deprived**, so lower = more deprived), and its share in decile 1 a share of LSOAs. The IDACI
numerator (children 0-15 in income-deprived families) is a count, so it is summed. A ward that
the lookup gives no LSOA (``method = 'no_lsoa'``) but DWP publishes has low-income figures only.
Ward shapes are the dissolved LSOA 2021 polygons: exactly the best-fit wards the figures describe.

Flow: ``etl.ward_readers`` reads the raw files as they are -> this module and ``etl.low_income``
stage (joins, checks) and aggregate them into tidy frames keyed by codes. Nothing is written
here: ``build_ward_outputs`` returns frames and the caller writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.errors import BuildError
from etl.low_income import (
    DISTRICT_AREA_COLUMNS,
    WARD_AREA_COLUMNS,
    build_low_income_la,
    stage_ward_low_income,
    upper_tier_of,
)
from etl.raw_files import (
    CTYUA_LOOKUP_FILE,
    IOD2025_INDICATORS_FILE,
    IOD2025_LSOA_FILE,
    IOD2025_SUPPLEMENTARY_FILE,
    LOW_INCOME_DISTRICT_FILE,
    LOW_INCOME_WARD_FILE,
    LSOA_POLYGONS_FILE,
    LSOA_WARD_LOOKUP_FILE,
)
from etl.readers import as_int_or_nan, require_columns
from etl.reorganisations import current_code
from etl.ward_readers import (
    UPPER_TIER_LA_COUNT,
    WGS84,
    read_idaci_numerator,
    read_la_polygons,
    read_lad_to_upper_tier,
    read_low_income,
    read_lsoa_idaci,
    read_lsoa_imd,
    read_lsoa_polygons,
    read_lsoa_ward_lookup,
)

# IoD2025 ranks 33,755 English 2021 LSOAs. The published LA "average rank" is
# (ENGLAND_LSOA_COUNT + 1) - mean of ranks, so that a high value means more deprived.
ENGLAND_LSOA_COUNT = 33_755

# A one-row shift of geometry against codes (the rdata pitfall) puts ~1.8 % of LSOAs' inner
# points outside their own LA's polygon; a correct read puts 13 of 33,755 (0.04 %) outside,
# on coasts and estuaries where the two layers are generalised differently.
MIN_LSOAS_INSIDE_THEIR_LA = 0.995
# A dissolved ward keeps its LSOAs' area. Where neighbouring LSOAs' shared edge is noded on one side
# only they overlap by a few square metres (1.3e-6 of ward E05009850); more than this share would
# mean the dissolve went wrong (areas in degrees squared, but compared as a ratio).
MAX_DISSOLVE_AREA_CHANGE = 1e-4

WARD_COLUMNS = [
    "ward_code",
    "ward_name",
    "lad_code",
    "lad_name",
    "area_code",
    "lsoas",
    "imd_avg_rank",
    "idaci_avg_rank",
    "pct_lsoas_imd_decile1",
    "pct_lsoas_idaci_decile1",
    "imd_decile",
    "idaci_decile",
    "income_deprived_children",
    "income_deprived_suppressed",
    "low_income_children_2025",
    "low_income_children_2024",
    "pct_low_income_2025",
    "pct_low_income_2024",
    "children_0_15",
    "method",
]
LSOA_COLUMNS = [
    "lsoa_code",
    "ward_code",
    "lad_code",
    "imd_rank",
    "imd_decile",
    "imd_score",
    "idaci_rank",
    "idaci_decile",
    "income_deprived_children",
]


@dataclass(frozen=True)
class WardOutputs:
    """Everything the ward layer needs, ready for the caller to write.

    Attributes:
        wards: one row per English May 2024 ward in ONS's lookup or DWP's ward table,
            columns ``WARD_COLUMNS``, sorted by ``ward_code``.
        ward_lsoas: one row per English 2021 LSOA, columns ``LSOA_COLUMNS``: the rows the
            wards' deprivation figures are built from.
        low_income_la: DWP's district figures summed to the 153 LAs and England
            (``etl.low_income.LOW_INCOME_LA_COLUMNS``).
        ward_geometry: ``ward_code`` and ``geometry`` (EPSG:4326) of the wards with LSOAs.
        la_geometry: ``area_code``, ``name`` and ``geometry`` (EPSG:4326) for the 153 current
            English upper-tier LAs.
    """

    wards: pd.DataFrame
    ward_lsoas: pd.DataFrame
    low_income_la: pd.DataFrame
    ward_geometry: gpd.GeoDataFrame
    la_geometry: gpd.GeoDataFrame


def stage_lsoa_indicators(imd: pd.DataFrame, idaci: pd.DataFrame, numerators: pd.DataFrame) -> pd.DataFrame:
    """Join the three IoD2025 LSOA files; they must list the same LSOAs and agree on IMD.

    File 3 repeats the IMD rank and decile that the humaniverse file holds with the score: a
    disagreement means a file was misread (shifted rows, another edition).

    Parameters:
        imd: ``read_lsoa_imd`` output; idaci: ``read_lsoa_idaci``; numerators:
            ``read_idaci_numerator``.

    Returns:
        DataFrame with ``LSOA_COLUMNS`` except ``ward_code``, one row per LSOA (``lad_code`` is
        the LSOA's district in File 3).

    Raises:
        BuildError: naming an LSOA missing from one file, or one whose IMD rank or decile differs.
    """
    merged = imd.merge(idaci, on="lsoa_code", how="outer", suffixes=("", "_file3"), indicator="in_files")
    merged = merged.merge(numerators, on="lsoa_code", how="outer", indicator="in_numerators")
    unmatched = (merged["in_files"] != "both") | (merged["in_numerators"] != "both")
    if unmatched.any():
        raise BuildError(
            f"data/raw/{IOD2025_LSOA_FILE}, data/raw/{IOD2025_SUPPLEMENTARY_FILE} and "
            f"data/raw/{IOD2025_INDICATORS_FILE} disagree on {int(unmatched.sum())} LSOAs, "
            f"e.g. {merged.loc[unmatched, 'lsoa_code'].iloc[0]}"
        )
    differs = (merged["imd_rank"] != merged["imd_rank_file3"]) | (merged["imd_decile"] != merged["imd_decile_file3"])
    if differs.any():
        raise BuildError(
            f"data/raw/{IOD2025_LSOA_FILE} and data/raw/{IOD2025_SUPPLEMENTARY_FILE} give different IMD ranks "
            f"or deciles for {int(differs.sum())} LSOAs, e.g. {merged.loc[differs, 'lsoa_code'].iloc[0]}"
        )
    columns = [column for column in LSOA_COLUMNS if column != "ward_code"]
    return merged[columns].sort_values("lsoa_code", ignore_index=True)


def assign_lsoas_to_wards(lookup: pd.DataFrame, lsoa_indicators: pd.DataFrame) -> pd.DataFrame:
    """Put each LSOA in its best-fit ward; the lookup and IoD2025 must list the same LSOAs.

    Parameters:
        lookup: ``read_lsoa_ward_lookup`` output; lsoa_indicators: ``stage_lsoa_indicators``.

    Returns:
        DataFrame with ``LSOA_COLUMNS``, one row per LSOA, sorted by ``lsoa_code``.

    Raises:
        BuildError: naming an LSOA in one file but not the other.
    """
    merged = lsoa_indicators.merge(
        lookup[["lsoa_code", "ward_code"]], on="lsoa_code", how="outer", validate="one_to_one", indicator=True
    )
    unmatched = merged["_merge"] != "both"
    if unmatched.any():
        raise BuildError(
            f"data/raw/{LSOA_WARD_LOOKUP_FILE} and the IoD2025 LSOA files disagree on {int(unmatched.sum())} "
            f"LSOAs, e.g. {merged.loc[unmatched, 'lsoa_code'].iloc[0]}"
        )
    merged["income_deprived_children"] = as_int_or_nan(merged["income_deprived_children"])
    return merged[LSOA_COLUMNS].sort_values("lsoa_code", ignore_index=True)


def summarise_lsoas(lsoas: pd.DataFrame, key_column: str) -> pd.DataFrame:
    """Summarise LSOAs to areas, each LSOA weighted equally.

    Parameters:
        lsoas: one row per LSOA with ``key_column``, ``imd_rank``, ``imd_decile``, ``imd_score``,
            ``idaci_rank``, ``idaci_decile`` (1 = most deprived) and ``income_deprived_children``
            (missing where suppressed).
        key_column: the area code column to group by.

    Returns:
        DataFrame with ``key_column``, ``lsoas`` (count), ``imd_avg_rank``, ``idaci_avg_rank``
        (mean ranks, rank 1 = most deprived), ``imd_avg_score`` (mean score),
        ``pct_lsoas_imd_decile1``, ``pct_lsoas_idaci_decile1`` (% of LSOAs in decile 1, 0-100),
        ``income_deprived_children`` (sum; missing if every LSOA's count is) and
        ``income_deprived_suppressed`` (LSOAs whose count is missing), sorted by ``key_column``.

    Raises:
        BuildError: if a required column is missing.
    """
    required = [key_column, "imd_rank", "imd_decile", "imd_score", "idaci_rank", "idaci_decile"]
    require_columns(lsoas, [*required, "income_deprived_children"], parameter="lsoas")
    numerator = lsoas["income_deprived_children"].astype("float64")
    rows = pd.DataFrame(
        {
            key_column: lsoas[key_column].to_numpy(),
            "imd_rank": lsoas["imd_rank"].to_numpy(dtype="float64"),
            "idaci_rank": lsoas["idaci_rank"].to_numpy(dtype="float64"),
            "imd_score": lsoas["imd_score"].to_numpy(dtype="float64"),
            "imd_decile1": 100.0 * (lsoas["imd_decile"].to_numpy() == 1),
            "idaci_decile1": 100.0 * (lsoas["idaci_decile"].to_numpy() == 1),
            "numerator": numerator.to_numpy(),
            "suppressed": numerator.isna().to_numpy().astype("int64"),
        }
    )
    groups = rows.groupby(key_column, sort=True)
    means = groups[["imd_rank", "idaci_rank", "imd_score", "imd_decile1", "idaci_decile1"]].mean()
    return pd.DataFrame(
        {
            key_column: means.index.to_numpy(),
            "lsoas": groups.size().to_numpy().astype("int64"),
            "imd_avg_rank": means["imd_rank"].to_numpy(),
            "idaci_avg_rank": means["idaci_rank"].to_numpy(),
            "imd_avg_score": means["imd_score"].to_numpy(),
            "pct_lsoas_imd_decile1": means["imd_decile1"].to_numpy(),
            "pct_lsoas_idaci_decile1": means["idaci_decile1"].to_numpy(),
            # min_count=1: a ward whose every LSOA is suppressed has an unknown count, not 0.
            "income_deprived_children": as_int_or_nan(groups["numerator"].sum(min_count=1)).array,
            "income_deprived_suppressed": groups["suppressed"].sum().to_numpy(),
        }
    )


def national_decile(avg_rank: pd.Series) -> pd.Series:
    """National deciles of ward average ranks: 1 = most deprived 10 % of wards.

    Wards are ordered by average rank ascending (rank 1 = most deprived, so the lowest average
    is the most deprived ward); the ward in position p of n gets decile ceil(10 p / n). Tied
    wards share the lower (more deprived) position.

    Parameters:
        avg_rank: ward average ranks (rank 1 = most deprived convention); no missing values.

    Returns:
        Series of int64 deciles 1-10 with the same index.

    Raises:
        BuildError: if a value is missing.
    """
    if avg_rank.isna().any():
        raise BuildError(f"{avg_rank.name}: {int(avg_rank.isna().sum())} missing average ranks")
    position = avg_rank.rank(method="min", ascending=True)
    return np.ceil(position * 10 / len(avg_rank)).astype("int64")


def ward_indicators(ward_lsoas: pd.DataFrame) -> pd.DataFrame:
    """Deprivation of each ward that has LSOAs, with national ward deciles.

    Parameters:
        ward_lsoas: ``assign_lsoas_to_wards`` output.

    Returns:
        ``summarise_lsoas`` by ``ward_code`` (without ``imd_avg_score``) plus ``imd_decile`` and
        ``idaci_decile`` (1 = most deprived 10 % of these wards).
    """
    indicators = summarise_lsoas(ward_lsoas, "ward_code").drop(columns="imd_avg_score")
    indicators["imd_decile"] = national_decile(indicators["imd_avg_rank"])
    indicators["idaci_decile"] = national_decile(indicators["idaci_avg_rank"])
    return indicators


def assemble_wards(
    lookup: pd.DataFrame,
    indicators: pd.DataFrame,
    low_income: pd.DataFrame,
    lad_to_upper_tier: pd.DataFrame,
    la_codes: Iterable[str],
) -> pd.DataFrame:
    """One row per English ward in ONS's lookup or DWP's ward table, in contract order.

    Names and districts come from ONS's lookup; a ward only DWP publishes takes them from DWP
    and gets ``method = 'no_lsoa'``, ``lsoas = 0`` and no deprivation figures.

    Parameters:
        lookup: ``read_lsoa_ward_lookup`` output.
        indicators: ``ward_indicators`` output.
        low_income: ``etl.low_income.stage_ward_low_income`` output.
        lad_to_upper_tier: ``etl.ward_readers.read_lad_to_upper_tier`` output.
        la_codes: the current upper-tier LA codes every ward must map to.

    Returns:
        DataFrame with exactly ``WARD_COLUMNS``, sorted by ``ward_code``.

    Raises:
        BuildError: naming a ward whose district differs between ONS and DWP, or that does not
            map to one of the current LAs.
    """
    geography = lookup[["ward_code", "ward_name", "lad_code", "lad_name"]].drop_duplicates("ward_code")
    frame = geography.merge(
        low_income, on="ward_code", how="outer", suffixes=("", "_dwp"), validate="one_to_one", indicator=True
    )
    in_both = frame["_merge"] == "both"
    lad_codes = frame["lad_code"].map(current_code, na_action="ignore")
    moved = in_both & (lad_codes != frame["lad_code_dwp"].map(current_code, na_action="ignore"))
    if moved.any():
        example = frame.loc[moved].iloc[0]
        raise BuildError(
            f"ward {example['ward_code']} is in district {example['lad_code']} in data/raw/{LSOA_WARD_LOOKUP_FILE} "
            f"but {example['lad_code_dwp']} in data/raw/{LOW_INCOME_WARD_FILE}"
        )
    dwp_only = frame["_merge"] == "right_only"
    for column in ("ward_name", "lad_code", "lad_name"):
        frame[column] = frame[column].where(~dwp_only, frame[f"{column}_dwp"]).astype(str)
    frame["method"] = np.where(dwp_only, "no_lsoa", "best_fit")
    frame = frame.merge(indicators, on="ward_code", how="left", validate="one_to_one")
    frame["lsoas"] = frame["lsoas"].fillna(0).astype("int64")
    frame["income_deprived_suppressed"] = frame["income_deprived_suppressed"].fillna(0).astype("int64")
    for column in ("imd_decile", "idaci_decile"):
        frame[column] = frame[column].astype("Int64")
    frame["area_code"] = upper_tier_of(frame["lad_code"], lad_to_upper_tier)
    valid = set(la_codes)
    unmapped = ~frame["area_code"].isin(valid)
    if unmapped.any():
        example = frame.loc[unmapped].iloc[0]
        raise BuildError(
            f"ward {example['ward_code']} (LAD {example['lad_code']}) does not map to one of "
            f"the {len(valid)} current upper-tier LA codes via data/raw/{CTYUA_LOOKUP_FILE} "
            f"(got {example['area_code']!r}; {int(unmapped.sum())} wards affected)"
        )
    frame["area_code"] = frame["area_code"].astype(str)
    return frame[WARD_COLUMNS].sort_values("ward_code", ignore_index=True)


def check_lsoas_in_their_las(
    lsoa_polygons: gpd.GeoDataFrame,
    ward_lsoas: pd.DataFrame,
    lad_to_upper_tier: pd.DataFrame,
    la_geometry: gpd.GeoDataFrame,
) -> int:
    """Check that LSOA polygons sit in their own LA: proof that no geometry moved to another row.

    Each LSOA's inner point (``point_on_surface``) is tested against the polygon of the LA of
    its File 3 district.

    Returns:
        The number of LSOAs whose point lies outside their LA polygon.

    Raises:
        BuildError: if fewer than ``MIN_LSOAS_INSIDE_THEIR_LA`` of the points are inside.
    """
    districts = ward_lsoas.set_index("lsoa_code")["lad_code"]
    area = upper_tier_of(lsoa_polygons["lsoa_code"].map(districts), lad_to_upper_tier)
    la_polygon = la_geometry.set_index("area_code").geometry.reindex(area.to_numpy()).to_numpy()
    points = shapely.point_on_surface(lsoa_polygons.geometry.to_numpy())
    inside = shapely.contains(la_polygon, points)  # a missing LA polygon counts as outside
    if inside.mean() < MIN_LSOAS_INSIDE_THEIR_LA:
        example = lsoa_polygons["lsoa_code"].to_numpy()[~inside][0]
        raise BuildError(
            f"data/raw/{LSOA_POLYGONS_FILE}: only {inside.mean():.1%} of LSOA polygons lie in their own LA "
            f"(e.g. {example}); geometries are probably shifted against rows"
        )
    return int((~inside).sum())


def dissolve_by_ward(lsoa_polygons: gpd.GeoDataFrame, ward_lsoas: pd.DataFrame) -> gpd.GeoDataFrame:
    """Dissolve LSOA polygons into their best-fit wards.

    The LSOA polygons form a coverage (neighbours share edges), so each ward is a
    ``shapely.coverage_union_all`` of its LSOAs: fast, and no slivers. Where a shared edge has
    a vertex on one side only (a handful of LSOA pairs), the coverage union fails or returns an
    invalid shape; those wards are unioned by overlay (``union_all``) instead.

    Parameters:
        lsoa_polygons: ``read_lsoa_polygons`` output.
        ward_lsoas: ``assign_lsoas_to_wards`` output (``lsoa_code`` -> ``ward_code``).

    Returns:
        GeoDataFrame with ``ward_code`` and ``geometry`` (EPSG:4326), one row per ward with
        LSOAs, sorted by ``ward_code``.

    Raises:
        BuildError: naming an LSOA with no polygon (or a polygon but no ward), or a ward whose
            dissolved area differs from its LSOAs' by more than ``MAX_DISSOLVE_AREA_CHANGE``.
    """
    ward_of = lsoa_polygons[["lsoa_code"]].merge(
        ward_lsoas[["lsoa_code", "ward_code"]], on="lsoa_code", how="outer", indicator=True
    )
    unmatched = ward_of["_merge"] != "both"
    if unmatched.any():
        raise BuildError(
            f"data/raw/{LSOA_POLYGONS_FILE} and data/raw/{LSOA_WARD_LOOKUP_FILE} disagree on "
            f"{int(unmatched.sum())} English LSOAs, e.g. {ward_of.loc[unmatched, 'lsoa_code'].iloc[0]}"
        )
    wards = lsoa_polygons["lsoa_code"].map(ward_lsoas.set_index("lsoa_code")["ward_code"]).to_numpy()
    order = np.argsort(wards, kind="stable")
    wards, polygons = wards[order], lsoa_polygons.geometry.to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, wards[1:] != wards[:-1]])
    ends = np.r_[starts[1:], len(wards)]
    dissolved = []
    for start, end in zip(starts, ends, strict=True):
        parts = polygons[start:end]
        try:
            shape = shapely.coverage_union_all(parts)
        except shapely.errors.GEOSException:  # "CoverageUnion cannot process incorrectly noded inputs"
            shape = None
        if shape is None or not shape.is_valid:
            shape = shapely.union_all(parts)
        dissolved.append(shape)
    shapes = np.array(dissolved, dtype=object)
    lsoa_area = np.add.reduceat(shapely.area(polygons), starts)
    change = np.abs(shapely.area(shapes) - lsoa_area) / lsoa_area
    if (change > MAX_DISSOLVE_AREA_CHANGE).any():
        worst = int(np.argmax(change))
        raise BuildError(
            f"ward {wards[starts[worst]]}: its dissolved shape's area differs from its LSOAs' by "
            f"{change[worst]:.2g} of it (LSOA polygons in data/raw/{LSOA_POLYGONS_FILE} overlap?)"
        )
    return gpd.GeoDataFrame({"ward_code": wards[starts].astype(str)}, geometry=shapes, crs=WGS84)


def build_ward_outputs(
    raw_dir: Path,
    *,
    expected_la_count: int = UPPER_TIER_LA_COUNT,
    progress: Callable[[str], None] = lambda message: None,
) -> WardOutputs:
    """Build the ward and LSOA tables, LA low-income figures and the ward and LA map geometry.

    Reads only from ``raw_dir``; writes nothing.

    Parameters:
        raw_dir: folder holding the raw files (``data/raw``).
        expected_la_count: number of current English upper-tier LAs (153; smaller only for
            test fixtures).
        progress: called with a one-line summary after the tables and after the shapes (the
            build prints each with its time).

    Returns:
        ``WardOutputs`` (see the class docstring).

    Raises:
        BuildError: if a raw file lacks a column or a value, the files disagree on LSOAs or
            districts, a ward or district does not map to one of the current LAs, or the LSOA
            geometry looks shifted.
    """
    la_geometry = read_la_polygons(raw_dir, expected_count=expected_la_count)
    la_codes = la_geometry["area_code"].tolist()
    lad_to_upper_tier = read_lad_to_upper_tier(raw_dir)
    lookup = read_lsoa_ward_lookup(raw_dir)
    lsoa_indicators = stage_lsoa_indicators(
        read_lsoa_imd(raw_dir), read_lsoa_idaci(raw_dir), read_idaci_numerator(raw_dir)
    )
    ward_lsoas = assign_lsoas_to_wards(lookup, lsoa_indicators)
    low_income_wards = stage_ward_low_income(read_low_income(raw_dir, LOW_INCOME_WARD_FILE, WARD_AREA_COLUMNS))
    wards = assemble_wards(lookup, ward_indicators(ward_lsoas), low_income_wards, lad_to_upper_tier, la_codes)
    low_income_la = build_low_income_la(
        read_low_income(raw_dir, LOW_INCOME_DISTRICT_FILE, DISTRICT_AREA_COLUMNS), lad_to_upper_tier, la_codes
    )
    with_lsoas = int((wards["method"] == "best_fit").sum())
    progress(f"wards: {len(wards)} May 2024 wards ({with_lsoas} with LSOAs), {len(ward_lsoas)} LSOAs")

    lsoa_polygons = read_lsoa_polygons(raw_dir)
    check_lsoas_in_their_las(lsoa_polygons, ward_lsoas, lad_to_upper_tier, la_geometry)
    ward_geometry = dissolve_by_ward(lsoa_polygons, ward_lsoas)
    progress(f"ward shapes: {len(ward_geometry)} dissolved from LSOA 2021 polygons")
    return WardOutputs(
        wards=wards,
        ward_lsoas=ward_lsoas,
        low_income_la=low_income_la,
        ward_geometry=ward_geometry,
        la_geometry=la_geometry,
    )
