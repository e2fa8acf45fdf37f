"""Context tables: FSM eligibility, other LAIT measures, statistical neighbours, LA deprivation, 2028 targets."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from etl import raw_files, readers
from etl.ambition import ENGLAND_AMBITION, ENGLAND_AMBITION_SOURCE
from etl.areas import AreaResolver
from etl.errors import BuildError
from etl.reorganisations import ENGLAND_CODE, FIRST_YEAR, FORMER_LAS

# LAIT measures kept as context, with the unit we show. See data/SCHEMA.md for what `year` means
# for each (academic year, January census or financial year).
CONTEXT_MEASURES = {
    "Ever6_FSM_Prim": "% of pupils",
    "EALPri": "% of pupils",
    "ChildPov": "% of children",
    "%_2yr_olds": "% of eligible 2-year-olds",
    "No_2yr_olds": "children",
    "%_3&4yr_olds": "% of 3- and 4-year-olds",
    "HCP_PHOF": "% of children reviewed at 2 to 2½",
    "FSP_Gooddev_With_SENSTATE": "% achieving GLD",
    "FSP_Gooddev_Without_SENSTATE": "% achieving GLD",
    "FSP_Gooddev_White": "% achieving GLD",
    "FSP_Gooddev_Black": "% achieving GLD",
    "FSP_Gooddev_Asian": "% achieving GLD",
    "FSP_Gooddev_Mixed": "% achieving GLD",
    "FSP_Gooddev_Chinese": "% achieving GLD",
    "FSP_Gooddev_Other": "% achieving GLD",
    "FSPAVEPreChild": "average number of goals",
    "FSP_NEW_COMMS": "% at the expected level",
    "FSP_NEW_PHY": "% at the expected level",
    "FSP_NEW_PSE": "% at the expected level",
    "FSP_NEW_LIT": "% at the expected level",
    "FSP_NEW_MATHS": "% at the expected level",
    "FSP_NEW_WORLD": "% at the expected level",
    "FSP_NEW_ART": "% at the expected level",
    "FSP_NEW_ALL-ELGS": "% at the expected level",
}
# Our own labels, in plain English, preferred to LAIT's dictionary: its titles are terse ("Foundation
# Stage - Communication & Language"), and its data items misspelt ("expetced"). Measures not listed
# here take the dictionary's title. An area of learning counts children at the expected level in
# every early learning goal of that area.
LABELS = {
    "ChildPov": "Children in relative low income families (under 16)",
    "%_2yr_olds": "Eligible 2-year-olds (families receiving additional support) benefiting from funded early education",
    "No_2yr_olds": "2-year-olds benefiting from funded early education (families receiving additional support)",
    "%_3&4yr_olds": "3- and 4-year-olds benefiting from some funded early education",
    "HCP_PHOF": "Children aged 2 to 2½ offered the ASQ-3 questionnaire at their health visitor review",
    "FSPAVEPreChild": "Average number of early learning goals at the expected level per child",
    "FSP_NEW_COMMS": "Children at the expected level in communication and language",
    "FSP_NEW_PHY": "Children at the expected level in physical development",
    "FSP_NEW_PSE": "Children at the expected level in personal, social and emotional development",
    "FSP_NEW_LIT": "Children at the expected level in literacy",
    "FSP_NEW_MATHS": "Children at the expected level in mathematics",
    "FSP_NEW_WORLD": "Children at the expected level in understanding the world",
    "FSP_NEW_ART": "Children at the expected level in expressive arts and design",
    "FSP_NEW_ALL-ELGS": "Children at the expected level in all 17 early learning goals",
}
# LAIT files some values under the wrong year. (measure, year in LAIT) -> the academic year they
# belong to. GLD of Chinese children for 2021/22 sits under 2021, when no one was assessed, and the
# series has no 2022: England 74.9 and London 79.8 under 2021 are the official 2021/22 file's.
LAIT_YEAR_FIXES = {("FSP_Gooddev_Chinese", 2021): 2022}
# Measures published for today's LAs back to years before some of them existed: DWP back-casts its
# child poverty series on current boundaries (Cumberland FYE 2022). For every other measure a value
# under an LA before it existed is its predecessor's (LAIT files Dorset county's 2017/18 GLD by
# ethnic group under the unitary Dorset, as it does for GLD: `etl.gld.fix_lait_dorset`) and is dropped.
BACK_CAST_MEASURES = ("ChildPov",)
# LAIT's values are text with float artefacts ("92.337760000000003"); no measure is published with
# more than 10 significant digits, so rounding to 10 removes the artefact and keeps the published value.
SIGNIFICANT_DIGITS = 10

TARGET_UPLIFT = 9.0
DERIVED_BASIS = "derived: 2023/24 + 9.0 percentage points"
# A year group smaller than this gives a GLD percentage whose 95% interval (about ±9 points at 100
# children) is as wide as the target uplift: targets derived from it are flagged low reliability.
TINY_COHORT = 100
TARGET_BASE_YEAR = 2024
PUPIL_GROUPS = ("all", "fsm")
PUBLISHED_TARGET_COLUMNS = ("area_code", "pupil_group", "target", "source")
# A target as published: a whole number or a decimal ("74", "73.3"); not "7.3e1", "73.3%" or "nan".
PUBLISHED_TARGET_FORMAT = re.compile(r"[0-9]+(\.[0-9]+)?")


def current_areas_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows of former LAs (their LAIT context is not needed) and ignored areas."""
    former = {f.area_code for f in FORMER_LAS}
    return frame[frame["area_code"].notna() & ~frame["area_code"].isin(former)]


def build_fsm_eligibility(lait: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """`fsm_eligibility`: area_code, year, pct_primary_fsm, pct_secondary_fsm (January census)."""
    frame = lait[lait["measure"].isin(["PriFSM", "SecFSM"])].copy()
    frame["area_code"] = resolver.map_numbers(frame["la_number"], raw_files.LAIT_FILE, "LA Number")
    frame = current_areas_only(frame)
    wide = frame.pivot_table(index=["area_code", "year"], columns="measure", values="value", aggfunc="first")
    wide = wide.reset_index().rename(columns={"PriFSM": "pct_primary_fsm", "SecFSM": "pct_secondary_fsm"})
    wide.columns.name = None
    wide = wide.dropna(subset=["pct_primary_fsm", "pct_secondary_fsm"], how="all")
    return wide[["area_code", "year", "pct_primary_fsm", "pct_secondary_fsm"]]


def published_value(text: str) -> tuple[float, int]:
    """A LAIT value's number and the decimal places it was published with, float artefacts removed.

    Text with more than SIGNIFICANT_DIGITS significant digits is a float artefact: it is rounded to
    that many and trailing zeros dropped ("92.337760000000003" -> 92.33776, 5 places;
    "18.989999999999998" -> 18.99, 2). Shorter text keeps its own places ("77.7" -> 1, "67" -> 0).

    Raises:
        ValueError: the text is not a number (callers drop LAIT's `-` first).
    """
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {text!r}")
    if len(number.as_tuple().digits) > SIGNIFICANT_DIGITS:
        places = Decimal(1).scaleb(number.adjusted() - SIGNIFICANT_DIGITS + 1)
        number = number.quantize(places, rounding=ROUND_HALF_EVEN).normalize()
    return float(number), max(0, -int(number.as_tuple().exponent))


def fix_lait_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Move the values LAIT files under the wrong year (LAIT_YEAR_FIXES) to their academic year.

    Parameters:
        frame: LAIT rows with values (missing ones already dropped): la_number, measure, year.

    Returns:
        The same rows, moved ones with their right year; a moved value never replaces one LAIT
        gives for that year itself.
    """
    moved = pd.Series(False, index=frame.index)
    years = frame["year"].copy()
    for (measure, wrong), right in LAIT_YEAR_FIXES.items():
        rows = (frame["measure"] == measure) & (frame["year"] == wrong)
        years[rows] = right
        moved |= rows
    fixed = frame.assign(year=years, _moved=moved).sort_values("_moved", kind="stable")
    fixed = fixed.drop_duplicates(["la_number", "measure", "year"]).sort_index()
    return fixed.drop(columns="_moved")


def build_context_measures(lait: pd.DataFrame, dictionary: pd.DataFrame, resolver: AreaResolver) -> pd.DataFrame:
    """`context_measures`: area_code, year, measure, label, unit, value, decimals.

    One row per published value for England, the 9 regions and the current LAs. LAIT's `-` (not
    available or suppressed) gives no row; former LAs and Inner/Outer London are left out, and so are
    values under an LA for years before it existed (BACK_CAST_MEASURES excepted). `value` is as
    published, float artefacts removed (`published_value`); `decimals` its published places.

    Parameters:
        lait: `readers.read_lait` output (with `published`, the value's text).
        dictionary: `readers.read_lait_dictionary` output (titles of measures not in LABELS).
        resolver: maps LAIT's 3-digit numbers to area codes.
    """
    frame = fix_lait_years(lait[lait["measure"].isin(CONTEXT_MEASURES) & lait["value"].notna()])
    frame["area_code"] = resolver.map_numbers(frame["la_number"], raw_files.LAIT_FILE, "LA Number")
    frame = current_areas_only(frame)
    before = frame["year"] < frame["area_code"].map(FIRST_YEAR).fillna(0)
    frame = frame[~before | frame["measure"].isin(BACK_CAST_MEASURES)].copy()
    precision = {text: published_value(text) for text in frame["published"].unique()}
    frame["value"] = frame["published"].map(lambda text: precision[text][0]).astype("float64")
    frame["decimals"] = frame["published"].map(lambda text: precision[text][1]).astype("int64")
    titles = dictionary.drop_duplicates("measure").set_index("measure")["label"].to_dict()
    frame["label"] = frame["measure"].map(lambda m: LABELS.get(m) or titles.get(m) or m)
    frame["unit"] = frame["measure"].map(CONTEXT_MEASURES)
    columns = ["area_code", "year", "measure", "label", "unit", "value", "decimals"]
    return frame[columns].sort_values(["measure", "area_code", "year"]).reset_index(drop=True)


def build_neighbours(raw_dir: Path, resolver: AreaResolver, current_codes: set[str]) -> pd.DataFrame:
    """`statistical_neighbours` for the May 2025 and April 2021 sets, current LAs only.

    Rows for LAs that no longer exist are dropped; in the 2021 set, a neighbour that no longer
    exists is kept with its former code so the set is not silently shortened.
    """
    parts = []
    for sn_set, file in (("2025", raw_files.SN_2025_FILE), ("2021", raw_files.SN_2021_FILE)):
        long = readers.read_neighbours(raw_dir, file)
        long = long[long["neighbour_number"].str.fullmatch(r"\d{3}").fillna(False)]
        long["area_code"] = resolver.map_numbers(long["la_number"], file, "LA num")
        long["neighbour_code"] = resolver.map_numbers(long["neighbour_number"], file, "SN")
        long = long[long["area_code"].isin(current_codes)]
        long["closeness"] = long["closeness"].str.strip().str.capitalize()
        long["sn_set"] = sn_set
        parts.append(long[["area_code", "neighbour_code", "neighbour_rank", "closeness", "sn_set"]])
    out = pd.concat(parts, ignore_index=True)
    out["neighbour_rank"] = out["neighbour_rank"].astype("int64")
    return out


def build_deprivation(raw_dir: Path, resolver: AreaResolver) -> pd.DataFrame:
    """`deprivation_la`: IoD2019 and IoD2025 upper-tier summaries, one row per LA and edition.

    IoD2019 is on 2019 LA boundaries: LAs created since (BCP and Dorset excepted, which are in it)
    have no IoD2019 row; the IoD2025 file covers all 153 current codes.
    """
    imd19, idaci19 = readers.read_iod2019_upper(raw_dir)
    for sheet in (imd19, idaci19):
        # A known error in the source: Slough's code is mistyped on the IMD sheet.
        sheet["source_code"] = sheet["source_code"].astype(str).str.strip().replace({"E0600003": "E06000039"})
    iod19 = imd19.merge(idaci19, on="source_code", how="outer")
    iod19 = iod19[iod19["source_code"].str.match(r"E0[6-9]|E10")]
    iod19["area_code"] = resolver.map_ons(
        iod19["source_code"], raw_files.IOD2019_UPPER_FILE, "Upper Tier Local Authority District code (2019)"
    )
    iod19 = current_areas_only(iod19)
    iod25 = readers.read_iod2025_upper(raw_dir)
    iod25 = iod25[iod25["source_code"].str.match(r"E0[6-9]|E10")]
    iod25["area_code"] = resolver.map_ons(
        iod25["source_code"], raw_files.IOD2025_UPPER_FILE, "Upper Tier Local Authority District code (2024)"
    )

    def shape(frame: pd.DataFrame, edition: str, has_idaci: bool) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "area_code": frame["area_code"].to_numpy(),
                "edition": edition,
                "imd_avg_rank": frame["IMD - Average rank"].astype(float).to_numpy(),
                "imd_avg_score": frame["IMD - Average score"].astype(float).to_numpy(),
                "imd_rank_of_avg_score": frame["IMD - Rank of average score"].astype(float).to_numpy(),
                "imd_prop_lsoas_most_deprived_10pct": frame["IMD - Proportion of LSOAs in most deprived 10% nationally"]
                .astype(float)
                .to_numpy(),
            }
        )
        if has_idaci:
            out["idaci_avg_rank"] = frame["IDACI - Average rank"].astype(float).to_numpy()
            out["idaci_avg_score"] = frame["IDACI - Average score"].astype(float).to_numpy()
            out["idaci_rank_of_avg_score"] = frame["IDACI - Rank of average score"].astype(float).to_numpy()
            out["idaci_prop_lsoas_most_deprived_10pct"] = (
                frame["IDACI - Proportion  of LSOAs in most deprived 10% nationally"].astype(float).to_numpy()
            )
        else:
            for column in (
                "idaci_avg_rank",
                "idaci_avg_score",
                "idaci_rank_of_avg_score",
                "idaci_prop_lsoas_most_deprived_10pct",
            ):
                out[column] = np.nan
        return out

    out = pd.concat([shape(iod19, "IoD2019", True), shape(iod25, "IoD2025", False)], ignore_index=True)
    # Ranks run over the LAs of each edition's own boundaries (151 in 2019, 153 in 2025).
    out["rank_of_avg_score_out_of"] = out.groupby("edition")["imd_rank_of_avg_score"].transform("max").astype("int64")
    return out


def derive_targets(gld: pd.DataFrame, la_codes: list[str], published: pd.DataFrame) -> pd.DataFrame:
    """`targets_2028`: each LA's 2028 targets for all and FSM children, plus England at 75.

    Rule: target = 2023/24 GLD + 9.0 percentage points, for all and FSM alike (it reproduces
    every published target). A published value overrides a derived one and keeps its citation and
    its published precision (`decimals`). Where the rule gives more than 100 % or there is no
    2023/24 value, the target is 'not derivable' (null); nothing is capped. A derived target whose
    2023/24 value comes from fewer than TINY_COHORT children is flagged low reliability, with a note
    saying why.

    Parameters:
        gld: the `gld` table (area_code, year, pupil_group, pct; `children` when known).
        la_codes: the 153 current LA codes.
        published: `read_published_targets` output (area_code, pupil_group, target, decimals,
            source), already checked there.
    """
    in_base = gld[gld["year"] == TARGET_BASE_YEAR]
    base = in_base.pivot_table(index="area_code", columns="pupil_group", values="pct", aggfunc="first")
    cohorts = (
        in_base.pivot_table(index="area_code", columns="pupil_group", values="children", aggfunc="first")
        if "children" in in_base
        else pd.DataFrame()
    )
    rows = []
    for code in la_codes:
        row = {"area_code": code}
        for group in PUPIL_GROUPS:
            value = base.at[code, group] if code in base.index and group in base.columns else np.nan
            derived = round(value + TARGET_UPLIFT, 1) if pd.notna(value) else np.nan
            cohort = cohorts.at[code, group] if code in cohorts.index and group in cohorts.columns else np.nan
            row |= {f"decimals_{group}": 1, f"note_{group}": None, f"source_{group}": None}
            if pd.notna(derived) and derived <= 100:
                row |= {f"target_{group}": derived, f"basis_{group}": DERIVED_BASIS}
                row[f"note_{group}"] = small_cohort_note(cohort)
            else:
                row |= {f"target_{group}": np.nan, f"basis_{group}": "not derivable"}
        rows.append(row)
    targets = pd.DataFrame(rows)
    for entry in published.itertuples(index=False):
        mask = targets["area_code"] == entry.area_code
        group = entry.pupil_group
        targets.loc[mask, f"target_{group}"] = entry.target
        targets.loc[mask, f"basis_{group}"] = "published"
        targets.loc[mask, f"source_{group}"] = entry.source
        targets.loc[mask, f"decimals_{group}"] = entry.decimals
        targets.loc[mask, f"note_{group}"] = None
    england = {
        "area_code": ENGLAND_CODE,
        "target_all": ENGLAND_AMBITION,
        "basis_all": "published",
        "source_all": ENGLAND_AMBITION_SOURCE,
        "decimals_all": 0,
        "note_all": None,
        "target_fsm": np.nan,
        "basis_fsm": "not derivable",
        "source_fsm": None,
        "decimals_fsm": 1,
        "note_fsm": None,
    }
    targets = pd.concat([pd.DataFrame([england]), targets], ignore_index=True)
    targets["basis"] = np.where(targets["basis_all"] == targets["basis_fsm"], targets["basis_all"], "mixed")
    sources = targets[["source_all", "source_fsm"]].apply(
        lambda r: "; ".join(dict.fromkeys(s for s in r if isinstance(s, str))) or None, axis=1
    )
    targets["source"] = sources
    for group in ("all", "fsm"):
        targets[f"decimals_{group}"] = targets[f"decimals_{group}"].astype("int64")
        targets[f"low_reliability_{group}"] = targets[f"note_{group}"].notna()
    return targets[
        [
            "area_code",
            "target_all",
            "target_fsm",
            "decimals_all",
            "decimals_fsm",
            "basis",
            "basis_all",
            "basis_fsm",
            "source",
            "source_all",
            "source_fsm",
            "low_reliability_all",
            "low_reliability_fsm",
            "note_all",
            "note_fsm",
        ]
    ]


def small_cohort_note(children: float) -> str | None:
    """Why a derived target is low reliability, or None: its 2023/24 value comes from under TINY_COHORT children.

    With fewer than 100 children the 95% interval of a GLD percentage is about ±9 points or wider,
    as wide as the 9.0-point uplift itself, so the target mostly reflects one year's chance.
    """
    if pd.isna(children) or children >= TINY_COHORT:
        return None
    return (
        f"Low reliability: derived from a 2023/24 result of about {int(children)} children (estimated), so that "
        "year's value could be 9 percentage points or more away from the underlying level by chance alone; "
        "confirm the target with DfE and enter it above."
    )


def read_published_targets(path: Path, la_codes: Iterable[str]) -> pd.DataFrame:
    """Read and check the hand-edited list of published 2028 targets (`data/published_targets.csv`).

    One target per line: area_code (a current LA), pupil_group ('all' | 'fsm'), target (as
    published, e.g. 74 or 73.3: above 0 and at most 100), source (its citation). A source holding
    a comma goes in double quotes. Blank lines and lines starting with # are skipped.

    Parameters:
        path: the CSV file.
        la_codes: the current LA codes; a target for any other area is refused.

    Returns:
        area_code, pupil_group, target (float), decimals (int, the published precision: "74" is 0,
        "73.3" is 1), source and line (its line in the file), one row per LA and pupil group.

    Raises:
        BuildError: the first problem, as `data/published_targets.csv line N (area group): problem`:
            a line that is not CSV or has the wrong number of fields, an unknown area or pupil
            group, a target that is empty, not a number or not a percentage, an empty source, or
            a second row for the same LA and pupil group. Also a missing file, column or encoding.
    """
    label = f"data/{path.name}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BuildError(f"{label}: the list of published 2028 targets is missing") from None
    except UnicodeDecodeError as error:
        raise BuildError(f"{label}: not UTF-8 text (byte {error.start}: {error.reason}); save it as UTF-8") from None
    known = set(la_codes)
    header: list[str] | None = None
    rows: list[dict] = []
    first_line: dict[tuple[str, str], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = [field.strip() for field in next(csv.reader([line], strict=True))]
        except csv.Error as error:
            raise BuildError(
                f"{label} line {number}: not valid CSV ({error}); a source holding a comma or a quote goes in "
                'double quotes, with any quote inside doubled ("")'
            ) from None
        if header is None:
            header = fields
            missing = [column for column in PUBLISHED_TARGET_COLUMNS if column not in header]
            if missing:
                raise BuildError(
                    f"{label} line {number}: column '{missing[0]}' is missing (found: {', '.join(header)})"
                )
            continue
        if len(fields) != len(header):
            raise BuildError(
                f"{label} line {number}: {len(fields)} fields, the header has {len(header)} "
                "(a source holding a comma goes in double quotes)"
            )
        row = dict(zip(header, fields, strict=True))
        where = f"{label} line {number}" + (f" ({row['area_code']} {row['pupil_group']})" if row["area_code"] else "")
        target, decimals = _published_target(row, known, where)
        key = (row["area_code"], row["pupil_group"])
        if key in first_line:
            raise BuildError(
                f"{where}: a second target for this LA and pupil group (the first is on line {first_line[key]}); "
                "keep one row"
            )
        first_line[key] = number
        rows.append(
            {
                "area_code": row["area_code"],
                "pupil_group": row["pupil_group"],
                "target": target,
                "decimals": decimals,
                "source": row["source"],
                "line": number,
            }
        )
    if header is None:
        raise BuildError(f"{label}: no header line ({', '.join(PUBLISHED_TARGET_COLUMNS)})")
    return pd.DataFrame(rows, columns=["area_code", "pupil_group", "target", "decimals", "source", "line"])


def _published_target(row: dict[str, str], la_codes: set[str], where: str) -> tuple[float, int]:
    """Check one row of published_targets.csv; return its target and decimal places, or raise naming `where`."""
    code, group, text = row["area_code"], row["pupil_group"], row["target"]
    if code == ENGLAND_CODE:
        raise BuildError(f"{where}: England's ambition is set in etl/ambition.py, not in this list")
    if code not in la_codes:
        raise BuildError(f"{where}: unknown area_code {code!r} (not a current LA code)")
    if group not in PUPIL_GROUPS:
        raise BuildError(f"{where}: pupil_group must be 'all' or 'fsm', found {group!r}")
    if not text:
        raise BuildError(f"{where}: target is empty; enter it as published (e.g. 74 or 73.3) or delete the row")
    if not PUBLISHED_TARGET_FORMAT.fullmatch(text):
        raise BuildError(f"{where}: target {text!r} is not a number; write it as published (e.g. 74 or 73.3)")
    value = float(text)
    if not 0 < value <= 100:
        raise BuildError(f"{where}: target {text!r} is not a percentage (above 0, at most 100)")
    if not row["source"]:
        raise BuildError(f"{where}: source is empty; every published target needs its citation")
    return value, len(text.partition(".")[2])
