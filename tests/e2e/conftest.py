"""A real Streamlit server and Debian's Chromium, driven by Playwright.

Locally the browser tests are skipped when Chromium is missing; in CI (CI=true) they fail
instead, so a missing browser can never pass silently. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy.replicas import healthy, server_flags

PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: str, port: int) -> subprocess.Popen:
    """Start `streamlit run <script>` headless on 127.0.0.1:<port> (used by the tests and the benchmark)."""
    command = [sys.executable, "-m", "streamlit", "run", script, *server_flags(port)]
    # No background cache warming in tests: it would compete with the browser for the two cores.
    env = {**os.environ, "GLD_WARM_CACHES": os.environ.get("GLD_WARM_CACHES", "0")}
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def wait_healthy(base: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Wait for a server's health endpoint. Raises RuntimeError if it exits or does not answer in time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Streamlit server at {base} exited with {process.returncode}")
        if healthy(base):
            return
        time.sleep(0.3)
    raise RuntimeError(f"the Streamlit server at {base} did not start within {timeout:.0f} s")


@pytest.fixture(scope="session")
def server() -> str:
    """Start the app on a free local port; yield its base URL."""
    port = free_port()
    process = start_streamlit("app.py", port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
    except RuntimeError as error:
        process.kill()
        pytest.fail(str(error))
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package; browser tests must run in CI")
        pytest.skip("Chromium not installed (apt-get install chromium); browser tests skipped outside CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
