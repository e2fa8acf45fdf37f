"""The shared LA picker and the URL state (`?la=`) that every page keeps."""

from __future__ import annotations

import re

import streamlit as st

from profiles.areas import picker_options, resolve_code
from profiles.db import DatabaseMissing
from profiles.warm import start_warming

LA_KEY = "la"
PICKER_KEY = "la_picker"
SYNCED_KEY = "la_in_url"
# Every value a page writes to the URL is a code, a number, a measure key, a region name or a
# list of those: letters, digits, spaces, commas, underscores and hyphens (no dots, colons or @,
# so nothing from a link can become a link in a notice). The longest is `wards=` with every
# ward of Kent (2,649 characters).
MAX_URL_VALUE = 4000
URL_VALUE_PATTERN = re.compile(r"[A-Za-z0-9 ,_-]*")
SHOWN_KEY_PATTERN = re.compile(r"[a-z_]{1,20}")


def _on_pick() -> None:
    st.session_state[LA_KEY] = st.session_state[PICKER_KEY]
    st.session_state["la_just_picked"] = True
    st.session_state.pop("la_notice", None)


def clean_query_params() -> list[str]:
    """Drop URL values no page could have written, before any page reads them; return notices.

    A repeated key keeps its first value (as `?la=` does); a value that is too long or holds a
    character no page writes (quotes, semicolons, brackets, anything outside ASCII) is removed, so
    a page only ever parses short plain text and never echoes markup from a link. `la` is left to
    `resolve_code`, which explains each kind of bad code.
    """
    notices = []
    for key in list(st.query_params.keys()):
        if key == LA_KEY:
            continue
        values = st.query_params.get_all(key)
        shown = f"“{key}”" if SHOWN_KEY_PATTERN.fullmatch(key) else "a setting"
        if any(len(value) > MAX_URL_VALUE or not URL_VALUE_PATTERN.fullmatch(value) for value in values):
            del st.query_params[key]
            notices.append(f"Ignored {shown} in the link: its value is too long or has characters no setting uses.")
        elif len(values) > 1:
            st.query_params[key] = values[0]
            notices.append(f"The link gave {shown} more than once; using the first value.")
    return notices


def la_picker() -> None:
    """Draw the searchable LA picker and keep the chosen LA in session state and in the URL.

    A code in the URL (a shared link, a reload) wins; otherwise the LA chosen earlier in this
    session is restored, because Streamlit clears query parameters when switching pages.
    """
    url_notices = clean_query_params()
    present = presentation_mode()
    from views.common import page_styles

    page_styles(present)
    for url_notice in url_notices:
        st.warning(url_notice, icon="ℹ️")
    # The picker's callback runs before this script: remember for this run only that it fired.
    st.session_state["picked_now"] = st.session_state.pop("la_just_picked", False)
    try:
        codes, labels = picker_options()
    except DatabaseMissing as error:
        st.error(str(error))
        st.stop()
    start_warming()  # once per server: build every LA's charts in the background
    url_values = st.query_params.get_all(LA_KEY)
    if len(url_values) > 1:
        st.session_state["la_notice"] = "The link gave more than one area; showing the first."
    url_value = url_values[0] if url_values else None
    # The URL wins only when it differs from what this session last wrote there (a new link);
    # otherwise a choice just made in the picker would be undone by the stale URL.
    if (
        url_value is not None
        and url_value != st.session_state.get(SYNCED_KEY)
        and url_value != st.session_state.get(LA_KEY)
    ):
        st.session_state[SYNCED_KEY] = url_value
        resolution = resolve_code(url_value)
        st.session_state[LA_KEY] = resolution.code
        if resolution.notice:
            st.session_state["la_notice"] = resolution.notice
    if st.session_state.get(PICKER_KEY) != st.session_state.get(LA_KEY):
        st.session_state[PICKER_KEY] = st.session_state.get(LA_KEY)
    notice = st.session_state.get("la_notice")
    if notice:
        st.warning(notice, icon="ℹ️")
        if st.session_state.get(LA_KEY):
            # A redirect notice is shown once; a "choose an LA" notice stays until one is chosen.
            st.session_state.pop("la_notice", None)
    st.selectbox(
        "Local authority",
        options=codes,
        format_func=lambda code: labels.get(code, code),
        index=None,
        key=PICKER_KEY,
        on_change=_on_pick,
        placeholder="Type a name or code, e.g. Rotherham or E08000018",
        help="Search all 153 local authorities by name, ONS code or DfE number.",
    )
    chosen = st.session_state.get(LA_KEY)
    if chosen:
        if st.query_params.get(LA_KEY) != chosen or len(url_values) > 1:
            st.query_params[LA_KEY] = chosen
        st.session_state[SYNCED_KEY] = chosen
    elif LA_KEY in st.query_params and not notice:
        del st.query_params[LA_KEY]


def picked_this_run() -> bool:
    """True on the run right after someone chose an LA in the picker."""
    return bool(st.session_state.get("picked_now", False))


def current_la() -> str | None:
    """The LA chosen in the picker (or from the URL), or None."""
    return st.session_state.get(LA_KEY)


def open_profile(code: str) -> None:
    """Make `code` the chosen LA and go to its profile (used by the map and the table)."""
    st.session_state[LA_KEY] = code
    st.session_state[SYNCED_KEY] = code
    st.session_state.pop("la_notice", None)
    st.switch_page("views/profile.py", query_params={LA_KEY: code})


def presentation_mode() -> bool:
    """`?present=1` turns on presentation mode for the session (kept across page switches)."""
    value = st.query_params.get("present")
    if value is not None:
        st.session_state["present"] = value == "1"
    present = bool(st.session_state.get("present", False))
    if present and st.query_params.get("present") != "1":
        st.query_params["present"] = "1"
    return present
