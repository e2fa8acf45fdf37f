"""A page that fails with an unexpected error, for tests/e2e/test_faults_browser.py: what reaches the browser."""

import streamlit as st

st.title("A page that fails")
raise RuntimeError("internal detail /srv/app/profiles/secret.py line 42")
