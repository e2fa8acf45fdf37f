"""Known local authority reorganisations and code changes, in one named place.

DfE 3-digit LA numbers are stable across the ONS code changes below, so every source is first
brought to its 3-digit number and then to the current 9-character ONS code. Areas that no longer
exist (a predecessor split or merged into new LAs) are kept as *former LAs*: their values are
stored, but never copied into a successor's series.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGLAND_CODE = "E92000001"

# ONS codes replaced without any change of area. Old code -> (current code, year of change, note).
ONS_CODE_UPDATES: dict[str, tuple[str, int, str]] = {
    "E06000048": ("E06000057", 2013, "Northumberland: new ONS code, same area"),
    "E08000020": ("E08000037", 2013, "Gateshead: new ONS code, same area"),
    "E10000002": ("E06000060", 2020, "Buckinghamshire: county became a unitary, same area"),
    "E10000023": ("E06000065", 2023, "North Yorkshire: county became a unitary, same area"),
    "E10000027": ("E06000066", 2023, "Somerset: county became a unitary, same area"),
    "E08000016": ("E08000038", 2025, "Barnsley: new ONS code from May 2025, same area"),
    "E08000019": ("E08000039", 2025, "Sheffield: new ONS code from May 2025, same area"),
}


@dataclass(frozen=True)
class FormerLA:
    """A local authority that no longer exists because its area was reorganised."""

    la_number: str
    area_code: str
    name: str
    last_year: int  # last EYFSP year (academic year ending) in which it existed
    successors: tuple[str, ...]
    note: str


FORMER_LAS: tuple[FormerLA, ...] = (
    FormerLA(
        "835",
        "E10000009",
        "Dorset (county, before April 2019)",
        2018,
        ("E06000059", "E06000058"),
        "Split in April 2019: most of it became Dorset; Christchurch joined BCP.",
    ),
    FormerLA(
        "836",
        "E06000029",
        "Poole",
        2018,
        ("E06000058",),
        "Merged into Bournemouth, Christchurch and Poole in April 2019.",
    ),
    FormerLA(
        "837",
        "E06000028",
        "Bournemouth",
        2018,
        ("E06000058",),
        "Merged into Bournemouth, Christchurch and Poole in April 2019.",
    ),
    FormerLA(
        "928",
        "E10000021",
        "Northamptonshire",
        2019,
        ("E06000061", "E06000062"),
        "Split into North and West Northamptonshire in April 2021.",
    ),
    FormerLA(
        "909",
        "E10000006",
        "Cumbria",
        2022,
        ("E06000063", "E06000064"),
        "Split into Cumberland and Westmorland and Furness in April 2023.",
    ),
)

# The first EYFSP year in which a successor LA existed; other LAs existed throughout.
FIRST_YEAR: dict[str, int] = {
    "E06000058": 2019,  # Bournemouth, Christchurch and Poole
    "E06000059": 2019,  # Dorset (unitary)
    "E06000061": 2022,  # North Northamptonshire (created April 2021; no assessment in 2021)
    "E06000062": 2022,  # West Northamptonshire
    "E06000063": 2023,  # Cumberland
    "E06000064": 2023,  # Westmorland and Furness
}

# LAIT holds England, regions and London sub-totals under these 3-digit numbers.
LAIT_REGION_NUMBERS: dict[str, str] = {
    "970": ENGLAND_CODE,
    "980": "E12000001",
    "981": "E12000002",
    "982": "E12000003",
    "983": "E12000004",
    "984": "E12000005",
    "985": "E12000006",
    "986": "E12000007",
    "989": "E12000008",
    "990": "E12000009",
}
LAIT_IGNORED_NUMBERS = {"987", "988"}  # Inner and Outer London: not areas of this product

REGION_NAMES: dict[str, str] = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}


def current_code(ons_code: str) -> str:
    """Return the current ONS code for an LA code that only changed name, else the code itself."""
    seen = set()
    while ons_code in ONS_CODE_UPDATES and ons_code not in seen:
        seen.add(ons_code)
        ons_code = ONS_CODE_UPDATES[ons_code][0]
    return ons_code
