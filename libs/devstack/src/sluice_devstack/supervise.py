"""``sluice dev`` rides through: a child that dies is started again, with backoff.

PostgreSQL killed by the OOM killer, Kafka crashing, a service exiting: the
launcher says so on one line ("sluice dev: postgres exited (code -9); restarting
in 1 s (restart 1 of 5)"), waits, starts the child again from its recipe
(``RunningStack.respawn``) and says when it serves again. The other children keep
running: the services reconnect on their own (``sluice_engine.transient``). It
stops everything only on Ctrl-C/SIGTERM, or when one child keeps failing (more
than ``max_restarts`` restarts within ``window_s``): then it exits 1 with that
child's last log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sluice_devstack.process import ChildProcess
from sluice_devstack.stack import RunningStack

Echo = Callable[[str], None]
POLL_S = 0.5  # how soon a death is seen: well under the first restart delay


@dataclass(frozen=True)
class RestartPolicy:
    """1, 2, 4, 8, 16 s between restarts: a PostgreSQL restart takes ~1 s, Kafka's
    ~5 s, so a dying child costs little at first and a broken one (bad config, disk
    full) at most 31 s before the sixth death within a minute stops the stack."""

    max_restarts: int = 5
    window_s: float = 60.0
    first_delay_s: float = 1.0
    max_delay_s: float = 16.0

    def delay(self, earlier: int) -> float:
        """The wait before a restart that follows ``earlier`` ones within the window."""
        return float(min(self.first_delay_s * 2**earlier, self.max_delay_s))


@dataclass
class Supervisor:
    stack: RunningStack
    echo: Echo
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    on_restart: Callable[[ChildProcess], None] = lambda child: None
    restarts: dict[str, list[float]] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _gave_up: str = ""

    async def watch(self, stop: asyncio.Event) -> int:
        """Until ``stop`` (0) or a child that keeps failing (1)."""
        try:
            while not stop.is_set() and not self._gave_up:
                for child in list(self.stack.children):
                    if not child.alive() and child.name not in self._tasks:
                        self._handle_death(child)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), POLL_S)
        finally:
            for task in self._tasks.values():
                task.cancel()
        if self._gave_up:
            self.echo(self._gave_up)
            return 1
        self.echo("sluice dev: stopping")
        return 0

    def _handle_death(self, child: ChildProcess) -> None:
        code, now = child.popen.returncode, time.monotonic()
        recent = [t for t in self.restarts.get(child.name, []) if now - t < self.policy.window_s]
        self.restarts[child.name] = recent
        if child.name not in self.stack.recipes or len(recent) >= self.policy.max_restarts:
            why = (
                f"exited {len(recent) + 1} times within {self.policy.window_s:.0f} s"
                if recent else "cannot be restarted"
            )  # fmt: skip
            self._gave_up = (
                f"sluice dev: {child.name} exited with code {code} and {why}; stopping "
                f"everything. Last log lines ({child.log_path}):\n{child.tail()}"
            )
            return
        delay = self.policy.delay(len(recent))
        self.echo(
            f"sluice dev: {child.name} exited (code {code}); restarting in {delay:g} s "
            f"(restart {len(recent) + 1} of {self.policy.max_restarts})"
        )
        recent.append(now)
        self._tasks[child.name] = asyncio.create_task(self._restart(child.name, delay))

    async def _restart(self, name: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            began = time.monotonic()
            child = self.stack.respawn(name)
            self.on_restart(child)
            try:
                await self.stack.ready(name)
            except Exception as exc:  # died again, never answered, refused: the watch decides
                first = (str(exc) or type(exc).__name__).splitlines()[0]
                self.echo(f"sluice dev: {name} did not come back: {first}")
                return
            self.echo(
                f"sluice dev: {name} is back (pid {child.pid}, serving after "
                f"{time.monotonic() - began:.1f} s)"
            )
        finally:
            self._tasks.pop(name, None)
