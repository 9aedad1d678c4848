"""Human tasks: listed, claimed, completed (validated before anything is recorded), canceled."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sluice_engine import command_message, new_command_id
from sluice_storage import enqueue_many, transaction
from workflow_core.interpreter.commands import CompleteHumanTask
from workflows import asks_a_human, drain_commands, publish, start

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


async def open_task(admin: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    run = await start(admin, await publish(admin, asks_a_human()), {"key": "T-1"})
    tasks = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"]
    assert len(tasks) == 1
    return run, tasks[0]


async def test_task_is_listed_with_its_form(admin: httpx.AsyncClient) -> None:
    run, task = await open_task(admin)
    assert task["status"] == "OPEN"
    assert task["title"] == "Review T-1"
    assert task["formSchema"]["required"] == ["decision"]
    assert task["runId"] == run["runId"]
    by_status = await admin.get("/human-tasks", params={"status": ["COMPLETED", "CANCELED"]})
    assert task["taskId"] not in {t["taskId"] for t in by_status.json()["items"]}


async def test_summary_counts_the_tasks_still_to_do_of_the_tenant_only(
    admin: httpx.AsyncClient, client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    other = client_factory(await token_factory(tenant=f"t-{uuid.uuid4().hex[:12]}"))
    await open_task(other)  # another tenant's task counts for it alone
    summary = "/human-tasks/summary"
    assert (await admin.get(summary)).json() == {"open": 0, "claimed": 0}
    _, first = await open_task(admin)
    _, second = await open_task(admin)
    await open_task(admin)
    assert (await admin.post(f"/human-tasks/{first['taskId']}/claim")).status_code == 200
    done = await admin.post(f"/human-tasks/{second['taskId']}/complete", json={"decision": "no"})
    assert done.status_code == 200, done.text
    assert (await admin.get(summary)).json() == {"open": 1, "claimed": 1}
    assert (await other.get(summary)).json() == {"open": 1, "claimed": 0}


async def test_invalid_completion_is_refused_then_valid_one_resumes_the_run(
    admin: httpx.AsyncClient,
) -> None:
    run, task = await open_task(admin)
    url = f"/human-tasks/{task['taskId']}/complete"
    refused = await admin.post(url, json={"decision": "maybe", "extra": 1})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "INVALID_TASK_OUTPUT"
    assert {e["pointer"] for e in body["errors"]} == {"", "/decision"}
    still = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"][0]
    assert still["status"] == "OPEN"
    done = await admin.post(url, json={"decision": "yes", "note": "fine"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "COMPLETED"
    assert done.json()["output"] == {"decision": "yes", "note": "fine"}
    finished = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert (finished["status"], finished["state"]) == ("SUCCEEDED", "REVIEWED")
    twice = await admin.post(url, json={"decision": "no"})
    assert twice.status_code == 409


async def test_claim_then_cancel_fails_the_step_as_timed_out(admin: httpx.AsyncClient) -> None:
    run, task = await open_task(admin)
    claimed = await admin.post(f"/human-tasks/{task['taskId']}/claim")
    assert claimed.json()["status"] == "CLAIMED"
    assert claimed.json()["claimedBy"] == "tester"
    canceled = await admin.post(f"/human-tasks/{task['taskId']}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"
    failed = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert failed["status"] == "FAILED"
    assert failed["error"]["category"] == "TimeoutError"


async def test_viewer_cannot_complete_a_task(
    admin: httpx.AsyncClient, client_factory: Any, token_factory: Any
) -> None:
    _, task = await open_task(admin)
    viewer = client_factory(await token_factory("workflow.view"))
    answer = await viewer.post(f"/human-tasks/{task['taskId']}/complete", json={"decision": "yes"})
    assert answer.status_code == 403


async def test_task_completed_by_a_raw_run_command_is_closed_for_the_api(
    admin: httpx.AsyncClient, api_app: FastAPI, pool: asyncpg.Pool, tenant_id: str
) -> None:
    """An integration produces ``CompleteHumanTask`` on run-commands: the inbox agrees."""
    run, task = await open_task(admin)
    engine = api_app.state.context.engine
    command = CompleteHumanTask(
        command_id=new_command_id(), now=datetime.now(UTC), task_id=task["taskId"],
        output={"decision": "no"}, completed_by="crm-sync",
    )  # fmt: skip
    async with transaction(pool) as conn:
        message = command_message(engine.topics, tenant_id, run["runId"], command)
        await enqueue_many(conn, tenant_id, [message])
    assert await drain_commands(pool, engine, tenant_id) == 1
    [done] = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"]
    assert (done["status"], done["output"], done["claimedBy"]) == (
        "COMPLETED", {"decision": "no"}, "crm-sync")  # fmt: skip
    finished = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert (finished["status"], finished["state"]) == ("SUCCEEDED", "REVIEWED")
    for verb, body in (("complete", {"decision": "yes"}), ("cancel", None)):
        late = await admin.post(f"/human-tasks/{task['taskId']}/{verb}", json=body)
        assert (late.status_code, late.json()["code"]) == (409, "TASK_NOT_OPEN")
