"""Fault tolerance in a real browser (issue 8): hostile links, a missing database, and no network at all.

The offline test runs the Streamlit server and Chromium in a network namespace that has only a
loopback interface (`unshare --net`, then `nsenter` for the browser), and Playwright aborts and
records every request to a host other than 127.0.0.1/localhost. The requests the pages attempted
are written to test-artifacts/offline_external_requests.json.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

import pytest

from .conftest import CHROMIUM_ARGS, PROJECT, chromium_path, free_port, server_flags, start_streamlit, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROTHERHAM = "E08000018"
SQL_QUOTE = "E08000018' OR 1=1 --"
SQL_STATEMENT = "1; DROP TABLE gld"
LONG = ("LONGVALUE" * 1200)[:10_000]
LINK = "[click](https://example.com/x)"
CHART = '[data-testid="stVegaLiteChart"]'
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
ALERT = '[data-testid="stAlert"]'
EXCEPTION = '[data-testid="stException"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def idle(page, timeout: int = 90_000) -> None:
    """Wait until the script run has finished (the running indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=timeout)


def link(base: str, path: str, params: dict) -> str:
    return f"{base}{path}?{urlencode(params, doseq=True)}"


HOSTILE_LINKS = [
    ("/profile", {"la": "E99999999"}, ["We do not recognise the area code E99999999"]),
    ("/profile", {"la": SQL_QUOTE}, ["is not a local authority code"]),
    ("/profile", {"la": SQL_STATEMENT}, ["is not a local authority code"]),
    ("/profile", {"la": LONG}, ["is not a local authority code"]),
    ("/profile", {"la": LINK}, ["is not a local authority code"]),
    ("/profile", {"la": "www.example.com"}, ["is not a local authority code"]),
    ("/profile", {"la": [ROTHERHAM, "E08000025"]}, ["more than one area"]),
    (
        "/",
        {"la": ROTHERHAM, "map": SQL_STATEMENT, "regions": SQL_STATEMENT, "band": SQL_STATEMENT, "present": LINK},
        ["Ignored “map”", "Ignored “regions”", "Ignored “band”", "Ignored “present”"],
    ),
    ("/", {"la": ROTHERHAM, "regions": LONG}, ["Ignored “regions”"]),
    ("/", {"la": ROTHERHAM, "map": ["gld_fsm", "change_all"]}, ["“map” more than once"]),
    (
        "/peers",
        {"la": ROTHERHAM, "peers": SQL_STATEMENT, "with": LINK, "pupils": SQL_STATEMENT, "similar": SQL_STATEMENT},
        ["Ignored “peers”", "Ignored “with”", "Ignored “pupils”", "Ignored “similar”"],
    ),
    # An old-style custom set whose one code is not an LA.
    ("/peers", {"la": ROTHERHAM, "peers": "custom", "with": "E99999999"}, ["Left out 1"]),
    ("/peers", {"la": ROTHERHAM, "peers": ["region", "sn2021"], "with": LONG}, ["“peers” more than once"]),
    ("/peers", {"la": ROTHERHAM, "peers": LINK}, ["Ignored “peers”"]),
    (
        "/wards",
        {
            "la": ROTHERHAM,
            "measure": SQL_STATEMENT,
            "decby": SQL_QUOTE,
            "dec": "²-³",
            "minkids": "²",
            "wards": SQL_STATEMENT,
            "districts": SQL_QUOTE,
            "dgroup": SQL_STATEMENT,
        },
        ["Ignored “measure”", "Ignored “dec”", "Ignored “minkids”", "Ignored “wards”"],
    ),
    ("/wards", {"la": ROTHERHAM, "wards": LONG, "dec": ["1", "3", "5"]}, ["Ignored “wards”", "“dec” more than once"]),
    ("/about", {"la": ROTHERHAM, "present": LONG}, ["Ignored “present”"]),
]


def test_hostile_links_give_notices_not_tracebacks(server, page, artifacts):
    for path, params, notices in HOSTILE_LINKS:
        page.goto(link(server, path, params))
        for notice in notices:  # the link's notices come in one box
            page.locator(ALERT, has_text=notice.replace("Ignored ", "")).first.wait_for(timeout=60_000)
        idle(page)
        where = f"{path} {str(params)[:120]}"
        assert page.locator(EXCEPTION).count() == 0, where
        assert page.locator(f"{ALERT} a").count() == 0, f"a notice rendered a link from the URL: {where}"
        alerts = " ".join(page.locator(ALERT).all_inner_texts()).upper()
        assert "LONGVALUE" * 5 not in alerts and "EXAMPLE.COM" not in alerts, f"a notice echoed the link: {where}"
    # The last wards link still shows the wards (the bad parameters fell back to their defaults).
    page.goto(link(server, "/wards", {"la": ROTHERHAM, "measure": SQL_STATEMENT, "minkids": "²"}))
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    page.get_by_role("heading", name=re.compile(r"^\d+ wards?$")).wait_for(timeout=60_000)
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(artifacts / "hostile_link_wards.png"))


def test_missing_database_every_page_explains(browser, tmp_path, monkeypatch, artifacts):
    monkeypatch.setenv("GLD_DATA_DIR", str(tmp_path))  # an empty data folder: nothing built
    port = free_port()
    process = start_streamlit("app.py", port)
    base = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        wait_healthy(base, process)
        page = context.new_page()
        for path in ("/", "/profile", "/peers", "/wards", "/about"):
            page.goto(f"{base}{path}?la={ROTHERHAM}")
            message = page.locator(ALERT, has_text="has not been built yet")
            message.first.wait_for(timeout=60_000)
            assert "python -m etl" in message.first.inner_text()
            idle(page)
            assert page.locator(EXCEPTION).count() == 0, path
            assert page.locator(CHART).count() == 0 and page.locator(MAP_CANVAS).count() == 0, path
        page.screenshot(path=str(artifacts / "missing_database.png"))
    finally:
        context.close()
        process.terminate()
        process.wait(timeout=10)


def namespace_tools() -> tuple[str, str]:
    """`unshare` and `nsenter`, or skip when a network namespace cannot be made here."""
    unshare, nsenter, ip = shutil.which("unshare"), shutil.which("nsenter"), shutil.which("ip")
    if not (unshare and nsenter and ip):
        pytest.skip("unshare, nsenter or ip (util-linux, iproute2) not installed: cannot cut the network off")
    probe = subprocess.run([unshare, "--net", "--", ip, "link", "set", "lo", "up"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here (needs root or CAP_SYS_ADMIN): {probe.stderr.strip()}")
    return unshare, nsenter


def start_offline_server(unshare: str, port: int) -> subprocess.Popen:
    """Streamlit in a new network namespace with only loopback up (sh and python exec in place: one pid)."""
    command = [
        unshare,
        "--net",
        "--",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        *server_flags(port),
    ]
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def in_namespace(nsenter: str, pid: int, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([nsenter, f"--net=/proc/{pid}/ns/net", *command], capture_output=True, text=True, timeout=30)


PROBE_INTERNET = """
import socket
for host, port in (("1.1.1.1", 53), ("8.8.8.8", 443), ("2606:4700:4700::1111", 53)):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(3)
        try:
            sock.connect((host, port))
            print("CONNECTED", host)
        except OSError as error:
            print("BLOCKED", host, error.errno)
"""


def canvas_is_drawn(page) -> bool:
    """The map canvas holds a picture, not one flat colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.locator(MAP_CANVAS).first.screenshot())).convert("L")
    low, high = image.getextrema()
    return high - low > 40


OFFLINE_PAGES = [
    ("overview", "/", [MAP_CANVAS, f"{CHART} svg"], "Good level of development in England"),
    ("profile", "/profile", [f"{CHART} svg"], re.compile(r"2028 target\s*73\.3%")),  # Rotherham's published target
    ("peers", "/peers", [f"{CHART} svg"], "The LA beside statistical neighbours (May 2025)"),
    ("wards", "/wards", [MAP_CANVAS], None),
    ("about", "/about", ['[data-testid="stDataFrame"]'], None),
]


def test_the_app_works_with_no_network(browser, tmp_path, artifacts):
    unshare, nsenter = namespace_tools()
    port = free_port()
    process = start_offline_server(unshare, port)
    base = f"http://127.0.0.1:{port}"
    external: list[tuple[str, str]] = []  # (page, url) of every request to another host, aborted
    sockets: list[str] = []
    failed: list[str] = []
    current = {"page": "health"}
    offline_browser = None
    try:
        # The server is in its own network namespace, which reaches nothing but itself.
        own = os.readlink("/proc/self/ns/net")
        deadline = time.time() + 10
        while os.readlink(f"/proc/{process.pid}/ns/net") == own and time.time() < deadline:
            time.sleep(0.05)  # until unshare has made the namespace
        assert os.readlink(f"/proc/{process.pid}/ns/net") != own
        links = in_namespace(nsenter, process.pid, "ip", "-o", "link").stdout.split("\n")
        assert [line.split(":")[1].strip() for line in links if line.strip()] == ["lo"]
        probe = in_namespace(nsenter, process.pid, sys.executable, "-c", PROBE_INTERNET).stdout
        assert "CONNECTED" not in probe and probe.count("BLOCKED") == 3, probe

        # Chromium joins the same namespace (the only place that 127.0.0.1:<port> answers).
        wrapper = tmp_path / "chromium-offline"
        namespace = shlex.quote(f"--net=/proc/{process.pid}/ns/net")
        executable = shlex.quote(chromium_path())  # the browser fixture has made sure it exists
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(nsenter)} {namespace} {executable} "$@"\n')
        wrapper.chmod(0o755)
        offline_browser = browser.browser_type.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
        context = offline_browser.new_context(viewport={"width": 1400, "height": 1000})

        def guard(route) -> None:
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                external.append((current["page"], url))
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.on("websocket", lambda socket: sockets.append(socket.url))
        deadline = time.time() + 60
        while True:
            try:
                if page.goto(f"{base}/_stcore/health", timeout=5_000).ok:
                    break
            except Exception:  # Playwright's Error while the server is still starting
                pass
            if time.time() > deadline or process.poll() is not None:
                pytest.fail("the Streamlit server in the network namespace did not start")
            time.sleep(0.5)
        page.on(
            "requestfailed",
            lambda request: failed.append(request.url) if urlsplit(request.url).hostname in LOCAL_HOSTS else None,
        )

        for name, path, selectors, chart_text in OFFLINE_PAGES:
            current["page"] = name
            page.goto(f"{base}{path}?la={ROTHERHAM}")
            for selector in selectors:
                page.wait_for_selector(selector, timeout=90_000)
            if chart_text:
                page.locator(f"{CHART} svg text, h1", has_text=chart_text).first.wait_for(timeout=90_000)
            idle(page)
            assert page.locator(EXCEPTION).count() == 0, name
            if MAP_CANVAS in selectors:
                page.locator(MAP_CANVAS).first.scroll_into_view_if_needed()
                page.wait_for_timeout(1500)
                assert canvas_is_drawn(page), f"{name}: the map canvas is blank"
            page.screenshot(path=str(artifacts / f"offline_{name}.png"))
    finally:
        if offline_browser is not None:
            offline_browser.close()
        process.terminate()
        process.wait(timeout=10)

    attempted: dict[str, list[str]] = {}
    for name, url in external:
        attempted.setdefault(url, []).append(name)
    report = {
        "external_requests": {url: sorted(set(names)) for url, names in sorted(attempted.items())},
        "websockets": sorted(set(sockets)),
        "failed_local_requests": failed,
    }
    (artifacts / "offline_external_requests.json").write_text(json.dumps(report, indent=2))
    print("external requests attempted offline (aborted):", report["external_requests"] or "none")
    assert sockets and all(urlsplit(url).hostname in LOCAL_HOSTS for url in sockets), sockets
    assert not failed, f"local requests failed: {failed}"
    # None at all: the maps draw no base map, so not even a map style is asked for.
    assert not attempted, f"the pages tried to reach the internet: {report['external_requests']}"


def test_no_traceback_or_path_ever_reaches_the_browser(browser, artifacts):
    """An unexpected error shows Streamlit's generic message only (client.showErrorDetails = "none"):
    no traceback, no exception type or message, no server path. The detail goes to the server log."""
    port = free_port()
    process = start_streamlit("tests/e2e/failing_app.py", port)  # from the project folder: its config applies
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("heading", name="A page that fails").wait_for(timeout=60_000)
        page.locator(EXCEPTION).first.wait_for(timeout=60_000)
        shown = page.locator("body").inner_text()
        page.screenshot(path=str(artifacts / "unexpected_error.png"))
        for secret in ("Traceback", "RuntimeError", "internal detail", "/srv/app", "secret.py", "line 42"):
            assert secret not in shown, f"{secret!r} reached the browser"
    finally:
        context.close()
        process.terminate()
        process.wait(timeout=10)
