"""England overview: England's trajectory against 75 % and every LA's latest position."""

from __future__ import annotations

import streamlit as st

from profiles import queries
from profiles.areas import ENGLAND
from profiles.charts import trajectory_chart
from profiles.overview import la_table
from profiles.profile import build_profile, summary_sentence, trajectory_data
from profiles.targets import academic_year


def render() -> None:
    st.title("Good level of development in England")
    latest = queries.latest_year()
    since = queries.first_new_framework_year()
    st.caption(f"End-of-Reception results (DfE EYFSP) to {academic_year(latest)} for England and its 153 local "
               "authorities, against the national ambition of 75% by 2028.")
    england = build_profile(ENGLAND)
    st.markdown(summary_sentence(england))
    data = trajectory_data(england)
    st.altair_chart(trajectory_chart(data, "England", latest, "England: good level of development against the 75% ambition"),
                    width="stretch", theme=None)
    with st.expander("Table of the plotted data"):
        st.dataframe(data, hide_index=True, width="stretch")

    st.subheader(f"Every local authority, {academic_year(latest)}")
    table = la_table(latest, since)
    table = table.rename(columns={"Change since first new-framework year (all)": f"Change since {academic_year(since)} (all)"})
    st.caption("Targets are derived as 2023/24 GLD + 9.0 points unless published; see About for each basis. "
               "Choose an LA in the picker above to open its profile.")
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Download CSV", table.to_csv(index=False).encode(), file_name=f"gld_all_las_{latest}.csv",
                       mime="text/csv")


render()
