"""Areas for the picker, and turning a code from a URL into a current area (or a polite notice)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from profiles.db import query

ENGLAND = "E92000001"
CODE_PATTERN = re.compile(r"E\d{8}")
MAX_CODE_LENGTH = 40
# URL text is echoed in a notice only when it could be a mistyped code: no dots, colons, slashes,
# brackets or @, so the notice's markdown can never turn it into a link.
ECHOABLE = re.compile(r"[A-Z0-9 _-]+")


@st.cache_data(show_spinner=False)
def all_areas() -> pd.DataFrame:
    """Every area: code, name, level, region code and name, 3-digit number, first year."""
    return query("SELECT * FROM areas ORDER BY level <> 'england', level <> 'region', name")


@st.cache_data(show_spinner=False)
def picker_options() -> tuple[list[str], dict[str, str]]:
    """Codes for the LA picker (England first, then the 153 LAs by name) and their labels."""
    areas = all_areas()
    rows = areas[areas["level"].isin(["england", "la"])]
    labels = {
        row.area_code: (row.name if row.level == "england" else f"{row.name} ({row.area_code} · {row.la_number})")
        for row in rows.itertuples()
    }
    return list(labels), labels


@st.cache_data(show_spinner=False)
def la_names() -> dict[str, str]:
    """The 153 LAs' codes and names, by name."""
    areas = all_areas()
    las = areas[areas["level"] == "la"].sort_values("name")
    return dict(zip(las["area_code"], las["name"]))


def area_name(code: str) -> str:
    """The name of an area code (the code itself if unknown)."""
    areas = all_areas().set_index("area_code")
    return str(areas.at[code, "name"]) if code in areas.index else code


def area_row(code: str) -> dict:
    """One area as a dict."""
    return all_areas().set_index("area_code").loc[code].to_dict() | {"area_code": code}


@dataclass(frozen=True)
class Resolution:
    """What a code from the URL resolves to: a current code (or None) and a notice to show."""

    code: str | None
    notice: str | None = None


@st.cache_data(show_spinner=False)
def _history() -> pd.DataFrame:
    return query("SELECT * FROM area_code_history")


def _echo(text: str) -> str | None:
    """`text` as a notice may quote it (cut to MAX_CODE_LENGTH), or None if it must not be quoted."""
    head = text[:MAX_CODE_LENGTH]
    if not ECHOABLE.fullmatch(head):
        return None
    return head.replace("_", "\\_") + ("…" if len(text) > MAX_CODE_LENGTH else "")


def resolve_code(raw: str | None) -> Resolution:
    """Resolve a code given in the URL (`?la=`) to a current area.

    Accepts current LA codes and England; redirects old codes of unchanged areas (e.g. Barnsley's
    E08000016) with a notice; explains reorganised LAs; rejects anything else politely. The text
    is only compared with known codes: it never reaches a query.
    """
    if raw is None or raw == "":
        return Resolution(None)
    text = str(raw).strip().upper()
    codes, _ = picker_options()
    if text in codes:
        return Resolution(text)
    if not CODE_PATTERN.fullmatch(text):
        shown = _echo(text)
        quoted = f"“{shown}”" if shown else "The area code in the link"
        return Resolution(None, f"{quoted} is not a local authority code. Choose a local authority below.")
    history = _history()
    matches = history[history["old_code"] == text]
    if len(matches) == 1 and matches.iloc[0]["change"] == "code change":
        new = matches.iloc[0]["current_code"]
        return Resolution(new, f"{text} is an old code: {matches.iloc[0]['note']}. Showing {area_name(new)} ({new}).")
    if len(matches) >= 1:
        names = " and ".join(area_name(code) for code in matches["current_code"])
        note = matches.iloc[0]["note"]
        return Resolution(None, f"{text} no longer exists — {note} Choose {names} below.")
    if text in set(all_areas()["area_code"]):
        return Resolution(None, f"{area_name(text)} is a region; choose one of its local authorities below.")
    return Resolution(None, f"We do not recognise the area code {text}. Choose a local authority below.")
