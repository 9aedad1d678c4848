"""``sluice dev`` as a user runs it: a real subprocess on free ports, stopped by
a signal, then checked for leftover processes with psutil (the launcher's
children run in their own sessions, so only a process-tree snapshot taken
while it runs can tell what must be gone afterwards)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sluice_devstack.ports import free_port

pytestmark = pytest.mark.integration

READY = "sluice dev: ready"
READY_TIMEOUT_S = 240.0  # stack ~5 s, all ~30 s; a shared 2-core machine under 4 test runs: 90 s+
PORT_SETTINGS = (
    "WF_KAFKA_PORT", "WF_KAFKA_CONTROLLER_PORT", "WF_POSTGRES_PORT", "WF_API_PORT",
    "WF_INGEST_PORT", "WF_SMTP_LISTEN_PORT", "WF_INTERPRETER_PORT", "WF_SCHEDULER_PORT",
    "WF_EXECUTOR_PORT", "WF_SMTP_PORT",
)  # fmt: skip


class DevProcess:
    """A running ``sluice dev`` whose output is read by a thread, line by line."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _EXTERNAL}
        env.update({name: str(free_port()) for name in PORT_SETTINGS})
        env["WF_LOCAL_STACK_FILE"] = str(tmp_path / "local-stack.json")
        argv = [sys.executable, "-m", "sluice_cli", "dev", "--state-dir", str(tmp_path / "state")]
        self.connection_file = tmp_path / "local-stack.json"
        self.proc = subprocess.Popen([*argv, *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, marker: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                self.output.append(line := self.lines.get(timeout=0.2))
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if marker in line:
                return
        self.proc.kill()
        pytest.fail(f"no {marker!r} within {timeout_s} s; output:\n" + "\n".join(self.output))

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def finish(self, timeout_s: float) -> int:
        """Wait for the exit, then release the pipe (warnings are errors here)."""
        code = self.proc.wait(timeout_s)
        self.reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code


@pytest.fixture
def dev_factory(tmp_path: Path) -> Iterator[Callable[..., DevProcess]]:
    """Start ``sluice dev`` runs sharing one state dir; killed at teardown."""
    started: list[DevProcess] = []

    def start(*args: str) -> DevProcess:
        started.append(DevProcess(tmp_path, *args))
        return started[-1]

    yield start
    for dev in started:
        if dev.proc.poll() is None:
            dev.proc.kill()
        if dev.proc.stdout is not None and not dev.proc.stdout.closed:
            dev.finish(30)


_EXTERNAL = ("WF_DATABASE_URL", "WF_KAFKA_BOOTSTRAP_SERVERS")


def _names(procs: list[psutil.Process]) -> set[str]:
    return {p.name() for p in procs}


def test_sluice_dev_leaves_no_process_when_terminated(
    dev_factory: Callable[..., DevProcess],
) -> None:
    dev = dev_factory()
    dev.wait_for(READY, READY_TIMEOUT_S)
    children = dev.descendants()
    saved = json.loads(dev.connection_file.read_text())
    assert {"java", "postgres"} <= _names(children)
    assert saved["pid"] == dev.proc.pid
    assert saved["kafka_bootstrap_servers"].startswith("127.0.0.1:")
    ui = f"http://127.0.0.1:{saved['ports']['api']}/ui/"
    assert f"sluice dev: web UI: {ui}" in dev.output
    sign_in = [line for line in dev.output if "sign in as the demo admin" in line]
    assert len(sign_in) == 1
    assert f"{ui}#token=slc_" in sign_in[0]  # the fragment, not a query string

    dev.proc.send_signal(signal.SIGTERM)
    assert dev.finish(60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert not dev.connection_file.exists()


def test_sluice_dev_restarts_when_previous_run_was_killed(
    dev_factory: Callable[..., DevProcess],
) -> None:
    first = dev_factory("--services", "none")
    first.wait_for(READY, READY_TIMEOUT_S)
    orphans = first.descendants()
    first.proc.kill()  # no clean-up code runs: the parent-death signal must do it
    first.finish(10)
    _, alive = psutil.wait_procs(orphans, timeout=30)
    assert alive == []

    second = dev_factory("--services", "none")  # same state dir, stale lock file
    second.wait_for(READY, READY_TIMEOUT_S)
    children = second.descendants()
    second.proc.send_signal(signal.SIGINT)  # what Ctrl-C delivers
    assert second.finish(60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


@pytest.mark.timeout(2 * READY_TIMEOUT_S)  # start-up, then at most 60 s per recovery step
def test_sluice_dev_restarts_a_killed_postgres_and_serves_again(
    dev_factory: Callable[..., DevProcess],
) -> None:
    """Issue 16: kill -9 of PostgreSQL under ``sluice dev`` no longer stops the stack."""
    dev = dev_factory()
    dev.wait_for(READY, READY_TIMEOUT_S)
    saved = json.loads(dev.connection_file.read_text())
    [sign_in] = [line for line in dev.output if "sign in as the demo admin" in line]
    token = sign_in.split("#token=")[1].strip()
    api = f"http://127.0.0.1:{saved['ports']['api']}"
    killed = time.monotonic()
    os.kill(saved["pids"]["postgres"], signal.SIGKILL)
    dev.wait_for("sluice dev: postgres exited (code -9); restarting in 1 s (restart 1 of 5)", 30)
    dev.wait_for("sluice dev: postgres is back", 60)
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as client:
        deadline = time.monotonic() + 60  # generous: the pool reconnects on the next request
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "/readyz stayed red after the restart"
            time.sleep(0.2)
        green_after = time.monotonic() - killed
        run = _start_a_run(client)
        deadline = time.monotonic() + 60
        while (status := client.get(f"/workflow-runs/{run}").json()["status"]) != "SUCCEEDED":
            assert status in ("PENDING", "RUNNING"), status
            assert time.monotonic() < deadline, "the run after the restart did not finish"
            time.sleep(0.2)
    assert dev.proc.poll() is None  # the launcher kept everything else running
    new_pid = json.loads(dev.connection_file.read_text())["pids"]["postgres"]
    assert new_pid != saved["pids"]["postgres"]
    print(f"\nsluice dev: postgres kill -9 -> /readyz green after {green_after:.1f} s")
    dev.proc.send_signal(signal.SIGINT)
    assert dev.finish(60) == 0


def _start_a_run(client: httpx.Client) -> str:
    draft = {"name": "after-restart", "steps": [
        {"id": "s1", "type": "state.set", "config": {"state": "DONE"}}]}  # fmt: skip
    created = client.post("/workflow-definitions", json=draft)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    published = client.post(f"/workflow-definitions/{workflow_id}/draft/publish")
    assert published.json()["ok"], published.text
    started = client.post("/workflow-runs", json={"workflowId": workflow_id, "payload": {}})
    assert started.status_code == 201, started.text
    return str(started.json()["runId"])
