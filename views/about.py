"""About the data: the source register, the caveats and the methods, in plain English."""

from __future__ import annotations

import streamlit as st

from profiles import queries
from profiles.text import CAVEATS, METHODS, backtest_summary, backtest_table
from views.common import lazy_expander


def render() -> None:
    st.title("About the data")
    info = queries.build_info()
    st.caption(f"Database built {str(info['built_at'])[:16]} from the registered files below.")
    st.header("Caveats")
    for heading, text in CAVEATS:
        st.markdown(f"**{heading}.** {text}")
    st.header("Methods")
    for heading, text in METHODS:
        st.markdown(f"**{heading}.** {text}")
    backtest = queries.cohort_backtest()
    st.subheader("How good are the estimated cohorts? A back-test")
    for sentence in backtest_summary(backtest):
        st.markdown(sentence)
    box = lazy_expander("Back-test of every LA", "backtest_open", icon=":material/table_view:")
    if box is not None:
        box.dataframe(backtest_table(backtest), hide_index=True, width="stretch")
    st.header("Source register")
    st.caption(
        "Every raw file the build reads, with its origin and sha256 (from data/sources.yml). "
        "All are official statistics under the Open Government Licence v3.0."
    )
    register = queries.sources()
    st.dataframe(register, hide_index=True, width="stretch")


render()
