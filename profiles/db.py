"""The read-only DuckDB connection and a query helper. Pages never see SQL or paths."""

from __future__ import annotations

import logging
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
    "low_income_la",
    "context_measures",
    "gld_characteristics_2022",
    "gld_district_2022",
    "sources",
    "build_info",
    "boundaries_la",  # the maps' shapes, stored with the figures (etl.build.BOUNDARY_TABLES)
    "boundaries_ward",
    "boundaries_district",
)
BUILD_COMMAND = "Run `make run` (or `python -m etl`) in the project folder to build it from the registered raw files"
REBUILD = "Rebuild it with `python -m etl --force` in the project folder (`make run` builds it if it is missing)."
LOG = logging.getLogger(__name__)


class DatabaseMissing(RuntimeError):
    """The built data cannot be used (not built, damaged, incomplete): a message for people, with no
    paths or library text; the detail goes to the server log."""


def data_dir() -> Path:
    """The built data folder: `data/`, or the folder GLD_DATA_DIR names, read on every call.

    The connection is kept per folder, but Streamlit's other caches (queries, shapes) are not keyed
    by it: a process that points the app at another folder (tests/test_faults.py) clears them.
    """
    return Path(os.environ.get("GLD_DATA_DIR", PROJECT_DATA))


def database_path() -> Path:
    return data_dir() / "gld.duckdb"


CATALOG = "gld"


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the database file attached read-only as CATALOG.

    Not `duckdb.connect(path)`: while any connection to a path is still open in the process (a page
    run or the warming thread holding the old one during a refresh), DuckDB hands back that same
    database for the path, so a build renamed into place would never be read. An attached file is
    opened afresh."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{_sql_text(str(path))}' AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def _sql_text(text: str) -> str:
    """A path inside single quotes (ATTACH takes no parameters)."""
    return text.replace("'", "''")


@st.cache_resource(show_spinner=False)
def _open(folder: str) -> duckdb.DuckDBPyConnection:
    """The read-only connection to the database in `folder`, checked; one per folder and process.

    A failure is not cached: the next page run tries again, so a good rebuild is picked up.
    """
    path = Path(folder) / "gld.duckdb"
    if not path.exists():
        raise DatabaseMissing(f"The database has not been built yet. {BUILD_COMMAND}; it takes under a minute.")
    candidate = None
    try:
        candidate = _attach(path)
        tables = set(candidate.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    except duckdb.Error as error:
        if candidate is not None:
            candidate.close()
        LOG.error("cannot open %s: %s", path, error)
        raise DatabaseMissing(f"The database cannot be opened: it is damaged or incomplete. {REBUILD}") from error
    missing = [table for table in REQUIRED_TABLES if table not in tables]
    if missing:
        candidate.close()
        lacking = ", ".join(missing)
        LOG.error("the data in %s lacks %s", folder, lacking)
        raise DatabaseMissing(
            f"The data is incomplete or from an older version of the app (missing: {lacking}). {REBUILD}"
        )
    return candidate


def data_unavailable(error: BaseException) -> DatabaseMissing:
    """A damaged database met mid-run: log the detail, forget the connection (the
    next run opens the files afresh, so a good rebuild is picked up) and say so without detail."""
    LOG.error("the built data became unusable: %r", error)
    _open.clear()
    return DatabaseMissing(f"The data became unusable while the app was running (damaged or replaced). {REBUILD}")


# A build puts its files in place by renaming, the stamp last (etl/build.py): a new stamp file means
# a whole new build is in place. A failed build renames nothing, so nothing changes here.
STAMP_FILE = ".build_stamp"
_versions: dict[str, tuple[int, int] | None] = {}  # data folder -> the stamp the caches were filled from
_versions_lock = threading.Lock()


def data_version() -> tuple[int, int] | None:
    """Which build is in place: its stamp file's inode and modification time (None: no build)."""
    try:
        stat = (data_dir() / STAMP_FILE).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def refresh_if_rebuilt() -> bool:
    """Drop every cache (the connection, queries, shapes, charts and maps) when a new build has been
    put in place since they were filled, so the next query reads it. Cheap (one stat); returns True
    when it dropped them. Old connections keep reading the replaced file until they are closed."""
    folder, version = str(data_dir()), data_version()
    with _versions_lock:
        seen = _versions.setdefault(folder, version)
        if version is None or version == seen:
            return False
        _versions[folder] = version
    LOG.warning("a new build of %s is in place: caches dropped", folder)
    st.cache_data.clear()
    st.cache_resource.clear()
    return True


# Cursors are made from the shared connection by page runs and the cache-warming thread at once.
_cursor_lock = threading.Lock()


def connection() -> duckdb.DuckDBPyConnection:
    """The read-only connection (a `st.cache_resource`, shared by every session and thread).

    Raises:
        DatabaseMissing: the file does not exist, cannot be opened, lacks a table the app
            queries (its boundary tables included).
    """
    return _open(str(data_dir()))


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a parameterised query on a fresh cursor of the shared connection and return a DataFrame.

    Raises:
        DatabaseMissing: as `connection`, or the database failed mid-query (`data_unavailable`).
    """
    shared = connection()
    try:
        with _cursor_lock:
            cursor = shared.cursor()
        try:
            cursor.execute(f"USE {CATALOG}")  # a cursor starts in the in-memory catalog
            return cursor.execute(sql, list(params)).df()
        finally:
            cursor.close()
    except duckdb.Error as error:
        raise data_unavailable(error) from error
