"""A PostgreSQL of the test's own (the launcher's, on a free port in a temp dir) that
the test may cut off, stop and kill: never the session's, never the shared broker.

``OwnPostgres`` terminates every backend of its database, stops the server (fast
shutdown, what ``pg_ctl stop -m fast`` sends), kills the postmaster with SIGKILL
(its backends then exit on their own, crash recovery runs at the next start) and
starts it again through the launcher's recipe (``RunningStack.respawn``). The
observer pool names itself (``application_name``) so cutting connections off
spares the test's own reads.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sluice_config import repository_root
from sluice_devstack.ports import free_port
from sluice_devstack.stack import RunningStack, StackOptions, start_stack
from sluice_storage import upgrade
from sluice_storage.pool import init_connection

OBSERVER = "sluice-test-observer"


@dataclass
class OwnPostgres:
    stack: RunningStack

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    @property
    def pid(self) -> int:
        return self.stack.child("postgres").pid

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

    def kill9(self) -> None:
        """SIGKILL to the postmaster alone, as an OOM killer would."""
        child = self.stack.child("postgres")
        os.kill(child.pid, signal.SIGKILL)
        child.popen.wait(10)

    async def start_again(self) -> float:
        """Start the server again; seconds until it accepts connections."""
        began = time.monotonic()
        self.stack.respawn("postgres")
        await self.stack.ready("postgres")
        return time.monotonic() - began


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
