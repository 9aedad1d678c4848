"""``sluice dev``'s supervisor with real (tiny) processes: a child that dies is
started again with backoff and a line saying so; one that keeps failing stops
the stack with its last log lines; Ctrl-C stops it while a restart waits."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sluice_devstack.lock import StackLock
from sluice_devstack.process import ChildProcess, spawn
from sluice_devstack.stack import Recipe, RunningStack
from sluice_devstack.supervise import RestartPolicy, Supervisor

FAST = RestartPolicy(max_restarts=3, window_s=60.0, first_delay_s=0.05, max_delay_s=0.2)


class Lines(list[str]):
    """What the supervisor echoes; ``wait_for`` a line holding some text."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def echo(self, line: str) -> None:
        self.append(line)
        self.changed.set()

    async def wait_for(self, text: str, timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while not any(text in line for line in self):
                self.changed.clear()
                await self.changed.wait()


def stack_of(tmp_path: Path, code: str) -> RunningStack:
    """A stack with one child running ``code``, restartable from the same recipe."""
    lock = StackLock(tmp_path / "stack.lock")
    lock.acquire()
    stack = RunningStack(database_url="", kafka_bootstrap_servers="", lock=lock)

    def start() -> ChildProcess:
        return spawn("worker", [sys.executable, "-c", code], log_path=tmp_path / "worker.log")

    async def ready(child: ChildProcess) -> None:
        await asyncio.sleep(0)

    stack.adopt(start(), Recipe(start, ready))
    return stack


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 16, 16]


async def test_a_child_that_keeps_failing_stops_the_stack(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, "print('bad config', flush=True); raise SystemExit(3)")
    lines = Lines()
    try:
        code = await asyncio.wait_for(Supervisor(stack, lines.echo, FAST).watch(
            asyncio.Event()), 30)  # fmt: skip
    finally:
        stack.stop()
    assert code == 1
    restarting = [line for line in lines if "restarting in" in line]
    assert restarting == [
        f"sluice dev: worker exited (code 3); restarting in {d:g} s (restart {n} of 3)"
        for n, d in ((1, 0.05), (2, 0.1), (3, 0.2))
    ]
    assert "worker exited with code 3 and exited 4 times within 60 s; stopping" in lines[-1]
    assert "bad config" in lines[-1]  # its last log lines


async def test_a_killed_child_is_back_and_stop_ends_the_watch(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, "import time; time.sleep(60)")
    first = stack.child("worker")
    lines = Lines()
    restarted: list[int] = []
    stop = asyncio.Event()
    watch = asyncio.create_task(
        Supervisor(stack, lines.echo, FAST, lambda c: restarted.append(c.pid)).watch(stop)
    )
    try:
        first.popen.kill()
        await lines.wait_for("worker is back", 30)
        assert stack.child("worker").alive()
        assert restarted == [stack.child("worker").pid] != [first.pid]
        stop.set()
        assert await asyncio.wait_for(watch, 10) == 0
    finally:
        stack.stop()
    assert lines[0] == "sluice dev: worker exited (code -9); restarting in 0.05 s (restart 1 of 3)"


async def test_stop_while_a_restart_waits_stops_cleanly(tmp_path: Path) -> None:
    slow = RestartPolicy(max_restarts=3, first_delay_s=30.0, max_delay_s=30.0)
    stack = stack_of(tmp_path, "raise SystemExit(1)")
    lines = Lines()
    stop = asyncio.Event()
    watch = asyncio.create_task(Supervisor(stack, lines.echo, slow).watch(stop))
    try:
        await lines.wait_for("restarting in", 20)
        stop.set()
        assert await asyncio.wait_for(watch, 10) == 0
    finally:
        stack.stop()
    assert lines == [
        "sluice dev: worker exited (code 1); restarting in 30 s (restart 1 of 3)",
        "sluice dev: stopping",
    ]
