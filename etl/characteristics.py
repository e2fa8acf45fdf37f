"""GLD by pupil characteristic in 2021/22: the official EES headline file, England, regions and LAs.

2021/22 is the one year of the reformed EYFS profile that DfE has published by sex, ethnic group,
first language, FSM eligibility, term of birth and SEN for every LA, with counts. One row per area
and pupil group: boys and girls come from the file's `Total` rows split by gender (characteristic
'Sex'); every other characteristic is kept for both genders together only.
"""

from __future__ import annotations

import pandas as pd

from etl import raw_files, readers
from etl.areas import AreaResolver
from etl.errors import BuildError
from etl.reorganisations import ENGLAND_CODE, FORMER_LAS, REGION_NAMES

LEVELS = {"National": "national", "Regional": "regional", "Local authority": "la"}
# Inner and Outer London: sub-regions the file gives with the regions (not in the `areas` table).
LONDON_SUBREGIONS = {"E13000001": "Inner London", "E13000002": "Outer London"}
# The file's characteristics, in the order rows are written; 'Sex' is ours (the gender split of 'Total').
CHARACTERISTICS = (
    "Total",
    "Sex",
    "Free school meal eligibility",
    "Ethnic group: major",
    "Ethnic group: minor",
    "First language",
    "Term of birth",
    "SEN provision",
    "SEN primary need",
)
SEXES = ("Boys", "Girls")
# Source column -> our column. Percentages and the average are published to 1 dp (written "66.100000").
COUNTS = {"children_number": "children", "gld_number": "gld_children"}
SHARES = {
    "gld_percentage": "gld_pct",
    "elg_percentage": "elg_pct",
    "comm_lang_lit_percentage": "comm_lang_lit_pct",
    "average_elgs": "average_elgs",
}
# The EES symbols this file uses, and what a row holding one is. 'z' (not applicable) marks the
# shares and average of a group with no children. EES also uses c (confidential), x (not available),
# low and u; the 2021/22 file has none, and one appearing stops the build rather than pass unexplained.
STATUS = {"z": "not applicable (z)"}
PUBLISHED = "published"
COLUMNS = [
    "area_code",
    "level",
    "former",
    "characteristic",
    "pupil_group",
    "children",
    "gld_children",
    "gld_pct",
    "elg_pct",
    "comm_lang_lit_pct",
    "average_elgs",
    "status",
]


def build_gld_characteristics_2022(ees: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """`gld_characteristics_2022`: 2021/22 GLD, ELG and communication-and-literacy shares by pupil group.

    LAs get their current code (North Yorkshire E10000023 -> E06000065, Somerset E10000027 ->
    E06000066, Barnsley and Sheffield their May 2025 codes: same areas). Cumbria (E10000006), split
    in April 2023, keeps its 2021/22 code with `former` true; nothing is copied to its successors.

    Parameters:
        ees: every row of the 2021/22 file, values as text (`readers.read_ees_2022`).
        resolver: maps the file's LA codes to current (or former) codes.

    Returns:
        COLUMNS, one row per area, characteristic and pupil group: children and gld_children
        (published counts), gld_pct, elg_pct, comm_lang_lit_pct and average_elgs (1 dp; null where
        the file has 'z'), status ('published' | 'not applicable (z)').

    Raises:
        BuildError: a characteristic, gender, geographic level or region code the table does not
            know, a cell holding a marker other than 'z', or a missing column; each names the file
            and column.
    """
    file = raw_files.EES_2022_FILE
    readers.require_columns(ees, ["characteristic", "characteristic_type", "gender", *COUNTS, *SHARES], file)
    frame = ees[ees["geographic_level"] != "Local authority district"]
    _check_known(frame, "geographic_level", LEVELS, file)
    _check_known(frame, "characteristic", [c for c in CHARACTERISTICS if c != "Sex"], file)
    _check_known(frame, "gender", ["Total", *SEXES], file)
    by_sex = (frame["characteristic"] == "Total") & frame["gender"].isin(SEXES)
    frame = frame[(frame["gender"] == "Total") | by_sex].copy()
    is_sex = (frame["characteristic"] == "Total") & (frame["gender"] != "Total")
    frame["pupil_group"] = frame["characteristic_type"].where(~is_sex, frame["gender"])
    frame["characteristic"] = frame["characteristic"].where(~is_sex, "Sex")

    out = pd.DataFrame(index=frame.index)
    out["area_code"] = area_codes(frame, resolver, file)
    out["level"] = frame["geographic_level"].map(LEVELS)
    out["former"] = out["area_code"].isin({former.area_code for former in FORMER_LAS})
    out["characteristic"] = frame["characteristic"]
    out["pupil_group"] = frame["pupil_group"]
    status = pd.Series(PUBLISHED, index=frame.index)
    for source, column in {**COUNTS, **SHARES}.items():
        values, markers = _parse(frame[source], file, source)
        out[column] = readers.as_int_or_nan(values) if source in COUNTS else values.round(1)
        for marker, meaning in STATUS.items():
            status = status.where(markers != marker, meaning)
    out["status"] = status
    out["_level"] = out["level"].map({level: rank for rank, level in enumerate(LEVELS.values())})
    out["_characteristic"] = out["characteristic"].map({c: rank for rank, c in enumerate(CHARACTERISTICS)})
    out["_row"] = range(len(out))
    out = out.sort_values(["_level", "area_code", "_characteristic", "_row"])
    return out[COLUMNS].reset_index(drop=True)


def area_codes(frame: pd.DataFrame, resolver: AreaResolver, file: str) -> pd.Series:
    """England's code, the region's (or Inner/Outer London's) code, or the LA's current or former code."""
    codes = pd.Series(ENGLAND_CODE, index=frame.index, dtype="object")
    regional = frame["geographic_level"] == "Regional"
    unknown = regional & ~frame["region_code"].isin([*REGION_NAMES, *LONDON_SUBREGIONS])
    if unknown.any():
        example = frame.loc[unknown, "region_code"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'region_code' has an unknown region {example!r}")
    codes[regional] = frame.loc[regional, "region_code"]
    la = frame["geographic_level"] == "Local authority"
    codes[la] = resolver.map_ons(frame.loc[la, "new_la_code"], file, "new_la_code")
    return codes


def _check_known(frame: pd.DataFrame, column: str, known, file: str) -> None:
    unknown = ~frame[column].isin(list(known))
    if unknown.any():
        example = frame.loc[unknown, column].iloc[0]
        raise BuildError(
            f"data/raw/{file}: column '{column}' has an unexpected value {example!r} "
            f"({int(unknown.sum())} rows); add it to etl/characteristics.py"
        )


def _parse(text: pd.Series, file: str, column: str) -> tuple[pd.Series, pd.Series]:
    """Numbers (NaN for markers) and the marker of each cell ('' for a number); other markers raise."""
    numbers = pd.to_numeric(text, errors="coerce")
    markers = text.where(numbers.isna(), "")
    unhandled = numbers.isna() & ~markers.isin(list(STATUS))
    if unhandled.any():
        example = text[unhandled].iloc[0]
        raise BuildError(
            f"data/raw/{file}: column '{column}' has {example!r} ({int(unhandled.sum())} rows), a marker "
            "gld_characteristics_2022 does not handle; add its meaning to etl.characteristics.STATUS"
        )
    return numbers.astype("float64"), markers
