"""Auto-pause: a workflow whose runs keep failing is paused, where the failure is recorded.

When a run of a workflow whose version sets ``autoPause`` ends FAILED (``runs._persist``,
in the transaction that records it), the runs of the workflow that ended within the
rule's window are counted (this one included) and the core's ``should_pause`` decides.
Passed: the workflow is paused through the one pause (``PauseRepository.pause``: its
events are held, schedules stop, API starts get 409, exactly as an operator's pause;
``sluice_engine.pausing``), with an audit entry (``definition.pause``, actor
``system:auto-pause``, the reason naming the rate) and ``sluice_workflows_auto_paused_total``.
An operator unpauses it as usual; from then on only the runs that end after the
unpause count, so it is paused again only if they pass the rate themselves.

Healthy runs cost nothing: only a failure of a workflow with a rule counts (one index
range over its completions in the window). Lock order: the run row, then the
definition row (the pause), then any key lock of the concurrency limit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

import asyncpg
from sluice_storage import AuditRepository, RunRecord, after_commit
from sluice_storage.pauses import PauseRepository
from workflow_core.auto_pause import WindowError, parse_window, should_pause

from sluice_engine.context import EngineContext

ACTOR = "system:auto-pause"


async def after_failure(
    conn: asyncpg.Connection, ctx: EngineContext, record: RunRecord, now: datetime
) -> bool:
    """``record`` ends FAILED now (not written yet): pause its workflow if its rule says
    so. True when it paused it."""
    loaded = ctx.definitions.cached(record.tenant_id, str(record.workflow_id),
                                    record.workflow_version)  # fmt: skip
    rule = loaded.definition.auto_pause if loaded is not None else None
    if rule is None:
        return False
    try:
        window = parse_window(rule.window)
    except WindowError:  # refused at publish; a stored one is left alone
        return False
    pauses = PauseRepository(conn, record.tenant_id)
    if await pauses.is_paused(record.workflow_id):
        return False
    ended, failed = await pauses.completions(record.workflow_id, now - window)
    verdict = should_pause(rule, finished=ended + 1, failed=failed + 1)  # + this run
    if not verdict.pause:
        return False
    return await _pause(conn, ctx, record.tenant_id, record.workflow_id, verdict.reason, now)


async def _pause(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, workflow_id: uuid.UUID,
    reason: str, now: datetime,
) -> bool:  # fmt: skip
    if not await PauseRepository(conn, tenant_id).pause(workflow_id, reason=reason, by=ACTOR,
                                                        now=now):  # fmt: skip
        return False  # paused meanwhile (its row was locked by the other pause)
    await AuditRepository(conn, tenant_id).append(
        at=now, subject=ACTOR, role=None, action="definition.pause", target=str(workflow_id),
        reason=reason, details={"automatic": True},
    )  # fmt: skip
    if ctx.metrics is not None:
        after_commit(partial(ctx.metrics.workflow_auto_paused, tenant_id, str(workflow_id)))
    return True
