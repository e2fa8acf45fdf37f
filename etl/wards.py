"""Ward-level deprivation indicators and map geometry for England's upper-tier LAs.

GLD is not published below LA level, so the ward layer gives context only: mid-2015 population
and children aged 0-15, and IoD2019 deprivation summarised from 2011 LSOAs to December 2023
wards. The published LSOA -> ward (2019) lookup matches only 62 % of December 2023 ward codes,
so each LSOA is assigned to the ward that contains its label point instead (a few points on the
coast or the Thames fall outside the clipped ward polygons and are snapped to the nearest). Small
wards that receive no LSOA are filled by an area-weighted overlay of LSOA polygons and flagged
``method = 'area_weighted'`` so the app can call their values estimates.

Rank convention for wards: ``imd_avg_rank`` and ``idaci_avg_rank`` are weighted means of LSOA
ranks where **rank 1 = most deprived** (so lower = more deprived). The published IoD2019 LA
summaries use the inverted convention (32,845 minus that mean, so higher = more deprived);
``aggregate_lsoa_ranks`` returns both so the aggregation can be checked against them.

Flow: ``etl.ward_readers`` reads the raw files as they are -> this module stages (joins, checks)
and aggregates them into tidy frames keyed by codes. Nothing is written here:
``build_ward_outputs`` returns frames and the caller writes GeoParquet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from etl.errors import BuildError
from etl.raw_files import (
    CTYUA_LOOKUP_FILE,
    IOD_POPULATION_FILE,
    IOD_SUPPLEMENTARY_FILE,
    LSOA_POLYGONS_FILE,
    WARD_LOOKUP_FILE,
)
from etl.readers import require_columns
from etl.ward_readers import (
    UPPER_TIER_LA_COUNT,
    WGS84,
    read_la_polygons,
    read_lad_to_upper_tier,
    read_lsoa_deprivation,
    read_lsoa_polygons,
    read_lsoa_population,
    read_ward_lookup,
    read_ward_polygons,
)

# British National Grid: metres, so nearest-ward distances and overlay areas are meaningful.
BRITISH_NATIONAL_GRID = "EPSG:27700"

# IoD2019 ranks 32,844 English 2011 LSOAs; the published LA "average rank" is
# (ENGLAND_LSOA_COUNT + 1) - weighted mean of ranks, so that a high value means more deprived.
ENGLAND_LSOA_COUNT = 32_844

# Ward and LSOA boundaries are generalised separately, so neighbours overlap in thin slivers.
# An overlap covering less than this share of the ward's own area is a sliver, not a real part.
MIN_OVERLAP_SHARE_OF_WARD = 0.001

WARD_COLUMNS = [
    "ward_code",
    "ward_name",
    "lad_code",
    "area_code",
    "population",
    "children_0_15",
    "imd_avg_rank",
    "idaci_avg_rank",
    "pct_lsoas_imd_decile1",
    "pct_children_idaci_decile1",
    "imd_decile",
    "idaci_decile",
    "method",
]


@dataclass(frozen=True)
class WardOutputs:
    """Everything the ward map layer needs, ready for the caller to write as GeoParquet.

    Attributes:
        wards: one row per English December 2023 ward, columns ``WARD_COLUMNS``.
        ward_geometry: ``ward_code`` and ``geometry`` (EPSG:4326), same wards, as generalised
            as the source (no simplification).
        la_geometry: ``area_code``, ``name`` and ``geometry`` (EPSG:4326) for the 153 current
            English upper-tier LAs.
    """

    wards: pd.DataFrame
    ward_geometry: gpd.GeoDataFrame
    la_geometry: gpd.GeoDataFrame


def stage_lsoa_indicators(deprivation: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Join LSOA ranks to LSOA populations; both files must list the same LSOAs.

    Returns:
        DataFrame with the columns of both inputs, one row per LSOA.

    Raises:
        BuildError: naming an LSOA found in one file but not the other.
    """
    merged = deprivation.merge(population, on="lsoa_code", how="outer", indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    if not unmatched.empty:
        raise BuildError(
            f"data/raw/{IOD_SUPPLEMENTARY_FILE} and data/raw/{IOD_POPULATION_FILE} disagree on "
            f"{len(unmatched)} LSOAs, e.g. {unmatched['lsoa_code'].iloc[0]}"
        )
    return merged.drop(columns="_merge")


def assign_lsoas_to_wards(lsoa_points: pd.DataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Assign each LSOA to the ward containing its label point, else to the nearest ward.

    Points in no ward (the wards are clipped to the coastline, so label points on the shore or
    in the Thames can fall outside) are snapped to the nearest ward, measured in British
    National Grid metres rather than degrees. ``within`` is strict, so a point exactly on a
    shared edge is snapped too (distance 0). Should wards ever overlap, the lower ward code
    wins, so the result is reproducible.

    Parameters:
        lsoa_points: ``lsoa_code``, ``long``, ``lat`` (WGS84 label points).
        wards: ``ward_code`` and ``geometry`` (EPSG:4326).

    Returns:
        DataFrame with ``lsoa_code``, ``ward_code`` and ``method`` ('point_in_ward' or
        'nearest_ward'), one row per LSOA, in the order of ``lsoa_points``.

    Raises:
        BuildError: if a required column is missing or there are no wards.
    """
    require_columns(lsoa_points, ["lsoa_code", "long", "lat"], parameter="lsoa_points")
    require_columns(wards, ["ward_code", "geometry"], parameter="wards")
    if len(wards) == 0:
        raise BuildError("wards: no ward polygons to assign LSOAs to")
    ward_geometry = wards.geometry.to_crs(WGS84).to_numpy()
    ward_codes = wards["ward_code"].to_numpy()
    points = shapely.points(lsoa_points["long"].to_numpy(dtype="float64"), lsoa_points["lat"].to_numpy(dtype="float64"))

    tree = shapely.STRtree(ward_geometry)
    point_index, ward_index = tree.query(points, predicate="within")
    hits = pd.DataFrame({"point": point_index, "ward_code": ward_codes[ward_index]})
    hits = hits.sort_values(["point", "ward_code"]).drop_duplicates("point")

    assigned = np.full(len(points), None, dtype=object)
    assigned[hits["point"].to_numpy()] = hits["ward_code"].to_numpy()
    method = np.where(pd.isna(assigned), "nearest_ward", "point_in_ward")

    unassigned = np.flatnonzero(pd.isna(assigned))
    if unassigned.size:
        transformer = pyproj.Transformer.from_crs(WGS84, BRITISH_NATIONAL_GRID, always_xy=True)
        projected_points = shapely.transform(points[unassigned], transformer.transform, interleaved=False)
        projected_wards = gpd.GeoSeries(ward_geometry, crs=WGS84).to_crs(BRITISH_NATIONAL_GRID)
        nearest_tree = shapely.STRtree(projected_wards.to_numpy())
        nearest_point, nearest_ward = nearest_tree.query_nearest(projected_points, all_matches=False)
        assigned[unassigned[nearest_point]] = ward_codes[nearest_ward]

    return pd.DataFrame(
        {
            "lsoa_code": lsoa_points["lsoa_code"].to_numpy(),
            "ward_code": assigned.astype(str),
            "method": method,
        }
    )


def area_weighted_shares(
    lsoa_polygons: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, ward_codes: Iterable[str]
) -> pd.DataFrame:
    """Share of each LSOA's area that lies in each of the given wards (overlay in EPSG:27700).

    Used for wards that no LSOA label point falls in: such a ward receives ``share`` times
    each overlapping LSOA's population and children, and the LSOA's ranks count with that
    weight.

    Parameters:
        lsoa_polygons: ``lsoa_code`` and ``geometry``.
        wards: ``ward_code`` and ``geometry``.
        ward_codes: the wards to fill.

    Returns:
        DataFrame with ``ward_code``, ``lsoa_code`` and ``share`` (0 < share <= 1). Slivers
        covering less than ``MIN_OVERLAP_SHARE_OF_WARD`` of the ward are left out.

    Raises:
        BuildError: naming a ward that overlaps no LSOA polygon.
    """
    targets = wards[wards["ward_code"].isin(list(ward_codes))]
    if targets.empty:
        return pd.DataFrame(
            {
                "ward_code": pd.Series(dtype=str),
                "lsoa_code": pd.Series(dtype=str),
                "share": pd.Series(dtype="float64"),
            }
        )
    if lsoa_polygons.crs != targets.crs:
        raise BuildError(f"lsoa_polygons ({lsoa_polygons.crs}) and wards ({targets.crs}) must share a CRS")
    target_geometry = targets.geometry.to_crs(BRITISH_NATIONAL_GRID).to_numpy()
    # Shortlist LSOAs in the source CRS, then project only the shortlist: far cheaper than
    # projecting all 32,844 polygons.
    tree = shapely.STRtree(lsoa_polygons.geometry.to_numpy())
    ward_index, lsoa_index = tree.query(targets.geometry.to_numpy(), predicate="intersects")
    candidate_lsoas = np.unique(lsoa_index)
    projected = lsoa_polygons.geometry.iloc[candidate_lsoas].to_crs(BRITISH_NATIONAL_GRID)
    # A few generalised LSOA polygons self-intersect; repair them so areas are defined.
    lsoa_geometry = shapely.make_valid(projected.to_numpy())
    position = np.searchsorted(candidate_lsoas, lsoa_index)

    overlap_area = shapely.area(shapely.intersection(target_geometry[ward_index], lsoa_geometry[position]))
    shares = pd.DataFrame(
        {
            "ward_code": targets["ward_code"].to_numpy()[ward_index],
            "lsoa_code": lsoa_polygons["lsoa_code"].to_numpy()[lsoa_index],
            "share": overlap_area / shapely.area(lsoa_geometry[position]),
        }
    )
    of_ward = overlap_area / shapely.area(target_geometry[ward_index])
    shares = shares[of_ward >= MIN_OVERLAP_SHARE_OF_WARD].reset_index(drop=True)
    empty = sorted(set(targets["ward_code"]) - set(shares["ward_code"]))
    if empty:
        raise BuildError(f"ward {empty[0]} overlaps no LSOA polygon; cannot estimate its values")
    return shares


def aggregate_lsoa_ranks(lsoa_frame: pd.DataFrame, key_column: str) -> pd.DataFrame:
    """Weighted mean LSOA ranks per area, in both rank conventions.

    IMD ranks are weighted by ``population`` and IDACI ranks by ``children_0_15`` (the IoD2019
    method). Pass shared counts for partial LSOAs (area-weighted fill) and they weight the
    ranks accordingly.

    Parameters:
        lsoa_frame: one row per LSOA (or LSOA share) with ``key_column``, ``population``,
            ``children_0_15``, ``imd_rank`` and ``idaci_rank`` (rank 1 = most deprived).
        key_column: the area code column to group by.

    Returns:
        DataFrame with ``key_column``, ``imd_avg_rank`` and ``idaci_avg_rank`` (weighted means,
        rank 1 = most deprived, so lower = more deprived) and ``imd_avg_rank_published`` and
        ``idaci_avg_rank_published`` (32,845 - weighted mean: the convention of the published
        IoD2019 LA summaries, higher = more deprived). An area with zero weight gets NaN.

    Raises:
        BuildError: if a required column is missing.
    """
    required = [key_column, "population", "children_0_15", "imd_rank", "idaci_rank"]
    require_columns(lsoa_frame, required, parameter="lsoa_frame")
    weighted = pd.DataFrame(
        {
            key_column: lsoa_frame[key_column].to_numpy(),
            "population": lsoa_frame["population"].to_numpy(dtype="float64"),
            "children_0_15": lsoa_frame["children_0_15"].to_numpy(dtype="float64"),
            "imd_weighted": (lsoa_frame["imd_rank"] * lsoa_frame["population"]).to_numpy(dtype="float64"),
            "idaci_weighted": (lsoa_frame["idaci_rank"] * lsoa_frame["children_0_15"]).to_numpy(dtype="float64"),
        }
    )
    sums = weighted.groupby(key_column, sort=True).sum()
    # 0/0 -> NaN rather than an error: an area with no people has no average rank.
    with np.errstate(invalid="ignore", divide="ignore"):
        imd = sums["imd_weighted"] / sums["population"].where(sums["population"] > 0)
        idaci = sums["idaci_weighted"] / sums["children_0_15"].where(sums["children_0_15"] > 0)
    return pd.DataFrame(
        {
            key_column: sums.index.to_numpy(),
            "imd_avg_rank": imd.to_numpy(),
            "idaci_avg_rank": idaci.to_numpy(),
            "imd_avg_rank_published": (ENGLAND_LSOA_COUNT + 1) - imd.to_numpy(),
            "idaci_avg_rank_published": (ENGLAND_LSOA_COUNT + 1) - idaci.to_numpy(),
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


def ward_indicators(ward_lsoas: pd.DataFrame, lsoa_indicators: pd.DataFrame) -> pd.DataFrame:
    """Summarise LSOA populations and deprivation to wards.

    Parameters:
        ward_lsoas: ``ward_code``, ``lsoa_code``, ``share`` (1 for a whole LSOA, the area share
            for a partial one) and ``method`` (the ward's method, one value per ward).
        lsoa_indicators: output of ``stage_lsoa_indicators``.

    Returns:
        DataFrame with ``ward_code``, ``population``, ``children_0_15``, ``imd_avg_rank``,
        ``idaci_avg_rank``, ``pct_lsoas_imd_decile1`` (% of the ward's LSOAs, counted by share,
        in IMD decile 1), ``pct_children_idaci_decile1`` (% of the ward's children living in
        IDACI decile 1 LSOAs), ``imd_decile``, ``idaci_decile`` (national ward deciles,
        1 = most deprived 10 % of the wards given) and ``method``.

    Raises:
        BuildError: naming an LSOA with no deprivation data, or a ward with two methods.
    """
    require_columns(ward_lsoas, ["ward_code", "lsoa_code", "share", "method"], parameter="ward_lsoas")
    rows = ward_lsoas.merge(lsoa_indicators, on="lsoa_code", how="left", validate="many_to_one")
    missing = rows["imd_rank"].isna()
    if missing.any():
        raise BuildError(
            f"data/raw/{IOD_SUPPLEMENTARY_FILE}: no deprivation data for {int(missing.sum())} LSOAs, "
            f"e.g. {rows.loc[missing, 'lsoa_code'].iloc[0]}"
        )
    methods = rows.groupby("ward_code")["method"].nunique()
    if (methods > 1).any():
        raise BuildError(f"ward {methods[methods > 1].index[0]} has more than one method")

    share = rows["share"].to_numpy(dtype="float64")
    shared = pd.DataFrame(
        {
            "ward_code": rows["ward_code"].to_numpy(),
            "population": rows["population"].to_numpy(dtype="float64") * share,
            "children_0_15": rows["children_0_15"].to_numpy(dtype="float64") * share,
            "imd_rank": rows["imd_rank"].to_numpy(dtype="float64"),
            "idaci_rank": rows["idaci_rank"].to_numpy(dtype="float64"),
            "lsoas": share,
        }
    )
    shared["lsoas_imd_decile1"] = shared["lsoas"] * (rows["imd_decile"].to_numpy() == 1)
    shared["children_idaci_decile1"] = shared["children_0_15"] * (rows["idaci_decile"].to_numpy() == 1)

    sums = shared.groupby("ward_code", sort=True)[
        ["population", "children_0_15", "lsoas", "lsoas_imd_decile1", "children_idaci_decile1"]
    ].sum()
    ranks = aggregate_lsoa_ranks(shared, "ward_code").set_index("ward_code")
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_children = 100 * sums["children_idaci_decile1"] / sums["children_0_15"].where(sums["children_0_15"] > 0)
    indicators = pd.DataFrame(
        {
            "ward_code": sums.index.to_numpy(),
            "population": sums["population"].to_numpy(),
            "children_0_15": sums["children_0_15"].to_numpy(),
            "imd_avg_rank": ranks.loc[sums.index, "imd_avg_rank"].to_numpy(),
            "idaci_avg_rank": ranks.loc[sums.index, "idaci_avg_rank"].to_numpy(),
            "pct_lsoas_imd_decile1": (100 * sums["lsoas_imd_decile1"] / sums["lsoas"]).to_numpy(),
            "pct_children_idaci_decile1": pct_children.to_numpy(),
        }
    )
    indicators["imd_decile"] = national_decile(indicators["imd_avg_rank"])
    indicators["idaci_decile"] = national_decile(indicators["idaci_avg_rank"])
    indicators["method"] = rows.groupby("ward_code", sort=True)["method"].first().to_numpy()
    return indicators


def ward_lsoa_weights(
    assignment: pd.DataFrame,
    lsoa_polygons: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Combine point assignment and the area-weighted fill into one ward -> LSOA table.

    Parameters:
        assignment: output of ``assign_lsoas_to_wards``.
        lsoa_polygons: ``lsoa_code`` and ``geometry`` for the overlay.
        wards: ``ward_code`` and ``geometry``; wards with no assigned LSOA are filled.

    Returns:
        DataFrame with ``ward_code``, ``lsoa_code``, ``share`` and ``method`` ('lsoa_point' for
        wards with at least one LSOA label point, 'area_weighted' for filled wards).
    """
    whole = assignment[["ward_code", "lsoa_code"]].assign(share=1.0, method="lsoa_point")
    empty_wards = sorted(set(wards["ward_code"]) - set(assignment["ward_code"]))
    partial = area_weighted_shares(lsoa_polygons, wards, empty_wards).assign(method="area_weighted")
    return pd.concat([whole, partial], ignore_index=True)


def attach_ward_geography(
    indicators: pd.DataFrame,
    ward_lookup: pd.DataFrame,
    lad_to_upper_tier: pd.DataFrame,
    la_codes: Iterable[str],
) -> pd.DataFrame:
    """Add ``ward_name``, ``lad_code`` and ``area_code`` and put columns in contract order.

    Parameters:
        indicators: output of ``ward_indicators``.
        ward_lookup: output of ``read_ward_lookup``.
        lad_to_upper_tier: output of ``read_lad_to_upper_tier``.
        la_codes: the current upper-tier LA codes every ward must map to.

    Returns:
        DataFrame with exactly ``WARD_COLUMNS``, sorted by ``ward_code``.

    Raises:
        BuildError: naming a ward missing from the lookup or not mapping to a current LA.
    """
    frame = indicators.merge(ward_lookup, on="ward_code", how="left", validate="one_to_one")
    no_lad = frame["lad_code"].isna()
    if no_lad.any():
        raise BuildError(
            f"data/raw/{WARD_LOOKUP_FILE}: ward {frame.loc[no_lad, 'ward_code'].iloc[0]} is not in "
            f"WD23CD ({int(no_lad.sum())} wards)"
        )
    frame = frame.merge(lad_to_upper_tier, on="lad_code", how="left", validate="many_to_one")
    valid = set(la_codes)
    unmapped = ~frame["area_code"].isin(valid)
    if unmapped.any():
        example = frame.loc[unmapped].iloc[0]
        raise BuildError(
            f"ward {example['ward_code']} (LAD {example['lad_code']}) does not map to one of "
            f"the {len(valid)} current upper-tier LA codes via data/raw/{CTYUA_LOOKUP_FILE} "
            f"(got {example['area_code']!r}; {int(unmapped.sum())} wards affected)"
        )
    for column in ["ward_code", "ward_name", "lad_code", "area_code", "method"]:
        frame[column] = frame[column].astype(str)
    return frame[WARD_COLUMNS].sort_values("ward_code", ignore_index=True)


def build_ward_outputs(raw_dir: Path, *, expected_la_count: int = UPPER_TIER_LA_COUNT) -> WardOutputs:
    """Build the ward indicator table and the ward and LA map geometry.

    Reads only from ``raw_dir``; writes nothing.

    Parameters:
        raw_dir: folder holding the raw files (``data/raw``).
        expected_la_count: number of current English upper-tier LAs (153; smaller only for
            test fixtures).

    Returns:
        ``WardOutputs`` with ``wards`` (``WARD_COLUMNS``), ``ward_geometry`` and
        ``la_geometry`` (see the class docstring).

    Raises:
        BuildError: if a raw file lacks a column, the ward geometry looks shifted, the LSOA
            files disagree, or a ward does not map to one of the 153 current LAs.
    """
    wards = read_ward_polygons(raw_dir)
    la_geometry = read_la_polygons(raw_dir, expected_count=expected_la_count)

    lsoas = read_lsoa_polygons(raw_dir)
    lsoa_indicators = stage_lsoa_indicators(read_lsoa_deprivation(raw_dir), read_lsoa_population(raw_dir))
    missing = sorted(set(lsoa_indicators["lsoa_code"]) - set(lsoas["lsoa_code"]))
    if missing:
        raise BuildError(
            f"data/raw/{LSOA_POLYGONS_FILE}: {len(missing)} LSOAs with IoD2019 data have no polygon, e.g. {missing[0]}"
        )

    assignment = assign_lsoas_to_wards(lsoas, wards)
    weights = ward_lsoa_weights(assignment, lsoas, wards)
    indicators = ward_indicators(weights, lsoa_indicators)
    # Every ward gets LSOAs by point or by overlay, or area_weighted_shares has already raised;
    # this guards the contract "one row per ward" against future edits.
    unfilled = sorted(set(wards["ward_code"]) - set(indicators["ward_code"]))
    if unfilled:
        raise BuildError(f"ward {unfilled[0]} has no indicators ({len(unfilled)} wards)")
    ward_frame = attach_ward_geography(
        indicators,
        read_ward_lookup(raw_dir),
        read_lad_to_upper_tier(raw_dir),
        la_geometry["area_code"],
    )
    ward_geometry = gpd.GeoDataFrame(wards[["ward_code"]], geometry=wards.geometry, crs=WGS84).sort_values(
        "ward_code", ignore_index=True
    )
    return WardOutputs(wards=ward_frame, ward_geometry=ward_geometry, la_geometry=la_geometry)
