"""England-level views: the latest GLD of every LA, with targets, for the overview page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from profiles.db import query


@st.cache_data(show_spinner=False)
def la_table(year: int, since: int) -> pd.DataFrame:
    """One row per LA: region, latest GLD all and FSM, 2028 targets, points to gain, change since `since`."""
    return query(
        """
        SELECT a.name AS "Local authority", a.area_code AS "Code", a.region_name AS "Region",
               g.pct AS "GLD all %", f.pct AS "GLD FSM %",
               t.target_all AS "Target all %", t.target_fsm AS "Target FSM %",
               round(t.target_all - g.pct, 1) AS "Points to gain (all)",
               round(t.target_fsm - f.pct, 1) AS "Points to gain (FSM)",
               round(g.pct - g0.pct, 1) AS "Change since first new-framework year (all)"
        FROM areas a
        LEFT JOIN gld g ON g.area_code = a.area_code AND g.year = ? AND g.pupil_group = 'all'
        LEFT JOIN gld f ON f.area_code = a.area_code AND f.year = ? AND f.pupil_group = 'fsm'
        LEFT JOIN gld g0 ON g0.area_code = a.area_code AND g0.year = ? AND g0.pupil_group = 'all'
        LEFT JOIN targets_2028 t ON t.area_code = a.area_code
        WHERE a.level = 'la'
        ORDER BY a.name
        """,
        [year, year, since],
    )
