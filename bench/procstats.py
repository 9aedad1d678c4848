"""CPU seconds, peak RSS and machine load of the processes a benchmark phase runs on.

``Sampler`` samples every watched process (psutil, by pid) and the load
average twice a second in a background task; ``window()`` opens a measuring
window and ``close()`` gives, per process name, the CPU seconds spent in the
window and the peak RSS seen in it. A process made of several OS processes
(PostgreSQL: a postmaster and one backend per connection) is summed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

SAMPLE_EVERY_S = 0.5


def _family(root: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return [root, *root.children(recursive=True)]
    return []


def _runqueue_wait(pid: int) -> float:
    """Seconds the process's threads spent runnable but waiting for a core (schedstat):
    on a shared 2-core machine this is the CPU the others' work took from us."""
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[1])
    return total / 1e9


def _waits(procs: list[psutil.Process]) -> float:
    return sum(_runqueue_wait(proc.pid) for proc in procs)


def _usage(procs: list[psutil.Process]) -> tuple[float, int]:
    """(user + system CPU seconds, memory bytes) summed over ``procs`` still alive.

    Memory is RSS for one process; for a family it is PSS (shared pages split among
    the sharers), since PostgreSQL's backends all map the same shared buffers.
    """
    cpu, rss = 0.0, 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            cpu += times.user + times.system
            rss += proc.memory_full_info().pss if len(procs) > 1 else proc.memory_info().rss
    return cpu, rss


def _busy(start: Any, end: Any) -> float:
    """Share of all cores busy between two ``psutil.cpu_times()`` (everyone's work)."""
    idle = (end.idle + getattr(end, "iowait", 0)) - (start.idle + getattr(start, "iowait", 0))
    total = sum(end) - sum(start)
    return 0.0 if total <= 0 else 1 - idle / total


def listener_pid(port: int) -> int | None:
    """The pid listening on TCP ``port`` here (PostgreSQL's postmaster, the Kafka broker)."""
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return conn.pid
    return None


@dataclass
class Window:
    """One measuring window: CPU at its start, peaks and load samples since."""

    cpu_start: dict[str, float]
    wait_start: dict[str, float] = field(default_factory=dict)
    wait_end: dict[str, float] = field(default_factory=dict)
    machine_start: Any = field(default_factory=psutil.cpu_times)
    cpu_last: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, int] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        services = {
            name: {
                "cpu_s": round(self.cpu_last.get(name, 0.0) - start, 2),
                "peak_rss_mb": round(self.peak_rss.get(name, 0) / 2**20, 1),
                "runqueue_wait_s": round(
                    self.wait_end.get(name, 0.0) - self.wait_start.get(name, 0.0), 2
                ),
            }
            for name, start in self.cpu_start.items()
        }
        one_minute = [round(x, 2) for x in self.loads] or [os.getloadavg()[0]]
        busy = _busy(self.machine_start, psutil.cpu_times())
        return {
            "services": services,
            "machine_cpu_busy": f"{busy:.0%} of {psutil.cpu_count()} cores",
            "load_1m": {"min": min(one_minute), "max": max(one_minute),
                        "mean": round(sum(one_minute) / len(one_minute), 2)},
        }  # fmt: skip


class Sampler:
    """Samples named process families (``name -> root pid``, or a callable giving pids)."""

    def __init__(self) -> None:
        self.roots: dict[str, Callable[[], list[psutil.Process]]] = {}
        self.windows: list[Window] = []
        self._task: asyncio.Task[None] | None = None

    def watch(self, name: str, pid: int, family: bool = False) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        self.roots[name] = (lambda: _family(root)) if family else (lambda: [root])

    def sample(self) -> dict[str, tuple[float, int]]:
        return {name: _usage(procs()) for name, procs in self.roots.items()}

    def waits(self) -> dict[str, float]:
        return {name: _waits(procs()) for name, procs in self.roots.items()}

    def window(self) -> Window:
        now = self.sample()
        opened = Window(cpu_start={name: cpu for name, (cpu, _) in now.items()})
        opened.wait_start = self.waits()
        self.windows.append(opened)
        return opened

    def close(self, opened: Window) -> dict[str, Any]:
        self._record(self.sample())
        opened.wait_end = self.waits()
        self.windows.remove(opened)
        return opened.summary()

    def _record(self, now: dict[str, tuple[float, int]]) -> None:
        load = os.getloadavg()[0]
        for opened in self.windows:
            opened.loads.append(load)
            for name, (cpu, rss) in now.items():
                opened.cpu_last[name] = max(cpu, opened.cpu_last.get(name, 0.0))
                opened.peak_rss[name] = max(rss, opened.peak_rss.get(name, 0))

    async def run(self) -> None:
        while True:
            self._record(await asyncio.to_thread(self.sample))
            await asyncio.sleep(SAMPLE_EVERY_S)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
