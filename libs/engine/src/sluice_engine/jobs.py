"""Leased action jobs: the executor's durable to-do list.

A request from Kafka that the executor's fast path does not take (a
non-transactional handler, or a transactional chunk that rolled back:
``executor_batch.execute_fresh``) becomes a job row leased by the executor
that read it (Kafka is acknowledged at once); the job id is the request id, so
a redelivered request is dropped by ``ON CONFLICT`` while its job exists. A job whose lease expired
(its executor died) goes back to PENDING (the scheduler) and any executor
claims it with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

JOB_COLUMNS = "tenant_id, job_id, run_id, request, attempts"


@dataclass(frozen=True)
class Job:
    tenant_id: str
    job_id: uuid.UUID
    run_id: uuid.UUID
    request: dict[str, Any]
    attempts: int
    # The request's trace context (Kafka headers), kept in memory only: a job claimed
    # again after its lease expired starts a new trace.
    trace: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewJob:
    tenant_id: str
    request_id: str
    run_id: str
    request: dict[str, Any]
    trace: Mapping[str, str] = field(default_factory=dict)


def _job(row: asyncpg.Record) -> Job:
    return Job(**dict(row))


async def insert_leased(
    conn: asyncpg.Connection, jobs: list[NewJob], owner: str, lease_until: datetime, now: datetime
) -> list[Job]:
    """Insert the jobs leased to ``owner``; returns only the ones that were new."""
    if not jobs:
        return []
    rows = await conn.fetch(
        f"""INSERT INTO action_jobs (tenant_id, job_id, run_id, request, status, lease_owner,
              lease_expires_at, attempts, available_at, created_at, updated_at)
            SELECT t, j, r, q, 'RUNNING', $5, $6, 1, $7, $7, $7
            FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::jsonb[]) AS x(t, j, r, q)
            ON CONFLICT DO NOTHING RETURNING {JOB_COLUMNS}""",
        [j.tenant_id for j in jobs], [uuid.UUID(j.request_id) for j in jobs],
        [uuid.UUID(j.run_id) for j in jobs], [j.request for j in jobs], owner, lease_until, now,
    )  # fmt: skip
    return [_job(r) for r in rows]


async def claim_ready(
    conn: asyncpg.Connection, owner: str, limit: int, lease_until: datetime, now: datetime
) -> list[Job]:
    """Lease up to ``limit`` PENDING jobs that are due (all tenants)."""
    rows = await conn.fetch(
        f"""UPDATE action_jobs j SET status = 'RUNNING', lease_owner = $1,
              lease_expires_at = $2, attempts = j.attempts + 1, updated_at = $3
            FROM (SELECT tenant_id, job_id FROM action_jobs
                  WHERE status = 'PENDING' AND available_at <= $3
                  ORDER BY available_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
            WHERE j.tenant_id = due.tenant_id AND j.job_id = due.job_id
            RETURNING {", ".join("j." + c.strip() for c in JOB_COLUMNS.split(","))}""",
        owner, lease_until, now, limit,
    )  # fmt: skip
    return [_job(r) for r in rows]


async def finish(conn: asyncpg.Connection, job: Job, now: datetime) -> None:
    await conn.execute(
        """UPDATE action_jobs SET status = 'DONE', updated_at = $3
           WHERE tenant_id = $1 AND job_id = $2""",
        job.tenant_id,
        job.job_id,
        now,
    )


async def postpone(conn: asyncpg.Connection, job: Job, available_at: datetime) -> None:
    """Back to PENDING until ``available_at`` (another executor holds the invocation)."""
    await conn.execute(
        """UPDATE action_jobs SET status = 'PENDING', lease_owner = NULL,
             lease_expires_at = NULL, available_at = $3, updated_at = now()
           WHERE tenant_id = $1 AND job_id = $2 AND status = 'RUNNING'""",
        job.tenant_id,
        job.job_id,
        available_at,
    )


async def recover_stale(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> int:
    """RUNNING jobs whose lease expired go back to PENDING (their executor died)."""
    result: str = await conn.execute(
        """UPDATE action_jobs j SET status = 'PENDING', lease_owner = NULL,
             lease_expires_at = NULL, available_at = $1, updated_at = $1
           FROM (SELECT tenant_id, job_id FROM action_jobs
                 WHERE status = 'RUNNING' AND lease_expires_at < $1
                 LIMIT $2 FOR UPDATE SKIP LOCKED) stale
           WHERE j.tenant_id = stale.tenant_id AND j.job_id = stale.job_id""",
        now,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])
