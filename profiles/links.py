"""Links made before the pages' settings were bound to the URL, turned into today's form.

Each setting is now a widget bound to its URL parameter (Streamlit's `bind="query-params"`): the link
carries what the widget shows, one parameter per chosen item (`?peers=Statistical neighbours (May
2025)`, `?dec=1&dec=3`). Links shared before December 2026 carry codes instead (`?peers=sn2025`,
`?dec=1-3`, `?wards=E05000001,E05000002`). `modernise` rewrites such a link's parameters so it opens
the same view; anything it does not recognise is left for the widgets, which ignore invalid values.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from profiles.areas import all_areas, area_name, resolve_code
from profiles.groups import PUPIL_CHOICES
from profiles.overview import MEASURES
from profiles.peers import MAX_CUSTOM, PEER_SETS
from profiles.wards import DECILE_FILTERS, WARD_MEASURES, parse_decile_range, ward_labels, ward_table

SWITCHES = {"1": "true", "0": "false"}


def _each(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _la_names(codes: list[str]) -> list[str]:
    """The names of the LAs among `codes` (old codes of unchanged areas redirected), each once."""
    areas = all_areas()
    names = areas.loc[areas["level"] == "la"].set_index("area_code")["name"]
    found = [resolve_code(code).code for code in codes]
    return list(dict.fromkeys(str(names[code]) for code in found if code in names.index))[:MAX_CUSTOM]


def _old_ward_codes(la: str | None) -> Callable[[list[str]], list[str]]:
    def convert(codes: list[str]) -> list[str]:
        labels = ward_labels(ward_table(la)) if la else {}
        return list(dict.fromkeys(labels[code.upper()] for code in codes if code.upper() in labels))

    return convert


def _mapping(table: dict[str, str]) -> Callable[[list[str]], list[str]]:
    return lambda values: [table[value] for value in values if value in table]


def _old_parameters(la: str | None) -> dict[str, tuple[Callable[[list[str]], bool], Callable[[list[str]], list[str]]]]:
    """For each parameter: how to tell an old-style value, and how to turn it into today's.

    An old value is told by its content, never by a comma alone: names have commas too ("Bristol,
    City of", "Greasby, Frankby and Irby"), and a name must never be taken for an old list
    (tests/test_profiles_links.py tries every name).
    """

    def one_of(table: dict[str, str]) -> Callable[[list[str]], bool]:
        return lambda values: len(values) == 1 and values[0] in table

    def codes_in(pattern: str) -> Callable[[list[str]], bool]:
        # One value of which some comma-separated item is a code: no name holds a code.
        item = re.compile(pattern, re.IGNORECASE)
        return lambda values: len(values) == 1 and any(item.fullmatch(part) for part in _each(values[0]))

    regions = set(all_areas().loc[lambda areas: areas["level"] == "region", "name"])

    def region_list(values: list[str]) -> bool:  # no region's name has a comma
        return len(values) == 1 and "," in values[0] and any(part in regions for part in _each(values[0]))

    def decile_range(values: list[str]) -> list[str]:
        parsed = parse_decile_range(values[0])
        return [str(parsed[0]), str(parsed[1])] if parsed else []

    return {
        "map": (one_of(MEASURES), _mapping({key: measure.choice for key, measure in MEASURES.items()})),
        "regions": (region_list, lambda values: _each(values[0])),
        "peers": (one_of(PEER_SETS), _mapping(PEER_SETS)),
        "with": (codes_in(r"E\d{8}"), lambda values: _la_names(_each(values[0]))),
        "pupils": (one_of(PUPIL_CHOICES), _mapping(PUPIL_CHOICES)),
        "similar": (one_of(SWITCHES), _mapping(SWITCHES)),
        "measure": (one_of(WARD_MEASURES), _mapping({key: measure.label for key, measure in WARD_MEASURES.items()})),
        "decby": (one_of(DECILE_FILTERS), _mapping(DECILE_FILTERS)),
        "dec": (codes_in(r"\d+-\d+"), decile_range),  # '1-3'; a reversed or out-of-range one is dropped
        "wards": (codes_in(r"E05\d{6}"), lambda values: _old_ward_codes(la)(_each(values[0]))),
        "districts": (one_of(SWITCHES), _mapping(SWITCHES)),
        "dgroup": (one_of(PUPIL_CHOICES), _mapping(PUPIL_CHOICES)),
    }


def modernise(params: dict[str, list[str]], la: str | None) -> tuple[dict[str, list[str]], list[str]] | None:
    """The parameters of an old-style link in today's form and a notice for each list that lost items
    (codes that are not LAs, wards that are not the LA's); None when there is nothing to change.

    Args:
        params: every URL parameter with all its values.
        la: the LA the link opens (old ward codes are named from its wards).
    """
    changed, notices = False, []
    out = dict(params)
    for key, (is_old, convert) in _old_parameters(la).items():
        values = params.get(key)
        if not values or not is_old(values):
            continue
        changed = True
        out[key] = convert(values)
        dropped = len(set(_each(values[0]))) - len(out[key]) if key in ("with", "wards") else 0
        if dropped > 0:
            what = "LAs" if key == "with" else f"wards of {area_name(la) if la else 'the LA'}"
            notices.append(f"Left out {dropped} item(s) of “{key}” in the link that are not {what}.")
        if key == "dec" and not out[key]:
            notices.append("Ignored “dec” in the link: it is not a range of deciles from 1 to 10.")
        if not out[key]:
            del out[key]
    return (out, notices) if changed else None


# Every value a page writes to the URL is a code, a number, a label (a measure, a peer set, a
# region, an LA or ward name) or one item of a list of those: letters, digits, spaces, the
# punctuation of those labels (, ' ( ) & . % = ! / – -) and _ (old links' codes, e.g. imd_decile).
# No colons, @, quotes or angle brackets; nothing from a link is echoed on a page apart from `la`,
# which `profiles.areas.resolve_code` checks itself. The longest label is 64 characters; the longest
# old-style value, every ward of Kent as codes, 2,649.
MAX_VALUE = 4000
VALUE_PATTERN = re.compile(r"[A-Za-z0-9 ,'()&.%=!/_–-]*")
# Settings that are lists, one parameter per item (Kent has about 300 wards); the decile range is two.
LISTS = {"regions": 9, "with": MAX_CUSTOM, "wards": 400, "dec": 2}
SHOWN_KEY = re.compile(r"[a-z_]{1,20}")


# Numbers a page accepts: a link outside them is dropped with a notice, not quietly reset.
RANGES = {"minkids": (0, 100_000), "dec": (1, 10)}


def _names(keys: list[str]) -> str:
    shown = [f"“{key}”" if SHOWN_KEY.fullmatch(key) else "a setting" for key in keys]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _out_of_range(key: str, values: list[str]) -> bool:
    if key not in RANGES:
        return False
    low, high = RANGES[key]
    return not all(value.isascii() and value.lstrip("-").isdigit() and low <= int(value) <= high for value in values)


def clean(params: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Drop what no page could have written, before any page reads it; one notice for each kind.

    A value too long or with a character no label has is removed, so a page only ever parses short
    plain text and never echoes markup from a link; a number outside what its setting takes is
    removed too. A setting given more than once keeps its first value (a list keeps its first items
    up to its length). `la` keeps its first value silently: the LA picker explains a repeated or bad
    code itself. However many settings a link spoils, it gets one notice of each kind.
    """
    out, refused, outside, repeated = {}, [], [], []
    for key, values in params.items():
        if key == "la":
            out[key] = values[:1]
            continue
        if any(len(value) > MAX_VALUE or not VALUE_PATTERN.fullmatch(value) for value in values):
            refused.append(key)
            continue
        allowed = LISTS.get(key, 1)
        if len(values) > allowed:
            repeated.append(key)
        if _out_of_range(key, values[:allowed]) and not (key == "dec" and len(values) == 1 and "-" in values[0]):
            outside.append(key)  # (an old-style 'dec=1-3' is checked as it is turned into today's form)
            continue
        out[key] = values[:allowed]
    notices = []
    if len(refused) > 10:
        notices.append(
            f"Ignored {len(refused)} settings in the link: their values are too long or have characters no "
            "setting uses."
        )
    elif refused:
        verb = "its value is" if len(refused) == 1 else "their values are"
        notices.append(f"Ignored {_names(refused)} in the link: {verb} too long or has characters no setting uses.")
    if outside:
        notices.append(
            f"Ignored {_names(outside[:5])} in the link: outside what the setting takes (children 0 to 100,000; "
            "deciles 1 to 10)."
        )
    if repeated:
        notices.append(f"The link gave {_names(repeated[:5])} more than once; using the first value.")
    return out, notices


def tidy(params: dict[str, list[str]], la: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """A link's parameters cleaned (`clean`) and in today's form (`modernise`), with every notice."""
    cleaned, notices = clean(params)
    modern = modernise(cleaned, la)
    if modern is None:
        return cleaned, notices
    return modern[0], notices + modern[1]
