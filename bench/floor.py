"""The benchmark's floor: a minimal Streamlit page with the same picker and one line of text."""

import streamlit as st

from profiles.areas import picker_options

codes, labels = picker_options()
chosen = st.selectbox("Local authority", codes, format_func=lambda c: labels.get(c, c), index=None)
st.write(f"Chosen: {labels.get(chosen, '').split(' (')[0]}" if chosen else "Choose an LA")
