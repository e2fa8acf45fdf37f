"""Children aged 0-15 in relative low income (after housing costs), DWP, by ward and by upper-tier LA.

DWP publishes the number and the percentage of children by ward (May 2024 wards) and by district,
for the financial years ending (FYE) 2024 and 2025. Figures are rounded and small ones suppressed
(``[x]``, ``[low]``: read as missing, never as 0). Neither table gives the child population, but
each implies it: number / percentage x 100. Upper-tier LA figures are the districts' numbers
summed, and their percentage is that sum over the summed implied populations.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from etl.errors import BuildError
from etl.raw_files import CTYUA_LOOKUP_FILE, LOW_INCOME_DISTRICT_FILE, LOW_INCOME_WARD_FILE
from etl.readers import as_int_or_nan
from etl.reorganisations import ENGLAND_CODE, current_code

FYES = (2024, 2025)
WARD_AREA_COLUMNS = {
    "Local Authority": "lad_name",
    "Local Authority code": "lad_code",
    "Ward": "ward_name",
    "Ward code": "ward_code",
}
DISTRICT_AREA_COLUMNS = {"Local Authority": "lad_name", "Local Authority code": "lad_code"}
# English districts: unitaries, shire districts, metropolitan districts, London boroughs.
DISTRICT_PREFIXES = ("E06", "E07", "E08", "E09")
LOW_INCOME_LA_COLUMNS = ["area_code", "fye", "children", "pct"]


def implied_children(children: pd.Series, pct: pd.Series) -> pd.Series:
    """The child population a published number and percentage imply: number / pct x 100.

    Returns:
        float64 Series, NaN where either is missing or the percentage is 0 (no population follows).
    """
    number = children.astype("float64")
    share = pct.astype("float64")
    return (number / share.where(share > 0) * 100).astype("float64")


def _require_years(frame: pd.DataFrame, file: str) -> None:
    missing = sorted(set(FYES) - set(frame["fye"]))
    if missing:
        raise BuildError(f"data/raw/{file}: no 'Number of children FYE {missing[0]}' column")


def upper_tier_of(lad_codes: pd.Series, lad_to_upper_tier: pd.DataFrame) -> pd.Series:
    """The current upper-tier LA of each district code (old or current code, via ``current_code``).

    Parameters:
        lad_codes: district codes (LAD 2024, or a later code for the same area).
        lad_to_upper_tier: ``etl.ward_readers.read_lad_to_upper_tier`` output.

    Returns:
        Series of upper-tier codes with the index of ``lad_codes``; NaN for a district not in
        the lookup.
    """
    upper = dict(zip(lad_to_upper_tier["lad_code"].map(current_code), lad_to_upper_tier["area_code"], strict=True))
    return lad_codes.map(lambda code: upper.get(current_code(code)))


def stage_ward_low_income(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per English ward of DWP's ward table, with both years side by side.

    Parameters:
        frame: ``read_low_income`` output for the ward table (``WARD_AREA_COLUMNS``).

    Returns:
        DataFrame with ``ward_code``, ``ward_name``, ``lad_code``, ``lad_name``,
        ``low_income_children_2024``/``_2025`` (nullable Int64, as published),
        ``pct_low_income_2024``/``_2025`` (float64, 1 dp as published) and ``children_0_15``
        (nullable Int64: round(number / pct x 100) for FYE 2025), sorted by ``ward_code``.

    Raises:
        BuildError: if a year is missing or an English ward appears twice in a year.
    """
    file = LOW_INCOME_WARD_FILE
    _require_years(frame, file)
    english = frame[frame["ward_code"].str.startswith("E05").fillna(False) & frame["fye"].isin(FYES)]
    if english.duplicated(["ward_code", "fye"]).any():
        duplicate = english.loc[english.duplicated(["ward_code", "fye"]), "ward_code"].iloc[0]
        raise BuildError(f"data/raw/{file}: ward {duplicate} appears more than once")
    wide = english.pivot(index="ward_code", columns="fye", values=["children", "pct"])
    names = english.drop_duplicates("ward_code").set_index("ward_code").loc[wide.index]
    out = pd.DataFrame(
        {
            "ward_code": wide.index.astype(str),
            "ward_name": names["ward_name"].astype(str).to_numpy(),
            "lad_code": names["lad_code"].astype(str).to_numpy(),
            "lad_name": names["lad_name"].astype(str).to_numpy(),
        }
    )
    for year in FYES:
        out[f"low_income_children_{year}"] = as_int_or_nan(wide[("children", year)]).array
        out[f"pct_low_income_{year}"] = wide[("pct", year)].astype("float64").to_numpy()
    latest = max(FYES)
    out["children_0_15"] = as_int_or_nan(
        implied_children(out[f"low_income_children_{latest}"], out[f"pct_low_income_{latest}"])
    )
    return out.sort_values("ward_code", ignore_index=True)


def build_low_income_la(
    districts: pd.DataFrame, lad_to_upper_tier: pd.DataFrame, la_codes: Iterable[str]
) -> pd.DataFrame:
    """``low_income_la``: DWP's district figures summed to the current upper-tier LAs and England.

    ``children`` is the sum of the districts' numbers; ``pct`` is that sum over the sum of the
    districts' implied child populations (number / pct x 100), x 100, to 1 dp. A unitary LA is
    its own single district, so it keeps DWP's published percentage. Either is missing if a
    district's figure is.

    Parameters:
        districts: ``read_low_income`` output for the district table (``DISTRICT_AREA_COLUMNS``).
        lad_to_upper_tier: ``etl.ward_readers.read_lad_to_upper_tier`` output.
        la_codes: the current upper-tier LA codes; each must get a row per year.

    Returns:
        DataFrame with ``LOW_INCOME_LA_COLUMNS`` (``fye`` int64, ``children`` nullable Int64,
        ``pct`` float64), one row per LA (and England, E92000001) and year, sorted.

    Raises:
        BuildError: if a year is missing, an English district is not in the upper-tier lookup
            or appears twice in a year, or an LA has no district.
    """
    file = LOW_INCOME_DISTRICT_FILE
    _require_years(districts, file)
    english = districts[districts["lad_code"].str[:3].isin(DISTRICT_PREFIXES) & districts["fye"].isin(FYES)].copy()
    if english.duplicated(["lad_code", "fye"]).any():
        duplicate = english.loc[english.duplicated(["lad_code", "fye"]), "lad_code"].iloc[0]
        raise BuildError(f"data/raw/{file}: district {duplicate} appears more than once")
    english["area_code"] = upper_tier_of(english["lad_code"], lad_to_upper_tier)
    unmapped = english["area_code"].isna()
    if unmapped.any():
        raise BuildError(
            f"data/raw/{file}: district {english.loc[unmapped, 'lad_code'].iloc[0]} is not in "
            f"data/raw/{CTYUA_LOOKUP_FILE} ({int(unmapped.sum())} rows)"
        )
    missing = sorted(set(la_codes) - set(english["area_code"]))
    if missing:
        raise BuildError(f"data/raw/{file}: no district of LA {missing[0]} ({len(missing)} LAs)")
    english["population"] = implied_children(english["children"], english["pct"])
    england = english.assign(area_code=ENGLAND_CODE)
    both = pd.concat([english, england], ignore_index=True)
    # Sums with skipna=False: one suppressed district leaves its LA's figure unknown, not smaller.
    sums = both.groupby(["area_code", "fye"], sort=True)[["children", "population"]].sum(min_count=1)
    incomplete = both[["children", "population"]].isna().groupby([both["area_code"], both["fye"]]).any()
    sums = sums.mask(incomplete)
    return pd.DataFrame(
        {
            "area_code": sums.index.get_level_values("area_code").astype(str),
            "fye": sums.index.get_level_values("fye").astype("int64"),
            "children": as_int_or_nan(sums["children"]).array,
            "pct": np.round(100 * sums["children"] / sums["population"], 1).to_numpy(),
        }
    )
