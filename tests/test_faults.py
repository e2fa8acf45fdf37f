"""Fault tolerance: damaged raw files, missing data, hostile links, and SQL built only from constants.

- Build faults break a copy of data/ (never the project's own), re-register the damaged file as
  `python -m etl register` would, and check that the build names the file (and column), leaves
  every previous output byte-identical, and that the app still serves from that database.
- Missing or damaged data: every page explains how to build it, without a traceback.
- Hostile links: unknown codes, SQL-like text, 10 kB values, non-ASCII and repeated keys give a
  notice or fall back to a default, never a traceback, and never reach the text of a query.
- ruff's S608 rule (pyproject.toml) keeps every query's SQL constant; a test checks it catches one.

Apps run against another data folder in this process: `profiles.db` reads GLD_DATA_DIR on every
query, so a test sets it and empties Streamlit's caches before and after.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import profiles.db
from profiles.db import REQUIRED_TABLES

from .conftest import DATA_DIR, PROJECT, etl_cli
from .test_app import open_page

GEOPARQUET = ("la_boundaries.parquet", "ward_boundaries.parquet", "district_boundaries.parquet")
OUTPUTS = ("gld.duckdb", *GEOPARQUET, ".build_stamp")  # what a build writes
APP_READS = ("gld.duckdb", ".build_stamp")  # what the app reads: shapes are in the database
ROTHERHAM = "E08000018"
KENT = "E10000016"  # a two-tier county, so the wards page also reads `districts` and `dgroup`
PAGES = ["overview", "profile", "focus", "peers", "wards", "about"]
# Invalid UTF-8 (lone continuation bytes) and no valid Parquet, Snappy or Deflate structure.
GARBAGE = bytes((index * 131 + 7) % 256 for index in range(4096))


def output_hashes(data_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest() for name in OUTPUTS}


def failed_build_line(data_dir: Path) -> str:
    """Force a build that must fail; return its one 'Build failed' line after checking nothing changed."""
    before = output_hashes(data_dir)
    result = etl_cli(data_dir, "--force")
    assert result.returncode != 0, f"the build succeeded on damaged input:\n{result.stdout[-800:]}"
    lines = [line for line in result.stderr.splitlines() if line.startswith("Build failed")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert output_hashes(data_dir) == before, "a failed build changed the previous outputs"
    assert not list(data_dir.glob("*.tmp-*")), "temporary files left behind"
    return lines[0]


def render_pages(requests: list[tuple[str, dict]]) -> list[dict]:
    """Run each (page, link parameters) with AppTest; what each page showed."""
    results = []
    for page, params in requests:
        app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=120)
        for key, value in params.items():
            app.query_params[key] = value
        app.run()
        if page != "overview":
            open_page(app, page)
        text = [e.value for e in app.markdown] + [e.value for e in app.header] + [e.value for e in app.title]
        text += [e.value for e in app.html]
        results.append(
            {
                "page": page,
                "exceptions": [e.message for e in app.exception],
                "errors": [e.value for e in app.error],
                "warnings": [e.value for e in app.warning],
                "text": "\n".join(map(str, text)),
                "charts": len(app.get("vega_lite_chart")),
                "maps": len(app.get("deck_gl_json_chart")),
            }
        )
    return results


@pytest.fixture
def app_reading(monkeypatch):
    """`render(data_dir, requests)`: run pages against another data folder, in this process."""

    def render(data_dir: Path, requests: list[tuple[str, dict]]) -> list[dict]:
        monkeypatch.setenv("GLD_DATA_DIR", str(data_dir))
        st.cache_data.clear()
        st.cache_resource.clear()
        assert profiles.db.database_path() == data_dir / "gld.duckdb"
        return render_pages(requests)

    yield render
    monkeypatch.delenv("GLD_DATA_DIR", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()


def assert_app_serves(render, data_dir: Path) -> None:
    """The app, pointed at `data_dir`, still shows Rotherham's published targets and the England map."""
    profile, overview = render(data_dir, [("profile", {"la": ROTHERHAM}), ("overview", {})])
    for page in (profile, overview):
        assert not page["exceptions"] and not page["errors"], page
    assert "Rotherham" in profile["text"] and "73.3%" in profile["text"] and "56.6%" in profile["text"]
    assert profile["charts"] >= 2
    assert overview["maps"] == 1 and overview["charts"] >= 1


def truncate_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def truncate_at_line(path: Path) -> None:
    """Keep the first 60% of the lines: a cut that falls exactly on a line boundary."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) * 6 // 10]))


def overwrite(path: Path, offset: int, data: bytes) -> None:
    content = bytearray(path.read_bytes())
    content[offset : offset + len(data)] = data
    path.write_bytes(bytes(content))


def garbage_in_parquet_column(path: Path, column: str = "Values") -> None:
    """Garbage in the middle of one column chunk the build reads (first row group)."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    chunk = metadata.row_group(0).column(metadata.schema.names.index(column))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    overwrite(path, start + chunk.total_compressed_size // 2, GARBAGE[:512])


def garbage_in_worksheets(path: Path) -> None:
    """Garbage in the middle of every worksheet's compressed XML inside the workbook (a zip)."""
    with zipfile.ZipFile(path) as archive:
        sheets = [info for info in archive.infolist() if info.filename.startswith("xl/worksheets/sheet")]
    assert sheets, f"{path.name}: no worksheets found"
    content = bytearray(path.read_bytes())
    for info in sheets:
        name_length, extra_length = struct.unpack("<HH", content[info.header_offset + 26 : info.header_offset + 30])
        start = info.header_offset + 30 + name_length + extra_length
        middle = start + info.compress_size // 2
        content[middle : middle + 256] = GARBAGE[:256]
    path.write_bytes(bytes(content))


def garbage_in_middle(path: Path) -> None:
    overwrite(path, path.stat().st_size // 2, GARBAGE)


def rename_parquet_column(path: Path, old: str = "Values", new: str = "Value") -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    assert old in table.column_names
    pq.write_table(table.rename_columns([new if name == old else name for name in table.column_names]), path)


def rename_workbook_header(path: Path, old: str = "number_of_pupils", new: str = "pupils") -> None:
    """Rename a column header in an .xlsx by editing its shared strings (the header is stored once)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            if info.filename == "xl/sharedStrings.xml":
                assert data.count(f">{old}<".encode()) == 1, f"{path.name}: header {old!r} is not stored once"
                data = data.replace(f">{old}<".encode(), f">{new}<".encode())
            archive.writestr(info, data)


def rename_csv_header(path: Path, old: str = "area_code,", new: str = "AreaCode,") -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


LAIT = "dfe-lait/bds_long_0.parquet"
SN_2025 = "dfe-lait/sn_may_2025.xlsx"
FSM_COHORTS = "nesta-afs-neighbourhood/EYFSP_LA_2_com_lit_maths_additional_tables_2013_2019.xlsx"
FINGERTIPS = "trafford-dashboard-fingertips/school_readiness_fsm.csv"
APS = "nesta-afs-neighbourhood/APS_GLD_ELG_EXP_2013_2019.csv"

BUILD_FAULTS = [
    pytest.param(LAIT, truncate_half, ["cannot be read as Parquet"], id="truncated-parquet"),
    pytest.param(SN_2025, truncate_half, ["cannot be read as an Excel workbook"], id="truncated-xlsx"),
    pytest.param(LAIT, garbage_in_parquet_column, ["cannot be read as Parquet"], id="garbage-parquet"),
    pytest.param(SN_2025, garbage_in_worksheets, ["cannot be read as an Excel workbook"], id="garbage-xlsx"),
    pytest.param(FINGERTIPS, garbage_in_middle, ["cannot be read as CSV"], id="garbage-csv"),
    pytest.param(LAIT, rename_parquet_column, ["column 'Values' is missing"], id="renamed-parquet-column"),
    pytest.param(
        FSM_COHORTS, rename_workbook_header, ["column 'number_of_pupils' is missing"], id="renamed-xlsx-column"
    ),
    pytest.param(FINGERTIPS, rename_csv_header, ["column 'area_code' is missing"], id="renamed-csv-column"),
    pytest.param(FINGERTIPS, truncate_half, ["fields, the header has"], id="truncated-csv-mid-row"),
    # A cut on a line boundary leaves a valid CSV; the coverage contract catches the missing years.
    pytest.param(APS, truncate_at_line, ["contract failed", "2013 all: 0"], id="truncated-csv-at-line-end"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("relative", "damage", "expected"), BUILD_FAULTS)
def test_damaged_registered_file_fails_the_build_and_the_app_keeps_serving(
    data_copy, relative, damage, expected, app_reading
):
    damage(data_copy / "raw" / relative)
    registered = etl_cli(data_copy, "register", relative)  # as an analyst would after replacing the file
    assert registered.returncode == 0, registered.stderr
    line = failed_build_line(data_copy)
    if "contract failed" not in expected:
        assert f"data/raw/{relative}" in line, line
    for text in expected:
        assert text in line, line
    assert_app_serves(app_reading, data_copy)


@pytest.mark.parametrize(
    ("relative", "damage"),
    [(LAIT, truncate_half), (SN_2025, garbage_in_worksheets), (FINGERTIPS, garbage_in_middle)],
    ids=["truncated-parquet", "garbage-xlsx", "garbage-csv"],
)
def test_damaged_file_without_registration_is_refused_by_its_hash(data_copy, relative, damage):
    damage(data_copy / "raw" / relative)
    line = failed_build_line(data_copy)
    assert f"data/raw/{relative}" in line and "sha256" in line, line


def assert_every_page_explains(pages: list[dict], *expected: str) -> None:
    assert [page["page"] for page in pages] == PAGES
    for page in pages:
        assert not page["exceptions"], page
        assert len(page["errors"]) == 1, page
        message = page["errors"][0]
        assert "python -m etl" in message and len(message) < 600, message
        assert "/" not in message.replace("2021/22", ""), f"a notice shows a path: {message}"
        assert "duckdb" not in message.lower() and "Error" not in message, f"library text in a notice: {message}"
        for text in expected:
            assert text in message, message
        assert page["charts"] == 0 and page["maps"] == 0


EVERY_PAGE = [(page, {"la": ROTHERHAM}) for page in PAGES]


def test_missing_database_every_page_explains_how_to_build_it(tmp_path, app_reading):
    assert_every_page_explains(app_reading(tmp_path, EVERY_PAGE), "has not been built yet", "make run")


def test_unreadable_database_every_page_explains(tmp_path, app_reading):
    (tmp_path / "gld.duckdb").write_bytes(GARBAGE * 64)
    assert_every_page_explains(app_reading(tmp_path, EVERY_PAGE), "cannot be opened", "--force")


def test_database_from_an_older_build_every_page_explains(tmp_path, app_reading):
    """A database lacking a table the app reads (here `wards`) is refused up front, on every page."""
    for name in APP_READS:
        shutil.copy2(DATA_DIR / name, tmp_path / name)
    with duckdb.connect(str(tmp_path / "gld.duckdb")) as con:
        con.execute("DROP TABLE wards")
    assert_every_page_explains(app_reading(tmp_path, EVERY_PAGE), "missing: wards", "--force")


def test_a_database_without_its_boundaries_every_page_explains(tmp_path, app_reading):
    """A database from before the shapes moved into it (no boundary tables) is refused up front."""
    shutil.copy2(DATA_DIR / "gld.duckdb", tmp_path / "gld.duckdb")
    with duckdb.connect(str(tmp_path / "gld.duckdb")) as con:
        con.execute("DROP TABLE boundaries_ward")
    assert_every_page_explains(app_reading(tmp_path, EVERY_PAGE), "missing: boundaries_ward", "--force")


def notice_of(page: dict) -> str:
    assert not page["exceptions"], page
    assert len(page["errors"]) == 1, page
    return page["errors"][0]


def test_database_damaged_while_running_gives_a_notice_and_recovers(tmp_path, app_reading):
    """The database is overwritten with garbage while the app runs: pages say so plainly (no paths, no
    library text) and work again, without a restart, once a good build is back."""
    for name in APP_READS:
        shutil.copy2(DATA_DIR / name, tmp_path / name)
    (good,) = app_reading(tmp_path, [("profile", {"la": ROTHERHAM})])
    assert not good["exceptions"] and not good["errors"] and "73.3%" in good["text"]
    (tmp_path / "gld.duckdb").write_bytes(GARBAGE * 64)  # the same file, overwritten in place
    st.cache_data.clear()  # so every page's queries run (DuckDB may still answer some from memory)
    requests = [(page, {"la": code}) for code in ("E08000025", "E10000016") for page in PAGES]
    damaged = render_pages(requests)
    assert all(not page["exceptions"] for page in damaged), [page["exceptions"] for page in damaged]
    messages = [message for page in damaged for message in page["errors"]]
    assert messages, "no page met the damage"
    for message in messages:
        assert "python -m etl --force" in message and str(tmp_path) not in message and "duckdb" not in message.lower()
    shutil.copy2(DATA_DIR / "gld.duckdb", tmp_path / "gld.duckdb")  # a good build is back
    st.cache_data.clear()
    again = render_pages(requests)
    assert all(not page["exceptions"] and not page["errors"] for page in again), again
    assert "Birmingham" in again[1]["text"] and again[1]["charts"] >= 2


def test_maps_need_only_the_database(tmp_path, app_reading):
    """Every page, maps included, draws from the database and stamp alone: no GeoParquet beside them."""
    import profiles.maps

    for name in APP_READS:
        shutil.copy2(DATA_DIR / name, tmp_path / name)
    profiles.maps._geometry.clear()
    pages = app_reading(tmp_path, [("overview", {}), ("wards", {"la": KENT})])
    assert all(not page["exceptions"] and not page["errors"] for page in pages), pages
    assert all(page["maps"] >= 1 for page in pages), [page["maps"] for page in pages]


def test_required_tables_exist_in_the_built_database(db):
    tables = set(db.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    assert set(REQUIRED_TABLES) <= tables


def test_the_database_holds_the_geoparquet_shapes(db):
    """The boundary tables are the GeoParquet files' rows and shapes, to the byte."""
    import geopandas as gpd

    for sql, file_name, key in (
        ("SELECT area_code, geometry_wkb FROM boundaries_la ORDER BY 1", "la_boundaries.parquet", "area_code"),
        ("SELECT ward_code, geometry_wkb FROM boundaries_ward ORDER BY 1", "ward_boundaries.parquet", "ward_code"),
        (
            "SELECT lad_code, geometry_wkb FROM boundaries_district ORDER BY 1",
            "district_boundaries.parquet",
            "lad_code",
        ),
    ):
        stored = db.execute(sql).df()
        written = gpd.read_parquet(DATA_DIR / file_name).sort_values(key)
        assert stored[key].tolist() == written[key].tolist()
        assert [bytes(blob) for blob in stored["geometry_wkb"]] == list(written.geometry.to_wkb()), file_name
    assert db.execute("SELECT count(*) FROM boundaries_la").fetchone()[0] == 153
    assert db.execute("SELECT count(*) FROM boundaries_ward").fetchone()[0] == 6784


UNKNOWN_CODE = "E99999999"
SQL_QUOTE = "E08000018' OR 1=1 --"
SQL_STATEMENT = "1; DROP TABLE gld"
LONG = ("LONGVALUE" * 1200)[:10_000]
NON_ASCII = "²-³"  # str.isdigit() is True for superscripts but int() rejects them
LINK = "[click](https://example.com/x)"
BARE_LINK = "www.example.com"  # markdown turns a bare address into a link even when escaped
HOSTILE = [UNKNOWN_CODE, SQL_QUOTE, SQL_STATEMENT, LONG, NON_ASCII, LINK, BARE_LINK]
HOSTILE_IDS = ["unknown-code", "sql-quote", "sql-statement", "10kB", "non-ascii", "markdown-link", "bare-link"]
# Made only of characters that labels use (an apostrophe and = in "IDACI … (1 = most deprived)",
# dots in ward names): these reach the widgets, which ignore what is not one of their options. The
# rest hold characters no page writes, or are too long, and are dropped with a notice first.
PASSES_URL_CHECK = {UNKNOWN_CODE, SQL_QUOTE, BARE_LINK}
# What each page reads from the URL (its widgets are bound to these), and the widget key and
# default each falls back to on a bad value.
PAGE_PARAMS = {
    "overview": ("map", "regions", "band", "present"),
    "profile": ("present",),
    "focus": ("present",),
    "peers": ("peers", "with", "pupils", "similar", "present"),
    "wards": ("measure", "decby", "dec", "minkids", "wards", "districts", "dgroup", "present"),
    "about": ("present",),
}
FALLBACK = {
    "map": "gld_all",
    "regions": [],
    "band": "All LAs",
    "present": False,
    "peers": "sn2025",
    "with": [],
    "pupils": "all",
    "similar": False,
    "measure": "idaci_decile",
    "decby": "idaci_decile",
    "dec": (1, 10),
    "minkids": 0,
    "wards": [],
    "districts": False,
    "dgroup": "all",  # read only when the district layer is on
}
# Substrings of the hostile values that must never appear in the text of a query.
NEVER_IN_SQL = ("OR 1=1", "DROP TABLE", "LONGVALUE", "²", "click", "example.com", UNKNOWN_CODE)


class RecordingCursor:
    def __init__(self, cursor, log: list) -> None:
        self._cursor, self._log = cursor, log

    def execute(self, sql, parameters=None):
        self._log.append((sql, parameters))
        return self._cursor.execute(sql, parameters)

    def close(self) -> None:
        self._cursor.close()


class RecordingConnection:
    def __init__(self, connection, log: list) -> None:
        self._connection, self._log = connection, log

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self._connection.cursor(), self._log)


@pytest.fixture
def sql_log(monkeypatch) -> list:
    """Every (sql, parameters) the app runs through `profiles.db.query` during the test."""
    log: list = []
    real = profiles.db.connection
    monkeypatch.setattr(profiles.db, "connection", lambda: RecordingConnection(real(), log))
    return log


def assert_no_url_text_in_sql(log: list) -> None:
    for sql, _ in log:
        for fragment in NEVER_IN_SQL:
            assert fragment.lower() not in sql.lower(), f"URL text {fragment!r} reached a query: {sql[:300]}"


def run_app(page: str, params: dict) -> tuple[AppTest, list[str]]:
    """Open a link on the overview (AppTest's first run), then on `page`; return the app and every notice.

    A notice about the link is shown once, on the run that read it: here the first one.
    """
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    notices = [w.value for w in app.warning]
    if page != "overview":
        assert not app.exception, [e.message for e in app.exception]
        open_page(app, page)
        notices += [w.value for w in app.warning]
    assert not app.exception, [e.message for e in app.exception]
    return app, notices


def hostile_link(page: str, value: str) -> dict:
    """Every parameter the page reads set to `value`, with a valid LA so that the page reads them."""
    params = {param: value for param in PAGE_PARAMS[page]}
    return {"la": KENT if page == "wards" else ROTHERHAM} | params


# Widgets drawn only in some views (a custom peer set, the district layer on): absent means default.
ABSENT_MEANS = {"present": False, "with": [], "dgroup": "all"}


def widget_state(app: AppTest, key: str):
    if key in ABSENT_MEANS and key not in app.session_state:
        return ABSENT_MEANS[key]
    return app.session_state[key]


def assert_fallbacks(app: AppTest, warnings: list[str], page: str, value: str) -> None:
    """Each parameter of the page fell back to its default, with a notice where one is due."""
    refused = value not in PASSES_URL_CHECK  # dropped with a notice before any page reads it
    for param in PAGE_PARAMS[page]:
        if refused:
            assert any("Ignored" in w and f"“{param}”" in w for w in warnings), (param, warnings)
            assert app.query_params.get(param) != value
        default = FALLBACK[param]
        actual = widget_state(app, param)
        assert (tuple(actual) if isinstance(default, tuple) else actual) == default, (param, actual)
    if value == UNKNOWN_CODE and page == "peers":  # an old-style custom set: its one code is not an LA
        assert any("Left out 1 item" in w for w in warnings), warnings
    assert all(len(w) < 600 for w in warnings), "a notice echoed a long value"
    assert len(warnings) <= 2, warnings  # the LA's notice, if any, and one for the link
    assert not any("example.com" in w.lower() for w in warnings), "a notice would render a link from the URL"


# Two values run in the default (fast) set; every hostile value runs in the slow set.
FAST_HOSTILE = (SQL_STATEMENT, UNKNOWN_CODE)


@pytest.mark.parametrize(
    "value",
    [value if value in FAST_HOSTILE else pytest.param(value, marks=pytest.mark.slow) for value in HOSTILE],
    ids=HOSTILE_IDS,
)
@pytest.mark.parametrize("page", PAGES)
def test_hostile_value_in_every_parameter(page, value, sql_log):
    app, notices = run_app(page, hostile_link(page, value))
    assert app.session_state["la"] in (ROTHERHAM, KENT)
    assert_fallbacks(app, notices, page, value)
    assert_no_url_text_in_sql(sql_log)


def test_longest_real_links_are_kept(db):
    """Every ward of Kent chosen (the longest setting a page writes), in today's form and the old one."""
    wards = db.execute("SELECT ward_code FROM wards WHERE area_code = ? ORDER BY ward_code", [KENT]).df()
    codes = list(wards["ward_code"])
    from profiles.wards import ward_labels, ward_table

    labels = ward_labels(ward_table(KENT))
    for link in ([labels[code] for code in codes], ",".join(codes)):
        app, notices = run_app("wards", {"la": KENT, "wards": link, "regions": ["London", "East of England"]})
        assert sorted(app.session_state["wards"]) == codes
        assert not notices


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_district_group_falls_back(value):
    app, _ = run_app("wards", {"la": KENT, "districts": "true", "dgroup": value})
    assert app.session_state["districts"] is True and app.session_state["dgroup"] == "all"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "value",
    [pytest.param(value, marks=pytest.mark.slow) for value in (SQL_QUOTE, LONG, NON_ASCII, LINK)] + [BARE_LINK],
    ids=["sql-quote", "10kB", "non-ascii", "markdown-link", "bare-link"],
)
def test_hostile_la_gives_a_short_notice_on_every_page(page, value, sql_log):
    app, notices = run_app(page, {"la": value})
    assert app.session_state["la"] is None
    assert app.selectbox(key="la_picker").value is None
    assert [w.value for w in app.warning] == notices[:1], "a 'choose an LA' notice stays until one is chosen"
    assert len(notices[0]) < 300 and "example.com" not in notices[0].lower(), notices[0]
    assert "is not a local authority code" in notices[0]
    assert_no_url_text_in_sql(sql_log)


def test_url_text_never_reaches_the_text_of_a_query(sql_log):
    """With the caches emptied every page's queries run: all of them, and none carries URL text."""
    st.cache_data.clear()
    run_app("profile", {"la": SQL_QUOTE})
    for page in PAGES:
        run_app(page, hostile_link(page, SQL_QUOTE))
        run_app(page, hostile_link(page, UNKNOWN_CODE))
    assert len(sql_log) >= 15, "the recorder saw too few queries to prove anything"
    assert any(ROTHERHAM in map(str, parameters or []) for _, parameters in sql_log), "codes go in as parameters"
    assert_no_url_text_in_sql(sql_log)


def test_repeated_la_uses_the_first_with_a_notice():
    for page in PAGES:
        app, notices = run_app(page, {"la": [ROTHERHAM, "E08000025"]})
        assert app.session_state["la"] == ROTHERHAM
        assert app.query_params["la"] == ROTHERHAM
        assert any("more than one area" in notice for notice in notices)


@pytest.mark.parametrize(
    ("page", "params", "expected"),
    [
        (
            "overview",
            {"map": ["gld_fsm", "change_all"], "band": ["Top quarter", "x"]},
            {"map": "gld_fsm", "band": "Top quarter"},
        ),
        (
            "peers",
            {"peers": ["region", "sn2021"], "pupils": ["fsm", "all"], "similar": ["1", "0"]},
            {"peers": "region", "pupils": "fsm", "similar": True},
        ),
        (
            "wards",
            {
                "measure": ["imd_decile", "zzz"],
                "dec": ["2", "4", "6"],
                "minkids": ["1000", "5"],
                "districts": ["1", "0"],
            },
            {"measure": "imd_decile", "dec": (2, 4), "minkids": 1000, "districts": True},
        ),
        ("profile", {"present": ["1", "0"]}, {"present": True}),
    ],
    ids=["overview", "peers", "wards", "profile"],
)
def test_repeated_keys_use_the_first_value_with_a_notice(page, params, expected):
    la = KENT if page == "wards" else ROTHERHAM
    app, notices = run_app(page, {"la": la} | params)
    for key, value in expected.items():
        actual = widget_state(app, key)
        assert (tuple(actual) if isinstance(value, tuple) else actual) == value, key
    for param in params:
        assert any("more than once" in notice and f"“{param}”" in notice for notice in notices), param


def test_unicode_digits_do_not_crash_the_ward_filters():
    app, notices = run_app("wards", {"la": ROTHERHAM, "dec": "²-³", "minkids": "²"})
    assert app.session_state["dec"] == (1, 10) and app.session_state["minkids"] == 0
    assert any("Ignored" in notice and "“dec”" in notice for notice in notices)


def test_a_link_with_hundreds_of_bad_settings_gets_one_notice():
    params = {"la": ROTHERHAM} | {f"key{number}": "<b>x</b>" for number in range(300)}
    app, notices = run_app("about", params)  # a page with no notes of its own
    assert notices == [
        "Ignored 300 settings in the link: their values are too long or have characters no setting uses."
    ]


@pytest.mark.parametrize(
    ("params", "default"),
    [
        ({"minkids": "-5"}, ("minkids", 0)),
        ({"dec": "0-99"}, ("dec", (1, 10))),
        ({"dec": ["0", "99"]}, ("dec", (1, 10))),
    ],
    ids=["negative-children", "old-range-out-of-bounds", "range-out-of-bounds"],
)
def test_out_of_range_filters_say_so_once(params, default):
    app, notices = run_app("wards", {"la": ROTHERHAM} | params)
    key, value = default
    assert (tuple(app.session_state[key]) if isinstance(value, tuple) else app.session_state[key]) == value
    assert len(notices) == 1 and f"“{key}”" in notices[0] and "Ignored" in notices[0], notices


def test_parse_decile_range_rejects_unicode_digits():
    from profiles.wards import parse_decile_range

    assert parse_decile_range("²-³") is None


def query_calls(source: str) -> list[str]:
    """The SQL text of every `query("…")` call in `source` whose SQL is one string."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "query":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                calls.append(node.args[0].value)
    return calls


def test_required_tables_are_exactly_the_tables_the_app_queries():
    from profiles.maps import BOUNDARY_QUERIES  # the maps' one query per kind of boundary

    referenced = set()
    sqls = [
        sql for path in (PROJECT / "profiles").glob("*.py") for sql in query_calls(path.read_text(encoding="utf-8"))
    ]
    for sql in [*sqls, *BOUNDARY_QUERIES.values()]:
        referenced |= set(re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)\b(?!\.)", sql))
    assert referenced == set(REQUIRED_TABLES)


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ("def f(code):\n    return query(f\"SELECT * FROM gld WHERE area_code = '{code}'\")\n", True),
        ('def f(code):\n    return query("SELECT * FROM gld WHERE area_code = \'" + code + "\'")\n', True),
        ('def f(code):\n    return query("SELECT * FROM gld WHERE area_code = ?", [code])\n', False),
    ],
    ids=["f-string", "concatenated", "parameter"],
)
def test_lint_refuses_sql_built_from_values(tmp_path, snippet, flagged):
    """ruff's S608 (selected in pyproject.toml) catches SQL built from a value; a parameter passes."""
    module = tmp_path / "page.py"
    module.write_text(snippet)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(PROJECT / "pyproject.toml"), str(module)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    assert ("S608" in result.stdout) == flagged, result.stdout
