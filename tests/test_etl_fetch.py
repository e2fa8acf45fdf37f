"""`python -m etl fetch` against local HTTP servers on 127.0.0.1.

No real network: every URL in the copied register is pointed at a generic fixture server (each
path answered from a list of replies) or at a fake Explore Education Statistics API that pages
its listings as the real one does (tests/fake_ees.py). Each test checks what ends up in data/raw,
in data/sources.yml and in the database (and, for a new LAIT year, on the app's profile page), and
counts the servers' requests rather than timing them.
"""

from __future__ import annotations

import errno
import http.server
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
import streamlit as st
import yaml

from etl.__main__ import main
from etl.fetch import LISTING_MAX_PAGES, LISTING_PAGE_SIZE, Offline, fetch, listing_page_url
from etl.gld import LAIT_GROUPS
from etl.raw_files import EES_HEADLINE_FILE as EES
from etl.raw_files import LAIT_2015_FILE
from etl.raw_files import LAIT_FILE as LAIT
from etl.raw_files import LAS_FILE as LAS
from etl.register import sha256_of
from tests.conftest import etl_cli
from tests.fake_ees import HTML_ERROR_PAGE, DataSet, FakeEesApi, Fault
from tests.test_app import page_text, run_page

FAST = {"timeout": (2.0, 5.0), "retries": 2, "backoff": 0.01}
# For servers that go silent: a quarter of a second without a byte counts as silence.
QUICK = {**FAST, "timeout": (2.0, 0.25)}
CSV = {"Content-Type": "text/csv"}
LISTING_PATH = "/v1/publications/pub/data-sets"
LISTING = f"{LISTING_PATH}?page=1&pageSize={LISTING_PAGE_SIZE}"  # the first page, as fetch asks for it


@dataclass
class Reply:
    """One response: `declared` (Content-Length) larger than the body imitates a transfer that
    breaks off; `silent` seconds before the status line imitate a server that never answers, and
    `hold` seconds with the connection open after the body imitate a stall mid-download."""

    status: int
    headers: dict
    body: bytes
    declared: int | None = None
    silent: float = 0.0
    hold: float = 0.0


class FixtureServer:
    """Serves `routes[path]`, a list of Replies, on 127.0.0.1, and counts the requests in `hits`.

    Each request takes the next reply in the list (the last one repeats). Closing the server ends
    any reply still waiting.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: list[str] = []
        self.closing = threading.Event()
        routes, hits, closing = self.routes, self.hits, self.closing

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                hits.append(self.path)
                queue = routes.get(self.path, [Reply(404, {}, b"not found")])
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.silent and closing.wait(reply.silent):
                    return
                self.send_response(reply.status)
                for key, value in {"Content-Type": "application/octet-stream", **reply.headers}.items():
                    self.send_header(key, value)
                declared = reply.declared if reply.declared is not None else len(reply.body)
                self.send_header("Content-Length", str(declared))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                except OSError:  # the client gave up first
                    return
                closing.wait(reply.hold)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def serve(self, path: str, body: bytes, status: int = 200, headers: dict | None = None, **reply) -> str:
        """Add a reply for `path` (after any already queued) and return its URL.

        `reply` takes Reply's other fields: declared, silent, hold.
        """
        self.routes.setdefault(path, []).append(Reply(status, headers or {}, body, **reply))
        return self.base + path

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    instance = FixtureServer()
    yield instance
    instance.close()


def point_register_at(data_dir: Path, urls: dict[str, str]) -> None:
    """Give the copied register's entries fixture URLs (and no URL to every other entry)."""
    register = data_dir / "sources.yml"
    document = yaml.safe_load(register.read_text())
    for entry in document["sources"]:
        entry.pop("url", None)
        if entry["path"] in urls:
            entry["url"] = urls[entry["path"]]
    register.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def snapshot(data_dir: Path) -> dict[str, str]:
    """sha256 of the register, the database and every raw file."""
    files = [data_dir / "sources.yml", data_dir / "gld.duckdb", *sorted((data_dir / "raw").rglob("*"))]
    return {str(path.relative_to(data_dir)): sha256_of(path) for path in files if path.is_file()}


def entry(data_dir: Path, path: str) -> dict:
    document = yaml.safe_load((data_dir / "sources.yml").read_text())
    return next(item for item in document["sources"] if item["path"] == path)


def headline_release(data_dir: Path, years: dict[int, float]) -> bytes:
    """A multi-year headline file in the newer EES layout for every area in the built database.

    For each `year: shift`, every area's all/FSM/not-eligible GLD is its 2024/25 value + shift (at most 100),
    with round-number counts (cohort 1,000 for all, 200 FSM, 780 not eligible, 20 unknown), so the
    expected numbers can be written down by hand.
    """
    con = duckdb.connect(str(data_dir / "gld.duckdb"), read_only=True)
    latest = con.execute(
        "SELECT a.area_code, a.level, a.region_code, g.pupil_group, g.pct FROM areas a "
        "JOIN gld g ON g.area_code = a.area_code AND g.year = 2025 AND g.pupil_group IN ('all', 'fsm', 'not_eligible')"
    ).df()
    con.close()
    level_names = {"england": "National", "region": "Regional", "la": "Local authority"}
    rows = []
    for year, shift in years.items():
        for (code, level, region), group in latest.groupby(["area_code", "level", "region_code"], dropna=False):
            pct = group.set_index("pupil_group")["pct"]
            for topic, breakdown, children, value in (
                ("Total", "Total", 1000, pct.get("all")),
                ("Free school meals", "FSM eligible", 200, pct.get("fsm")),
                ("Free school meals", "FSM not eligible", 780, pct.get("not_eligible")),
                ("Free school meals", "FSM unknown", 20, 50.0),
            ):
                known = value is not None and pd.notna(value)
                value = min(value + shift, 100.0) if known else value
                rows.append(
                    {
                        "time_period": f"{year - 1}{year % 100:02d}",
                        "time_identifier": "Academic year",
                        "geographic_level": level_names[level],
                        "country_code": "E92000001",
                        "region_code": code if level == "region" else (region if level == "la" else ""),
                        "new_la_code": code if level == "la" else "",
                        "lad_code": "",
                        "lad_name": "",
                        "breakdown_topic": topic,
                        "breakdown": breakdown,
                        "sex": "Total",
                        "children_count": children,
                        "gld_children_count": round(children * value / 100) if known else "x",
                        "gld_children_percent": round(value, 1) if known else "x",
                    }
                )
    return pd.DataFrame(rows).to_csv(index=False).encode()


def listing(server: FixtureServer, title: str = "Headline measures by characteristics") -> str:
    body = {
        "results": [
            {"id": "ds-areas", "title": "Areas of learning by characteristics"},
            {"id": "ds-headline", "title": title},
        ],
        "paging": {"page": 1, "pageSize": LISTING_PAGE_SIZE, "totalResults": 2, "totalPages": 1},
    }
    server.serve(LISTING, json.dumps(body).encode(), headers={"Content-Type": "json"})
    return server.base + LISTING_PATH  # as registered: fetch adds the page it wants


@pytest.mark.slow
def test_release_with_an_extra_year_lands_registered_and_rebuilt(data_copy, server):
    release = headline_release(data_copy, {2025: 0.0, 2026: 1.0})
    server.serve("/v1/data-sets/ds-headline/csv", release, headers={"Content-Type": "text/csv"})
    point_register_at(data_copy, {EES: listing(server)})  # the entry names its data set: "headline measures"

    assert fetch(data_copy, **FAST) == 0

    landed = data_copy / "raw" / EES
    assert landed.read_bytes() == release
    registered = entry(data_copy, EES)
    assert registered["sha256"] == sha256_of(landed)
    assert registered["origin"]["downloaded_from"].endswith("/v1/data-sets/ds-headline/csv")
    assert registered["retrieved"] == time.strftime("%Y-%m-%d")

    con = duckdb.connect(str(data_copy / "gld.duckdb"), read_only=True)
    england = con.execute(
        "SELECT year, pupil_group, pct, children, achieved, counts_basis, source FROM gld "
        "WHERE area_code = 'E92000001' AND year >= 2025 ORDER BY year, pupil_group"
    ).df()
    rotherham_2026 = con.execute(
        "SELECT pct FROM gld WHERE area_code = 'E08000018' AND year = 2026 AND pupil_group = 'all'"
    ).fetchone()
    first_estimate = con.execute("SELECT min(year) FROM cohort_estimates").fetchone()[0]
    targets = con.execute("SELECT target_all, target_fsm FROM targets_2028 WHERE area_code = 'E08000018'").fetchone()
    con.close()
    all_2025 = england[(england["year"] == 2025) & (england["pupil_group"] == "all")].iloc[0]
    # Same percentage as before (68.3), now with the file's published count instead of an estimate.
    assert (all_2025["pct"], all_2025["children"], all_2025["achieved"]) == (68.3, 1000, 683)
    assert all_2025["counts_basis"] == "published" and "multi-year" in all_2025["source"]
    all_2026 = england[(england["year"] == 2026) & (england["pupil_group"] == "all")].iloc[0]
    assert (all_2026["pct"], all_2026["children"], all_2026["achieved"]) == (69.3, 1000, 693)
    fsm_2026 = england[(england["year"] == 2026) & (england["pupil_group"] == "fsm")].iloc[0]
    assert (fsm_2026["pct"], fsm_2026["children"]) == (52.3, 200)  # England FSM 2025 = 51.3, + 1.0
    # DfE's comparison group, derived from the counts: not eligible 780 × 73.5% = 573, unknown 20 × 50%
    # = 10; (573 + 10) / 800 = 72.9%.
    other_2026 = england[(england["year"] == 2026) & (england["pupil_group"] == "all_other")].iloc[0]
    assert (other_2026["pct"], other_2026["children"], other_2026["achieved"]) == (72.9, 800, 583)
    assert "not eligible + unknown" in other_2026["source"]
    assert rotherham_2026 is not None
    assert first_estimate == 2027  # estimates only after the last published year
    assert targets == pytest.approx((73.3, 56.6))  # targets keep their 2023/24 base


def test_dry_run_lists_the_change_and_changes_nothing(data_copy, server, capsys):
    older = (data_copy / "raw" / LAIT_2015_FILE).read_bytes()
    point_register_at(data_copy, {LAIT: server.serve("/lait.parquet", older)})
    before = snapshot(data_copy)
    assert fetch(data_copy, dry_run=True, **FAST) == 0
    out = capsys.readouterr().out
    assert f"would replace  data/raw/{LAIT}" in out and "1 file(s) would change" in out
    assert snapshot(data_copy) == before
    assert not (data_copy / ".fetch").exists()


def test_unchanged_file_is_left_alone_and_nothing_rebuilt(data_copy, server, capsys):
    same = (data_copy / "raw" / LAS).read_bytes()
    point_register_at(data_copy, {LAS: server.serve("/las.csv", same, headers={"Content-Type": "text/csv"})})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 0
    assert "unchanged" in capsys.readouterr().out
    assert snapshot(data_copy) == before


def failures(out: str) -> list[str]:
    return [line for line in out.splitlines() if "FAILED" in line]


@pytest.mark.parametrize(
    "case, expected, attempts",
    [
        ("404", "HTTP 404", 1),
        ("truncated", "incomplete download", 2),
        ("html", "web page", 1),
        ("html_as_csv", "web page", 1),
        ("server_error", "HTTP 503 Service Unavailable from {url}; gave up after 2 attempts", 2),
        ("redirect_loop", "{url} redirects in a loop", None),
        ("redirect_to_file", "{url} leads to file:///etc/passwd, which is not an http or https address", 1),
        ("silent", "sent nothing for 0.25 s; gave up after 2 attempts", 2),
        ("stall", "incomplete download from {url}: 127.0.0.1:", 2),
    ],
)
def test_failed_download_is_one_line_and_leaves_everything_untouched(
    data_copy, server, capsys, case, expected, attempts
):
    good = (data_copy / "raw" / LAS).read_bytes()
    page = b"<!DOCTYPE html><html><body>Sorry, the service is unavailable</body></html>"
    if case == "404":
        url = server.base + "/las.csv"
    elif case == "truncated":
        url = server.serve("/las.csv", good[: len(good) // 2] + b"x", declared=len(good) + 1)
    elif case == "html":
        url = server.serve("/las.csv", page, headers={"Content-Type": "text/html; charset=utf-8"})
    elif case == "html_as_csv":
        url = server.serve("/las.csv", page, headers=CSV)
    elif case == "server_error":
        url = server.serve("/las.csv", b"busy", status=503)
    elif case == "redirect_loop":
        url = server.serve("/las.csv", b"", status=302, headers={"Location": "/las.csv"})
    elif case == "redirect_to_file":
        url = server.serve("/las.csv", b"", status=302, headers={"Location": "file:///etc/passwd"})
    elif case == "silent":  # no status line within the read timeout
        url = server.serve("/las.csv", good, silent=30)
    else:  # "stall": a Content-Length, a first part, then nothing with the connection open
        url = server.serve("/las.csv", good[:100], declared=len(good), hold=30)
    point_register_at(data_copy, {LAS: url})
    before = snapshot(data_copy)
    assert fetch(data_copy, **QUICK) == 1
    out = capsys.readouterr().out
    [failure] = failures(out)
    assert failure.startswith(f"  FAILED         data/raw/{LAS}: ") and expected.format(url=url) in failure
    assert "up to date" not in out
    if attempts is not None:
        assert server.hits.count("/las.csv") == attempts
    assert snapshot(data_copy) == before
    assert not (data_copy / ".fetch").exists()


def test_retries_recover_from_a_broken_transfer(data_copy, server):
    good = (data_copy / "raw" / LAS).read_bytes()
    changed = good.replace(b"\n", b"\r\n")  # the same table in different bytes: a "new release"
    server.serve("/las.csv", changed[:100], declared=len(changed))  # first attempt breaks off
    url = server.serve("/las.csv", changed)
    point_register_at(data_copy, {LAS: url})
    assert fetch(data_copy, **FAST) == 0
    assert server.hits.count("/las.csv") == 2
    assert (data_copy / "raw" / LAS).read_bytes() == changed
    assert entry(data_copy, LAS)["sha256"] == sha256_of(data_copy / "raw" / LAS)


def test_a_release_that_does_not_build_is_rolled_back(data_copy, server, capsys):
    good = (data_copy / "raw" / LAS).read_text()
    renamed = good.replace("new_la_code", "la_code_new", 1).encode()
    point_register_at(data_copy, {LAS: server.serve("/las.csv", renamed, headers={"Content-Type": "text/csv"})})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    out = capsys.readouterr().out
    assert "do not build" in out and "'new_la_code'" in out and "restored" in out
    assert snapshot(data_copy) == before


def test_size_limit_stops_a_download(data_copy, server, capsys):
    point_register_at(data_copy, {LAS: server.serve("/las.csv", b"a,b\n" + b"1,2\n" * 200_000)})
    register = data_copy / "sources.yml"
    register.write_text(register.read_text().replace("  url: http", "  max_mb: 0.5\n  url: http"))
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    assert "over the 0.5 MB limit" in capsys.readouterr().out
    assert snapshot(data_copy) == before


class CountingSession(requests.Session):
    """A requests session that records every URL it is asked to GET."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def get(self, url, **kwargs):
        self.urls.append(url)
        return super().get(url, **kwargs)


@pytest.mark.parametrize("url", ["http://nothing-here.invalid/las.csv", "http://127.0.0.1:9/las.csv"])
def test_offline_fails_fast_and_changes_nothing(data_copy, url):
    point_register_at(data_copy, {LAS: url, LAIT: url.replace("las.csv", "lait.parquet")})
    before = snapshot(data_copy)
    session = CountingSession()
    with pytest.raises(Offline, match="cannot connect"):
        fetch(data_copy, session=session, **FAST)
    # Failing fast means one request: no retries (FAST allows 2) and no second file. How long
    # that takes is the network's business, not this test's.
    assert len(session.urls) == 1, session.urls
    assert snapshot(data_copy) == before


def test_ees_listing_must_name_exactly_one_data_set(data_copy, server, capsys):
    point_register_at(data_copy, {EES: listing(server, title="Something else entirely")})
    assert fetch(data_copy, **FAST) == 1
    out = capsys.readouterr().out
    assert "0 data sets have 'headline measures'" in out and "Areas of learning" in out
    assert not (data_copy / "raw" / EES).exists()


@pytest.mark.parametrize(
    "results, expected",
    [
        ([{"title": "Headline measures by characteristics"}], "data set 1 of 1 has no id"),
        ([{"id": "ds-areas", "title": "Areas of learning"}, {"id": "ds-headline"}], "data set 2 of 2 has no title"),
        (["Headline measures by characteristics"], "data set 1 of 1 has no id or title"),
    ],
)
def test_malformed_listing_is_one_line_naming_the_entry(data_copy, server, capsys, results, expected):
    url = server.serve(LISTING, json.dumps({"results": results}).encode(), headers={"Content-Type": "json"})
    point_register_at(data_copy, {EES: server.base + LISTING_PATH})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    assert failures(capsys.readouterr().out) == [f"  FAILED         data/raw/{EES}: {url}: {expected}"]
    assert snapshot(data_copy) == before


@pytest.fixture
def rebuilds(monkeypatch) -> list[Path]:
    """Stands in for the rebuild (its own tests cover it): records each call instead of building."""
    calls: list[Path] = []
    monkeypatch.setattr("etl.build.build", lambda data_dir, **kwargs: calls.append(data_dir))
    return calls


def test_listing_answering_503_is_tried_three_times_and_the_release_lands(data_copy, server, rebuilds):
    server.serve(LISTING, b"busy", status=503)
    server.serve(LISTING, b"still busy", status=503)
    url = listing(server)
    release = b"time_period,geographic_level\n202526,National\n"
    csv_url = server.serve("/v1/data-sets/ds-headline/csv", release, headers=CSV)
    point_register_at(data_copy, {EES: url})

    assert fetch(data_copy, **{**FAST, "retries": 3}) == 0

    assert server.hits.count(LISTING) == 3
    assert (data_copy / "raw" / EES).read_bytes() == release
    registered = entry(data_copy, EES)
    assert registered["sha256"] == sha256_of(data_copy / "raw" / EES)
    assert registered["origin"]["publication_id"] == "fcda2962-82a6-4052-afa2-ea398c53c85f"
    assert registered["origin"]["downloaded_from"] == csv_url
    assert rebuilds == [data_copy]


def test_429_waits_as_long_as_retry_after_asks(data_copy, server, capsys, monkeypatch):
    same = (data_copy / "raw" / LAS).read_bytes()
    server.serve("/las.csv", b"slow down", status=429, headers={"Retry-After": "1"})
    url = server.serve("/las.csv", same, headers=CSV)
    point_register_at(data_copy, {LAS: url})
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # record the waits instead of waiting

    assert fetch(data_copy, **FAST) == 0

    assert server.hits.count("/las.csv") == 2
    assert waits == [1]  # the server's Retry-After, not FAST's 0.01 s backoff
    assert f"unchanged      data/raw/{LAS}" in capsys.readouterr().out


def test_a_failed_entry_does_not_stop_the_others(data_copy, server):
    changed = (data_copy / "raw" / LAS).read_bytes().replace(b"\n", b"\r\n")  # same table, new bytes
    loop = server.serve("/lait.parquet", b"", status=302, headers={"Location": "/lait.parquet"})
    las_url = server.serve("/las.csv", changed, headers=CSV)
    point_register_at(data_copy, {LAIT: loop, LAS: las_url})  # LAIT comes first in the register
    lait_before, lait_entry = sha256_of(data_copy / "raw" / LAIT), entry(data_copy, LAIT)
    las_origin = entry(data_copy, LAS)["origin"]

    result = etl_cli(data_copy, "fetch")  # as an analyst would: default timeouts and retries

    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in output and "up to date" not in output
    assert failures(output) == [f"  FAILED         data/raw/{LAIT}: {loop} redirects in a loop (too many redirects)"]
    assert output.count("Rebuilding the database") == 1
    landed = data_copy / "raw" / LAS
    assert landed.read_bytes() == changed
    registered = entry(data_copy, LAS)
    assert registered["sha256"] == sha256_of(landed) and registered["retrieved"] == time.strftime("%Y-%m-%d")
    assert registered["origin"] == {**las_origin, "downloaded_from": las_url}  # repository, path, commit kept
    assert sha256_of(data_copy / "raw" / LAIT) == lait_before and entry(data_copy, LAIT) == lait_entry


def test_an_unreachable_host_fails_its_entry_only(data_copy, server, capsys):
    same = (data_copy / "raw" / LAS).read_bytes()
    point_register_at(data_copy, {LAIT: "http://127.0.0.1:9/lait.parquet", LAS: server.serve("/las.csv", same)})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1  # another host answered: not offline, so no Offline
    out = capsys.readouterr().out
    [failure] = failures(out)
    assert failure.startswith(f"  FAILED         data/raw/{LAIT}: cannot connect to 127.0.0.1:9")
    assert f"unchanged      data/raw/{LAS}" in out and "up to date" not in out
    assert snapshot(data_copy) == before


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Take every write permission off `folder` and what it holds, then give them back.

    Root ignores permissions, so when the tests run as root making a folder inside `folder` is
    refused the way the system refuses anyone else.
    """
    modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
    real_mkdir = os.mkdir

    def refuse_inside(path, *args, **kwargs):
        if Path(path).resolve().is_relative_to(folder.resolve()):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *args, **kwargs)

    try:
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        with pytest.MonkeyPatch.context() as patch:
            if os.geteuid() == 0:
                patch.setattr(os, "mkdir", refuse_inside)
            yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_read_only_data_folder_is_one_line_and_a_dry_run_still_works(data_copy, server, capsys):
    changed = (data_copy / "raw" / LAS).read_bytes().replace(b"\n", b"\r\n")
    point_register_at(data_copy, {LAS: server.serve("/las.csv", changed, headers=CSV)})
    before = snapshot(data_copy)
    with read_only(data_copy):
        assert main(["--data-dir", str(data_copy), "fetch"]) == 1
        refused = capsys.readouterr()
        assert main(["--data-dir", str(data_copy), "fetch", "--dry-run"]) == 0
        dry_run = capsys.readouterr()
    assert (
        refused.err.splitlines()[0] == "Fetch failed: cannot make a download folder in data/.fetch: Permission denied"
    )
    assert f"would replace  data/raw/{LAS}" in dry_run.out and not dry_run.err
    assert snapshot(data_copy) == before


def test_listing_page_url_keeps_the_query_and_replaces_page_and_page_size():
    url = "https://api.education.gov.uk/statistics/v1/publications/p/data-sets?page=4&PageSize=5&x=1"
    assert listing_page_url(url, 2) == (
        f"https://api.education.gov.uk/statistics/v1/publications/p/data-sets?x=1&page=2&pageSize={LISTING_PAGE_SIZE}"
    )


PUBLICATION = "fcda2962-82a6-4052-afa2-ea398c53c85f"  # DfE's EYFSP publication, as registered
RELEASE = b"time_period,geographic_level\n202526,National\n"


@pytest.fixture
def ees_api() -> Iterator[FakeEesApi]:
    api = FakeEesApi()
    yield api
    api.close()


def eyfsp_publication(api: FakeEesApi, others: int = 44) -> str:
    """Publish the EYFSP publication with `others` data sets listed before the headline one; return
    its listing URL as registered. With 44 the headline data set is the 45th: page 3 of 3 at 20 a page."""
    data_sets = [
        DataSet(f"ds-{n:04d}", f"EYFSP table {n}: areas of learning by characteristics") for n in range(others)
    ]
    return api.publish(PUBLICATION, [*data_sets, DataSet("ds-headline", "EYFSP headline measures", RELEASE)])


def three_pages(times: dict[int, int] | None = None) -> list[tuple[str, str]]:
    """The (page, pageSize) requests for pages 1-3, page n asked `times[n]` times (default once)."""
    return [(str(page), str(LISTING_PAGE_SIZE)) for page in (1, 2, 3) for _ in range((times or {}).get(page, 1))]


def assert_headline_landed(data_dir: Path, api: FakeEesApi, rebuilds: list[Path]) -> None:
    landed = data_dir / "raw" / EES
    assert landed.read_bytes() == RELEASE
    registered = entry(data_dir, EES)
    assert registered["sha256"] == sha256_of(landed)
    assert registered["origin"]["downloaded_from"] == api.csv_url("ds-headline")
    assert rebuilds == [data_dir]


def test_headline_data_set_on_page_3_of_3_lands_and_is_registered(data_copy, ees_api, rebuilds):
    point_register_at(data_copy, {EES: eyfsp_publication(ees_api)})
    assert fetch(data_copy, **FAST) == 0
    assert ees_api.pages_asked(PUBLICATION) == three_pages()
    assert_headline_landed(data_copy, ees_api, rebuilds)


@pytest.mark.parametrize("status", [429, 503])
def test_listing_page_2_asking_to_retry_after_is_retried_and_lands(data_copy, ees_api, rebuilds, monkeypatch, status):
    point_register_at(data_copy, {EES: eyfsp_publication(ees_api)})
    busy = Fault(status, {"Retry-After": "7", "Content-Type": "text/plain"}, b"busy")
    ees_api.fault(FakeEesApi.listing_path(PUBLICATION), busy, page=2)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # record the waits instead of waiting

    assert fetch(data_copy, **FAST) == 0

    assert ees_api.pages_asked(PUBLICATION) == three_pages({2: 2})
    assert waits == [7]  # the server's Retry-After, not FAST's 0.01 s backoff
    assert_headline_landed(data_copy, ees_api, rebuilds)


def test_a_slow_listing_page_still_lands(data_copy, ees_api, rebuilds):
    point_register_at(data_copy, {EES: eyfsp_publication(ees_api)})
    # Half a second before the status line: slow, but well within FAST's 5 s read timeout.
    ees_api.fault(FakeEesApi.listing_path(PUBLICATION), Fault(delay=0.5), page=3)
    assert fetch(data_copy, **FAST) == 0
    assert ees_api.pages_asked(PUBLICATION) == three_pages()  # answered first time: nothing retried
    assert_headline_landed(data_copy, ees_api, rebuilds)


def test_unknown_publication_is_one_line_naming_the_entry_and_changes_nothing(data_copy, ees_api, capsys):
    eyfsp_publication(ees_api)
    url = ees_api.base + FakeEesApi.listing_path("00000000-0000-0000-0000-000000000000")  # not published
    point_register_at(data_copy, {EES: url})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    first_page = f"{url}?page=1&pageSize={LISTING_PAGE_SIZE}"
    assert failures(capsys.readouterr().out) == [
        f"  FAILED         data/raw/{EES}: HTTP 404 Not Found from {first_page}"
    ]
    assert len(ees_api.hits) == 1  # a 404 is not tried again
    assert snapshot(data_copy) == before


@pytest.mark.parametrize(
    "content_type, expected",
    [
        ("text/html; charset=utf-8", "{page} returned a web page (text/html), not a data file"),
        ("application/json", "{page} did not return a JSON list of data sets"),  # a proxy's page, mislabelled
    ],
)
def test_html_page_with_status_200_for_the_listing_is_one_line_and_changes_nothing(
    data_copy, ees_api, capsys, content_type, expected
):
    url = eyfsp_publication(ees_api)
    ees_api.fault(FakeEesApi.listing_path(PUBLICATION), Fault(200, {"Content-Type": content_type}, HTML_ERROR_PAGE))
    point_register_at(data_copy, {EES: url})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    page = f"{url}?page=1&pageSize={LISTING_PAGE_SIZE}"
    assert failures(capsys.readouterr().out) == [f"  FAILED         data/raw/{EES}: {expected.format(page=page)}"]
    assert snapshot(data_copy) == before


def test_a_listing_longer_than_the_page_limit_is_refused_after_one_page(data_copy, ees_api, capsys):
    url = eyfsp_publication(ees_api, others=LISTING_MAX_PAGES * LISTING_PAGE_SIZE)  # one page too many
    point_register_at(data_copy, {EES: url})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    [failure] = failures(capsys.readouterr().out)
    assert failure == (
        f"  FAILED         data/raw/{EES}: {url}: the listing has {LISTING_MAX_PAGES + 1} pages "
        f"({LISTING_PAGE_SIZE} data sets a page), more than the {LISTING_MAX_PAGES} read; check the entry's url"
    )
    assert ees_api.pages_asked(PUBLICATION) == [("1", str(LISTING_PAGE_SIZE))]
    assert snapshot(data_copy) == before


def test_no_match_in_a_long_listing_quotes_the_first_ten_titles(data_copy, ees_api, capsys):
    point_register_at(data_copy, {EES: eyfsp_publication(ees_api, others=44)})
    register = data_copy / "sources.yml"
    register.write_text(register.read_text().replace("ees_data_set: headline measures", "ees_data_set: key stage 4"))
    assert fetch(data_copy, **FAST) == 1
    [failure] = failures(capsys.readouterr().out)
    assert "0 data sets have 'key stage 4' in their title" in failure
    assert "EYFSP table 9: areas" in failure and "EYFSP table 10:" not in failure and "; and 35 more)" in failure
    assert ees_api.pages_asked(PUBLICATION) == three_pages()


def page_body(number: int, total_pages: int, ids: list[str], **paging) -> bytes:
    """A listing page holding data sets `ids` ('ds-headline' is the headline one); `paging` overrides its paging."""
    results = [{"id": i, "title": "Headline measures" if i == "ds-headline" else f"Table {i}"} for i in ids]
    base = {
        "page": number,
        "pageSize": LISTING_PAGE_SIZE,
        "totalResults": 2 * LISTING_PAGE_SIZE,
        "totalPages": total_pages,
    }
    return json.dumps({"paging": {**base, **paging}, "results": results}).encode()


@pytest.mark.parametrize(
    "first, second, expected",
    [
        (page_body(1, 2, ["a"], totalPages="2"), None, '{page1}: paging.totalPages is "2", not a whole number'),
        (page_body(1, 2, ["a"], totalPages=2.5), None, "{page1}: paging.totalPages is 2.5, not a whole number"),
        (page_body(1, 2, ["a"], page=True), None, "{page1}: paging.page is true, not a whole number"),
        (json.dumps({"results": []}).encode(), None, "{page1}: no 'paging' in the response, so the other pages"),
        (json.dumps({"paging": {"totalPages": 2}, "results": []}).encode(), None, "{page1}: no paging.page in the"),
        (page_body(1, 2, ["a"]), json.dumps({"paging": {}}).encode(), "{page2}: no 'results' list in the response"),
        (page_body(1, 2, ["a"]), page_body(1, 2, ["a"]), "{page2}: asked for page 2, the answer is page 1"),
    ],
)
def test_malformed_paging_is_one_line_and_changes_nothing(data_copy, server, capsys, first, second, expected):
    json_type = {"Content-Type": "application/json"}
    page1 = server.serve(LISTING, first, headers=json_type)
    page2 = server.serve(LISTING.replace("page=1", "page=2"), second or b"{}", headers=json_type)
    point_register_at(data_copy, {EES: server.base + LISTING_PATH})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    [failure] = failures(capsys.readouterr().out)
    assert failure.startswith(f"  FAILED         data/raw/{EES}: {expected.format(page1=page1, page2=page2)}")
    assert snapshot(data_copy) == before


def test_a_data_set_met_again_on_the_next_page_counts_once(data_copy, server, rebuilds):
    # A data set published between two page requests pushes the last of page 1 onto page 2.
    server.serve(LISTING, page_body(1, 2, ["a", "ds-headline"]), headers={"Content-Type": "application/json"})
    server.serve(LISTING.replace("page=1", "page=2"), page_body(2, 2, ["ds-headline", "b"]))
    csv_url = server.serve("/v1/data-sets/ds-headline/csv", RELEASE, headers=CSV)
    point_register_at(data_copy, {EES: server.base + LISTING_PATH})
    assert fetch(data_copy, **FAST) == 0
    assert (data_copy / "raw" / EES).read_bytes() == RELEASE
    assert entry(data_copy, EES)["origin"]["downloaded_from"] == csv_url
    assert rebuilds == [data_copy]


ROTHERHAM, ROTHERHAM_LA_NUMBER = "E08000018", 372.0
# Added to every 2024/25 GLD value to make the 2025/26 ones. Chosen so that Rotherham's status turns:
# 64.9% in 2024/25 "has barely changed since 2021/22" (64.5%); 70.9% in 2025/26 is on track.
LAIT_SHIFT = 6.0


def lait_release(data_dir: Path, new_values: dict[tuple[float, str], str] | None = None) -> bytes:
    """The registered LAIT parquet with a 2025/26 added: every GLD row of 2024/25 (LAIT's Years '2025')
    copied as Years '2026' with its value + LAIT_SHIFT (at most 100), written as LAIT writes values
    (text, '-' where suppressed). `new_values` sets some rows' text: {(LA Number, Short Desc): text}.
    """
    table = pq.read_table(data_dir / "raw" / LAIT)
    frame = table.to_pandas()
    added = frame[frame["Short Desc"].isin(list(LAIT_GROUPS)) & (frame["Years"] == "2025")].copy()
    values = pd.to_numeric(added["Values"], errors="coerce")  # '-' stays missing
    shifted = (values + LAIT_SHIFT).clip(upper=100.0).map(lambda value: f"{value:.1f}")
    added["Values"] = added["Values"].where(values.isna(), shifted)
    added["Years"] = "2026"
    for (la_number, measure), text in (new_values or {}).items():
        added.loc[(added["LA Number"] == la_number) & (added["Short Desc"] == measure), "Values"] = text
    release = pa.Table.from_pandas(pd.concat([frame, added], ignore_index=True), schema=table.schema)
    buffer = io.BytesIO()
    pq.write_table(release, buffer)
    return buffer.getvalue()


@pytest.fixture
def app_on_copy(data_copy, monkeypatch) -> Iterator[Path]:
    """The app, run in this process, reads `data_copy`. Streamlit's caches are process-wide and not
    keyed by folder, so they are emptied before and after."""
    monkeypatch.setenv("GLD_DATA_DIR", str(data_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield data_copy
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.slow
def test_lait_release_with_2025_26_lands_and_the_app_shows_it_as_the_latest_year(app_on_copy, server, capsys):
    data_copy = app_on_copy
    page = run_page("profile", ROTHERHAM)  # the app is open when the release lands
    before = page_text(page)
    assert "In 2024/25, 64.9% of children in Rotherham" in before
    # 73.3 − 64.9 = 8.4 points over 3 years = 2.8 a year; (64.9 − 64.5) / 3 = 0.1 a year since 2021/22.
    assert "Rotherham has barely changed since 2021/22 and needs 2.8 percentage points a year." in before
    release = lait_release(data_copy)
    point_register_at(data_copy, {LAIT: server.serve("/lait.parquet", release)})

    assert fetch(data_copy, **FAST) == 0

    assert f"replace        data/raw/{LAIT}" in capsys.readouterr().out
    assert (data_copy / "raw" / LAIT).read_bytes() == release
    assert entry(data_copy, LAIT)["sha256"] == sha256_of(data_copy / "raw" / LAIT)

    page.run()  # the open page's next run, as after a click: it sees the new build stamp
    assert not page.exception
    text = page_text(page)
    assert "Rotherham: headline figures, 2025/26" in text
    assert "In 2025/26, 70.9% of children in Rotherham reached a good level of development" in text
    # All children: target 73.3 − 70.9 = 2.4 points over the 2 years to 2027/28 = 1.2 a year needed;
    # since 2021/22 (64.5%) it gained (70.9 − 64.5) / 4 = 1.6 a year, so it is on track.
    assert "Rotherham is on track: improving by 1.6 percentage points a year, 1.2 needed." in text
    # FSM: 56.6 − 50.2 = 6.4 points, 3.2 a year; (50.2 − 51.7) / 4 = −0.4 a year is "barely changed".
    assert "Rotherham has barely changed since 2021/22 and needs 3.2 percentage points a year." in text
    assert "In 2024/25" not in text

    # Read after the page: DuckDB hands a process the database it already has open at a path, and
    # until the page's run dropped the app's connection that was the build before the fetch.
    con = duckdb.connect(str(data_copy / "gld.duckdb"), read_only=True)
    new_year = con.execute(
        "SELECT area_code, pupil_group, pct, source FROM gld WHERE year = 2026 AND area_code IN (?, ?) "
        "ORDER BY area_code, pupil_group",
        ["E92000001", ROTHERHAM],
    ).fetchall()
    targets = con.execute("SELECT target_all, target_fsm FROM targets_2028 WHERE area_code = ?", [ROTHERHAM]).fetchone()
    con.close()
    # 2024/25 + 6.0: England 68.3, 51.3, 72.5; Rotherham 64.9, 44.2, 70.4 (LAIT's published values).
    assert [row[:3] for row in new_year] == [
        ("E08000018", "all", 70.9),
        ("E08000018", "fsm", 50.2),
        ("E08000018", "not_eligible", 76.4),
        ("E92000001", "all", 74.3),
        ("E92000001", "fsm", 57.3),
        ("E92000001", "not_eligible", 78.5),
    ]
    assert {row[3] for row in new_year} == {"DfE LAIT"}
    assert targets == pytest.approx((73.3, 56.6))  # targets keep their 2023/24 base


@pytest.mark.slow
def test_lait_release_with_a_value_over_100_is_refused_and_everything_restored(data_copy, server, capsys):
    release = lait_release(data_copy, {(ROTHERHAM_LA_NUMBER, "FSP_NEW_GOODDEV"): "101"})
    point_register_at(data_copy, {LAIT: server.serve("/lait.parquet", release)})
    before = snapshot(data_copy)

    assert fetch(data_copy, **FAST) == 1

    out = capsys.readouterr().out
    assert (
        "The updated files do not build: contract failed: table gld, rule 'pct within 0–100': 1 offending rows" in out
    )
    assert "(e.g. 101.0)" in out and "data/raw and data/sources.yml are restored; the database is unchanged." in out
    assert snapshot(data_copy) == before
