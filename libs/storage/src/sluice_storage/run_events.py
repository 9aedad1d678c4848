"""The one writer of ``run_events`` (a run's runtime events, read by the timeline).

The executor records here what a run's history cannot otherwise show: an action
request answered from a stored result without running the handler
(``ACTION_REUSED``), and a handler run again under an idempotency key that had
been tried before (``ACTION_EXECUTED_AGAIN``: a failed invocation retried, or a
dead executor's lease taken over). The side-effect ledger
(``history.RunHistoryRepository.side_effects``) reads them with the invocations.
Both happen on the retry and replay paths only, so a first execution writes nothing
here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.tenancy import check_tenant

ACTION_REUSED = "ACTION_REUSED"
ACTION_EXECUTED_AGAIN = "ACTION_EXECUTED_AGAIN"


async def append_run_event(
    conn: asyncpg.Connection,
    tenant_id: str,
    run_id: uuid.UUID,
    *,
    at: datetime,
    type: str,  # the column's name
    step_id: str | None,
    node_path: str | None,
    data: dict[str, Any],
) -> None:
    await conn.execute(
        """INSERT INTO run_events (tenant_id, run_id, at, type, step_id, node_path, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        check_tenant(tenant_id), run_id, at, type, step_id, node_path, data,
    )  # fmt: skip
