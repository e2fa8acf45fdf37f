"""Cached, parameterised queries returning small DataFrames for one area at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from profiles.db import query


@st.cache_data(show_spinner=False, max_entries=512)
def gld_series(area_code: str) -> pd.DataFrame:
    """All GLD rows of one area: year, pupil_group, pct, children, achieved, counts_basis, framework, source."""
    return query(
        "SELECT year, pupil_group, pct, children, achieved, counts_basis, framework, source "
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
    """Estimated cohort (all, fsm, non_fsm) of one area for one year, with its basis."""
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
