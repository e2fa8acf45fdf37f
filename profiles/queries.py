"""Cached, parameterised queries returning small DataFrames for one area at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from profiles.db import query


@st.cache_data(show_spinner=False, max_entries=512)
def gld_series(area_code: str) -> pd.DataFrame:
    """All GLD rows of one area: year, pupil_group, pct, decimals, children, achieved, counts_basis, framework,
    source."""
    return query(
        "SELECT year, pupil_group, pct, decimals, children, achieved, counts_basis, framework, source "
        "FROM gld WHERE area_code = ? ORDER BY pupil_group, year",
        [area_code],
    )


@st.cache_data(show_spinner=False, max_entries=512)
def target(area_code: str) -> dict | None:
    """The 2028 targets of one area (all and FSM, with their basis and source), or None."""
    frame = query("SELECT * FROM targets_2028 WHERE area_code = ?", [area_code])
    return None if frame.empty else frame.iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=512)
def cohort_estimate(area_code: str, year: int) -> pd.DataFrame:
    """Estimated cohort (all, fsm) of one area for one year, with its basis."""
    return query(
        "SELECT pupil_group, children, counts_basis FROM cohort_estimates WHERE area_code = ? AND year = ?",
        [area_code, year],
    )


@st.cache_data(show_spinner=False)
def latest_year() -> int:
    """The latest year with GLD data (from the data, not a constant)."""
    return int(query("SELECT max(year) AS y FROM gld").iloc[0]["y"])


@st.cache_data(show_spinner=False)
def first_new_framework_year() -> int:
    """The first year of the post-2021 framework in the data (2022 for 2021/22)."""
    return int(query("SELECT min(year) AS y FROM gld WHERE framework = '2022 onwards'").iloc[0]["y"])


@st.cache_data(show_spinner=False, max_entries=256)
def former_las_for(area_code: str) -> pd.DataFrame:
    """Former LAs that this area succeeded (name, last year, note)."""
    return query(
        "SELECT name, last_year, note FROM former_las WHERE list_contains(string_split(successor_codes, ', '), ?)",
        [area_code],
    )


@st.cache_data(show_spinner=False)
def sources() -> pd.DataFrame:
    """The register of raw files."""
    return query("SELECT * FROM sources ORDER BY path")


@st.cache_data(show_spinner=False)
def build_info() -> dict:
    """When the database was built."""
    return query("SELECT * FROM build_info").iloc[0].to_dict()


@st.cache_data(show_spinner=False)
def largest_recent_gain(group: str, since: int, latest: int) -> float | None:
    """The largest average yearly gain in GLD of any LA from `since` to `latest` (year groups of 100 or more)."""
    frame = query(
        "SELECT max((g.pct - s.pct) / (g.year - s.year)) AS gain FROM gld g "
        "JOIN gld s ON s.area_code = g.area_code AND s.pupil_group = g.pupil_group AND s.year = ? "
        "JOIN areas a ON a.area_code = g.area_code AND a.level = 'la' "
        "WHERE g.year = ? AND g.pupil_group = ? AND g.children >= 100",
        [since, latest, group],
    )
    gain = frame.iloc[0]["gain"] if not frame.empty else None
    return None if gain is None or pd.isna(gain) else round(float(gain), 1)


@st.cache_data(show_spinner=False)
def cohort_backtest() -> pd.DataFrame:
    """The back-test of the cohort estimates: area_code, name, pupil_group, published, estimated, error_pct,
    ons_population, ons_error_pct."""
    return query(
        "SELECT b.*, coalesce(a.name, f.name) AS name FROM cohort_backtest b "
        "LEFT JOIN areas a USING (area_code) LEFT JOIN former_las f USING (area_code) ORDER BY pupil_group, name"
    )
