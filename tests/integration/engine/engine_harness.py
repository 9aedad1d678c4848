"""In-process driving of the engine for integration tests (real PostgreSQL, no Kafka).

``Pump`` plays the interpreter: it takes this tenant's unsent outbox rows,
applies ``run-commands`` with ``apply_command`` and runs ``action-requests``
through the real executor path, until nothing is left. ``Clock`` is the
engine's clock, moved by hand so timers can be fired deterministically.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from plugins.test_actions import ROWS_TABLE_SQL, register
from sluice_engine import (
    ActionHandlers,
    EngineContext,
    ExecutorConfig,
    PendingCommand,
    StartOptions,
    apply_command,
    apply_commands,
    command_of,
    execute_job,
    request_of,
    start_run,
)
from sluice_engine.jobs import NewJob, insert_leased
from sluice_engine.timers import fire_due_waits
from sluice_messaging.envelope import from_wire
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, transaction
from workflow_core.registry import Registry, create_registry


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_registry() -> tuple[Registry, ActionHandlers]:
    registry, handlers = create_registry(), ActionHandlers()
    register(registry, handlers)
    return registry.freeze(), handlers.freeze()


async def ensure_rows_table(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(4242)")
        try:
            await conn.execute(ROWS_TABLE_SQL)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(4242)")


async def publish(pool: asyncpg.Pool, tenant_id: str, document: dict[str, Any]) -> str:
    workflow_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        await repo.save_draft(workflow_id, document, now)
        await repo.publish(workflow_id, document, payload_schema=None, published_by="test", now=now)
    return str(workflow_id)


@dataclass
class Pump:
    pool: asyncpg.Pool
    ctx: EngineContext
    handlers: ActionHandlers
    tenant_id: str
    topics: Topics
    owner: str = "test-executor"
    outcomes: list[str] = field(default_factory=list)
    bulk: bool = False  # run-commands of a round applied together (``apply_commands``)
    command_outcomes: list[str] = field(default_factory=list)

    async def start(self, workflow_id: str, payload: dict[str, Any], **options: Any) -> str:
        async with transaction(self.pool) as conn:
            applied = await start_run(
                conn, self.ctx, self.tenant_id, workflow_id, payload, StartOptions(**options)
            )
        return applied.run_id

    async def _take(self) -> list[dict[str, Any]]:
        async with transaction(self.pool) as conn:
            rows = await conn.fetch(
                """UPDATE outbox SET sent_at = now()
                   WHERE tenant_id = $1 AND sent_at IS NULL AND topic = ANY($2::text[])
                   RETURNING id, topic, payload""",
                self.tenant_id,
                [self.topics.run_commands, self.topics.action_requests],
            )
        return [dict(r) for r in sorted(rows, key=lambda r: r["id"])]

    async def drain(self, max_rounds: int = 200) -> int:
        """Deliver until the outbox is empty; returns how many messages were handled."""
        handled = 0
        for _ in range(max_rounds):
            rows = await self._take()
            if not rows:
                return handled
            commands = [r for r in rows if self.bulk and r["topic"] == self.topics.run_commands]
            if commands:
                await self.deliver_together([r["payload"] for r in commands])
            for row in rows:
                if row not in commands:
                    await self.deliver(row["topic"], row["payload"])
            handled += len(rows)
        raise AssertionError("the outbox never drained: a run loops")

    async def deliver(self, topic: str, payload: dict[str, Any]) -> None:
        envelope = from_wire(payload)
        if topic == self.topics.run_commands:
            async with transaction(self.pool) as conn:
                await apply_command(
                    conn, self.ctx, envelope.tenant_id, str(envelope.run_id), command_of(envelope)
                )
            return
        request = request_of(envelope)
        job = NewJob(envelope.tenant_id, request.request_id, str(envelope.run_id), envelope.body)
        async with transaction(self.pool) as conn:
            now = self.ctx.clock()
            new = await insert_leased(conn, [job], self.owner, now + timedelta(minutes=1), now)
        config = ExecutorConfig(owner=self.owner)
        for leased in new:
            self.outcomes.append(
                await execute_job(self.pool, self.ctx, self.handlers, leased, config)
            )

    async def deliver_together(self, payloads: list[dict[str, Any]]) -> None:
        """Run commands applied the way the interpreter applies a polled batch."""
        pending = []
        for payload in payloads:
            envelope = from_wire(payload)
            pending.append(
                PendingCommand(envelope.tenant_id, str(envelope.run_id), command_of(envelope))
            )
        async with transaction(self.pool) as conn:
            applied = await apply_commands(conn, self.ctx, pending)
        self.command_outcomes.extend(a.outcome for a in applied)

    async def fire_timers(self) -> int:
        async with transaction(self.pool) as conn:
            return await fire_due_waits(conn, self.topics, self.ctx.clock())

    async def run_row(self, run_id: str) -> asyncpg.Record:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM workflow_runs WHERE tenant_id = $1 AND run_id = $2",
                self.tenant_id,
                uuid.UUID(run_id),
            )
        assert row is not None
        return row

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(sql, self.tenant_id, *args))
