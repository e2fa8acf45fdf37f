"""Memory and CPU of the benchmark's processes, read from /proc (Linux; no psutil).

- `RssSampler`: a thread that samples the resident memory (VmRSS) of the Streamlit server and its
  children, if any, every 0.2 s for the whole run and keeps the peak overall and per phase.
- `cpu_snapshot`: CPU seconds used so far by the server, by Chromium and by the benchmark's own
  driver (Python and Playwright's node), and by the whole machine; the difference of two
  snapshots says who used the CPU during a phase.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> tuple[str, list[str]] | None:
    """(comm, fields after comm) of /proc/<pid>/stat, or None if the process is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    left, right = text.find("("), text.rfind(")")
    return text[left + 1 : right], text[right + 2 :].split()


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process."""
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1][1])
    return parents


def descendants(root: int, parents: dict[int, int] | None = None) -> set[int]:
    """`root` and every process below it."""
    parents = parents if parents is not None else _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid not in found:
            found.add(pid)
            stack.extend(children.get(pid, []))
    return found


def _proc_kb(pid: int, file: str, field: str) -> int:
    """A kB figure from /proc/<pid>/<file> (0 if the process is gone or has none)."""
    try:
        for line in (PROC / str(pid) / file).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    """VmRSS of one process in kB (0 if it is gone or a kernel thread)."""
    return _proc_kb(pid, "status", "VmRSS:")


def _cpu_s(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[1][11]) + int(fields[1][12])) / TICKS if fields else 0.0


def _is_browser(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0].startswith(("chrom", "headless_shell"))


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server tree, Chromium, the driver (this Python and node), the machine."""
    parents = _parents()
    server = descendants(server_pid, parents)
    mine = descendants(os.getpid(), parents) - server
    browser = {pid for pid in mine if _is_browser(pid)}
    with open("/proc/stat") as stat:
        jiffies = [int(x) for x in stat.readline().split()[1:]]
    idle = jiffies[3] + jiffies[4]
    return {
        "server": sum(_cpu_s(pid) for pid in server),
        "browser": sum(_cpu_s(pid) for pid in browser),
        "driver": sum(_cpu_s(pid) for pid in mine - browser),
        "machine_busy": (sum(jiffies[:8]) - idle) / TICKS,
        "wall": time.monotonic(),
    }


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds used between two snapshots, with what the rest of the machine used ('other')."""
    used = {key: round(after[key] - before[key], 1) for key in before}
    used["other"] = round(used["machine_busy"] - used["server"] - used["browser"] - used["driver"], 1)
    used["cores"] = os.cpu_count() or 1
    used["wall_s"] = used.pop("wall")
    return used


class RssSampler(threading.Thread):
    """Samples the RSS of a process and its children until stopped; `phase()` names the current part."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, str, int]] = []  # (monotonic time, phase, kB)
        self._phase = "start-up"
        self._halt = threading.Event()

    def phase(self, name: str) -> None:
        self._phase = name

    def run(self) -> None:
        pids, refreshed = {self.pid}, 0.0
        while not self._halt.is_set():
            now = time.monotonic()
            if now - refreshed > 2:  # children appear rarely: rescan the process tree every 2 s
                pids, refreshed = descendants(self.pid), now
            total = sum(rss_kb(pid) for pid in pids)
            if total:
                self.samples.append((now, self._phase, total))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def peak_mb(self, phase: str | None = None) -> float | None:
        values = [kb for _, name, kb in self.samples if phase is None or name == phase]
        return round(max(values) / 1024, 1) if values else None

    def last_mb(self, phase: str) -> float | None:
        values = [kb for _, name, kb in self.samples if name == phase]
        return round(values[-1] / 1024, 1) if values else None


def pss_kb(pid: int) -> int:
    """Proportional set size of one process in kB: shared pages split between their users."""
    return _proc_kb(pid, "smaps_rollup", "Pss:")


def browser_pss_mb() -> float:
    """Memory of this process's Chromium processes (sum of PSS, so shared pages count once)."""
    return round(sum(pss_kb(pid) for pid in descendants(os.getpid()) if _is_browser(pid)) / 1024, 1)
