"""`python -m bench.serve run app.py …`: `streamlit run` with a timing log of every script run.

Used only by the benchmark, to tell the server's share of an LA switch from the browser's. The
app is not changed: this wraps Streamlit's own ScriptRunner before the server starts and appends
one JSON line per script run to the file named by BENCH_RUN_LOG:

    {"session": <X-Bench-Session header or "">, "la": <session_state["la"] after the run>,
     "requested": <epoch s the rerun was requested>, "start": <epoch s>, "end": <epoch s>,
     "cpu_s": <CPU seconds used by the script thread>, "replica": <GLD_REPLICA, set by deploy.replicas>}

`requested` -> `start` is the wait for a script thread; `start` -> `end` is the run itself, of
which `cpu_s` was spent computing (the rest is waiting for the GIL or a CPU core).

With BENCH_PROFILE_DIR set, each script run is also profiled with cProfile (one file per run in
that folder; `bench.serve.merge_profiles` adds them up). Profiling slows the runs: never time a
profiled server.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path

_lock = threading.Lock()
_counter = itertools.count()


def _session_header() -> str:
    try:
        import streamlit as st

        return st.context.headers.get("X-Bench-Session", "") or ""
    except Exception:  # noqa: BLE001 - a missing context only loses the label
        return ""


def install(log_path: str, profile_dir: str | None = None) -> None:
    """Wrap ScriptRunner's creation, request_rerun and _run_script with timing (and cProfile)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original_init = ScriptRunner.__init__
    original_request = ScriptRunner.request_rerun
    original_run = ScriptRunner._run_script

    def init(self, *args, **kwargs):  # a session's rerun usually creates a new runner for it
        self._bench_requested = time.time()
        original_init(self, *args, **kwargs)

    def request_rerun(self, rerun_data):
        if getattr(self, "_bench_requested", None) is None:
            self._bench_requested = time.time()
        return original_request(self, rerun_data)

    def run_script(self, rerun_data):
        requested = getattr(self, "_bench_requested", None)
        self._bench_requested = None
        start, cpu = time.time(), time.thread_time()
        profiler = cProfile.Profile() if profile_dir else None
        if profiler:
            profiler.enable()
        try:
            return original_run(self, rerun_data)
        finally:
            if profiler:
                profiler.disable()
            end, cpu = time.time(), time.thread_time() - cpu
            try:
                la = self._session_state["la"] if "la" in self._session_state else None
            except Exception:  # noqa: BLE001
                la = None
            record = {
                "session": _session_header(),
                "la": la,
                "requested": requested or start,
                "start": start,
                "end": end,
                "cpu_s": round(cpu, 4),
                "replica": os.environ.get("GLD_REPLICA", ""),  # which replica, behind nginx (deploy.replicas)
            }
            with _lock:
                with open(log_path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(record) + "\n")
            if profiler:
                profiler.dump_stats(str(Path(profile_dir) / f"run_{next(_counter):05d}.prof"))

    ScriptRunner.__init__ = init
    ScriptRunner.request_rerun = request_rerun
    ScriptRunner._run_script = run_script


def merge_profiles(profile_dir: Path, top: int = 30) -> str:
    """The summed cProfile of every script run in `profile_dir`, top functions by cumulative time."""
    import io
    import pstats

    files = sorted(profile_dir.glob("run_*.prof"))
    if not files:
        return "no profiles"
    out = io.StringIO()
    stats = pstats.Stats(str(files[0]), stream=out)
    for path in files[1:]:
        stats.add(str(path))
    out.write(f"{len(files)} script runs\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    install(os.environ["BENCH_RUN_LOG"], os.environ.get("BENCH_PROFILE_DIR") or None)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *sys.argv[1:]]
    return streamlit_main()


if __name__ == "__main__":
    sys.exit(main())
