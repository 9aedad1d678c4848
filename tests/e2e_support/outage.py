"""A PostgreSQL or a Kafka of the test's own (the launcher's, on free ports in a temp
dir) that the test may cut off, stop and kill: never the session's, never the shared
broker.

``OwnPostgres`` terminates every backend of its database, stops the server (fast
shutdown, what ``pg_ctl stop -m fast`` sends), kills the postmaster with SIGKILL
(its backends then exit on their own, crash recovery runs at the next start) and
starts it again through the launcher's recipe (``RunningStack.respawn``). The
observer pool names itself (``application_name``) so cutting connections off
spares the test's own reads.

``OwnKafka`` is one broker or a KRaft cluster of three (``brokers=3``: 3 copies
of every topic, ``min.insync.replicas`` 2). It stops a broker cleanly (SIGTERM:
controlled shutdown), kills one with SIGKILL, finds the leader of a partition and
starts a broker again through the same recipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sluice_config import repository_root
from sluice_devstack.ports import free_port, free_port_block
from sluice_devstack.stack import RunningStack, StackOptions, start_stack
from sluice_storage import upgrade
from sluice_storage.pool import init_connection

OBSERVER = "sluice-test-observer"


@dataclass
class OwnServers:
    """Servers of a stack of the test's own, killed and started again by child name
    (``main``: the one a subclass means when none is named)."""

    stack: RunningStack
    main: ClassVar[str] = ""

    def kill9(self, name: str = "") -> None:
        """SIGKILL to the server process alone, as an OOM killer would: no shutdown."""
        child = self.stack.child(name or self.main)
        os.kill(child.pid, signal.SIGKILL)
        child.popen.wait(10)

    async def start_again(self, name: str = "") -> float:
        """Start it again (same data, same ports); seconds until it serves."""
        began = time.monotonic()
        self.stack.respawn(name or self.main)
        await self.stack.ready(name or self.main)
        return time.monotonic() - began


@dataclass
class OwnPostgres(OwnServers):
    main: ClassVar[str] = "postgres"

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    async def terminate_backends(self) -> int:
        """``pg_terminate_backend`` on every connection to the database but the
        observer's; how many were terminated."""
        conn = await asyncpg.connect(self.database_url)
        try:
            killed = await conn.fetchval(
                """SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()
                     AND application_name <> $1""",
                OBSERVER,
            )
        finally:
            await conn.close()
        return int(killed)

    def fast_shutdown(self) -> None:
        """SIGINT to the postmaster: sessions end, a checkpoint, the server exits."""
        self.stack.child("postgres").stop(timeout_s=30)


@dataclass
class OwnKafka(OwnServers):
    main: ClassVar[str] = "kafka"

    @property
    def bootstrap(self) -> str:
        return self.stack.kafka_bootstrap_servers

    @property
    def replication(self) -> int:
        return self.stack.kafka_replication or 1

    @property
    def brokers(self) -> list[str]:
        return [c.name for c in self.stack.children if c.name.startswith("kafka")]

    def stop_cleanly(self, broker: str = "kafka") -> None:
        """SIGTERM: a controlled shutdown (leadership handed over, logs flushed)."""
        self.stack.child(broker).stop(timeout_s=60)

    async def leader(self, topic: str, partition: int = 0, timeout_s: float = 30.0) -> str:
        """The broker (child name) leading ``topic``'s ``partition`` now, asked of the
        brokers that run (until the cluster fences a dead one, its metadata still lists
        it, and a request sent there fails: asked again)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(KafkaError):
                node = await self._leader_node(topic, partition)
                if node >= 0:  # -1: no leader elected yet
                    return "kafka" if self.brokers == ["kafka"] else f"kafka-{node}"
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}/{partition} had no leader within {timeout_s} s")
            await asyncio.sleep(0.5)

    async def _leader_node(self, topic: str, partition: int) -> int:
        addresses = self.bootstrap.split(",")
        alive = [a for a, name in zip(addresses, self.brokers, strict=True)
                 if self.stack.child(name).alive()]  # fmt: skip
        admin = AIOKafkaAdminClient(bootstrap_servers=",".join(alive), request_timeout_ms=5_000)
        try:
            await admin.start()
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        [found] = [p for p in described["partitions"] if p["partition"] == partition]
        return int(found["leader"])


@asynccontextmanager
async def own_kafka(state_dir: Path, database_url: str, brokers: int = 1,
                    ) -> AsyncIterator[OwnKafka]:  # fmt: skip
    """Kafka only (PostgreSQL is ``database_url``, left alone), on free ports (a block of
    ``2 * brokers`` for a cluster); stopped afterwards."""
    port = free_port_block(2 * brokers)
    options = StackOptions(
        state_dir=state_dir,
        cache_dir=Path(os.environ.get("WF_CACHE_DIR") or repository_root() / ".cache"),
        kafka_port=port,
        kafka_controller_port=port + 1,
        kafka_brokers=brokers,
        partitions=2,
        external_database_url=database_url,
        # A JVM on a shared 2-core machine at load 30 took over 60 s (the launcher's
        # default) to start; the test's own bound (pytest-timeout) still holds.
        ready_timeout_s=180.0,
    )
    stack = await start_stack(options, echo=lambda line: None)
    try:
        yield OwnKafka(stack)
    finally:
        stack.stop()


@asynccontextmanager
async def own_postgres(state_dir: Path, kafka: str) -> AsyncIterator[OwnPostgres]:
    """PostgreSQL only (Kafka is ``kafka``, left alone), migrated; stopped afterwards."""
    options = StackOptions(
        state_dir=state_dir,
        cache_dir=Path(os.environ.get("WF_CACHE_DIR") or repository_root() / ".cache"),
        postgres_port=free_port(),
        external_kafka=kafka,
    )
    stack = await start_stack(options, echo=lambda line: None)
    try:
        await upgrade(stack.database_url)
        yield OwnPostgres(stack)
    finally:
        stack.stop()


async def observer_pool(dsn: str) -> asyncpg.Pool:
    """The test's own pool, spared by ``terminate_backends``."""
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=4, init=init_connection,
        server_settings={"application_name": OBSERVER},
    )  # fmt: skip
    assert pool is not None
    return pool
