"""2021/22 GLD for the districts of two-tier counties (the official EES file's district rows) and
district boundaries (ONS, December 2024), for the optional district layer of the ward page.

District figures exist for 2021/22 only (and 2018/19 in whole numbers); no later year is published
below upper-tier LA. Districts abolished in April 2023 (Cumbria, North Yorkshire, Somerset) have
values but no December 2024 boundary.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl import readers
from etl.areas import AreaResolver
from etl.errors import BuildError
from etl.raw_files import DISTRICT_BOUNDARIES_FILE, EES_2022_FILE


def build_district_gld(ees: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """`gld_district_2022`: lad_code, lad_name, area_code (upper tier), pupil_group, pct, children, achieved.

    Parameters:
        ees: `readers.headline_rows` of the 2021/22 file (numbers already parsed).
    """
    file = EES_2022_FILE
    frame = ees[
        (ees["geographic_level"] == "Local authority district")
        & ees["pupil_group"].isin(["all", "fsm"])
        & ees["lad_code"].str.startswith("E07")
    ]
    if frame.empty:
        raise BuildError(f"data/raw/{file}: no district rows for two-tier counties")
    out = pd.DataFrame(
        {
            "lad_code": frame["lad_code"].to_numpy(),
            "lad_name": frame["lad_name"].to_numpy(),
            "area_code": resolver.map_ons(frame["new_la_code"], file, "new_la_code").to_numpy(),
            "pupil_group": frame["pupil_group"].to_numpy(),
            "pct": frame["gld_percentage"].round(1).to_numpy(),
            "children": readers.as_int_or_nan(frame["children_number"]).to_numpy(),
            "achieved": readers.as_int_or_nan(frame["gld_number"]).to_numpy(),
        }
    )
    out["year"] = frame["year"].to_numpy()
    return out.drop_duplicates(["lad_code", "pupil_group"]).reset_index(drop=True)


def read_district_boundaries(raw_dir: Path) -> gpd.GeoDataFrame:
    """English shire districts (E07) of December 2024: lad_code, lad_name, geometry (EPSG:4326)."""
    frame = readers.read_geojson(raw_dir, DISTRICT_BOUNDARIES_FILE, ["LAD24CD", "LAD24NM"])
    frame = frame[frame["LAD24CD"].str.startswith("E07")].rename(columns={"LAD24CD": "lad_code", "LAD24NM": "lad_name"})
    return frame.to_crs(4326)[["lad_code", "lad_name", "geometry"]].reset_index(drop=True)
