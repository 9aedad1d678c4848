"""Start and stop the local stack: PostgreSQL and Kafka as child processes.

``start_stack`` checks everything it can before spawning (java, ports, jars),
starts PostgreSQL and Kafka side by side, waits until both answer, creates the
Sluice database, and on any failure stops what it started before raising.
Either half can be skipped when an external server is configured
(``WF_DATABASE_URL`` / ``WF_KAFKA_BOOTSTRAP_SERVERS``). Kafka is one broker
(child ``kafka``) or, with ``WF_KAFKA_BROKERS=3``, a cluster of three
(children ``kafka-1``..``kafka-3``, see ``kafka``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sluice_config import Settings

from sluice_devstack import kafka, postgres, postgres_files
from sluice_devstack.kafka_jars import ensure_kafka_jars
from sluice_devstack.lock import StackLock
from sluice_devstack.ports import ensure_port_free
from sluice_devstack.process import ChildProcess
from sluice_devstack.tools import require_java

Echo = Callable[[str], None]
DATABASE = "sluice"
# Kafka is typically ready in 2-5 s and PostgreSQL in 1-2 s here; 60 s leaves
# room for a cold JVM on a loaded CI machine without hiding a real hang (per
# broker of a cluster: its JVMs start on the same cores).
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path
    cache_dir: Path
    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5432
    partitions: int = 6
    kafka_brokers: int = 1
    database: str = DATABASE
    external_database_url: str | None = None
    external_kafka: str | None = None
    ready_timeout_s: float = READY_TIMEOUT_S

    @classmethod
    def from_settings(cls, settings: Settings, state_dir: Path | None = None) -> StackOptions:
        return cls(
            state_dir=state_dir or settings.cache_dir / "local",
            cache_dir=settings.cache_dir,
            kafka_port=settings.kafka_port,
            kafka_controller_port=settings.kafka_controller_port,
            postgres_port=settings.postgres_port,
            partitions=settings.topic_partitions,
            kafka_brokers=settings.kafka_brokers,
            external_database_url=settings.database_url,
            external_kafka=settings.kafka_bootstrap_servers,
        )


@dataclass(frozen=True)
class Recipe:
    """How to start a child again (``sluice dev`` restarts one that died) and when
    the new one serves."""

    spawn: Callable[[], ChildProcess]
    ready: Callable[[ChildProcess], Awaitable[None]]


@dataclass
class RunningStack:
    """What ``start_stack`` started; ``stop()`` stops it (idempotent)."""

    database_url: str
    kafka_bootstrap_servers: str
    lock: StackLock
    children: list[ChildProcess] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    recipes: dict[str, Recipe] = field(default_factory=dict)
    # Copies of each topic the stack's own Kafka wants (3 on a cluster); None: external.
    kafka_replication: int | None = None

    def adopt(self, child: ChildProcess, recipe: Recipe | None = None) -> None:
        """Track another child (a service): stopped first, cleaned up after a crash;
        with ``recipe`` it can be started again (``respawn``)."""
        self.children.append(child)
        self.lock.record(child)
        if recipe is not None:
            self.recipes[child.name] = recipe

    def child(self, name: str) -> ChildProcess:
        return next(child for child in self.children if child.name == name)

    def respawn(self, name: str) -> ChildProcess:
        """Start ``name`` again in its old place (order kept: stopped in the same turn).
        What is left of the old one's process group (a dead postmaster's backends,
        still holding its shared memory) is killed first."""
        index = next(i for i, child in enumerate(self.children) if child.name == name)
        self.children[index].stop(timeout_s=0)
        child = self.recipes[name].spawn()
        self.children[index] = child
        self.lock.record(child)
        return child

    async def ready(self, name: str) -> None:
        """Return once ``name`` serves again (a StartupError when it does not)."""
        await self.recipes[name].ready(self.child(name))

    def stop(self, timeout_s: float = 20.0) -> dict[str, int | None]:
        """Stop every child, newest first; their exit codes by name. A cluster's brokers
        are asked together: the last one left would wait for a quorum that is gone."""
        for child in self.children:
            if child.name.startswith("kafka-"):
                child.ask_to_stop()
        codes = {child.name: child.stop(timeout_s) for child in reversed(self.children)}
        self.children.clear()
        self.lock.release()
        return codes


async def start_stack(options: StackOptions, echo: Echo = print) -> RunningStack:
    lock = StackLock(options.state_dir / "stack.lock")
    for name in lock.acquire():
        echo(f"stopped {name} left running by a launcher that died")
    stack = RunningStack(
        database_url=options.external_database_url or "",
        kafka_bootstrap_servers=options.external_kafka or "",
        lock=lock,
    )
    try:
        await _start_children(options, stack, echo)
    except BaseException:
        stack.stop()
        raise
    return stack


async def _start_children(options: StackOptions, stack: RunningStack, echo: Echo) -> None:
    _check_ports(options)
    started = time.monotonic()
    # Side by side: initdb and Kafka's storage format (~1 s each) overlap, and
    # so do the two readiness waits. A failure cancels the sibling.
    async with asyncio.TaskGroup() as group:
        if not options.external_database_url:
            group.create_task(_timed("postgres", stack, started, _postgres(options, stack)))
        if not options.external_kafka:
            group.create_task(_timed("kafka", stack, started, _kafka(options, stack, echo)))
    stack.timings["total"] = time.monotonic() - started


def _check_ports(options: StackOptions) -> None:
    if not options.external_database_url:
        ensure_port_free(options.host, options.postgres_port, "PostgreSQL", "WF_POSTGRES_PORT")
    if not options.external_kafka:
        for listen in _listens(options):
            ensure_port_free(options.host, listen.port, "Kafka", "WF_KAFKA_PORT")
            controller = listen.controller_port
            ensure_port_free(
                options.host, controller, "Kafka's controller", "WF_KAFKA_CONTROLLER_PORT"
            )


async def _postgres(options: StackOptions, stack: RunningStack) -> None:
    child = await _spawn_postgres(options, stack)
    await _postgres_ready(options, child)
    stack.database_url = postgres.dsn(options.host, options.postgres_port, options.database)


async def _kafka(options: StackOptions, stack: RunningStack, echo: Echo) -> None:
    """Every broker at once (a cluster's controllers need a majority to elect a leader)."""
    listens = _listens(options)
    children = await _spawn_kafka(options, stack, listens, echo)
    async with asyncio.TaskGroup() as group:
        for child, listen in zip(children, listens, strict=True):
            group.create_task(kafka.wait_ready(child, listen, _kafka_timeout(options)))
    stack.kafka_bootstrap_servers = kafka.bootstrap_servers(listens)
    stack.kafka_replication = listens[0].replication


async def _spawn_postgres(options: StackOptions, stack: RunningStack) -> ChildProcess:
    layout = postgres_files.PostgresLayout(options.state_dir / "postgres")
    user = postgres_files.run_as_user()
    await asyncio.to_thread(postgres_files.prepare, layout, user)  # initdb: ~1 s, first run only
    child = postgres.start(layout, options.host, options.postgres_port, user)
    stack.adopt(child, Recipe(
        lambda: postgres.start(layout, options.host, options.postgres_port, user),
        lambda again: _postgres_ready(options, again),
    ))  # fmt: skip
    return child


async def _postgres_ready(options: StackOptions, child: ChildProcess) -> None:
    host, port = options.host, options.postgres_port
    await postgres.wait_ready(child, host, port, options.ready_timeout_s)
    await postgres.create_database(postgres.dsn(host, port, "postgres"), options.database)


async def _spawn_kafka(
    options: StackOptions, stack: RunningStack, listens: list[kafka.KafkaListen], echo: Echo
) -> list[ChildProcess]:
    java = require_java()
    libs = await asyncio.to_thread(ensure_kafka_jars, options.cache_dir, echo)
    alone = len(listens) == 1
    names = ["kafka"] if alone else [f"kafka-{listen.node_id}" for listen in listens]
    layouts = [kafka.KafkaLayout(options.state_dir / name) for name in names]
    cluster_id = kafka.formatted_cluster_id(layouts) or kafka.new_cluster_id()
    # Formatting runs a short JVM (~1 s) per broker, the first time only.
    await asyncio.gather(*(
        asyncio.to_thread(kafka.prepare, layout, listen, java, libs, cluster_id)
        for layout, listen in zip(layouts, listens, strict=True)
    ))  # fmt: skip
    children = []
    for name, layout, listen in zip(names, layouts, listens, strict=True):

        def spawn(name: str = name, layout: kafka.KafkaLayout = layout,
                  listen: kafka.KafkaListen = listen) -> ChildProcess:  # fmt: skip
            return kafka.start(layout, listen, java, libs, name)

        async def ready(again: ChildProcess, listen: kafka.KafkaListen = listen) -> None:
            await kafka.wait_ready(again, listen, _kafka_timeout(options))

        child = spawn()
        stack.adopt(child, Recipe(spawn, ready))
        children.append(child)
    return children


def _kafka_timeout(options: StackOptions) -> float:
    """A cluster's JVMs start on the same cores: each may take that many times longer."""
    return options.ready_timeout_s * options.kafka_brokers


def _listens(options: StackOptions) -> list[kafka.KafkaListen]:
    return kafka.cluster(
        options.host, options.kafka_port, options.kafka_controller_port,
        options.kafka_brokers, options.partitions,
    )  # fmt: skip


async def _timed(name: str, stack: RunningStack, started: float, wait: Awaitable[None]) -> None:
    """Record how long after launch ``name`` became ready (for the report)."""
    await wait
    stack.timings[name] = time.monotonic() - started
