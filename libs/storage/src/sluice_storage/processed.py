"""A durable duplicate check for ``sluice_messaging.Deduplicator``.

The in-memory LRU forgets on restart; a run command whose id is recorded in
``applied_commands`` is a duplicate forever. Plug it in as
``Deduplicator(persistent=applied_command_check(pool))``. Messages without a
``runId`` are never durable duplicates here (their consumers decide).
"""

from __future__ import annotations

import asyncpg
from sluice_messaging.dedup import PersistentCheck
from sluice_messaging.envelope import Envelope

from sluice_storage.runs import RunRepository


def applied_command_check(pool: asyncpg.Pool) -> PersistentCheck:
    async def check(envelope: Envelope) -> bool:
        if envelope.run_id is None:
            return False
        async with pool.acquire() as conn:
            repo = RunRepository(conn, envelope.tenant_id)
            return await repo.was_applied(envelope.run_id, envelope.id)

    return check
