"""Real Sluice services as subprocesses, against the session's Kafka and a fresh database.

Each e2e module gets its own database (so its outbox holds only its own rows)
and its own topic prefix; services get the test plugin through ``WF_PLUGINS``
with ``tests/`` on ``PYTHONPATH``, exactly as an operator would load a plugin.
Several instances of a service are names with a suffix after a dot
(``interpreter.2``): each is a process of its own with its own port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sluice_devstack.ports import free_port
from sluice_devstack.process import ChildProcess, spawn

TESTS_DIR = Path(__file__).resolve().parents[1]
PLUGIN = "plugins.test_actions:register"

MODULES = {
    "interpreter": ("sluice_interpreter", ["interpreter"], "WF_INTERPRETER_PORT"),
    # a second interpreter in the same consumer group (the partitions are shared out)
    "interpreter2": ("sluice_interpreter", ["interpreter"], "WF_INTERPRETER_PORT"),
    "executor": ("sluice_interpreter", ["executor"], "WF_EXECUTOR_PORT"),
    "scheduler": ("sluice_scheduler", [], "WF_SCHEDULER_PORT"),
    "ingest": ("sluice_ingest", [], "WF_INGEST_PORT"),  # SMTP port: WF_SMTP_LISTEN_PORT
    "api": ("sluice_api", [], "WF_API_PORT"),
}


def role_of(name: str) -> str:
    """The service an instance name runs: ``interpreter.2`` -> ``interpreter``."""
    return name.partition(".")[0]


@dataclass
class Services:
    database_url: str
    kafka: str
    topic_prefix: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    children: dict[str, ChildProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)

    def env(self, name: str) -> dict[str, str]:
        _module, _args, port_var = MODULES[role_of(name)]
        self.ports.setdefault(name, free_port())
        if role_of(name) == "ingest":  # its SMTP listener too: 2525 may be another stack's
            self.extra_env.setdefault("WF_SMTP_LISTEN_PORT", str(free_port()))
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
            "WF_DATABASE_URL": self.database_url,
            "WF_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "WF_TOPIC_PREFIX": self.topic_prefix,
            "WF_TOPIC_PARTITIONS": "2",
            "WF_PLUGINS": PLUGIN,
            "WF_LOCAL_STACK_FILE": str(self.log_dir / "no-stack.json"),
            port_var: str(self.ports[name]),
            **self.extra_env,
        }

    async def start(self, name: str, timeout_s: float = 60.0) -> ChildProcess:
        module, args, _port_var = MODULES[role_of(name)]
        self.starts[name] = self.starts.get(name, 0) + 1
        log_path = self.log_dir / f"{name}-{self.starts[name]}.log"
        child = spawn(name, [sys.executable, "-m", module, *args], log_path=log_path,
                      env=self.env(name))  # fmt: skip
        self.children[name] = child
        await self.wait_ready(name, timeout_s)
        return child

    async def wait_ready(self, name: str, timeout_s: float) -> None:
        child, url = self.children[name], f"http://127.0.0.1:{self.ports[name]}/readyz"
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not child.alive():
                    raise AssertionError(f"{name} exited during start-up:\n{child.tail(40)}")
                try:
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{name} not ready within {timeout_s} s:\n{child.tail(40)}")

    def kill9(self, name: str) -> None:
        child = self.children[name]
        os.killpg(child.pid, signal.SIGKILL)
        child.popen.wait(10)

    async def get(self, name: str, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await client.get(f"http://127.0.0.1:{self.ports[name]}{path}")

    def stop_all(self) -> None:
        """Every child at once (each may take seconds to stop: a fleet of eight did
        one after another in ~20 s)."""
        children = list(self.children.values())
        if children:
            with ThreadPoolExecutor(len(children)) as stopping:
                list(stopping.map(lambda child: child.stop(timeout_s=5), children))

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{c.tail(30)}" for n, c in self.children.items())


async def create_database(server_dsn: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    name = f"sluice_e2e_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))


async def wait_for(check: Any, timeout_s: float, what: str, services: Services | None = None,
                   interval_s: float = 0.1) -> Any:  # fmt: skip
    """Poll ``check()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            logs = services.logs() if services else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{logs}")
        await asyncio.sleep(interval_s)


def merged(base: Mapping[str, str], **more: str) -> dict[str, str]:
    return {**base, **more}
