"""`python -m bench`: measure the build and warm page switches, print a table and write JSON.

Measures
- full build from raw (`python -m etl --force`) and a skipped rebuild (`python -m etl`);
- warm LA-switch time in Debian's Chromium on /profile, /peers and /wards: from choosing an LA in
  the picker to the page's main chart or map being drawn for it, over 20 LAs after one warm-up
  pass, p50 and p95;
- the overview after a change of mapped measure, over 10 changes;
- the floor: the same picker switch on a minimal Streamlit page served by the same server
  (`bench/floor.py`, a page with only the picker and one line of text), so each page's time can be
  read as a ratio to what Streamlit itself costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
SWITCH_LAS = [
    "Birmingham",
    "Rotherham",
    "Kent",
    "Manchester",
    "Cornwall",
    "Leeds",
    "Hackney",
    "Norfolk",
    "Bradford",
    "Westminster",
    "Cumberland",
    "Lancashire",
    "Bristol",
    "Luton",
    "Isles of Scilly",
    "City of London",
    "Barnsley",
    "Surrey",
    "Newham",
    "York",
]
CHART_TEXT = '[data-testid="stVegaLiteChart"] svg text'
DONE_CHECKS = {
    # page path -> JS predicate given the LA's shown name: true once the page is drawn for it
    "profile": "n => [...document.querySelectorAll('" + CHART_TEXT.replace("'", "\\'") + "')]"
    ".some(t => t.textContent.startsWith(n + ': good level'))",
    "peers": "n => [...document.querySelectorAll('" + CHART_TEXT.replace("'", "\\'") + "')]"
    ".some(t => t.textContent.startsWith(n + ' beside'))",
    "wards": "n => [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === n)"
    " && document.querySelector('[data-testid=\"stDeckGlJsonChart\"] canvas') !== null"
    " && [...document.querySelectorAll('p')].some(p => p.textContent.includes(n + \"'s\")"
    " || p.textContent.startsWith('No ward of ' + n))",
    "floor": "n => [...document.querySelectorAll('p')].some(p => p.textContent === 'Chosen: ' + n)",
}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True)
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def stats(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def switch(page, typed: str, done: str) -> float:
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type(typed)
    option = page.get_by_role("option", name=typed).first
    shown = option.inner_text().split(" (")[0]
    started = time.perf_counter()
    option.click()
    page.wait_for_function(done, arg=shown, timeout=30_000)
    wait_idle(page)
    return time.perf_counter() - started


def measure_page(page, base: str, path: str, key: str) -> list[float]:
    page.goto(f"{base}/{path}?la=E92000001" if key != "floor" else f"{base}/{path}", timeout=90_000)
    page.locator('[data-testid="stSelectbox"]').first.wait_for(timeout=90_000)
    for name in SWITCH_LAS:  # warm-up pass: caches filled as at a rehearsal
        switch(page, name, DONE_CHECKS[key])
    return [switch(page, name, DONE_CHECKS[key]) for name in SWITCH_LAS]


def measure_overview(page, base: str) -> list[float]:
    page.goto(f"{base}/?la=E92000001", timeout=90_000)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
    labels = [
        "GLD, FSM-eligible",
        "Points still to gain to the 2028 target, all",
        "Change in GLD since",
        "GLD, all children",
        "Points still to gain to the 2028 target, FSM",
    ]
    timings = []
    for label in labels * 2:
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Measure").locator("input").click()
        page.keyboard.type(label[:12])
        option = page.get_by_role("option", name=label).first
        started = time.perf_counter()
        option.click()
        page.wait_for_function(
            "l => [...document.querySelectorAll('strong')].some(s => s.textContent.startsWith(l))",
            arg=label,
            timeout=30_000,
        )
        wait_idle(page)
        timings.append(time.perf_counter() - started)
    return timings[len(labels) :] + timings[: len(labels)]


def measure_pages(only: list[str] | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path, free_port, start_streamlit

    port = free_port()
    server = start_streamlit("app.py", port)
    floor_port = free_port()
    floor = start_streamlit("bench/floor.py", floor_port)
    results = {}
    try:
        time.sleep(4)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            base = f"http://127.0.0.1:{port}"
            wanted = only or ["profile", "peers", "wards", "overview"]
            results["floor"] = stats(measure_page(page, f"http://127.0.0.1:{floor_port}", "", "floor"))
            for key in ("profile", "peers", "wards"):
                if key in wanted:
                    results[key] = stats(measure_page(page, base, key, key))
                    results[key]["ratio_p50_to_floor"] = round(results[key]["p50_s"] / results["floor"]["p50_s"], 2)
            if "overview" in wanted:
                results["overview_measure_change"] = stats(measure_overview(page, base))
            browser.close()
    finally:
        for process in (server, floor):
            process.terminate()
            process.wait(timeout=10)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--skip-build", action="store_true", help="do not time the full build")
    parser.add_argument(
        "--only", nargs="*", choices=["profile", "peers", "wards", "overview"], help="measure only these pages"
    )
    args = parser.parse_args(argv)
    results: dict = {"when": datetime.now().isoformat(timespec="seconds")}
    if not args.skip_build:
        results["full_build_s"] = round(timed([sys.executable, "-m", "etl", "--force"]), 2)
    results["skipped_rebuild_s"] = round(timed([sys.executable, "-m", "etl"]), 2)
    results.update(measure_pages(args.only))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench_{datetime.now():%Y%m%d_%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"{'measure':<44}{'value':>10}")
    for key, value in results.items():
        if isinstance(value, dict):
            for sub, number in value.items():
                print(f"{key + ' ' + sub:<44}{number:>10}")
        elif key != "when":
            print(f"{key:<44}{value:>10}")
    print(f"written to {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
