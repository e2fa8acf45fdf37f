"""GLD data profile explorer: page configuration, navigation, the shared LA picker, then the page."""

from __future__ import annotations

import os

import streamlit as st

from views import state

st.set_page_config(page_title="GLD data profile explorer", page_icon="📊", layout="wide")

pages = [
    st.Page("views/overview.py", title="England overview", url_path="overview", default=True),
    st.Page("views/profile.py", title="LA profile", url_path="profile"),
    st.Page("views/peers.py", title="Peers", url_path="peers"),
    st.Page("views/wards.py", title="Wards", url_path="wards"),
    st.Page("views/about.py", title="About the data", url_path="about"),
]
if os.environ.get("GLD_BENCH_FLOOR") == "1":  # the benchmark's minimal page, on the same server
    pages.append(st.Page("views/floor.py", title="Floor (benchmark)", url_path="floor"))
navigation = st.navigation(pages, position="top")
state.la_picker()
navigation.run()
