"""Areas (England, regions, the 153 LAs) and the resolution of any source's LA code to a current one."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from etl.errors import BuildError
from etl.reorganisations import (
    ENGLAND_CODE,
    FIRST_YEAR,
    FORMER_LAS,
    LAIT_IGNORED_NUMBERS,
    LAIT_REGION_NUMBERS,
    ONS_CODE_UPDATES,
    REGION_NAMES,
    current_code,
)

ONS_LA_PATTERN = r"E0[6-9]\d{6}|E10\d{6}"
EXPECTED_LA_COUNT = 153


@dataclass
class AreaResolver:
    """Maps DfE 3-digit numbers and (old or current) ONS codes to the code used in our tables.

    Current LAs resolve to their current ONS code; former LAs (split or merged) to their own
    code; regions and England to theirs. Anything else raises a BuildError naming the source.
    """

    number_to_code: dict[str, str]
    ons_to_number: dict[str, str]
    current_codes: set[str]
    former_codes: set[str] = field(default_factory=set)

    def from_number(self, number: str, file: str, column: str) -> str | None:
        """Resolve a 3-digit LA number; None for areas we deliberately ignore (Inner/Outer London)."""
        number = str(number).strip()
        if number in LAIT_IGNORED_NUMBERS:
            return None
        code = self.number_to_code.get(number) or LAIT_REGION_NUMBERS.get(number)
        if code is None:
            raise BuildError(f"data/raw/{file}: column '{column}' has an unknown LA number {number!r}")
        return code

    def from_ons(self, ons_code: str, file: str, column: str) -> str:
        """Resolve an ONS code, old or current, for an LA, a region or England."""
        ons_code = str(ons_code).strip()
        if ons_code == ENGLAND_CODE or ons_code in REGION_NAMES:
            return ons_code
        updated = current_code(ons_code)
        if updated in self.current_codes or updated in self.former_codes:
            return updated
        number = self.ons_to_number.get(ons_code)
        if number is not None and number in self.number_to_code:
            return self.number_to_code[number]
        raise BuildError(f"data/raw/{file}: column '{column}' has an unknown LA code {ons_code!r}")

    def map_numbers(self, numbers: pd.Series, file: str, column: str) -> pd.Series:
        """Vector form of from_number (each distinct value resolved once)."""
        mapping = {value: self.from_number(value, file, column) for value in numbers.dropna().unique()}
        return numbers.map(mapping)

    def map_ons(self, codes: pd.Series, file: str, column: str) -> pd.Series:
        """Vector form of from_ons (each distinct value resolved once)."""
        mapping = {value: self.from_ons(value, file, column) for value in codes.dropna().unique()}
        return codes.map(mapping)


def build_areas(las: pd.DataFrame) -> tuple[pd.DataFrame, AreaResolver]:
    """Build the `areas` table and the code resolver from DfE's LA lookup.

    Parameters:
        las: `read_las` output.

    Returns:
        (areas, resolver). `areas` has area_code, la_number, name, level, region_code,
        region_name, first_year (first EYFSP year in which the LA existed, null if always).

    Raises:
        BuildError: the lookup does not give exactly 153 current LAs.
    """
    live = las[(las["status"] == "live") & las["new_la_code"].str.fullmatch(ONS_LA_PATTERN)]
    if len(live) != EXPECTED_LA_COUNT:
        raise BuildError(
            f"data/raw/dfe-published-data-qa/las.csv: expected {EXPECTED_LA_COUNT} live LAs, found {len(live)}"
        )
    las_rows = pd.DataFrame(
        {
            "area_code": live["new_la_code"].to_numpy(),
            "la_number": live["old_la_code"].str.zfill(3).to_numpy(),
            "name": live["la_name"].to_numpy(),
            "level": "la",
            "region_code": live["parent_geography_code"].to_numpy(),
        }
    )
    regions = pd.DataFrame(
        {
            "area_code": list(REGION_NAMES),
            "la_number": [n for code in REGION_NAMES for n, c in LAIT_REGION_NUMBERS.items() if c == code],
            "name": list(REGION_NAMES.values()),
            "level": "region",
            "region_code": list(REGION_NAMES),
        }
    )
    england = pd.DataFrame(
        [{"area_code": ENGLAND_CODE, "la_number": "970", "name": "England", "level": "england", "region_code": None}]
    )
    areas = pd.concat([england, regions, las_rows], ignore_index=True)
    areas["region_name"] = areas["region_code"].map(REGION_NAMES)
    areas["first_year"] = areas["area_code"].map(FIRST_YEAR).astype("Int64")

    number_to_code = dict(zip(las_rows["la_number"], las_rows["area_code"]))
    for former in FORMER_LAS:
        number_to_code[former.la_number] = former.area_code
    digits = las[las["old_la_code"].str.fullmatch(r"\d{3}")]
    ons_to_number = dict(zip(digits["new_la_code"], digits["old_la_code"]))
    resolver = AreaResolver(
        number_to_code=number_to_code,
        ons_to_number=ons_to_number,
        current_codes=set(las_rows["area_code"]),
        former_codes={former.area_code for former in FORMER_LAS},
    )
    return areas, resolver


def build_former_las() -> pd.DataFrame:
    """One row per former LA: code, 3-digit number, name, last year, successor codes, note."""
    return pd.DataFrame(
        [
            {
                "area_code": former.area_code,
                "la_number": former.la_number,
                "name": former.name,
                "last_year": former.last_year,
                "successor_codes": ", ".join(former.successors),
                "note": former.note,
            }
            for former in FORMER_LAS
        ]
    )


def build_code_history() -> pd.DataFrame:
    """`area_code_history`: old code → current code(s), the year of change and a note."""
    rows = [
        {"old_code": old, "current_code": new, "year": year, "change": "code change", "note": note}
        for old, (new, year, note) in ONS_CODE_UPDATES.items()
    ]
    for former in FORMER_LAS:
        for successor in former.successors:
            rows.append(
                {
                    "old_code": former.area_code,
                    "current_code": successor,
                    "year": FIRST_YEAR.get(successor, former.last_year + 1),
                    "change": "reorganisation",
                    "note": f"{former.name}: {former.note}",
                }
            )
    return pd.DataFrame(rows)
