"""How figures are written: each percentage at its source's precision, one unit for differences.

A value published as a whole number (LAIT's 2018/19 FSM figures, a target published as "74") is
shown as "56%", never "56.0%"; differences between percentages are "percentage points" everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

UNIT = "percentage points"


def missing(value: object) -> bool:
    """True for None and NaN (pandas' NA included)."""
    if value is None:
        return True
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except TypeError:
        return str(value) in ("<NA>", "nan")


def pct(value: float | None, decimals: int | None = 1, suffix: str = "%") -> str:
    """'56.5%' or, for a value published as a whole number (`decimals` 0), '56%'; '—' when missing."""
    if missing(value):
        return "—"
    places = 1 if missing(decimals) else int(decimals)
    return f"{float(value):.{places}f}{suffix}"


def points(value: float | None, decimals: int | None = 1, signed: bool = False, unit: bool = True) -> str:
    """A difference in percentage points: '8.4 percentage points', '+0.2 percentage points', '1 percentage point'."""
    if missing(value):
        return "—"
    places = 1 if missing(decimals) else int(decimals)
    text = f"{float(value):+.{places}f}" if signed else f"{float(value):.{places}f}"
    if not unit:
        return text
    return f"{text} {'percentage point' if abs(float(value)) == 1 and places == 0 else UNIT}"


def fewer_places(*decimals: int | None) -> int:
    """The precision of a value computed from others: the fewest decimal places among them."""
    known = [int(d) for d in decimals if not missing(d)]
    return min(known) if known else 1


def cell_text(value: object, number_format: str = "{:.1f}") -> str:
    """A value as table text (the page's static tables, the Word report): missing values '–', true
    flags 'yes', whole numbers with thousands commas, other numbers in `number_format`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return number_format.format(float(value))
    return str(value)
