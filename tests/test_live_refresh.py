"""A new build put in place under a running app is read without a restart; a failed one changes nothing.

The swap is made as the build makes it (etl/build.py): files renamed into place, the stamp last.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from etl.raw_files import FINGERTIPS_FSM_FILE
from etl.register import sha256_of
from profiles import db

from .conftest import etl_cli

ROTHERHAM = "E08000018"


def swap_in_a_build(data_dir: Path, rotherham_gld: float) -> None:
    """Put a build in place whose Rotherham 2024/25 GLD (all children) is `rotherham_gld`."""
    swap_in(
        data_dir,
        "UPDATE gld SET pct = ? WHERE area_code = ? AND pupil_group = 'all' AND year = 2025",
        [rotherham_gld, ROTHERHAM],
    )


def swap_in(data_dir: Path, sql: str, params: list) -> None:
    """Put in place, as the build does, a copy of the database changed by one statement."""
    staged = data_dir / "gld.duckdb.tmp-test"
    shutil.copy2(data_dir / "gld.duckdb", staged)
    con = duckdb.connect(str(staged))
    con.execute(sql, params)
    con.close()
    os.replace(staged, data_dir / "gld.duckdb")
    stamp = data_dir / ".build_stamp.tmp-test"
    stamp.write_text((data_dir / ".build_stamp").read_text())  # same inputs, a new build (as --force)
    os.replace(stamp, data_dir / ".build_stamp")


def rotherham_gld() -> float:
    from profiles.peers import la_latest

    table = la_latest(2025, 2022)  # cached: the value comes from the cache until it is dropped
    return float(table.loc[table["area_code"] == ROTHERHAM, "gld_all"].iloc[0])


@pytest.fixture
def app_data(data_copy, monkeypatch):
    monkeypatch.setenv("GLD_DATA_DIR", str(data_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield data_copy
    monkeypatch.delenv("GLD_DATA_DIR")
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_new_build_in_place_is_read_without_a_restart(app_data):
    assert db.refresh_if_rebuilt() is False  # the build the caches are filled from
    assert rotherham_gld() == 64.9  # LAIT, 2024/25
    swap_in_a_build(app_data, 66.6)
    assert rotherham_gld() == 64.9  # nothing has looked yet: the caches still answer
    assert db.refresh_if_rebuilt() is True
    assert rotherham_gld() == 66.6
    assert db.refresh_if_rebuilt() is False  # once per build


def test_a_failed_build_changes_nothing(app_data):
    db.refresh_if_rebuilt()
    before = db.data_version()
    path = app_data / "raw" / FINGERTIPS_FSM_FILE
    path.write_text(path.read_text() + "\n")  # no longer the registered file: the build refuses it
    result = etl_cli(app_data, "--force")
    assert result.returncode != 0 and "sha256" in result.stdout + result.stderr
    assert db.data_version() == before and db.refresh_if_rebuilt() is False
    assert rotherham_gld() == 64.9


def test_a_new_build_is_read_while_the_old_connection_is_still_held(app_data):
    """A page run or the warming thread can still hold the old connection when the caches drop.

    DuckDB hands back an open database for its path, so a connection opened by path would go on
    reading the replaced file for as long as anything held the old one.
    """
    db.refresh_if_rebuilt()
    assert rotherham_gld() == 64.9
    held = db.connection()  # as a run in progress holds it
    swap_in_a_build(app_data, 66.6)
    assert db.refresh_if_rebuilt() is True
    assert rotherham_gld() == 66.6
    sql = "SELECT pct FROM gld WHERE area_code = ? AND pupil_group = 'all' AND year = 2025"
    assert held.execute(sql, [ROTHERHAM]).fetchone()[0] == 64.9  # the held one finishes on the old file


def test_a_new_build_brings_its_own_shapes(app_data):
    """The maps' shapes come with the figures in the database: renaming it switches both at once."""
    import shapely

    from profiles.maps import _geometry

    db.refresh_if_rebuilt()
    square = shapely.box(-1.4, 53.4, -1.3, 53.5)
    assert not _geometry("la", "area_code").at[ROTHERHAM, "geometry"].equals(square)
    parquet_before = sha256_of(app_data / "la_boundaries.parquet")
    swap_in(app_data, "UPDATE boundaries_la SET geometry_wkb = ? WHERE area_code = ?", [square.wkb, ROTHERHAM])
    assert db.refresh_if_rebuilt() is True
    assert _geometry("la", "area_code").at[ROTHERHAM, "geometry"].equals(square)
    assert sha256_of(app_data / "la_boundaries.parquet") == parquet_before  # the app did not need it


def test_warming_stops_when_a_new_build_is_in_place(app_data):
    """The old build's warming thread gives way to the new one's instead of both running."""
    from profiles.warm import warm_all

    codes = [ROTHERHAM, "E06000017"]  # Rotherham, Rutland
    build = db.data_version()
    assert warm_all(codes, pause=0, build=build) == 2
    swap_in_a_build(app_data, 66.6)
    assert warm_all(codes, pause=0, build=build) == 0
    assert warm_all(codes, pause=0, build=db.data_version()) == 2
