"""The read-only DuckDB connection and a query helper. Pages never see SQL or paths."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

# GLD_DATA_DIR points the app at another built data folder (tests use it for damaged copies).
DATA_DIR = Path(os.environ.get("GLD_DATA_DIR", Path(__file__).resolve().parents[1] / "data"))
DB_PATH = DATA_DIR / "gld.duckdb"
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


_connection: duckdb.DuckDBPyConnection | None = None


def connection() -> duckdb.DuckDBPyConnection:
    """One read-only connection per process; each query takes its own cursor.

    Raises:
        DatabaseMissing: the file does not exist, cannot be opened, lacks a table the app
            queries, or a boundary file beside it is missing.
    """
    global _connection
    if _connection is None:
        if not DB_PATH.exists():
            raise DatabaseMissing(
                f"The database {DB_PATH.name} has not been built yet. {BUILD_COMMAND}; it takes under a minute."
            )
        try:
            candidate = duckdb.connect(str(DB_PATH), read_only=True)
        except duckdb.Error as error:
            raise DatabaseMissing(
                f"The database {DB_PATH} cannot be opened ({error}). Rebuild it with `python -m etl --force`."
            ) from error
        tables = set(candidate.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
        missing = [table for table in REQUIRED_TABLES if table not in tables]
        missing_files = [name for name in BOUNDARY_FILES if not (DATA_DIR / name).exists()]
        if missing or missing_files:
            candidate.close()
            lacking = ", ".join(missing + missing_files)
            raise DatabaseMissing(
                f"The data in {DATA_DIR} is incomplete or from an older version of the app (missing: {lacking}). "
                "Rebuild it with `python -m etl --force`."
            )
        _connection = candidate
    return _connection


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a parameterised query on a fresh cursor and return a DataFrame."""
    cursor = connection().cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()
