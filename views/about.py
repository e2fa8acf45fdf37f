"""About the data: the caveats, the methods, the cohort back-test and the source register, in plain English."""

from __future__ import annotations

import streamlit as st

from profiles import queries
from profiles.text import CAVEATS, METHODS, backtest_summary, backtest_table
from views.common import lazy_expander

URL_PATH = "about"


def backtest_section() -> None:
    backtest = queries.cohort_backtest()
    st.subheader("How good are the estimated cohorts? A back-test")
    for sentence in backtest_summary(backtest):
        st.markdown(sentence)
    box = lazy_expander("Back-test of every LA", "backtest_open", icon=":material/table_view:")
    if box is not None:
        box.dataframe(backtest_table(backtest), hide_index=True, width="stretch")


def render() -> None:
    """Caveats, methods, the back-test of the cohort estimates and the register of raw files."""
    st.title("About the data")
    st.caption(f"Database built {str(queries.build_info()['built_at'])[:16]} from the registered files below.")
    st.header("Caveats")
    for heading, text in CAVEATS:
        st.markdown(f"**{heading}.** {text}")
    st.header("Methods")
    for heading, text in METHODS:
        st.markdown(f"**{heading}.** {text}")
    backtest_section()
    st.header("Source register")
    st.caption(
        "Every raw file the build reads, with its origin and sha256 (from data/sources.yml). "
        "All are official statistics under the Open Government Licence v3.0."
    )
    st.dataframe(queries.sources(), hide_index=True, width="stretch")
