"""A single-node Apache Kafka broker (KRaft combined mode) as a child process.

The JVM runs ``kafka.Kafka`` straight from the jars Maven fetched (no Kafka
distribution, no shell scripts), so the launcher's child *is* the JVM and
stopping its process group leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from sluice_devstack.errors import StartupError
from sluice_devstack.kafka_jars import kafka_dir
from sluice_devstack.ports import accepts_connections
from sluice_devstack.process import ChildProcess, spawn

# 1 GiB max heap is the official start script's default; 256 MiB initial keeps
# the local stack light. The broker needs neither more nor a tuned GC here.
JVM_OPTIONS = ("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true")
TOOL_TIMEOUT_S = 120


@dataclass(frozen=True)
class KafkaLayout:
    """Where one broker keeps its files: ``<state>/kafka/{server.properties,data,broker.log}``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "server.properties"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "broker.log"


@dataclass(frozen=True)
class KafkaListen:
    """What the broker listens on, and the default partition count."""

    host: str
    port: int
    controller_port: int
    partitions: int = 6

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


def render_server_properties(template: str, listen: KafkaListen, log_dir: Path) -> str:
    """``server.properties`` from the checked-in template (pure)."""
    return string.Template(template).substitute(
        host=listen.host,
        port=listen.port,
        controller_port=listen.controller_port,
        log_dir=str(log_dir),
        partitions=listen.partitions,
    )


def java_argv(java: str, libs: Path, main_class: str, *args: str) -> list[str]:
    log4j = kafka_dir() / "log4j2.properties"
    options = [*JVM_OPTIONS, f"-Dlog4j2.configurationFile={log4j}", "-cp", str(libs / "*")]
    return [java, *options, main_class, *args]


def prepare(layout: KafkaLayout, listen: KafkaListen, java: str, libs: Path) -> None:
    """Write server.properties and format the storage once (KRaft needs a cluster id)."""
    layout.root.mkdir(parents=True, exist_ok=True)
    template = (kafka_dir() / "server.properties.template").read_text()
    layout.config.write_text(render_server_properties(template, listen, layout.data))
    if (layout.data / "meta.properties").exists():
        return  # formatted by an earlier run: keep its topics and offsets
    cluster_id = _run_tool(java, libs, "random-uuid").strip().splitlines()[-1]
    _run_tool(java, libs, "format", "-t", cluster_id, "-c", str(layout.config))


def _run_tool(java: str, libs: Path, *args: str) -> str:
    argv = java_argv(java, libs, "kafka.tools.StorageTool", *args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    if done.returncode != 0:
        raise StartupError(
            f"kafka.tools.StorageTool {args[0]} failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr).strip()[-3000:]}"
        )
    return done.stdout


def start(layout: KafkaLayout, java: str, libs: Path) -> ChildProcess:
    argv = java_argv(java, libs, "kafka.Kafka", str(layout.config))
    return spawn("kafka", argv, log_path=layout.log, stop_signal=signal.SIGTERM)


async def wait_ready(child: ChildProcess, listen: KafkaListen, timeout_s: float) -> None:
    """Return once the broker answers a metadata request; a StartupError with
    the log's last lines if the JVM exits or ``timeout_s`` passes first."""
    host, port = listen.host, listen.port
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartupError(
                f"Kafka exited with code {child.popen.returncode} during start-up; "
                f"last log lines ({child.log_path}):\n{child.tail()}"
            )
        if await accepts_connections(host, port) and await _answers_metadata(host, port):
            return
        await asyncio.sleep(0.1)
    raise StartupError(
        f"Kafka did not accept connections on {host}:{port} within {timeout_s:.0f} s; "
        f"last log lines ({child.log_path}):\n{child.tail()}"
    )


async def _answers_metadata(host: str, port: int) -> bool:
    """The listener opens before the broker is unfenced; a metadata answer
    listing a broker means clients can produce and consume."""
    admin = AIOKafkaAdminClient(bootstrap_servers=f"{host}:{port}", request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    except (KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(KafkaError, OSError):
            await admin.close()
    return bool(cluster.get("brokers"))
