"""The read-only DuckDB connection and a query helper. Pages never see SQL or paths."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

DATA_DIR = Path(os.environ.get("GLD_DATA_DIR", Path(__file__).resolve().parents[1] / "data"))
DB_PATH = DATA_DIR / "gld.duckdb"


class DatabaseMissing(RuntimeError):
    """The database has not been built (or cannot be opened)."""


_connection: duckdb.DuckDBPyConnection | None = None


def connection() -> duckdb.DuckDBPyConnection:
    """One read-only connection per process; each query takes its own cursor.

    Raises:
        DatabaseMissing: the file does not exist or cannot be opened.
    """
    global _connection
    if _connection is None:
        if not DB_PATH.exists():
            raise DatabaseMissing(
                f"The database {DB_PATH.name} has not been built yet. Run `make run` (or `python -m etl`) "
                "in the project folder to build it from the registered raw files; it takes under a minute."
            )
        try:
            _connection = duckdb.connect(str(DB_PATH), read_only=True)
        except duckdb.Error as error:
            raise DatabaseMissing(
                f"The database {DB_PATH} cannot be opened ({error}). Rebuild it with `python -m etl --force`."
            ) from error
    return _connection


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a parameterised query on a fresh cursor and return a DataFrame."""
    cursor = connection().cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()
