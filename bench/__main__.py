"""`python -m bench`: time the build, warm LA switches against the floor page, many people at once,
and the server's memory; print a table with each target and write JSON to bench/results/.

What each part measures and how: docs/PERFORMANCE.md. Every part runs on one server started
through `bench.serve` (the app unchanged, each script run logged).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from bench.sessions import CHART_TEXTS, FLOOR_DRAWN
from bench.stats import percentile, ratio_interval, stats

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
SWITCH_PAGES = ("profile", "focus", "peers", "wards")  # LA switches, each measured beside the floor
PAGES = [*SWITCH_PAGES, "overview"]
SETTLE_S = 0.5  # pause before each paired switch, so it starts from an idle browser
# Measured passes over SWITCH_LAS per page (and its floor): with one pass of 20 the floor beside
# different pages of one run differed by up to 15%, which moved a ratio by about 0.15. Three passes
# (60 pairs a page) narrow the ratio's 95% interval to about +-0.1 on this 2-core machine.
MEASURED_PASSES = 3
CLIENTS = {"browser": "sessions", "floor": "sessions_floor", "protocol": "sessions_protocol"}  # -> results key
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
# Done when the heading names the new LA and every chart's text differs from what `switch` saw
# before the click (window.__chartsBefore): see bench.sessions.CHART_TEXTS.
CHARTS_REDRAWN = (
    "n => [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === n)"
    f" && (now => now.length > 0 && now.every((m, i) => m !== (window.__chartsBefore || [])[i]))({CHART_TEXTS})"
)
# Notes when WebGL last drew (window.__glLastDraw) and counts draw calls (window.__glDraws), so a
# check can wait for the map: after an LA switch the map is done at its last draw once it has
# been still for a while (it draws once per switch now, but hover picking and late data can add
# frames, and when they fall varies).
COUNT_GL_DRAWS = """
window.__glDraws = 0;
window.__glLastDraw = 0;
for (const C of [WebGLRenderingContext, WebGL2RenderingContext]) {
  for (const name of ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced']) {
    const draw = C.prototype[name];
    if (typeof draw !== 'function') continue;  // WebGL 1 has no instanced draws
    C.prototype[name] = function (...args) {
      if (this.getParameter(this.FRAMEBUFFER_BINDING) === null) {  // to the screen, not picking
        window.__glDraws += 1;
        window.__glLastDraw = performance.now();
      }
      return draw.apply(this, args);
    };
  }
}
"""
MAP_QUIET_MS = 300  # no WebGL drawing for this long after the page is drawn: the map is finished
WARDS_DRAWN = (
    "n => [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === n)"
    " && document.querySelector('[data-testid=\"stDeckGlJsonChart\"] canvas') !== null"
    " && [...document.querySelectorAll('p')].some(p => p.textContent.includes(n + \"'s\")"
    " || p.textContent.startsWith('No ward of ' + n))"
)
IDLE = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"


def settled(check: str, with_map: bool = False) -> str:
    """A JS predicate: `check` holds and Streamlit is idle (and, `with_map`, the map has finished).

    It records when the page was done as window.__doneAt, on the page's clock, so `switch` can take
    off what came after: the check's own polling and its reply, and the wait that shows the map is
    still. Done is the first moment `check` held with the script idle or, `with_map`, the later of
    that and the map's last WebGL draw, once the map has drawn since the click (`arm`) and then
    been still for MAP_QUIET_MS.
    """
    map_part = (
        f"""if (window.__glDraws === window.__glDrawsBefore) return false;
  window.__doneAt = Math.max(window.__pageDoneAt, window.__glLastDraw);
  return now - window.__doneAt > {MAP_QUIET_MS};"""
        if with_map
        else "window.__doneAt = window.__pageDoneAt;\n  return true;"
    )
    return f"""a => {{
  const now = performance.now();
  if (window.__pageDoneAt == null) {{
    if (!(({check})(a) && {IDLE})) return false;
    window.__pageDoneAt = now;
  }}
  {map_part}
}}"""


DONE_CHECKS = {
    # page path -> JS predicate given the LA's shown name: true once the page is drawn for it
    "profile": settled(CHARTS_REDRAWN),
    "focus": settled(CHARTS_REDRAWN),
    "peers": settled(CHARTS_REDRAWN),
    "wards": settled(WARDS_DRAWN, with_map=True),
    "floor": settled(FLOOR_DRAWN),
}
MEASURE_SHOWN = settled("l => [...document.querySelectorAll('strong')].some(s => s.textContent.startsWith(l))", True)


def arm(page) -> None:
    """Before a click: note the charts' text and the WebGL draws so far, and clear the done marks."""
    page.evaluate(
        f"() => {{ window.__chartsBefore = {CHART_TEXTS}; window.__glDrawsBefore = window.__glDraws; "
        "window.__pageDoneAt = null; window.__doneAt = null; }"
    )


def done_wait(page, done: str, arg: str) -> float:
    """Wait until `done` holds; return how long ago (seconds) the page was done, by its own clock."""
    page.wait_for_function(done, arg=arg, timeout=30_000)
    return page.evaluate("() => performance.now() - window.__doneAt") / 1000


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True)
    return time.perf_counter() - started


def switch(page, typed: str, done: str) -> float:
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type(typed)
    option = page.get_by_role("option", name=typed).first
    shown = option.inner_text().split(" (")[0]
    arm(page)
    started = time.perf_counter()
    option.click()
    after = done_wait(page, done, shown)
    return time.perf_counter() - started - after


def open_tab(browser, session: str):
    """A tab in its own browser context, its requests tagged for the server's run log."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers={"X-Bench-Session": session}
    )
    context.add_init_script(COUNT_GL_DRAWS)
    return context.new_page()


def measure_beside_floor(browser, base: str, key: str) -> tuple[list[float], list[float]]:
    """Warm LA switches on a page and on the floor, taken in turn (floor, page, floor, page, ...).

    Taking them in turn puts both under the same conditions on a shared machine, so their ratio
    does not move with whatever else the machine did while one of them ran. Each switch starts
    SETTLE_S after the last one ended: without the pause, the browser was still drawing the other
    tab's switch (a map, say) and whichever tab came second in a pair measured about 12% slower
    (an A/A test of one page in two tabs).
    """
    tabs = {"floor": open_tab(browser, f"floor beside {key}"), key: open_tab(browser, key)}
    for path, tab in tabs.items():
        tab.goto(f"{base}/{path}?la=E92000001", timeout=90_000)
        tab.locator('[data-testid="stSelectbox"]').first.wait_for(timeout=90_000)
        for name in SWITCH_LAS:  # warm-up pass: caches filled as at a rehearsal
            switch(tab, name, DONE_CHECKS[path])
    timings: dict[str, list[float]] = {"floor": [], key: []}
    for name in SWITCH_LAS * MEASURED_PASSES:
        for path, tab in tabs.items():
            time.sleep(SETTLE_S)
            timings[path].append(switch(tab, name, DONE_CHECKS[path]))
    for tab in tabs.values():
        tab.context.close()
    return timings["floor"], timings[key]


def measure_overview(page, base: str) -> list[float]:
    page.goto(f"{base}/?la=E92000001", timeout=90_000)
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=90_000)
    labels = [
        "GLD, FSM-eligible",
        "Percentage points still to gain to the 2028 target, all",
        "Change in GLD since",
        "GLD, all children",
        "Percentage points still to gain to the 2028 target, FSM",
    ]
    timings = []
    for label in labels * 2:
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Measure").locator("input").click()
        page.keyboard.type(label[:12])
        option = page.get_by_role("option", name=label).first
        arm(page)
        started = time.perf_counter()
        option.click()
        after = done_wait(page, MEASURE_SHOWN, label)
        timings.append(time.perf_counter() - started - after)
    return timings[len(labels) :] + timings[: len(labels)]


def start_server(script: str, port: int, run_log: Path, profile_dir: Path | None = None) -> subprocess.Popen:
    """`streamlit run <script>` as the tests start it, through bench.serve so each script run is logged."""
    env = os.environ | {"BENCH_RUN_LOG": str(run_log), "GLD_BENCH_FLOOR": "1"}
    if profile_dir:
        env["BENCH_PROFILE_DIR"] = str(profile_dir)
    from deploy.replicas import server_flags

    command = [sys.executable, "-m", "bench.serve", "run", script, *server_flags(port)]
    log = (run_log.parent / "server.log").open("w")  # the warming thread reports here when done
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_warm_caches(base: str, server_log: Path, timeout: float = 420) -> float | None:
    """Open one page (which starts the server's cache warming) and wait until it reports done.

    The event this measures is a server opened by its presenter before people arrive. Returns the
    seconds the warming took, or None when warming is turned off (GLD_WARM_CACHES=0).
    """
    if os.environ.get("GLD_WARM_CACHES", "1") == "0":
        return None
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    started = time.time()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base}/profile?la=E08000018", timeout=90_000)
        page.wait_for_selector(CHART_TEXT, timeout=90_000)
        browser.close()
    while time.time() - started < timeout:
        if "chart caches warm" in server_log.read_text(errors="replace"):
            return round(time.time() - started, 1)
        time.sleep(1)
    raise RuntimeError(f"the server's chart caches were not warm after {timeout:.0f} s")


def server_runs(run_log: Path, since: float, until: float, session: str | None = None) -> dict:
    """p50 of the server's script runs (wall and CPU) between two moments, for one tab if given."""
    from bench.sessions import read_runs

    runs = [r for r in read_runs(run_log, since, until) if session is None or r["session"] == session]
    return {
        "server_run_p50_s": round(percentile([r["end"] - r["start"] for r in runs], 0.5), 3) if runs else None,
        "server_cpu_p50_s": round(percentile([r["cpu_s"] for r in runs], 0.5), 3) if runs else None,
    }


def measure_single(base: str, wanted: list[str], run_log: Path) -> dict:
    """One person at a time: warm LA switches on each page beside the floor, then the overview (sync API)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    results = {}
    floor_all: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for key in SWITCH_PAGES:
            if key in wanted:
                began = time.time()
                floor, timings = measure_beside_floor(browser, base, key)
                floor_all += floor
                results[key] = stats(timings)
                results[key]["floor_p50_s"] = stats(floor)["p50_s"]
                results[key]["ratio_p50_to_floor"] = round(results[key]["p50_s"] / results[key]["floor_p50_s"], 2)
                low, high = ratio_interval(floor, timings)
                results[key]["ratio_ci95_low"], results[key]["ratio_ci95_high"] = round(low, 2), round(high, 2)
                # the server's script runs of the measured passes (after the warm-up pass, about 1 part in
                # 1 + MEASURED_PASSES of the time)
                warmed = began + (time.time() - began) / (1 + MEASURED_PASSES)
                results[key] |= server_runs(run_log, warmed, time.time(), key)
        if "overview" in wanted:
            if not floor_all:
                floor_all, _ = measure_beside_floor(browser, base, "floor")
            page = open_tab(browser, "overview")
            began = time.time()
            results["overview_measure_change"] = stats(measure_overview(page, base))
            results["overview_measure_change"]["ratio_p50_to_floor"] = round(
                results["overview_measure_change"]["p50_s"] / stats(floor_all)["p50_s"], 2
            )
            results["overview_measure_change"] |= server_runs(run_log, began, time.time(), "overview")
        results["floor"] = stats(floor_all)
        browser.close()
    return results


def measure_many(server_pid, sampler, base, run_log, clients, sessions, switches, think) -> dict:
    """The sessions part with one kind of client, with the CPU each process used meanwhile."""
    from bench.procstat import cpu_snapshot, cpu_used
    from bench.sessions import measure_sessions

    snapshots = {}

    def on_start() -> float:
        sampler.phase(f"sessions {clients}")
        snapshots["before"] = cpu_snapshot(server_pid)
        return time.time()

    def on_end() -> float:
        snapshots["after"] = cpu_snapshot(server_pid)
        sampler.phase(f"after sessions {clients}")
        return time.time()

    seed = {"browser": 8, "floor": 10}.get(clients, 9)  # other LAs, so a later part does not find them cached
    result = measure_sessions(base, sessions, switches, run_log, on_start, on_end, clients, seed, think)
    result["cpu_s"] = cpu_used(snapshots["before"], snapshots["after"])
    return result


def measure_pages(
    only: list[str] | None = None,
    sessions: int = 30,
    switches: int = 10,
    profile_server: bool = False,
    clients: tuple[str, ...] = ("browser", "floor", "protocol"),
    think: tuple[float, float] = (1.0, 3.0),
) -> dict:
    from bench.procstat import RssSampler
    from tests.e2e.conftest import free_port, wait_healthy

    wanted = only or [*PAGES, "sessions"]
    scratch = Path(tempfile.mkdtemp(prefix="gld_bench_"))
    run_log, profile_dir = scratch / "runs.jsonl", (scratch / "profiles" if profile_server else None)
    if profile_dir:
        profile_dir.mkdir()
    port = free_port()
    server = start_server("app.py", port, run_log, profile_dir)
    sampler = RssSampler(server.pid)
    sampler.start()
    results: dict = {}
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, timeout=90)
        sampler.phase("idle")
        time.sleep(1)
        sampler.phase("warming caches")
        results["cache_warming_s"] = wait_for_warm_caches(base, scratch / "server.log")
        if any(key in wanted for key in PAGES):
            sampler.phase("single session")
            results.update(measure_single(base, wanted, run_log))
        if "sessions" in wanted:
            for kind in clients:
                key = CLIENTS[kind]
                results[key] = measure_many(server.pid, sampler, base, run_log, kind, sessions, switches, think)
                time.sleep(5)  # what the server keeps once everyone has closed the tab
        results["memory"] = {
            "server_peak_rss_mb": sampler.peak_mb(),
            "server_idle_rss_mb": sampler.last_mb("idle"),
            "server_peak_rss_single_session_mb": sampler.peak_mb("single session"),
            "server_peak_rss_browser_sessions_mb": sampler.peak_mb("sessions browser"),
            "server_rss_after_browser_sessions_mb": sampler.last_mb("after sessions browser"),
            "server_peak_rss_floor_sessions_mb": sampler.peak_mb("sessions floor"),
            "server_peak_rss_protocol_sessions_mb": sampler.peak_mb("sessions protocol"),
            "server_rss_after_protocol_sessions_mb": sampler.last_mb("after sessions protocol"),
            "samples": len(sampler.samples),
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        sampler.stop()
    if profile_dir:
        from bench.serve import merge_profiles

        results["profiled"] = "cProfile on every script run: timings are slowed and not comparable"
        print(merge_profiles(profile_dir))
    shutil.rmtree(scratch, ignore_errors=True)
    return results


def kill_later(replica_set, index: int, delay: float, killed: dict) -> threading.Timer:
    """Kill replica `index` after `delay` seconds; note when in killed["at"]."""

    def kill() -> None:
        replica_set.kill(index)
        killed["at"] = time.time()

    timer = threading.Timer(delay, kill)
    timer.start()
    return timer


def measure_via_nginx(
    sessions: int,
    switches: int,
    think: tuple[float, float],
    clients: tuple[str, ...],
    replicas: int,
    kill_after: float | None,
) -> dict:
    """The sessions part through nginx in front of `replicas` replicas, started as deploy.replicas
    starts them (each through bench.serve, logging its script runs). With `kill_after`, the last
    replica is killed that many seconds into each part, and restarted (cold) before the next."""
    from bench.procstat import RssSampler
    from bench.sessions import measure_sessions
    from deploy.replicas import ReplicaSet, healthy, open_first_page
    from tests.e2e.conftest import free_port

    scratch = Path(tempfile.mkdtemp(prefix="gld_bench_nginx_"))
    run_log = scratch / "runs.jsonl"
    replica_set = ReplicaSet(
        replicas,
        port=free_port(),
        ports=[free_port() for _ in range(replicas)],
        run_dir=scratch,
        module="bench.serve",
        env={"BENCH_RUN_LOG": str(run_log), "GLD_BENCH_FLOOR": "1"},
    )
    replica_set.start()
    samplers = [RssSampler(member.process.pid) for member in replica_set.members]
    for sampler in samplers:
        sampler.start()
    results: dict = {"replicas": replicas, "kill_after_s": kill_after}
    try:
        if os.environ.get("GLD_WARM_CACHES", "1") != "0":
            began = time.time()
            for member in replica_set.members:  # as `python -m deploy.replicas` does at start
                open_first_page(member.base)
            while not all("chart caches warm" in m.log.read_text(errors="replace") for m in replica_set.members):
                if time.time() - began > 900:
                    raise RuntimeError("the replicas' chart caches were not warm after 900 s")
                time.sleep(1)
            results["cache_warming_s"] = round(time.time() - began, 1)
        for kind in clients:
            killed: dict = {}

            def on_start(killed: dict = killed) -> float:
                if kill_after is not None:
                    killed["timer"] = kill_later(replica_set, replicas, kill_after, killed)
                return time.time()

            seed = {"browser": 8, "floor": 10}.get(kind, 9)
            result = measure_sessions(
                replica_set.base, sessions, switches, run_log, on_start, time.time, kind, seed, think
            )
            if "timer" in killed:
                killed["timer"].cancel()
            if "at" in killed:
                result["replica_killed"] = replicas
                result["killed_at_s_into_the_part"] = kill_after
                replica_set.check()  # restarts it, as the supervisor would
                deadline = time.time() + 90
                while not healthy(replica_set.members[-1].base) and time.time() < deadline:
                    time.sleep(0.5)
            results[f"{CLIENTS[kind]}_via_nginx"] = result
            time.sleep(5)
        results["memory"] = {f"replica_{i}_peak_rss_mb": s.peak_mb() for i, s in enumerate(samplers, start=1)}
    finally:
        for sampler in samplers:
            sampler.stop()
        replica_set.stop()
    logged = (scratch / "nginx-error.log").read_text(errors="replace").splitlines()
    results["nginx_error_log_lines"] = sum(
        any(f"[{level}]" in line for level in ("error", "crit", "alert", "emerg")) for line in logged
    )
    # 5xx answered to a client (a retry that reached another replica is not one)
    results["nginx_5xx_responses"] = sum(
        bool(re.search(r'" 5\d\d ', line)) for line in (scratch / "access.log").read_text(errors="replace").splitlines()
    )
    shutil.rmtree(scratch, ignore_errors=True)
    return results


def target_rows(results: dict) -> list[dict]:
    """The targets of issue 8 (and the overview's of issue 5) with the measured value and whether each is met."""
    rows = []

    def add(measure: str, value, limit: float, unit: str, interval: tuple | None = None) -> None:
        if value is not None:
            row = {"measure": measure, "value": value, "target": f"<= {limit:g}{unit}", "met": value <= limit}
            if interval:  # a 95% interval: "yes" only means the point estimate is within the target
                row["ci95"] = list(interval)
            rows.append(row)

    for key in SWITCH_PAGES:  # LA switches, each beside the floor
        page = results.get(key, {})
        interval = (page["ratio_ci95_low"], page["ratio_ci95_high"]) if "ratio_ci95_low" in page else None
        add(f"{key}: p50 ratio to floor", page.get("ratio_p50_to_floor"), 2, "", interval)
    # a change of mapped measure is not an LA switch: its target is issue 5's, p95 within a second
    add("overview measure change: p95 (s)", results.get("overview_measure_change", {}).get("p95_s"), 1, " s")
    # the floor sessions are a control, not a target: the same tabs on the minimal page show what
    # this machine's browsers cost whatever the page
    for kind, key in CLIENTS.items():
        sessions = results.get(key)
        if sessions:
            label = f"{sessions['sessions']} {kind} sessions" + (" (control)" if kind == "floor" else "")
            add(f"{label}: p95 per switch (s)", sessions["switch"].get("p95_s"), 2, " s")
            add(f"{label}: errors", sessions["errors"], 0, "")
    for kind, key in CLIENTS.items():
        sessions = results.get("via_nginx", {}).get(f"{key}_via_nginx")
        if sessions:
            killed = " (one replica killed)" if sessions.get("replica_killed") else ""
            label = f"{sessions['sessions']} {kind} sessions via nginx{killed}"
            add(f"{label}: p95 per switch (s)", sessions["switch"].get("p95_s"), 2, " s")
            add(f"{label}: errors", sessions["errors"], 0, "")
            if killed:
                never = sessions.get("switch_sessions_never_moved", {})
                add("  of which never moved: p95 (s)", never.get("p95_s"), 2, " s")
                add("  of which never moved: errors", sessions.get("errors_sessions_never_moved"), 0, "")
    add("server peak RSS (MB)", results.get("memory", {}).get("server_peak_rss_mb"), 600, " MB")
    return rows


def flatten(results: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for key, value in results.items():
        name = f"{prefix} {key}".strip()
        if key.endswith("_kinds"):
            continue  # printed below the table
        if isinstance(value, dict):
            rows += flatten(value, name)
        elif not isinstance(value, list) and key not in ("when", "targets", "profiled"):
            rows.append((name, value))
    return rows


def report(results: dict) -> None:
    print(f"{'measure':<60}{'value':>10}")
    for name, value in flatten(results):
        print(f"{name:<60}{value!s:>10}")
    for key in [*CLIENTS.values(), *(f"{key}_via_nginx" for key in CLIENTS.values())]:
        part = results.get(key) or results.get("via_nginx", {}).get(key, {})
        for kinds in ("error_kinds", "console_error_kinds", "http_error_kinds"):
            for kind, count in part.get(kinds, {}).items():
                print(f"  {key} {kinds[:-6].replace('_', ' ')} x{count}: {kind}")
    print()
    print(f"{'target':<44}{'value':>10}{'target':>12}{'met?':>6}  95% interval")
    for row in results["targets"]:
        interval = f"  {row['ci95'][0]}-{row['ci95'][1]}" if "ci95" in row else ""
        print(
            f"{row['measure']:<44}{row['value']!s:>10}{row['target']:>12}{'yes' if row['met'] else 'NO':>6}{interval}"
        )


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    try:
        values = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN-MAX seconds, e.g. 1-3, not {text!r}") from None
    if not 0 <= values[0] <= values[1]:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX, not {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--skip-build", action="store_true", help="do not time the full build")
    parser.add_argument(
        "--only", nargs="*", choices=[*PAGES, "sessions"], help="measure only these pages (sessions: many at once)"
    )
    parser.add_argument("--sessions", type=int, default=30, help="people at once in the sessions part (default 30)")
    parser.add_argument("--switches", type=int, default=10, help="LA switches per session (default 10)")
    parser.add_argument(
        "--think",
        type=think_range,
        default=(1.0, 3.0),
        metavar="MIN-MAX",
        help="seconds each person thinks between switches, uniform (default 1-3)",
    )
    parser.add_argument(
        "--clients",
        nargs="+",
        choices=list(CLIENTS),
        default=list(CLIENTS),
        help="the sessions part's clients: Chromium tabs on /profile (browser), the same tabs on /floor "
        "(floor: the control), protocol-only websocket clients (protocol: the server alone); default all three",
    )
    parser.add_argument(
        "--profile-server", action="store_true", help="cProfile every script run and print the heaviest functions"
    )
    parser.add_argument(
        "--via-nginx",
        action="store_true",
        help="only the sessions part, through nginx in front of --replicas replicas (deploy/replicas.py)",
    )
    parser.add_argument("--replicas", type=int, default=2, help="replicas behind nginx (default 2)")
    parser.add_argument(
        "--kill-after",
        type=float,
        metavar="S",
        help="with --via-nginx: kill the last replica S seconds into each sessions part",
    )
    args = parser.parse_args(argv)
    results: dict = {"when": datetime.now().isoformat(timespec="seconds")}
    if not args.skip_build:
        results["full_build_s"] = round(timed([sys.executable, "-m", "etl", "--force"]), 2)
    results["skipped_rebuild_s"] = round(timed([sys.executable, "-m", "etl"]), 2)
    if args.via_nginx:
        results["via_nginx"] = measure_via_nginx(
            args.sessions, args.switches, args.think, args.clients, args.replicas, args.kill_after
        )
    else:
        results.update(
            measure_pages(args.only, args.sessions, args.switches, args.profile_server, args.clients, args.think)
        )
    results["targets"] = target_rows(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench_{datetime.now():%Y%m%d_%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    report(results)
    print(f"written to {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
