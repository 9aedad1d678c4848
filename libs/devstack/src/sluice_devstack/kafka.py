"""Apache Kafka brokers (KRaft combined mode) as child processes: one, or a cluster.

The JVM runs ``kafka.Kafka`` straight from the jars Maven fetched (no Kafka
distribution, no shell scripts), so the launcher's child *is* the JVM and
stopping its process group leaves nothing behind.

A cluster (``WF_KAFKA_BROKERS=3``) is that many combined brokers, each its own
controller quorum voter, on consecutive port pairs: broker n listens on
``WF_KAFKA_PORT + 2(n-1)`` and its controller on ``WF_KAFKA_CONTROLLER_PORT +
2(n-1)``. Every topic then has 3 copies and ``min.insync.replicas`` 2, so the
cluster survives the loss of any one broker, the partition leader included,
without losing an acknowledged message. The brokers of a cluster get small heaps
(three JVMs on a laptop).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import signal
import string
import subprocess
import time
import uuid
from collections.abc import Sequence
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
# A broker of a local cluster: 384 MiB is plenty for a few thousand messages a
# second; one GC thread and the quick (C1) compiler only keep three JVMs from
# crowding two cores, at start-up above all (C2's compiles cost CPU for a
# throughput a local cluster never needs).
CLUSTER_JVM_OPTIONS = (
    "-Xms128m", "-Xmx384m", "-XX:+UseG1GC", "-XX:ParallelGCThreads=1",
    "-XX:ConcGCThreads=1", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
)  # fmt: skip
TOOL_TIMEOUT_S = 120
MAX_REPLICATION = 3  # copies of a topic on a cluster; 2 of them must acknowledge a write


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
    """What one broker listens on, its node id and the controller quorum it is in
    (``quorum``: node id and controller port of every voter; empty: it is alone),
    and the default partition count."""

    host: str
    port: int
    controller_port: int
    partitions: int = 6
    node_id: int = 1
    quorum: tuple[tuple[int, int], ...] = ()

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def brokers(self) -> int:
        return max(1, len(self.quorum))

    @property
    def voters(self) -> str:
        members = self.quorum or ((self.node_id, self.controller_port),)
        return ",".join(f"{node}@{self.host}:{port}" for node, port in members)

    @property
    def replication(self) -> int:
        return min(self.brokers, MAX_REPLICATION)

    @property
    def min_insync(self) -> int:
        return max(1, self.replication - 1)

    @property
    def jvm_options(self) -> tuple[str, ...]:
        return JVM_OPTIONS if self.brokers == 1 else CLUSTER_JVM_OPTIONS


def cluster(host: str, port: int, controller_port: int, brokers: int, partitions: int,
            ) -> list[KafkaListen]:  # fmt: skip
    """The listeners of ``brokers`` brokers on consecutive port pairs (pure); a
    StartupError when two of those ports coincide (a controller port two above the
    broker port, say)."""
    pairs = [(port + 2 * i, controller_port + 2 * i) for i in range(brokers)]
    ports = [p for pair in pairs for p in pair]
    if len(set(ports)) != len(ports):
        raise StartupError(
            f"{brokers} Kafka brokers need the ports WF_KAFKA_PORT + 0, 2, 4... and "
            f"WF_KAFKA_CONTROLLER_PORT + 0, 2, 4...; {port} and {controller_port} make "
            f"them collide ({sorted(ports)}): choose ports an odd distance apart"
        )
    if brokers == 1:
        return [KafkaListen(host, port, controller_port, partitions)]
    quorum = tuple((i + 1, c) for i, (_p, c) in enumerate(pairs))
    return [KafkaListen(host, p, c, partitions, i + 1, quorum) for i, (p, c) in enumerate(pairs)]


def bootstrap_servers(listens: Sequence[KafkaListen]) -> str:
    return ",".join(listen.bootstrap for listen in listens)


def render_server_properties(template: str, listen: KafkaListen, log_dir: Path) -> str:
    """``server.properties`` from the checked-in template (pure)."""
    return string.Template(template).substitute(
        host=listen.host,
        port=listen.port,
        controller_port=listen.controller_port,
        log_dir=str(log_dir),
        partitions=listen.partitions,
        node_id=listen.node_id,
        voters=listen.voters,
        replication=listen.replication,
        min_isr=listen.min_insync,
    )


def java_argv(java: str, libs: Path, main_class: str, *args: str,
              options: Sequence[str] = JVM_OPTIONS) -> list[str]:  # fmt: skip
    log4j = kafka_dir() / "log4j2.properties"
    classpath = [f"-Dlog4j2.configurationFile={log4j}", "-cp", str(libs / "*")]
    return [java, *options, *classpath, main_class, *args]


def new_cluster_id() -> str:
    """A KRaft cluster id as ``kafka-storage random-uuid`` makes one: 16 random bytes,
    URL-safe base64 without padding, never starting with '-' (no JVM needed)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def formatted_cluster_id(layouts: Sequence[KafkaLayout]) -> str | None:
    """The cluster id an earlier run formatted any of ``layouts`` with (a cluster's
    brokers must share it), or None."""
    for layout in layouts:
        with contextlib.suppress(FileNotFoundError):
            for line in (layout.data / "meta.properties").read_text().splitlines():
                if line.startswith("cluster.id="):
                    return line.removeprefix("cluster.id=").strip()
    return None


def prepare(layout: KafkaLayout, listen: KafkaListen, java: str, libs: Path,
            cluster_id: str) -> None:  # fmt: skip
    """Write server.properties and format the storage once (KRaft needs a cluster id)."""
    layout.root.mkdir(parents=True, exist_ok=True)
    template = (kafka_dir() / "server.properties.template").read_text()
    layout.config.write_text(render_server_properties(template, listen, layout.data))
    if (layout.data / "meta.properties").exists():
        return  # formatted by an earlier run: keep its topics and offsets
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


def start(layout: KafkaLayout, listen: KafkaListen, java: str, libs: Path,
          name: str = "kafka") -> ChildProcess:  # fmt: skip
    argv = java_argv(java, libs, "kafka.Kafka", str(layout.config), options=listen.jvm_options)
    return spawn(name, argv, log_path=layout.log, stop_signal=signal.SIGTERM)


async def wait_ready(child: ChildProcess, listen: KafkaListen, timeout_s: float) -> None:
    """Return once the broker answers a metadata request listing every broker of
    its cluster; a StartupError with the log's last lines if the JVM exits or
    ``timeout_s`` passes first."""
    host, port = listen.host, listen.port
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartupError(
                f"Kafka exited with code {child.popen.returncode} during start-up; "
                f"last log lines ({child.log_path}):\n{child.tail()}"
            )
        if await accepts_connections(host, port) and await _answers_metadata(
            host, port, listen.brokers
        ):
            return
        await asyncio.sleep(0.1)
    raise StartupError(
        f"Kafka did not accept connections on {host}:{port} within {timeout_s:.0f} s; "
        f"last log lines ({child.log_path}):\n{child.tail()}"
    )


async def _answers_metadata(host: str, port: int, brokers: int) -> bool:
    """The listener opens before the broker is unfenced; a metadata answer
    listing every broker means clients can produce and consume (on a cluster,
    topics with every copy can be created)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=f"{host}:{port}", request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    except (KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(KafkaError, OSError):
            await admin.close()
    return len(cluster.get("brokers") or ()) >= brokers
