"""`python -m etl fetch` against a local HTTP server on 127.0.0.1 serving fixture files.

No real network: every URL in the copied register is pointed at the fixture server. Each test
checks what ends up in data/raw, in data/sources.yml and in the database.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import requests
import yaml

from etl.fetch import Offline, fetch
from etl.raw_files import EES_HEADLINE_FILE as EES
from etl.raw_files import LAIT_2015_FILE
from etl.raw_files import LAIT_FILE as LAIT
from etl.raw_files import LAS_FILE as LAS
from etl.register import sha256_of

FAST = {"timeout": (2.0, 5.0), "retries": 2, "backoff": 0.01}


class FixtureServer:
    """Serves `routes[path]`, a list of (status, headers, body, declared_length), on 127.0.0.1.

    Each request takes the next response in the list (the last one repeats). A declared length
    larger than the body imitates a transfer that breaks off.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict, bytes, int | None]]] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                hits.append(self.path)
                queue = routes.get(self.path, [(404, {}, b"not found", None)])
                status, headers, body, declared = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                for key, value in {"Content-Type": "application/octet-stream", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(declared if declared is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes, status: int = 200, headers: dict | None = None, declared=None) -> str:
        """Add a response for `path` (after any already queued) and return its URL."""
        self.routes.setdefault(path, []).append((status, headers or {}, body, declared))
        return self.base + path

    def close(self) -> None:
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
        "paging": {"page": 1, "totalPages": 1},
    }
    return server.serve("/v1/publications/pub/data-sets", json.dumps(body).encode(), headers={"Content-Type": "json"})


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


@pytest.mark.parametrize(
    "case, expected",
    [
        ("404", "HTTP 404"),
        ("truncated", "incomplete download"),
        ("html", "web page"),
        ("html_as_csv", "web page"),
        ("server_error", "HTTP 503"),
    ],
)
def test_failed_download_leaves_everything_untouched(data_copy, server, capsys, case, expected):
    good = (data_copy / "raw" / LAS).read_bytes()
    page = b"<!DOCTYPE html><html><body>Sorry, the service is unavailable</body></html>"
    if case == "404":
        url = server.base + "/missing.csv"
    elif case == "truncated":
        url = server.serve("/las.csv", good[: len(good) // 2] + b"x", declared=len(good) + 1)
    elif case == "html":
        url = server.serve("/las.csv", page, headers={"Content-Type": "text/html; charset=utf-8"})
    elif case == "html_as_csv":
        url = server.serve("/las.csv", page, headers={"Content-Type": "text/csv"})
    else:
        url = server.serve("/las.csv", b"busy", status=503)
    point_register_at(data_copy, {LAS: url})
    before = snapshot(data_copy)
    assert fetch(data_copy, **FAST) == 1
    out = capsys.readouterr().out
    assert f"FAILED         data/raw/{LAS}" in out and expected in out
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
