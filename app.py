"""GLD data profile explorer: page configuration, navigation, the shared LA picker, then the page."""

from __future__ import annotations

import os

import streamlit as st

from views import about, floor, focus, overview, peers, profile, shell, wards

st.set_page_config(page_title="GLD data profile explorer", page_icon="📊", layout="wide")

home = st.Page(overview.render, title="England overview", default=True)  # served at /
pages = [
    home,
    st.Page(shell.redirect_to(home), title="England overview", url_path=overview.URL_PATH, visibility="hidden"),
    st.Page(profile.render, title="LA profile", url_path=profile.URL_PATH),
    st.Page(focus.render, title="Focus", url_path=focus.URL_PATH),
    st.Page(peers.render, title="Peers", url_path=peers.URL_PATH),
    st.Page(wards.render, title="Wards", url_path=wards.URL_PATH),
    st.Page(about.render, title="About the data", url_path=about.URL_PATH),
]
if os.environ.get("GLD_BENCH_FLOOR") == "1":  # the benchmark's minimal page, on the same server
    pages.append(st.Page(floor.render, title="Floor (benchmark)", url_path=floor.URL_PATH))
page = st.navigation(pages, position="top")
shell.page_start()
codes, labels = shell.open_data()
shell.la_from_link()
shell.tidy_link(page)
shell.la_picker(codes, labels)
shell.tab_title(page, la_pages=(profile.URL_PATH, focus.URL_PATH, peers.URL_PATH, wards.URL_PATH))
shell.run(page)
