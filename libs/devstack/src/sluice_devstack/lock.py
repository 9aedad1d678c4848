"""One launcher per state directory, and no leftovers from a crashed one.

The lock is an ``flock`` on ``<state>/stack.lock``: the kernel drops it when its
owner dies, however it dies, so a lock is never "stale" in the way a pid file
is. The file's content records the owner and its children; a new owner that
finds content from a dead one stops any recorded child that still runs (same
pid *and* start time, so a recycled pid is never hit).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil

from sluice_devstack.errors import StackBusyError
from sluice_devstack.process import ChildProcess


@dataclass
class StackLock:
    path: Path
    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    _handle: IO[str] | None = None

    def acquire(self) -> list[str]:
        """Take the lock; the names of stale children that were stopped."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read(handle).get("pid", "?")
            handle.close()
            raise StackBusyError(
                f"another local stack (pid {owner}) is running from {self.path.parent}; "
                f"stop it first (Ctrl-C in its terminal, or `kill {owner}`)"
            ) from None
        self._handle = handle
        stopped = _stop_leftovers(_read(handle))
        self._write()
        return stopped

    def record(self, child: ChildProcess) -> None:
        """Remember a child, so that a successor can clean it up after a crash."""
        with contextlib.suppress(psutil.Error):
            started = psutil.Process(child.pid).create_time()
            self.children[child.name] = {"pid": child.pid, "create_time": started}
            self._write()

    def release(self) -> None:
        if self._handle is None:
            return
        self.children.clear()
        self._write()
        self._handle.close()  # closing drops the flock
        self._handle = None

    def _write(self) -> None:
        assert self._handle is not None
        self._handle.seek(0)
        self._handle.truncate()
        json.dump({"pid": os.getpid(), "children": self.children}, self._handle)
        self._handle.flush()


def _read(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        content = json.loads(handle.read() or "{}")
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def _stop_leftovers(previous: dict[str, Any]) -> list[str]:
    stopped = []
    for name, info in previous.get("children", {}).items():
        with contextlib.suppress(psutil.Error, KeyError, TypeError):
            proc = psutil.Process(info["pid"])
            if abs(proc.create_time() - info["create_time"]) < 0.01:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # each child leads its own group
                proc.wait(10)
                stopped.append(name)
    return stopped
