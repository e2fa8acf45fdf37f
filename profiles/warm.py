"""Warm the chart caches in the background, once per server process.

Building an LA's charts the first time (Altair composition and validation) costs far more than
drawing them from the cache, and when many people at an event each pick a different LA at once
those first builds queue behind one Python interpreter. So the first page load of a server starts
one low-priority thread that builds the profile and focus charts, the May 2025 peer charts (latest year and
trend for all children) and the unfiltered ward map of every LA, pausing between LAs so that
people's own page runs go first (its cost: docs/PERFORMANCE.md). Set GLD_WARM_CACHES=0 to turn it
off (the tests do, to keep timings steady).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import streamlit as st

from profiles.db import data_version, query

LOG = logging.getLogger(__name__)
PAUSE_S = 0.05  # between LAs: lets waiting page runs take the interpreter


def enabled() -> bool:
    return os.environ.get("GLD_WARM_CACHES", "1") != "0"


def warm_all(codes: list[str] | None = None, pause: float = PAUSE_S, build: object = None) -> int:
    """Build and cache every LA's profile charts, May 2025 peer charts and ward map. Returns the LAs warmed.

    With `build` (a `data_version()`), stop before the next LA once another build is in place: the
    page run that notices it drops the caches and starts a new warming thread, and two threads
    warming at once would take both of a small server's cores from people's page runs.
    """
    from profiles import focus
    from profiles.overview import england_trajectory_export
    from profiles.page_exports import (
        focus_exports,
        peer_exports_for,
        peer_trend_export,
        profile_exports_for,
        where_children_export,
    )
    from profiles.peers import peer_codes
    from profiles.queries import latest_year
    from profiles.wards import DEFAULT_MEASURE, WardFilters, apply_filters, ward_map_for, ward_table

    if codes is None:
        codes = query("SELECT area_code FROM areas WHERE level = 'la' ORDER BY name")["area_code"].tolist()
    england_trajectory_export(latest_year())
    warmed = 0
    for code in codes:
        if build is not None and data_version() != build:
            LOG.warning("warming stopped after %d LAs: a new build is in place", warmed)
            break
        profile_exports_for(code)
        focus_exports(code, None)  # as the focus page calls it, with no target typed
        focus.detail_2022(code), focus.early_education_rows(code), focus.context_rows(code)
        peer_exports_for(code, "sn2025")
        peers, description = peer_codes(code, "sn2025", [])
        if peers:  # the same arguments, in the same order, as the peers page passes
            peer_trend_export(code, tuple(peers), "all", description)
        wards = ward_table(code)
        if not wards.empty:  # the wards page's first view: every filter at its default
            ward_map_for(code, DEFAULT_MEASURE, tuple(apply_filters(wards, WardFilters())["ward_code"]))
            where_children_export(code)
        warmed += 1
        time.sleep(pause)
    return warmed


@st.cache_resource(show_spinner=False)
def start_warming() -> threading.Thread | None:
    """Start the warming thread on the first page load of this process (later calls do nothing)."""
    if not enabled():
        return None

    build = data_version()

    def run() -> None:
        started = time.perf_counter()
        try:
            count = warm_all(build=build)
        except Exception:  # a failure here must never reach a page; pages build on demand instead
            LOG.exception("warming the chart caches failed; charts will be built on first request")
            return
        LOG.warning("chart caches warm: %d LAs in %.0f s", count, time.perf_counter() - started)

    thread = threading.Thread(target=run, name="gld-warm-caches", daemon=True)
    thread.start()
    return thread
