"""The Sluice services ``sluice dev`` runs, as data: adding one is one line.

Each runs as ``python -m <module>`` with the stack's addresses in its
environment; a module without ``__main__`` yet is skipped with a note.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sluice_config import Settings

from sluice_devstack.errors import StartupError
from sluice_devstack.ports import accepts_connections
from sluice_devstack.process import ChildProcess, spawn


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port_setting: str  # the Settings field (WF_<NAME>) of its HTTP port
    note: str = ""  # shown after the address, e.g. other listeners
    scheme: str = "http"
    host_setting: str = "api_host"  # the Settings field of the host it listens on

    def host(self, settings: Settings) -> str:
        return str(getattr(settings, self.host_setting))

    def port(self, settings: Settings) -> int:
        return int(getattr(settings, self.port_setting))


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("api", "sluice_api", "api_port", "OpenAPI at /openapi.json, docs at /docs"),
    ServiceSpec("ingest", "sluice_ingest", "ingest_port", "SMTP on WF_SMTP_LISTEN_PORT"),
    ServiceSpec("interpreter", "sluice_interpreter", "interpreter_port"),
    ServiceSpec("scheduler", "sluice_scheduler", "scheduler_port"),
    # Where outbound mail goes locally; files in .cache/local/mail.
    ServiceSpec(
        "mail-sink",
        "sluice_devstack.mail_sink",
        "smtp_port",
        "outbound mail saved to .cache/local/mail",
        scheme="smtp",
        host_setting="smtp_host",
    ),
)


def select(names: str) -> tuple[ServiceSpec, ...]:
    """``all``, ``none`` or a comma-separated list of service names."""
    if names == "all":
        return SERVICES
    if names in ("", "none"):
        return ()
    wanted = [name.strip() for name in names.split(",")]
    unknown = sorted(set(wanted) - {spec.name for spec in SERVICES})
    if unknown:
        raise StartupError(f"unknown service(s) {unknown}; known: {[s.name for s in SERVICES]}")
    return tuple(spec for spec in SERVICES if spec.name in wanted)


def runnable(spec: ServiceSpec) -> bool:
    """True when ``python -m <module>`` would run something."""
    try:
        return importlib.util.find_spec(f"{spec.module}.__main__") is not None
    except ModuleNotFoundError:
        return False


def start_service(spec: ServiceSpec, env: Mapping[str, str], log_dir: Path) -> ChildProcess:
    argv = [sys.executable, "-m", spec.module]
    return spawn(spec.name, argv, log_path=log_dir / f"{spec.name}.log", env={**os.environ, **env})


async def wait_listening(child: ChildProcess, host: str, port: int, timeout_s: float) -> None:
    """Return once the service accepts TCP connections on its port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartupError(
                f"service {child.name} exited with code {child.popen.returncode} during "
                f"start-up; last log lines ({child.log_path}):\n{child.tail()}"
            )
        if await accepts_connections(host, port):
            return
        await asyncio.sleep(0.1)
    raise StartupError(
        f"service {child.name} did not listen on {host}:{port} within {timeout_s:.0f} s; "
        f"last log lines ({child.log_path}):\n{child.tail()}"
    )
