"""The benchmark's floor: the shared picker (drawn by app.py) and one line of text, nothing else.

Served only when GLD_BENCH_FLOOR=1 (as `python -m bench` starts the server), so each page's LA
switch can be compared with what Streamlit and the picker alone cost on the same server.
"""

from __future__ import annotations

import streamlit as st

from profiles.areas import area_name
from views.shell import current_la

URL_PATH = "floor"


def render() -> None:
    """The chosen LA's name, or a prompt."""
    code = current_la()
    st.write(f"Chosen: {area_name(code)}" if code else "Choose an LA")
