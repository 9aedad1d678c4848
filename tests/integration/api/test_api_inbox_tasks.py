"""Inbox-only human tasks (no run waits on them), e.g. "Email Processing Failure".

The task is created by the real action handler, as the inbound-email workflow
does; completing it through the API validates the form, marks it COMPLETED and
audits it, with no run to resume; canceling it works the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from sluice_engine import ActionCall
from sluice_helpdesk.actions import create_human_task_for_email_processing_failure as failure
from sluice_storage import transaction
from workflows import publish, start, state_only

pytestmark = pytest.mark.integration


async def failure_task(pool: asyncpg.Pool, tenant_id: str, admin: httpx.AsyncClient) -> str:
    run = await start(admin, await publish(admin, state_only()), {})
    async with transaction(pool) as conn:
        call = ActionCall(
            tenant_id=tenant_id, run_id=run["runId"], step_id="failure_task",
            action_id="create_human_task_for_email_processing_failure", version=1,
            idempotency_key=f"default:{uuid.uuid4()}@x:failure", attempt=1, conn=conn,
            args={"subject": "Printer", "sender": "a@x.test", "error": {"name": "Boom"}},
        )  # fmt: skip
        created: Any = await failure.handle(call)
    return str(created["taskId"])


async def audit_actions(pool: asyncpg.Pool, tenant_id: str, task_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT action FROM audit_log WHERE tenant_id = $1 AND target = $2 ORDER BY at",
            tenant_id, task_id,
        )  # fmt: skip
    return [r["action"] for r in rows]


async def test_inbox_task_completion_validated_then_completed_and_audited(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    task_id = await failure_task(pool, tenant_id, admin)
    url = f"/human-tasks/{task_id}/complete"
    refused = await admin.post(url, json={"resolution": "maybe"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "INVALID_TASK_OUTPUT"
    done = await admin.post(url, json={"resolution": "resolved", "note": "ticket by hand"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["output"]["resolution"]) == ("COMPLETED", "resolved")
    assert (await admin.post(url, json={"resolution": "ignored"})).status_code == 409
    assert await audit_actions(pool, tenant_id, task_id) == ["task.complete"]


async def test_inbox_task_cancel_closes_it_and_audits(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    task_id = await failure_task(pool, tenant_id, admin)
    canceled = await admin.post(f"/human-tasks/{task_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"
    again = await admin.post(f"/human-tasks/{task_id}/complete", json={"resolution": "resolved"})
    assert again.status_code == 409
    assert await audit_actions(pool, tenant_id, task_id) == ["task.cancel"]
