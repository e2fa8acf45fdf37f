"""Many people at once: N sessions open /profile together, then each switches LA M times.

Sessions think 1–3 s between switches (seeded), pick distinct random LAs, and run as Chromium tabs
(`browser`), the same tabs on /floor (`floor`, the control) or websocket clients (`protocol`,
`bench/protocol.py`). A switch or first load not done within SOFT_LIMIT_S is an error, as are
exception elements and uncaught page errors. docs/PERFORMANCE.md says more.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import re
import time
from pathlib import Path

PICKER = '[data-testid="stSelectbox"]'
SOFT_LIMIT_S = 30
HARD_LIMIT_S = 120
THINK_S = (1.0, 3.0)

# Before any page script: note when an option is pressed and when each websocket message arrives.
INIT_JS = """
(() => {
  window.__bench = {pickAt: null, lastMsgAt: null, msgs: 0};
  document.addEventListener('pointerdown', e => {
    if (e.target.closest && e.target.closest('[role="option"]')) window.__bench.pickAt = Date.now();
  }, true);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { window.__bench.lastMsgAt = Date.now(); window.__bench.msgs++; });
    }
  };
})();
"""

# The text of each chart on the page (axis and value labels; cheap to read, unlike the markup).
# Charts are redrawn in place for a new LA and their on-screen titles do not name it, so a page
# is drawn for an LA when its heading names the LA and every chart's text differs from before.
CHART_TEXTS = "[...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg')].map(s => s.textContent)"
# The floor page is drawn for an LA when its one line names it.
FLOOR_DRAWN = "n => [...document.querySelectorAll('p')].some(p => p.textContent === 'Chosen: ' + n)"

# Arm a watcher before the click: window.__benchDone resolves when the profile is drawn for `name`
# (see CHART_TEXTS) and Streamlit is idle, or an exception block is left on an idle page, or after
# `timeout` ms.
ARM_JS = """
([name, timeout, floor]) => {
  const b = window.__bench;
  b.pickAt = null;
  const armedMsgs = b.msgs;
  const charts = () => CHART_TEXTS;
  const before = charts();  // the previous LA's charts (none on a first load): redrawn in place
  window.__benchDone = new Promise(resolve => {
    let finished = false, observer = null, timer = null, limit = null;
    const finish = result => {
      if (finished) return;
      finished = true;
      const doneAt = Date.now();
      if (observer) observer.disconnect();
      clearInterval(timer);
      clearTimeout(limit);
      const exception = document.querySelector('[data-testid="stException"]');
      resolve({...result, doneAt, pickAt: b.pickAt, lastMsgAt: b.lastMsgAt, msgs: b.msgs - armedMsgs,
               exception: exception ? exception.innerText.slice(0, 400) : null});
    };
    const check = () => {
      if (document.querySelector('[data-testid="stStatusWidget"]')) return;
      if (floor && (FLOOR_DRAWN)(name)) return finish({ok: true});
      const named = !floor && [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === name);
      const now = named ? charts() : [];
      if (now.length > 0 && now.every((text, i) => text !== before[i])) return finish({ok: true});
      if (document.querySelector('[data-testid="stException"]') && b.msgs > armedMsgs
          && Date.now() - b.lastMsgAt > 1000) finish({ok: false, reason: 'exception'});
    };
    observer = new MutationObserver(check);
    observer.observe(document.documentElement, {subtree: true, childList: true, characterData: true});
    timer = setInterval(check, 250);
    limit = setTimeout(() => finish({ok: false, reason: 'timeout'}), timeout);
    check();
  });
}
""".replace("CHART_TEXTS", CHART_TEXTS).replace("FLOOR_DRAWN", FLOOR_DRAWN)


def la_names() -> dict[str, str]:
    """ONS code -> name of the 153 LAs, from the built database."""
    import duckdb

    from profiles.db import database_path

    with duckdb.connect(str(database_path()), read_only=True) as con:
        return dict(con.execute("SELECT area_code, name FROM areas WHERE level = 'la' ORDER BY name").fetchall())


def plans(sessions: int, switches: int, seed: int) -> list[list[tuple[str, str]]]:
    """Each person's LAs: the first (their link) then one per switch, distinct, seeded."""
    names = la_names()
    codes = list(names)
    return [
        [
            (code, names[code])
            for code in random.Random(seed * 1000 + index).sample(codes, min(len(codes), switches + 1))
        ]
        for index in range(sessions)
    ]


class Outcome:
    """What one person saw: first load, switches and errors."""

    def __init__(
        self, index: int, plan: list[tuple[str, str]], seed: int, think: tuple[float, float] = THINK_S
    ) -> None:
        self.index, self.plan, self.think = index, plan, think
        self.rng = random.Random(seed * 1000 + index + 1)
        self.first_load: float | None = None
        self.switches: list[dict] = []  # one per switch attempted; "total_s" when it was timed
        self.errors: list[tuple[str, str]] = []  # (what, why)
        self.console_errors: list[str] = []
        self.http_errors: list[str] = []

    def error(self, what: str, why: str) -> None:
        self.errors.append((what, why))


class BrowserSession(Outcome):
    """One person in a browser context of the shared Chromium, on /profile (or /floor, the control)."""

    path = "profile"

    async def open(self, browser) -> None:
        self.context = await browser.new_context(
            viewport={"width": 1400, "height": 1000}, extra_http_headers={"X-Bench-Session": str(self.index)}
        )
        await self.context.add_init_script(INIT_JS)
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda error: self.error("page error", str(error)[:300]))
        self.page.on(
            "console", lambda message: self.console_errors.append(message.text) if message.type == "error" else None
        )
        self.page.on(
            "response",
            lambda response: (
                self.http_errors.append(f"{response.status} {response.url.split('?')[0]}")
                if response.status >= 400
                else None
            ),
        )

    async def wait_done(self, name: str, started: float) -> dict:
        result = await self.page.evaluate("() => window.__benchDone")
        result["driver_s"] = time.time() - started
        result["name"] = name
        return result

    async def load(self, base: str, code: str, name: str) -> dict:
        started = time.time()
        await self.page.goto(
            f"{base}/{self.path}?la={code}", wait_until="domcontentloaded", timeout=HARD_LIMIT_S * 1000
        )
        await self.page.evaluate(ARM_JS, [name, HARD_LIMIT_S * 1000, self.path == "floor"])
        result = await self.wait_done(name, started)
        result["total_s"] = result["doneAt"] / 1000 - started
        return result

    async def switch(self, code: str, name: str) -> dict:
        timeout = SOFT_LIMIT_S * 1000
        await self.page.locator(PICKER).first.click(timeout=timeout)
        await self.page.keyboard.type(code)
        option = self.page.get_by_role("option").filter(has_text=code).first
        await option.wait_for(timeout=timeout)
        await self.page.evaluate(ARM_JS, [name, HARD_LIMIT_S * 1000, self.path == "floor"])
        started = time.time()
        await option.click(timeout=timeout)
        result = await self.wait_done(name, started)
        pick = result["pickAt"] / 1000 if result["pickAt"] else started
        result["pick"] = pick
        if result["ok"] or result["reason"] != "timeout":
            result["total_s"] = result["doneAt"] / 1000 - pick
        return result

    def judge(self, result: dict, what: str) -> bool:
        """Record an error if it failed, was slow or left an exception on the page; True if good."""
        if not result["ok"]:
            if result["reason"] == "timeout":
                self.error(what, f"not drawn within {HARD_LIMIT_S} s")
            else:
                self.error(what, f"exception on the page: {result['exception']}")
            return False
        if result.get("exception"):
            self.error(what, f"exception on the page: {result['exception']}")
            return False
        if result["total_s"] > SOFT_LIMIT_S:
            self.error(what, f"slow: {result['total_s']:.0f} s (over {SOFT_LIMIT_S} s)")
            return False
        return True

    async def run(self, base: str, start: asyncio.Event) -> None:
        await start.wait()
        (code, name), rest = self.plan[0], self.plan[1:]
        try:
            result = await self.load(base, code, name)
            if "total_s" in result and result["ok"]:
                self.first_load = result["total_s"]
            self.judge(result, f"first load of {name}")
        except Exception as error:  # noqa: BLE001 - any failure is an error to count, not a crash
            self.error(f"first load of {name}", f"{type(error).__name__}: {str(error).splitlines()[0]}")
        for code, name in rest:
            await asyncio.sleep(self.rng.uniform(*self.think))
            try:
                result = await self.switch(code, name)
                result["good"] = self.judge(result, f"switch to {name}")
                result["code"] = code
                self.switches.append(result)
            except Exception as error:  # noqa: BLE001
                self.error(f"switch to {name}", f"{type(error).__name__}: {str(error).splitlines()[0]}")
                self.switches.append({"good": False, "code": code, "name": name})
                try:  # start again from a fresh page of the LA this person wanted
                    await self.load(base, code, name)
                except Exception:  # noqa: BLE001
                    pass


async def run_browser(
    base: str, plans: list[list[tuple[str, str]]], seed: int, think, on_start, on_end, path: str = "profile"
) -> dict:
    from playwright.async_api import async_playwright

    from bench.procstat import browser_pss_mb
    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    people = [BrowserSession(index, plan, seed, think) for index, plan in enumerate(plans)]
    for person in people:
        person.path = path
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for person in people:
            await person.open(browser)
        start = asyncio.Event()
        tasks = [asyncio.create_task(person.run(base, start)) for person in people]
        browser_peak = 0.0

        async def watch_browser() -> None:
            nonlocal browser_peak
            while True:
                browser_peak = max(browser_peak, await asyncio.to_thread(browser_pss_mb))
                await asyncio.sleep(2)

        watcher = asyncio.create_task(watch_browser())
        await asyncio.sleep(0.5)
        began = on_start()
        start.set()
        await asyncio.gather(*tasks)
        ended = on_end()  # before the contexts close: their renderers' CPU is counted only while alive
        watcher.cancel()
        for person in people:
            await person.context.close()
        await browser.close()
    return {"people": people, "began": began, "ended": ended, "browser_peak_pss_mb": browser_peak}


def split(result: dict, session: int, runs: list[dict]) -> dict | None:
    """Split one timed switch by the server's script runs of that session between pick and done."""
    pick, done = result["pick"], result["doneAt"] / 1000
    mine = [r for r in runs if r["session"] == str(session) and pick - 0.05 <= r["requested"] <= done]
    if not mine:
        return None
    return {
        "to_server_s": max(0.0, mine[0]["requested"] - pick),
        "wait_for_thread_s": sum(max(0.0, r["start"] - r["requested"]) for r in mine),
        "script_run_s": sum(r["end"] - r["start"] for r in mine),
        "script_cpu_s": sum(r["cpu_s"] for r in mine),
        "after_run_s": max(0.0, done - mine[-1]["end"]),
        "runs": len(mine),
    }


def read_runs(log: Path, since: float = 0.0, until: float = float("inf")) -> list[dict]:
    """The server's script runs (see bench.serve) that started between `since` and `until`."""
    if not log.exists():
        return []
    runs = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return sorted((r for r in runs if since <= r["start"] <= until), key=lambda r: r["requested"])


def _kind(what: str, why: str) -> str:
    """An error's kind, without the LA's name or numbers, for counting."""
    what = re.sub(r"^(first load|switch) (of|to) .*$", r"\1", what)
    why = re.sub(r"\d+(\.\d+)? s", "N s", why)
    return f"{what}: {why[:160]}"


def summarise(outcome: dict, runs: list[dict], sessions: int, switches: int, think: tuple[float, float]) -> dict:
    from bench.stats import median, stats

    people: list[Outcome] = outcome["people"]
    timed = [(p.index, s) for p in people for s in p.switches if "total_s" in s]
    errors = [(what, why) for p in people for what, why in p.errors]
    result: dict = {
        "sessions": sessions,
        "switches_per_session": switches,
        "think_time_s": list(think),
        "switch": stats([s["total_s"] for _, s in timed]),
        "switches_attempted": sum(len(p.switches) for p in people),
        "switches_not_timed": sum(len(p.switches) for p in people) - len(timed),
        "first_load": stats([p.first_load for p in people if p.first_load is not None]),
        "errors": len(errors),
        "error_kinds": dict(collections.Counter(_kind(what, why) for what, why in errors).most_common(12)),
        "error_examples": [f"{what}: {why}" for what, why in errors[:5]],
    }
    if any("driver_s" in s for _, s in timed):
        result["switch_as_seen_by_driver"] = stats([s["driver_s"] for _, s in timed if "driver_s" in s])
    consoles = [m for p in people for m in p.console_errors]
    https = [m for p in people for m in p.http_errors]
    if consoles or https:
        result["console_errors"] = len(consoles)
        result["console_error_kinds"] = dict(collections.Counter(m[:120] for m in consoles).most_common(5))
        result["http_errors"] = len(https)
        result["http_error_kinds"] = dict(
            collections.Counter(re.sub(r"/media/\w+\.", "/media/<id>.", m) for m in https).most_common(5)
        )
    moved = [p for p in people if getattr(p, "reconnects", None)]
    if moved:  # a replica went away behind nginx: those who reconnected, and those who never noticed
        result["sessions_reconnected"] = len(moved)
        result["reconnect"] = stats([r["seconds"] for p in moved for r in p.reconnects])
        result["switch_moved"] = stats([s["total_s"] for _, s in timed if s.get("moved")])
        stayed = {p.index for p in people if not getattr(p, "reconnects", None)}
        result["switch_sessions_never_moved"] = stats([s["total_s"] for i, s in timed if i in stayed])
        result["errors_sessions_never_moved"] = sum(len(p.errors) for p in people if p.index in stayed)
    if runs and any(r.get("replica") for r in runs):
        first = {}
        for r in runs:
            first.setdefault(r["session"], r.get("replica"))
        result["sessions_by_first_replica"] = dict(sorted(collections.Counter(first.values()).items()))
        result["script_runs_by_replica"] = dict(sorted(collections.Counter(r.get("replica") for r in runs).items()))
    if "browser_peak_pss_mb" in outcome:
        result["browser_peak_pss_mb"] = outcome["browser_peak_pss_mb"]
    if runs:
        result["server_script_run"] = stats([r["end"] - r["start"] for r in runs])
        result["server_script_cpu"] = stats([r["cpu_s"] for r in runs])
    # The page's charts are cached per LA on the server: was this LA asked for earlier in this part?
    seen = {p.plan[0][0] for p in people}
    groups: dict[str, list[tuple[float, float | None]]] = {"first_asked": [], "asked_before": []}
    for i, s in sorted(timed, key=lambda pair: pair[1]["pick"]):
        parts = split(s, i, runs)
        group = groups["asked_before" if s["code"] in seen else "first_asked"]
        group.append((s["total_s"], parts["script_cpu_s"] if parts else None))
        seen.add(s["code"])
    for name, group in groups.items():
        result[f"switch_to_la_{name}"] = stats([total for total, _ in group])
        cpus = [cpu for _, cpu in group if cpu is not None]
        if cpus:
            result[f"switch_to_la_{name}"]["script_cpu_p50_s"] = round(median(cpus), 3)
    pairs = [(s["total_s"], x) for i, s in timed if (x := split(s, i, runs))]
    if pairs:
        parts = ("to_server_s", "wait_for_thread_s", "script_run_s", "script_cpu_s", "after_run_s")
        splits = [x for _, x in pairs]
        result["switch_split_n"] = len(pairs)
        result["switch_split_p50"] = {k: round(median([x[k] for x in splits]), 3) for k in parts}
        result["switch_split_mean"] = {k: round(sum(x[k] for x in splits) / len(splits), 3) for k in parts}
        slow = sorted(pairs, key=lambda pair: pair[0])[-max(1, len(pairs) // 20) :]  # the slowest 5 %
        result["switch_split_slowest_5pct_mean"] = {k: round(sum(x[k] for _, x in slow) / len(slow), 3) for k in parts}
        result["runs_per_switch_max"] = max(x["runs"] for x in splits)
    return result


def measure_sessions(
    base: str,
    sessions: int,
    switches: int,
    run_log: Path,
    on_start,
    on_end,
    clients: str = "browser",
    seed: int = 8,
    think: tuple[float, float] = THINK_S,
) -> dict:
    """Run the sessions with browser tabs on /profile, tabs on /floor, or protocol clients, and summarise them."""
    from bench.protocol import run_protocol

    people = plans(sessions, switches, seed)
    if clients == "protocol":
        outcome = asyncio.run(run_protocol(base, people, seed, think, on_start, on_end))
    else:
        path = "floor" if clients == "floor" else "profile"
        outcome = asyncio.run(run_browser(base, people, seed, think, on_start, on_end, path))
    runs = read_runs(run_log, since=outcome["began"] - 1, until=outcome["ended"] + 1)
    return {"clients": clients} | summarise(outcome, runs, sessions, switches, think)
