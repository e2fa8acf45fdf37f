"""Read raw files as they are: explicit columns and dtypes, suppression markers turned into nulls.

Every reader checks the columns it needs and every numeric column's values. An unexpected
marker or a missing column stops the build with the file, the column and an example value.
A file its parser rejects (cut short, damaged) stops the build with one line naming it
(``unreadable``). The file paths live in ``etl.raw_files``; the helpers here (``raw_path``,
``unreadable``, ``read_csv``, ``read_excel``, ``read_geojson``, ``require_columns``,
``parse_numeric``) are shared with ``etl.ward_readers`` and ``etl.districts``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from etl.errors import BuildError
from etl.raw_files import (
    APS_FILE,
    CTYUA_LOOKUP_FILE,
    DISTRICT_2019_FILE,
    EES_2022_FILE,
    FINGERTIPS_FSM_FILE,
    FSM_COHORT_FILE,
    IOD2019_UPPER_FILE,
    IOD2025_UPPER_FILE,
    LAIT_DICTIONARY_FILE,
    LAIT_FILE,
    LAS_FILE,
    NATIONAL_2019_FILE,
    POPULATION_FILE,
    SMAPEY_FILE,
    WARD_HIERARCHY_FILE,
)

if TYPE_CHECKING:
    import geopandas as gpd

# Each source marks missing or suppressed values its own way.
MISSING_MARKERS: dict[str, frozenset[str]] = {
    "lait": frozenset({"-", ""}),
    "fingertips": frozenset({"NA", ""}),
    "smapey": frozenset({""}),
    "ees": frozenset({"z", "x", "c", "u", "low", ":", ""}),
    "district_2019": frozenset({".", ""}),
    "aps": frozenset({""}),
    "excel": frozenset({""}),
    "ons": frozenset({""}),
    "iod": frozenset({""}),
    # IoD2025 gives every LSOA a rank, decile and score: a blank is an error.
    "iod_lsoa": frozenset(),
    # DWP's children in low income tables: [x] not available (suppressed), [low] a very small number.
    "dwp": frozenset({"[x]", "[low]", ""}),
}


def raw_path(raw_dir: Path, file: str) -> Path:
    """The path of a raw file, checked to exist.

    Parameters:
        raw_dir: the raw-data folder (``data/raw``).
        file: the file's path under it (a name from ``etl.raw_files``).

    Raises:
        BuildError: ``data/raw/<file>: file is missing``.
    """
    path = raw_dir / file
    if not path.exists():
        raise BuildError(f"data/raw/{file}: file is missing")
    return path


# A parser's own message is kept as the reason, cut to this many characters (some quote whole rows).
MAX_REASON_LENGTH = 240


def unreadable(file: str, kind: str, error: BaseException, path: Path | None = None) -> BuildError:
    """The error for a raw file its parser rejects: ``data/raw/<file>: cannot be read as <kind> (<reason>)``.

    The reason is the parser's message on one line, with ``path`` (the file's absolute path, which
    some parsers quote) replaced by ``data/raw/<file>``, and cut to MAX_REASON_LENGTH characters.

    Parameters:
        file: the file's path under ``data/raw`` (a name from ``etl.raw_files``).
        kind: what the file should be, e.g. ``"CSV"`` or ``"an Excel workbook"``.
        error: the parser's exception.
        path: the absolute path the parser was given, if it may appear in its message.
    """
    reason = str(error) or type(error).__name__
    if path is not None:
        reason = reason.replace(str(path), f"data/raw/{file}")
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON_LENGTH:
        reason = reason[: MAX_REASON_LENGTH - 1] + "…"
    return BuildError(f"data/raw/{file}: cannot be read as {kind} ({reason})")


def require_columns(
    frame: pd.DataFrame | Iterable[str],
    columns: Iterable[str],
    file: str | None = None,
    *,
    parameter: str | None = None,
) -> None:
    """Raise a BuildError naming the file and the first required column that is absent.

    Parameters:
        frame: a DataFrame, or just the column names found (iterating a DataFrame gives its names).
        columns: the columns that must be present.
        file: the raw file's path under ``data/raw``, named in the message.
        parameter: instead of ``file``, the name of a function parameter holding an in-memory
            frame, for a check of a function's input rather than of a raw file.

    Raises:
        BuildError: ``data/raw/<file>: column 'X' is missing (found: …)``, listing any other
            missing columns too.
    """
    found = list(frame)
    present = set(found)
    missing = [column for column in columns if column not in present]
    if missing:
        where = f"data/raw/{file}" if parameter is None else parameter
        others = f"; also missing: {', '.join(map(repr, missing[1:]))}" if len(missing) > 1 else ""
        listed = ", ".join(map(str, found[:8]))
        raise BuildError(f"{where}: column '{missing[0]}' is missing (found: {listed}, …{others})")


def parse_numeric(values: pd.Series, source: str, file: str, column: str) -> pd.Series:
    """Turn a column of strings or numbers into floats, mapping the source's markers to NaN.

    Parameters:
        values: the raw column.
        source: key into MISSING_MARKERS naming which markers this file uses.
        file, column: named in the error message.

    Raises:
        BuildError: a value that is neither a number nor one of the source's known markers.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().fillna("")
    numbers = pd.to_numeric(text, errors="coerce")
    unknown = numbers.isna() & ~text.isin(MISSING_MARKERS[source])
    if unknown.any():
        example = text[unknown].iloc[0]
        raise BuildError(
            f"data/raw/{file}: column '{column}' has an unknown suppression marker or non-number "
            f"{example!r} ({int(unknown.sum())} rows)"
        )
    return numbers.astype("float64")


def read_csv(raw_dir: Path, file: str, columns: list[str]) -> pd.DataFrame:
    """Read the given columns of a raw CSV file, all as text, in the order given.

    Numbers stay text so that each caller parses them with its source's markers
    (``parse_numeric``); blanks and markers such as ``n/a`` stay as they are in the file.

    Parameters:
        raw_dir: the raw-data folder (``data/raw``).
        file: the file's path under it (a name from ``etl.raw_files``).
        columns: the columns to keep (header names with surrounding spaces removed).

    Raises:
        BuildError: the file is missing or cannot be parsed as CSV, a column is missing, or a
            row has more or fewer fields than the header.
    """
    path = raw_path(raw_dir, file)
    try:
        # Read everything as text (utf-8-sig drops the BOM some ONS files carry); numbers are
        # parsed per column so that each source's markers can be checked.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise unreadable(file, "CSV", error, path) from error
    frame.columns = [str(column).strip() for column in frame.columns]
    require_columns(frame, columns, file)
    _check_row_lengths(path, file, len(frame.columns))
    return frame[columns].copy()


def _check_row_lengths(path: Path, file: str, expected: int) -> None:
    """Raise if a row has fewer or more fields than the header (pandas pads a row cut short)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:  # only fields are counted
        for line_number, row in enumerate(csv.reader(handle), start=1):
            if row and len(row) != expected:
                raise BuildError(
                    f"data/raw/{file}: line {line_number} has {len(row)} fields, the header has {expected} "
                    "(is the file cut short or damaged?)"
                )


def read_excel(raw_dir: Path, file: str, columns: list[str], **options) -> pd.DataFrame:
    """Read the given columns of a sheet of a raw Excel workbook (``options`` go to ``pd.read_excel``).

    Raises:
        BuildError: the file is missing or damaged, or a column is missing (header names with
            surrounding spaces removed).
    """
    path = raw_path(raw_dir, file)
    try:
        # calamine reads these workbooks several times faster than openpyxl.
        frame = pd.read_excel(path, engine="calamine", **options)
    except Exception as error:  # the Excel engines raise many unrelated types for a bad file
        raise unreadable(file, "an Excel workbook", error, path) from error
    frame.columns = [str(column).strip() for column in frame.columns]
    require_columns(frame, columns, file)
    return frame[columns].copy()


def _read_parquet(raw_dir: Path, file: str, columns: list[str]) -> pd.DataFrame:
    path = raw_path(raw_dir, file)
    try:
        import pyarrow.parquet as pq

        schema_names = pq.read_schema(path).names
    except Exception as error:  # pyarrow raises ArrowInvalid/OSError for truncated files
        raise unreadable(file, "Parquet", error, path) from error
    missing = [column for column in columns if column not in schema_names]
    if missing:
        raise BuildError(f"data/raw/{file}: column '{missing[0]}' is missing (found: {', '.join(schema_names)})")
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as error:
        raise unreadable(file, "Parquet", error, path) from error


def read_geojson(raw_dir: Path, file: str, columns: list[str]) -> gpd.GeoDataFrame:
    """Read the given attribute columns and the geometry of a raw GeoJSON file, in its own CRS.

    Parameters:
        raw_dir: the raw-data folder (``data/raw``).
        file: the file's path under it (a name from ``etl.raw_files``).
        columns: the attribute columns to keep; ``geometry`` is added.

    Raises:
        BuildError: the file is missing or damaged, or a column is missing.
    """
    import pyogrio  # only the boundary files need it

    path = raw_path(raw_dir, file)
    try:
        # pyogrio leaves out a requested column that the file lacks, so check them afterwards.
        frame = pyogrio.read_dataframe(path, columns=columns)
    except Exception as error:  # pyogrio raises several types for a damaged file
        raise unreadable(file, "GeoJSON", error, path) from error
    require_columns(frame, columns, file)
    return frame


def academic_year_end(time_period: pd.Series, file: str, column: str = "time_period") -> pd.Series:
    """Turn a DfE time period such as '201819' or '2018/19' into the year the summer term ends (2019)."""
    text = time_period.astype("string").str.strip().str.replace("/", "", regex=False)
    valid = text.str.fullmatch(r"\d{6}") | text.str.fullmatch(r"\d{4}\d{2}")
    if not valid.fillna(False).all():
        example = time_period[~valid.fillna(False)].iloc[0]
        raise BuildError(f"data/raw/{file}: column '{column}' has an unexpected academic year {example!r}")
    return (text.str[:4].astype(int) + 1).astype("int64")


def read_lait(raw_dir: Path, file: str = LAIT_FILE, measures: list[str] | None = None) -> pd.DataFrame:
    """Read LAIT's long table: la_number (3-digit text), year, measure, value (float, 1 dp), published.

    LAIT stores values as strings with float artefacts (`70.099999999999994`) and `-` for missing.
    `value` is rounded to 1 dp (the GLD series); `published` is the value's text as LAIT stores it
    (stripped; `-` where missing), for measures kept at their own precision (`etl.context`).
    """
    columns = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
    frame = _read_parquet(raw_dir, file, columns)
    if measures is not None:
        frame = frame[frame["Short Desc"].isin(measures)]
    value = parse_numeric(frame["Values"], "lait", file, "Values")
    la_number = frame["LA Number"]
    if la_number.isna().any():
        example = frame.loc[la_number.isna(), "LA and Regions"].iloc[0]
        raise BuildError(f"data/raw/{file}: column 'LA Number' is empty for {example!r}")
    return pd.DataFrame(
        {
            "la_number": la_number.astype("int64").astype(str).str.zfill(3).to_numpy(),
            "name": frame["LA and Regions"].to_numpy(),
            "year": pd.to_numeric(frame["Years"], errors="raise").astype("int64").to_numpy(),
            "measure": frame["Short Desc"].to_numpy(),
            "value": value.round(1).to_numpy(),
            "published": frame["Values"].astype("string").str.strip().fillna("").to_numpy(),
        }
    )


def read_lait_dictionary(raw_dir: Path) -> pd.DataFrame:
    """Read the LAIT data dictionary: measure code, label, unit."""
    frame = read_csv(raw_dir, LAIT_DICTIONARY_FILE, ["Measure_short", "Measure", "y_axis_name"])
    return frame.rename(columns={"Measure_short": "measure", "Measure": "label", "y_axis_name": "unit"})


def read_las(raw_dir: Path) -> pd.DataFrame:
    """Read DfE's LA lookup: ONS code, name, region, status, 3-digit number."""
    columns = ["new_la_code", "la_name", "parent_geography_code", "status", "old_la_code", "date_of_operation"]
    return read_csv(raw_dir, LAS_FILE, columns)


def read_aps(raw_dir: Path) -> pd.DataFrame:
    """Read the 2013–2019 GLD file (all pupils, with published counts), gender = Total only."""
    columns = [
        "time_period",
        "geographic_level",
        "region_code",
        "old_la_code",
        "new_la_code",
        "gender",
        "number_of_children",
        "gld_number",
        "gld_percent",
    ]
    frame = read_csv(raw_dir, APS_FILE, columns)
    frame = frame[frame["gender"].str.strip() == "Total"].copy()
    frame["year"] = academic_year_end(frame["time_period"], APS_FILE)
    for column in ("number_of_children", "gld_number", "gld_percent"):
        frame[column] = parse_numeric(frame[column], "aps", APS_FILE, column)
    for column in ("region_code", "old_la_code", "new_la_code", "geographic_level"):
        frame[column] = frame[column].str.strip()
    return frame


# Explore Education Statistics renamed the headline file's columns after 2021/22 (the 2022 to 2025
# multi-year file uses breakdown_topic/breakdown/sex and *_count/*_percent). Both are accepted.
EES_COLUMN_NAMES = {
    "characteristic": ("characteristic", "breakdown_topic"),
    "characteristic_type": ("characteristic_type", "breakdown"),
    "gender": ("gender", "sex"),
    "children_number": ("children_number", "children_count"),
    "gld_number": ("gld_number", "gld_children_count"),
    "gld_percentage": ("gld_percentage", "gld_children_percent"),
}
# Free school meal breakdowns, as DfE has labelled them (lower case). "All other" (not known to be
# eligible: not eligible + unknown) is the group DfE's published FSM gap compares with; later files
# split it into "not eligible" and "unknown", from whose counts the build derives it again.
EES_FSM_GROUPS = {
    "known to be eligible for free school meals": "fsm",
    "eligible for free school meals": "fsm",
    "fsm eligible": "fsm",
    "eligible for fsm": "fsm",
    "fsm": "fsm",
    "not eligible for free school meals": "not_eligible",
    "not eligible for fsm": "not_eligible",
    "fsm not eligible": "not_eligible",
    "not fsm eligible": "not_eligible",
    "not known to be eligible for free school meals": "all_other",
    "not known to be fsm eligible": "all_other",
    "fsm unknown": "unknown",
    "unknown": "unknown",
    "fsm unclassified": "unknown",
    "unclassified": "unknown",
    "total": None,
}
EES_LEVELS = ["National", "Regional", "Local authority", "Local authority district"]


# Further columns of the 2021/22 file, kept when a file has them (the focus page's 2021/22 detail).
EES_OPTIONAL_COLUMNS = ("average_elgs", "elg_percentage", "comm_lang_lit_percentage")


def read_ees_file(raw_dir: Path, file: str) -> pd.DataFrame:
    """Read every row of an official EYFSP headline-measures file, with DfE's values as text.

    Columns are renamed to the 2021/22 names (EES_COLUMN_NAMES) and every value is stripped text,
    so that callers see which marker (`z`, `x`, `c`, `low`, …) a cell holds before parsing it with
    `parse_numeric`. The columns of EES_OPTIONAL_COLUMNS are included when the file has them.

    Returns:
        time_period, geographic_level, region_code, new_la_code, lad_code, lad_name (empty text in
        files without districts), characteristic, characteristic_type, gender, children_number,
        gld_number, gld_percentage and any optional columns, one row per row of the file.

    Raises:
        BuildError: the file is missing or not CSV, or a required column is missing.
    """
    path = raw_dir / file
    try:
        header = [str(c).strip() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]
    except FileNotFoundError:
        raise BuildError(f"data/raw/{file}: file is missing") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise unreadable(file, "CSV", error, path) from error
    names = {}
    for standard, options in EES_COLUMN_NAMES.items():
        found = next((name for name in options if name in header), None)
        if found is None:
            raise BuildError(f"data/raw/{file}: column '{options[0]}' (or '{options[1]}') is missing")
        names[found] = standard
    geography = ["time_period", "geographic_level", "region_code", "new_la_code"]
    districts = [name for name in ("lad_code", "lad_name") if name in header]  # absent in LA-only files
    optional = [name for name in EES_OPTIONAL_COLUMNS if name in header]
    frame = read_csv(raw_dir, file, geography + districts + list(names) + optional).rename(columns=names)
    for column in ("lad_code", "lad_name"):
        if column not in frame:
            frame[column] = ""
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def headline_rows(ees: pd.DataFrame, file: str) -> pd.DataFrame:
    """The all-pupil and FSM rows (all genders combined) of a `read_ees_file` frame, numbers parsed.

    Returns England, region, LA and district rows with `year`, `pupil_group` ('all' | 'fsm' |
    'not_eligible' | 'unknown' | 'all_other'), `children_number`, `gld_number`, `gld_percentage`
    (floats) and the geography columns as in the file.

    Raises:
        BuildError: an unexpected year or marker, or an FSM breakdown label that is not one DfE has
            used (so a relabelled release is noticed, not silently dropped).
    """
    frame = ees[(ees["gender"] == "Total") & ees["geographic_level"].isin(EES_LEVELS)].copy()
    topic = frame["characteristic"].str.lower()
    is_fsm_topic = topic.str.contains("free school meal|fsm", regex=True)
    frame = frame[(topic == "total") | is_fsm_topic].copy()
    label = frame["characteristic_type"].str.lower()
    is_total = frame["characteristic"].str.lower() == "total"
    unknown_label = ~is_total & ~label.isin(EES_FSM_GROUPS.keys())
    if unknown_label.any():
        example = frame.loc[unknown_label, "characteristic_type"].iloc[0]
        raise BuildError(
            f"data/raw/{file}: column 'characteristic_type' has an unexpected FSM breakdown {example!r}; "
            "add it to etl.readers.EES_FSM_GROUPS"
        )
    frame["pupil_group"] = np.where(is_total, "all", label.map(EES_FSM_GROUPS))
    frame = frame[frame["pupil_group"].notna()].copy()
    frame["year"] = academic_year_end(frame["time_period"], file)
    for column in ("children_number", "gld_number", "gld_percentage"):
        frame[column] = parse_numeric(frame[column], "ees", file, column)
    return frame.reset_index(drop=True)


def read_ees_headline(raw_dir: Path, file: str) -> pd.DataFrame:
    """Read an official EYFSP headline-measures file (one year or several): total and FSM rows.

    See `headline_rows` for what is returned and raised; `read_ees_file` for a missing file or column.
    """
    return headline_rows(read_ees_file(raw_dir, file), file)


def read_ees_2022(raw_dir: Path) -> pd.DataFrame:
    """Read every row of the official 2021/22 headline measures by characteristics (`read_ees_file`).

    Read once per build: `headline_rows` of it feeds upper-tier GLD (`etl.gld`) and the district
    layer (`etl.districts`); `etl.characteristics` stages GLD by pupil characteristic from it.
    """
    return read_ees_file(raw_dir, EES_2022_FILE)


def read_smapey(raw_dir: Path) -> pd.DataFrame:
    """Read DfE's SMAPEY file: GLD % for all, FSM and all-other pupils 2016–2018 (1 dp), 2018 cohorts."""
    file = SMAPEY_FILE
    value_columns = [
        f"{group}_Percent_GLD_{year}_LA" for group in ("All", "FSM", "All_Other") for year in (2016, 2017, 2018)
    ] + [f"{group}_Number_GLD_2018_LA" for group in ("All", "FSM", "All_Other")]
    frame = read_csv(raw_dir, file, ["LA_Code", "LA_Name", *value_columns])
    for column in value_columns:
        frame[column] = parse_numeric(frame[column], "smapey", file, column)
    return frame


def read_fingertips_fsm(raw_dir: Path) -> pd.DataFrame:
    """Read Fingertips indicator 90632 (FSM GLD %, 2012/13–2017/18, pre-2019 ONS codes)."""
    file = FINGERTIPS_FSM_FILE
    frame = read_csv(raw_dir, file, ["area_code", "area_name", "period", "value"])
    frame["year"] = academic_year_end(frame["period"], file, "period")
    frame["value"] = parse_numeric(frame["value"], "fingertips", file, "value")
    return frame


def read_fsm_cohorts(raw_dir: Path) -> pd.DataFrame:
    """Read the 2013–2019 cohort sizes by FSM group (from the communication and language rows)."""
    file = FSM_COHORT_FILE
    columns = [
        "time_period",
        "geographic_level",
        "region_code",
        "old_la_code",
        "new_la_code",
        "fsm",
        "area_of_learning",
        "number_of_pupils",
    ]
    frame = read_excel(raw_dir, file, columns, dtype=str)
    # Every child is assessed in every area of learning, so one area gives the cohort.
    frame = frame[frame["area_of_learning"] == "Communication and Language"].copy()
    frame["year"] = academic_year_end(frame["time_period"], file)
    frame["number_of_pupils"] = parse_numeric(frame["number_of_pupils"], "excel", file, "number_of_pupils")
    for column in ("region_code", "old_la_code", "new_la_code", "geographic_level", "fsm"):
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame


def read_districts_2019(raw_dir: Path) -> pd.DataFrame:
    """Read the 2018/19 district file (counts by FSM group).

    Its `time_period` and `time_identifier` values are swapped in the source; we read neither.
    """
    file = DISTRICT_2019_FILE
    columns = ["geographic_level", "LAD_Number", "lad_name", "fsm", "number_of_pupils", "gld_number"]
    frame = read_excel(raw_dir, file, columns, dtype=str)
    for column in ("number_of_pupils", "gld_number"):
        frame[column] = parse_numeric(frame[column], "district_2019", file, column)
    frame["LAD_Number"] = frame["LAD_Number"].fillna("").astype(str).str.strip()
    return frame


def read_national_2019(raw_dir: Path) -> pd.DataFrame:
    """Read England's 2012/13–2018/19 GLD counts for FSM and all other pupils (gender Total).

    The file's percentages are whole numbers; its counts are exact, so callers compute 1 dp.

    Returns:
        year, pupil_group ('fsm' | 'all_other'), number_of_pupils, gld_number.
    """
    file = NATIONAL_2019_FILE
    columns = ["time_period", "geographic_level", "characteristic_type", "gender", "number_of_pupils", "gld_number"]
    frame = read_excel(raw_dir, file, columns, dtype=str)
    for column in ("geographic_level", "characteristic_type", "gender"):
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    groups = {"FSM": "fsm", "All other pupils": "all_other"}
    frame = frame[
        (frame["geographic_level"] == "National")
        & (frame["gender"] == "Total")
        & frame["characteristic_type"].isin(groups)
    ].copy()
    frame["pupil_group"] = frame["characteristic_type"].map(groups)
    frame["year"] = academic_year_end(frame["time_period"], file)
    for column in ("number_of_pupils", "gld_number"):
        frame[column] = parse_numeric(frame[column], "excel", file, column)
    found = frame.groupby("pupil_group")["year"].nunique()
    if found.reindex(list(groups.values())).fillna(0).min() == 0:
        raise BuildError(f"data/raw/{file}: column 'characteristic_type' has no rows for FSM or all other pupils")
    return frame[["year", "pupil_group", "number_of_pupils", "gld_number"]].reset_index(drop=True)


def read_ward_hierarchy(raw_dir: Path) -> pd.DataFrame:
    """Read DfE's ward → district → LA hierarchy (used for 2019 district → LA)."""
    return read_csv(
        raw_dir,
        WARD_HIERARCHY_FILE,
        ["lad_code", "new_la_code", "first_available_year_included", "most_recent_year_included"],
    )


def read_population(raw_dir: Path) -> pd.DataFrame:
    """Read ONS mid-2023 population by single year of age for districts (ages 0–15).

    Ages above 5 are the cohorts already assessed: the cohort estimates are anchored on them.
    """
    file = POPULATION_FILE
    ages = [str(age) for age in range(0, 16)]
    frame = read_csv(raw_dir, file, ["code", "name", *ages])
    for column in ages:
        frame[column] = parse_numeric(frame[column], "ons", file, column)
    return frame


def read_ctyua_lookup(raw_dir: Path) -> pd.DataFrame:
    """Read the May 2024 ward → district → upper-tier LA lookup, district level only."""
    frame = read_csv(raw_dir, CTYUA_LOOKUP_FILE, ["LAD24CD", "CTYUA24CD", "CTYUA24NM"])
    return frame.drop_duplicates("LAD24CD")


def read_neighbours(raw_dir: Path, file: str) -> pd.DataFrame:
    """Read a statistical neighbour workbook: LA number, SN1..SN10 numbers and closeness bands."""
    path_columns = ["LA num", "LA Name"]
    # The sheet's column headers are on its third row; pairs of columns SNk, SNP follow.
    frame = read_excel(raw_dir, file, path_columns, sheet_name="LA SN Groups", header=2, dtype=str)
    raw = pd.read_excel(raw_dir / file, engine="calamine", sheet_name="LA SN Groups", header=2, dtype=str)
    headers = [str(column).strip() for column in raw.columns]
    rows = []
    for rank in range(1, 11):
        if f"SN{rank}" not in headers:
            raise BuildError(f"data/raw/{file}: column 'SN{rank}' is missing (found: {', '.join(headers[:12])}, …)")
        position = headers.index(f"SN{rank}")
        closeness_header = headers[position + 1] if position + 1 < len(headers) else ""
        if not closeness_header.startswith("SNP"):
            raise BuildError(f"data/raw/{file}: column after 'SN{rank}' should be 'SNP', found {closeness_header!r}")
        rows.append(
            pd.DataFrame(
                {
                    "la_number": frame["LA num"].to_numpy(),
                    "neighbour_number": raw.iloc[:, position].to_numpy(),
                    "neighbour_rank": rank,
                    "closeness": raw.iloc[:, position + 1].to_numpy(),
                }
            )
        )
    long = pd.concat(rows, ignore_index=True)
    for column in ("la_number", "neighbour_number", "closeness"):
        long[column] = long[column].astype("string").str.strip()
    long = long[long["la_number"].str.fullmatch(r"\d{3}").fillna(False)]
    return long


def read_iod2019_upper(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read IoD2019 upper-tier summaries: the IMD and IDACI sheets (joined after code fixes)."""
    file = IOD2019_UPPER_FILE
    code = "Upper Tier Local Authority District code (2019)"
    imd_columns = [
        code,
        "IMD - Average rank",
        "IMD - Average score",
        "IMD - Rank of average score",
        "IMD - Proportion of LSOAs in most deprived 10% nationally",
    ]
    idaci_columns = [
        code,
        "IDACI - Average rank",
        "IDACI - Average score",
        "IDACI - Rank of average score",
        "IDACI - Proportion  of LSOAs in most deprived 10% nationally",
    ]
    imd = read_excel(raw_dir, file, imd_columns, sheet_name="IMD").rename(columns={code: "source_code"})
    idaci = read_excel(raw_dir, file, idaci_columns, sheet_name="IDACI").rename(columns={code: "source_code"})
    return imd, idaci


def read_iod2025_upper(raw_dir: Path) -> pd.DataFrame:
    """Read IoD2025 upper-tier summaries (IMD measures only; this file has no IDACI)."""
    file = IOD2025_UPPER_FILE
    code = "Upper Tier Local Authority District code (2024)"
    columns = [
        code,
        "IMD - Average rank",
        "IMD - Average score",
        "IMD - Rank of average score",
        "IMD - Proportion of LSOAs in most deprived 10% nationally",
    ]
    frame = read_csv(raw_dir, file, columns)
    for column in columns[1:]:
        frame[column] = parse_numeric(frame[column], "iod", file, column)
    return frame.rename(columns={code: "source_code"})


def as_int_or_nan(values: pd.Series) -> pd.Series:
    """Round a float column of counts to whole numbers, keeping NaN (nullable Int64)."""
    return pd.Series(np.round(values.to_numpy(dtype="float64")), index=values.index).astype("Int64")
