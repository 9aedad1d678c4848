"""Long-running child processes (broker, database, services) that never outlive us.

Each child gets its own session (so a terminal Ctrl-C reaches only the launcher,
which then stops the children in order) and, on Linux, a parent-death signal,
so even a ``kill -9`` of the launcher takes its children down. Output goes to a
log file whose last lines end up in error messages.

Spawn from the main thread: Linux sends the parent-death signal when the
*thread* that forked exits, so a child started from a short-lived worker
thread would die with that thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass
class ChildProcess:
    """A child running in its own process group, its output in ``log_path``."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: signal.Signals = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 20) -> str:
        return tail_file(self.log_path, lines)

    def ask_to_stop(self) -> None:
        """Send the stop signal without waiting (``stop`` then waits)."""
        if self.alive():
            _signal_group(self.pid, self.stop_signal)

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """Ask the group to stop, wait, then kill what is left; the exit code."""
        if self.alive():
            _signal_group(self.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout_s)
        # Whatever is left in the group (or the leader, if it ignored us) goes now.
        _signal_group(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        return self.popen.returncode


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> ChildProcess:
    """Start ``argv`` in a new session; it receives ``stop_signal`` if we die."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    identity = as_user(user)
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            **identity,
            start_new_session=True,
            preexec_fn=_die_with_parent(stop_signal),
        )
    return ChildProcess(name=name, popen=popen, log_path=log_path, stop_signal=stop_signal)


def as_user(user: str | None) -> dict[str, Any]:
    """Popen arguments to run as ``user`` with *its* groups: with only ``user=``
    the child keeps root's group 0, and Linux then checks a root-owned
    directory's group bits (often none) instead of the "others" bits."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to send ``sig`` to the child when we die."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: no imports in the child
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # we died between fork and prctl
            os._exit(1)

    return hook


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def tail_file(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ("" when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
