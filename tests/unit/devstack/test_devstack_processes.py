"""Child processes, ports and the stack lock, with real (tiny) processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sluice_devstack.errors import PortInUseError, StackBusyError
from sluice_devstack.lock import StackLock
from sluice_devstack.ports import ensure_port_free, free_port, port_is_free
from sluice_devstack.process import spawn, tail_file

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


def test_child_stops_and_logs_when_asked(tmp_path: Path) -> None:
    child = spawn("sleeper", SLEEPER, log_path=tmp_path / "s.log")
    _wait_for(lambda: "up" in child.tail())
    assert child.alive()
    assert os.getpgid(child.pid) == child.pid  # its own process group
    code = child.stop(timeout_s=5)
    assert code == -signal.SIGTERM
    assert not child.alive()


def test_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import sys, time; from pathlib import Path; from sluice_devstack.process import spawn; "
        f"c = spawn('s', {SLEEPER!r}, log_path=Path({str(tmp_path / 'c.log')!r})); "
        f"Path({str(pid_file)!r}).write_text(str(c.pid)); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    _wait_for(pid_file.exists)
    child = psutil.Process(int(pid_file.read_text()))
    parent.kill()
    parent.wait(10)
    _, alive = psutil.wait_procs([child], timeout=10)
    assert alive == []


def test_tail_file_returns_last_lines_when_file_exists(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail_file(log, 2) == "line 98\nline 99"
    assert tail_file(tmp_path / "missing.log") == ""


def test_ensure_port_free_names_setting_when_port_taken() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port}.*WF_KAFKA_PORT=<port>"):
            ensure_port_free("127.0.0.1", port, "Kafka", "WF_KAFKA_PORT")
    ensure_port_free("127.0.0.1", free_port(), "Kafka", "WF_KAFKA_PORT")


def test_free_port_never_hands_out_a_port_twice() -> None:
    # The kernel may offer the same free port twice in a row; the stack picks its
    # Kafka listeners and PostgreSQL port before binding any (a CI flake once).
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(port_is_free("127.0.0.1", port) for port in ports)


def test_stack_lock_refuses_second_owner_when_held(tmp_path: Path) -> None:
    first = StackLock(tmp_path / "stack.lock")
    first.acquire()
    try:
        with pytest.raises(StackBusyError, match=f"pid {os.getpid()}"):
            StackLock(tmp_path / "stack.lock").acquire()
    finally:
        first.release()
    again = StackLock(tmp_path / "stack.lock")
    assert again.acquire() == []
    again.release()


def test_stack_lock_stops_leftover_child_when_owner_died(tmp_path: Path) -> None:
    leftover = spawn("kafka", SLEEPER, log_path=tmp_path / "k.log")
    started = psutil.Process(leftover.pid).create_time()
    record = {"pid": 0, "children": {"kafka": {"pid": leftover.pid, "create_time": started}}}
    (tmp_path / "stack.lock").write_text(json.dumps(record))
    lock = StackLock(tmp_path / "stack.lock")
    try:
        assert lock.acquire() == ["kafka"]
    finally:
        lock.release()
    leftover.popen.wait(5)
    assert not leftover.alive()


def _wait_for(condition: object, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
