"""`python -m bench`: measure the build and warm LA switching, print a table and write JSON.

Measures
- full build from raw (`python -m etl --force`) and a skipped rebuild (`python -m etl`);
- warm LA-switch time on /profile in Debian's Chromium: from choosing an LA in the picker to the
  trajectory chart being drawn for it, over 20 LAs (after one warm-up pass), p50 and p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
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


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True)
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure_switches(names: list[str]) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path, free_port

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/profile?la=E92000001", timeout=90_000)
            page.wait_for_selector('[data-testid="stVegaLiteChart"] svg text', timeout=90_000)

            def switch(name: str) -> float:
                picker = page.locator('[data-testid="stSelectbox"]').first
                picker.click()
                page.keyboard.type(name)
                option = page.get_by_role("option", name=name).first
                shown = option.inner_text().split(" (")[0]
                started = time.perf_counter()
                option.click()
                page.wait_for_function(
                    "name => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg text')]"
                    ".some(t => t.textContent.startsWith(name + ':'))",
                    arg=shown,
                    timeout=30_000,
                )
                page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
                return time.perf_counter() - started

            for name in names:  # warm-up: fill the caches as a presenter's rehearsal would
                switch(name)
            timings = [switch(name) for name in names]
            browser.close()
        return timings
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--skip-build", action="store_true", help="do not time the full build")
    args = parser.parse_args(argv)
    results: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    if not args.skip_build:
        results["full_build_s"] = round(timed([sys.executable, "-m", "etl", "--force"]), 2)
    results["skipped_rebuild_s"] = round(timed([sys.executable, "-m", "etl"]), 2)
    switches = measure_switches(SWITCH_LAS)
    results["profile_switch"] = {
        "n": len(switches),
        "p50_s": round(statistics.median(switches), 3),
        "p95_s": round(percentile(switches, 0.95), 3),
        "max_s": round(max(switches), 3),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench_{datetime.now():%Y%m%d_%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"{'measure':<32}{'value':>12}")
    for key, value in results.items():
        if isinstance(value, dict):
            for sub, number in value.items():
                print(f"{key + ' ' + sub:<32}{number:>12}")
        elif key != "when":
            print(f"{key:<32}{value:>12}")
    print(f"written to {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
