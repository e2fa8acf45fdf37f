"""A page left open follows a new build put in place under the running server, with no click and no
error, and a second tab opened afterwards shows it too."""

from __future__ import annotations

import pytest

from ..test_live_refresh import swap_in_a_build
from .conftest import free_port, start_streamlit, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def server_on_copy(data_copy, monkeypatch):
    monkeypatch.setenv("GLD_DATA_DIR", str(data_copy))
    monkeypatch.setenv("GLD_REFRESH_S", "2")  # the watch's interval, short for the test (30 s by default)
    port = free_port()
    process = start_streamlit("app.py", port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, data_copy
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_open_page_follows_a_new_build(server_on_copy, browser, artifacts):
    base, data_dir = server_on_copy
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/profile?la=E08000018")
    headline = page.locator(".gld-headline .figure").first
    headline.wait_for(timeout=90_000)
    assert headline.inner_text() == "64.9%"  # LAIT, Rotherham 2024/25
    swap_in_a_build(data_dir, 66.6)
    page.locator(".gld-headline .figure", has_text="66.6%").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlert"]').filter(has_text="unusable").count() == 0
    page.screenshot(path=str(artifacts / "live_swap.png"))
    fresh = context.new_page()
    fresh.goto(f"{base}/peers?la=E08000018")
    fresh.get_by_text("66.6").first.wait_for(timeout=90_000)
    context.close()
