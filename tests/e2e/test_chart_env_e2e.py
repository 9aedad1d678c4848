"""The Helm chart's pods, run as processes: the hook jobs and every role start with
exactly the command and environment the chart renders (only addresses changed to
this test's database, broker, topic prefix and free ports), answer /readyz, and
stop with exit 0 inside the chart's terminationGracePeriodSeconds on SIGTERM.

This is what `helm install` would do on a cluster, minus the cluster: it catches a
setting the chart names wrong, a value the model refuses, a bad command.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from deploy_support.chart import CHART, by_kind, container_env, fetch_helm, renderer
from e2e_support.services import create_database
from sluice_devstack.ports import free_port
from sluice_devstack.process import ChildProcess, spawn

# Two jobs and five services, one after the other, on a machine that may be busy
# (~25 s when quiet; 2-3x that under load): more than the suite's 120 s default.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
READY_WITHIN_S = 120.0
PORTS = ("WF_API_PORT", "WF_INGEST_PORT", "WF_SMTP_LISTEN_PORT", "WF_INTERPRETER_PORT",
         "WF_EXECUTOR_PORT", "WF_SCHEDULER_PORT")  # fmt: skip


def _local(argv: list[str]) -> list[str]:
    """The container's command on this machine: `python` / `sluice` of this venv."""
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    assert argv[0] == "sluice", argv
    return [sys.executable, "-m", "sluice_cli", *argv[1:]]


def _hook_weight(job: dict[str, Any]) -> int:
    return int(job["metadata"]["annotations"]["helm.sh/hook-weight"])


async def _ready(child: ChildProcess, port: int) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert child.alive(), f"{child.name} exited:\n{child.tail(40)}"
            try:
                ready = await client.get(f"http://127.0.0.1:{port}/readyz")
                healthy = await client.get(f"http://127.0.0.1:{port}/healthz")
                if ready.status_code == healthy.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"{child.name} not ready in {READY_WITHIN_S} s:\n{child.tail(40)}")


async def test_chart_hooks_and_roles_run_with_the_charts_environment(
    database_url: str, kafka_bootstrap_servers: str, tmp_path: Path
) -> None:
    manifests = renderer(fetch_helm())(CHART / "ci" / "minimal-values.yaml",
                                       "executor.enabled=true")  # fmt: skip
    here = {
        "WF_DATABASE_URL": await create_database(database_url),  # empty: the hook migrates
        "WF_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "WF_TOPIC_PREFIX": f"c{uuid.uuid4().hex}.",
        "WF_CACHE_DIR": str(tmp_path / "cache"),
        "WF_LOCAL_STACK_FILE": str(tmp_path / "no-stack.json"),
        **{name: str(free_port()) for name in PORTS},
    }
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    def env_of(container: dict[str, object]) -> dict[str, str]:
        return {**base, **container_env(manifests, container), **here}

    jobs = sorted(by_kind(manifests, "Job").values(), key=_hook_weight)
    for job in jobs:
        began = time.monotonic()
        (container,) = job["spec"]["template"]["spec"]["containers"]
        done = await asyncio.to_thread(
            subprocess.run, _local(container["command"] + container["args"]),
            env=env_of(container), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{job['metadata']['name']}:\n{done.stdout}{done.stderr}"
        print(f"{job['metadata']['name']}: {time.monotonic() - began:.1f} s")
    assert [j["metadata"]["name"] for j in jobs] == ["rel-sluice-migrate", "rel-sluice-topics"]

    children: dict[str, tuple[ChildProcess, int, int]] = {}
    try:
        for name, deployment in by_kind(manifests, "Deployment").items():
            spec = deployment["spec"]["template"]["spec"]
            (container,) = spec["containers"]
            env = env_of(container)
            port_var = {"rel-sluice-api": "WF_API_PORT", "rel-sluice-ingest": "WF_INGEST_PORT",
                        "rel-sluice-interpreter": "WF_INTERPRETER_PORT",
                        "rel-sluice-executor": "WF_EXECUTOR_PORT",
                        "rel-sluice-scheduler": "WF_SCHEDULER_PORT"}[name]  # fmt: skip
            child = spawn(name, _local(container["command"]), env=env,
                          log_path=tmp_path / f"{name}.log")  # fmt: skip
            children[name] = (child, int(env[port_var]), spec["terminationGracePeriodSeconds"])
        assert len(children) == 5
        started = time.monotonic()
        await asyncio.gather(*(_ready(child, port) for child, port, _ in children.values()))
        print(f"all 5 roles ready {time.monotonic() - started:.1f} s after start")
        stop_at = time.monotonic()
        for child, _port, _grace in children.values():
            os.kill(child.pid, signal.SIGTERM)  # what the kubelet sends, to every pod at once
        for name, (child, _port, grace) in children.items():
            left = max(0.0, grace - (time.monotonic() - stop_at))
            try:
                code = await asyncio.to_thread(child.popen.wait, left)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} still running {grace} s after SIGTERM:\n{child.tail(40)}")
            print(f"{name}: stopped {time.monotonic() - stop_at:.1f} s after SIGTERM")
            # uvicorn (the API) re-raises the SIGTERM it handled once it has shut down.
            clean = code == 0 or (
                code == -signal.SIGTERM and "Finished server process" in child.tail(5)
            )
            assert clean, f"{name} exited {code}:\n{child.tail(40)}"
    finally:
        for child, _port, _grace in children.values():
            child.stop(timeout_s=2)
