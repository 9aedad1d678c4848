"""The history rows one transition writes, gathered and written in few round trips.

Step attempts are upserted on their deterministic identity (step, loop
indexes, attempt), so STARTED then SUCCEEDED of one attempt is one row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sluice_storage import OutboxMessage, enqueue_many
from workflow_core.interpreter.effects import AppendLog, RecordStepAttempt, WriteSnapshot
from workflow_core.interpreter.ids import loop_key

STEP_UPSERT = """
INSERT INTO run_steps (tenant_id, run_id, attempt_id, step_id, node_path, attempt, status,
    started_at, finished_at, duration_ms, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (tenant_id, run_id, attempt_id) DO UPDATE SET status = EXCLUDED.status,
    finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
    error = EXCLUDED.error"""
SNAPSHOT_INSERT = """
INSERT INTO run_snapshots (tenant_id, run_id, node_path, step_id, at, envelope)
VALUES ($1, $2, $3, $4, $5, $6)"""
LOG_INSERT = """
INSERT INTO run_logs (tenant_id, run_id, at, level, message, node_path, data)
VALUES ($1, $2, $3, $4, $5, $6, $7)"""


def attempt_id(effect: RecordStepAttempt) -> str:
    return f"{effect.step_id}#{loop_key(effect.loop_indexes)}#{effect.attempt}"


@dataclass
class Writes:
    """Rows and outbox messages of one transaction, flushed together at the end."""

    tenant_id: str
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    snapshots: list[tuple[Any, ...]] = field(default_factory=list)
    logs: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)

    def step(self, run_id: uuid.UUID, e: RecordStepAttempt) -> None:
        error = e.error.model_dump(mode="json", by_alias=True) if e.error else None
        self.steps.append(
            (self.tenant_id, run_id, attempt_id(e), e.step_id, e.node_path, e.attempt,
             e.status.value, e.started_at, e.finished_at, e.duration_ms, error)
        )  # fmt: skip

    def snapshot(self, run_id: uuid.UUID, e: WriteSnapshot) -> None:
        self.snapshots.append((self.tenant_id, run_id, e.node_path, e.step_id, e.at, e.envelope))

    def log(self, run_id: uuid.UUID, e: AppendLog, at: Any) -> None:
        self.logs.append(
            (self.tenant_id, run_id, at, e.level.upper(), e.message, e.node_path, dict(e.data))
        )

    def message(self, message: OutboxMessage) -> None:
        self.messages.append(message)

    async def flush(self, conn: asyncpg.Connection) -> None:
        for sql, rows in ((STEP_UPSERT, self.steps), (SNAPSHOT_INSERT, self.snapshots),
                          (LOG_INSERT, self.logs)):  # fmt: skip
            if rows:
                await conn.executemany(sql, rows)
                rows.clear()
        if self.messages:
            await enqueue_many(conn, self.tenant_id, self.messages)
            self.messages.clear()
