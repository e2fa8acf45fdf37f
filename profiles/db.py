"""The read-only DuckDB connection and a query helper. Pages never see SQL or paths."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"
# Every table the app queries (data/SCHEMA.md); tests/test_faults.py checks this list against the SQL.
REQUIRED_TABLES = (
    "areas",
    "area_code_history",
    "former_las",
    "gld",
    "cohort_estimates",
    "cohort_backtest",
    "targets_2028",
    "statistical_neighbours",
    "fsm_eligibility",
    "deprivation_la",
    "wards",
    "gld_district_2022",
    "sources",
    "build_info",
)
# The boundary files the maps read beside the database (written by the same build).
BOUNDARY_FILES = ("la_boundaries.parquet", "ward_boundaries.parquet", "district_boundaries.parquet")
BUILD_COMMAND = "Run `make run` (or `python -m etl`) in the project folder to build it from the registered raw files"


class DatabaseMissing(RuntimeError):
    """The database has not been built (or cannot be opened, or is incomplete)."""


def data_dir() -> Path:
    """The built data folder: `data/`, or the folder GLD_DATA_DIR names, read on every call.

    The connection is kept per folder, but Streamlit's other caches (queries, shapes) are not keyed
    by it: a process that points the app at another folder (tests/test_faults.py) clears them.
    """
    return Path(os.environ.get("GLD_DATA_DIR", PROJECT_DATA))


def database_path() -> Path:
    return data_dir() / "gld.duckdb"


@st.cache_resource(show_spinner=False)
def _open(folder: str) -> duckdb.DuckDBPyConnection:
    """The read-only connection to the database in `folder`, checked; one per folder and process.

    A failure is not cached: the next page run tries again (after a rebuild, say).
    """
    path = Path(folder) / "gld.duckdb"
    if not path.exists():
        raise DatabaseMissing(
            f"The database {path.name} has not been built yet. {BUILD_COMMAND}; it takes under a minute."
        )
    try:
        candidate = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise DatabaseMissing(
            f"The database {path} cannot be opened ({error}). Rebuild it with `python -m etl --force`."
        ) from error
    tables = set(candidate.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    missing = [table for table in REQUIRED_TABLES if table not in tables]
    missing_files = [name for name in BOUNDARY_FILES if not (Path(folder) / name).exists()]
    if missing or missing_files:
        candidate.close()
        lacking = ", ".join(missing + missing_files)
        raise DatabaseMissing(
            f"The data in {folder} is incomplete or from an older version of the app (missing: {lacking}). "
            "Rebuild it with `python -m etl --force`."
        )
    return candidate


# Cursors are made from the shared connection by page runs and the cache-warming thread at once.
_cursor_lock = threading.Lock()


def connection() -> duckdb.DuckDBPyConnection:
    """The read-only connection (a `st.cache_resource`, shared by every session and thread).

    Raises:
        DatabaseMissing: the file does not exist, cannot be opened, lacks a table the app
            queries, or a boundary file beside it is missing.
    """
    return _open(str(data_dir()))


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a parameterised query on a fresh cursor of the shared connection and return a DataFrame."""
    shared = connection()
    with _cursor_lock:
        cursor = shared.cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()
