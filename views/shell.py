"""What every page run does before the page itself: styles, the link, the database, the LA picker, the tab title.

app.py calls these in order. The chosen LA lives in `?la=` on every page (a shared link opens that
LA); everything else a page shows is in widgets bound to their own URL parameters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

import streamlit as st

from profiles.areas import la_names, picker_options, resolve_code
from profiles.db import DatabaseMissing, data_version, refresh_if_rebuilt
from profiles.links import tidy
from profiles.warm import start_warming
from views.styles import apply_styles

APP_SHORT_NAME = "GLD explorer"
LA_KEY = "la"
PICKER_KEY = "la_picker"
SYNCED_KEY = "la_in_url"
# A confirmed 2028 target in the link (views.profile): it belongs to one LA, so it leaves with it.
TARGET_PARAMS = {"all": "target", "fsm": "target_fsm"}


def presentation_mode() -> bool:
    """`?present=1` turns on presentation mode for the session (kept across page switches)."""
    value = st.query_params.get("present")
    if value is not None:
        st.session_state["present"] = value == "1"
    present = bool(st.session_state.get("present", False))
    if present and st.query_params.get("present") != "1":
        st.query_params["present"] = "1"
    return present


def page_start() -> None:
    """Styles first on every page (they never change between runs)."""
    apply_styles(presentation_mode())


def open_data() -> tuple[list[str], dict[str, str]]:
    """The picker's LA codes and labels, and the background cache warming started (once per server);
    without a usable database, a notice and nothing else."""
    refresh_if_rebuilt()  # a new build in place: every cache dropped before anything is read
    try:
        options = picker_options()
    except DatabaseMissing as error:
        st.error(str(error))
        st.stop()
    start_warming()  # again after a new build: its caches were dropped with the rest
    st.session_state[DATA_VERSION] = data_version()
    watch_for_new_data()
    return options


DATA_VERSION = "data_version"  # session state: the build this session's page was drawn from
REFRESH_S = float(os.environ.get("GLD_REFRESH_S", "30"))  # how soon an idle page follows a new build


@st.fragment(run_every=REFRESH_S)
def watch_for_new_data() -> None:
    """Every REFRESH_S seconds, one stat: when a new build is in place, the whole page runs again (and
    its first run drops the caches), so a page left open shows the new data without a click."""
    if data_version() not in (None, st.session_state.get(DATA_VERSION)):
        st.rerun(scope="app")


def la_from_link() -> None:
    """A new `?la=` (a shared link, a reload, Back or Forward) becomes the chosen LA; an old code of an
    unchanged area is redirected with a notice, a bad one explained."""
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


def _on_pick() -> None:
    st.session_state[LA_KEY] = st.session_state[PICKER_KEY]
    st.session_state["la_just_picked"] = True
    st.session_state.pop("la_notice", None)


def la_picker(codes: list[str], labels: dict[str, str]) -> None:
    """The searchable LA picker, kept in step with the chosen LA and with `?la=`.

    Not bound to the URL with `bind="query-params"`: a bound widget would carry its label, and a
    link's old or unknown code must be redirected or explained (`la_from_link`), not dropped.
    """
    # The picker's callback runs before this script: remember for this run only that it fired.
    st.session_state["picked_now"] = st.session_state.pop("la_just_picked", False)
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
        if st.query_params.get_all(LA_KEY) != [chosen]:
            # The last LA's confirmed targets leave the link before the new LA enters it (a link
            # with bound widgets cannot be rewritten in one go: `from_dict` refuses their keys).
            for key in TARGET_PARAMS.values():
                if key in st.query_params:
                    del st.query_params[key]
            st.query_params[LA_KEY] = chosen
        st.session_state[SYNCED_KEY] = chosen
    elif LA_KEY in st.query_params and not notice:
        del st.query_params[LA_KEY]


def tab_title(page: st.Page, la_pages: Collection[str]) -> None:
    """Name the browser tab after the page and, on a page about one LA, that LA
    ("Rotherham · LA profile · GLD explorer"), so tabs, bookmarks and history tell LAs apart.

    `la_pages` are the URL paths of the pages about the chosen LA; England pages, and any page
    before an LA is chosen, leave the LA out ("About the data · GLD explorer").
    """
    la = la_names().get(current_la() or "") if page.url_path in la_pages else None
    st.set_page_config(page_title=" · ".join(part for part in (la, page.title, APP_SHORT_NAME) if part))


def tidy_link(page: st.Page) -> None:
    """Reopen the page with a tidy link when the link it was opened with has values no page writes, a
    setting given twice, or settings in the form used before they were bound to the URL
    (`profiles.links.tidy`).

    Only a link new to the session (its first run: opening a link or reloading starts a session) is
    tidied; after that the URL holds what the widgets wrote. The widgets read a link as the page
    opens, so the page is opened again with the tidy link; the notices are shown on that run.
    """
    notices = st.session_state.pop("link_notices", [])
    if notices:
        st.warning(" ".join(notices), icon="ℹ️")  # one box, however much of the link was spoilt
    if st.session_state.get("link_tidied"):
        return
    st.session_state["link_tidied"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    tidied, notices = tidy(params, st.session_state.get(LA_KEY))
    if tidied != params:
        st.session_state["link_notices"] = notices
        st.switch_page(page, query_params=tidied)


def picked_this_run() -> bool:
    """True on the run right after someone chose an LA in the picker."""
    return bool(st.session_state.get("picked_now", False))


def current_la() -> str | None:
    """The LA chosen in the picker (or from the URL), or None."""
    return st.session_state.get(LA_KEY)


def open_profile(code: str) -> None:
    """Make `code` the chosen LA and go to its profile (used by the map and the table)."""
    from views import profile

    st.session_state[LA_KEY] = code
    st.session_state[SYNCED_KEY] = code
    st.session_state.pop("la_notice", None)
    st.switch_page(st.Page(profile.render, url_path=profile.URL_PATH), query_params={LA_KEY: code})


def redirect_to(page: st.Page) -> Callable[[], None]:
    """A page that opens `page` with the same link parameters: the default page is served at `/`
    only, so its documented name (`/overview`) needs a page of its own that goes there."""

    def go() -> None:
        st.switch_page(page, query_params={key: st.query_params.get_all(key) for key in st.query_params})

    return go


def run(page: st.Page) -> None:
    """Run the page; if the built data fails under it (damaged or replaced while the app runs), the
    page ends with the same plain notice as a missing database, and the next run tries afresh."""
    try:
        page.run()
    except DatabaseMissing as error:
        st.error(str(error))
