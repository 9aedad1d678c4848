"""Bulk operations and exports (issue 19): one mechanism, worked in the background by
the API's worker (the test app's lifespan runs it), progress and per-run outcomes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from sluice_storage import transaction
from sluice_storage.operations import NewOperation, OperationRepository
from test_api_history import SECRET, seed_history
from workflows import fails_unless_ok, publish, start, state_only, waits_for_event

pytestmark = pytest.mark.integration


async def finished(client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    """The operation at ``location`` once COMPLETED (the worker is woken at once)."""
    for _ in range(300):
        shown: dict[str, Any] = (await client.get(location)).json()
        if shown["status"] == "COMPLETED":
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"{location} not COMPLETED within 30 s: {shown}")


async def outcomes(client: httpx.AsyncClient, location: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get(f"{location}/runs")).json()["items"]
    return items


async def audit_of(client: httpx.AsyncClient, target: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await client.get("/audit-events", params={"target": target})
    ).json()["items"]
    return found


async def test_cancel_by_filter_touches_only_runs_it_applies_to_after_a_dry_run(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, waits_for_event(f"B_{uuid.uuid4().hex[:8]}"))
    waiting = [(await start(admin, wf, {"key": f"k{i}"}))["runId"] for i in range(3)]
    body: dict[str, Any] = {"reason": "incident 7", "filter": {"workflowId": wf}, "dryRun": True}
    dry = await admin.post("/workflow-runs/bulk/cancel", json=body)
    assert dry.status_code == 200, dry.text
    assert dry.json() == {"action": "cancel", "total": 3, "byStatus": {"WAITING": 3},
                          "notFound": 0, "appliesTo": ["RUNNING", "WAITING"]}  # fmt: skip
    assert (await admin.get(f"/workflow-runs/{waiting[0]}")).json()["status"] == "WAITING"

    answer = await admin.post("/workflow-runs/bulk/cancel", json={**body, "dryRun": False})
    assert answer.status_code == 202, answer.text
    location = answer.headers["location"]
    assert location == f"/bulk-operations/{answer.json()['operationId']}"
    done = await finished(admin, location)
    assert (done["total"], done["done"], done["succeeded"], done["failed"]) == (3, 3, 3, 0)
    assert done["request"] == {"filter": {"workflowId": wf}}
    assert [(o["runId"], o["ok"], o["runStatus"]) for o in await outcomes(admin, location)] == [
        (run, True, "CANCELED") for run in waiting
    ]
    [once] = await audit_of(admin, done["operationId"])
    assert (once["action"], once["reason"], once["details"]["count"]) == (
        "run.bulk-cancel", "incident 7", 3)  # fmt: skip
    for run in waiting:
        [entry] = await audit_of(admin, run)
        assert (entry["action"], entry["actor"]) == ("run.cancel", "tester")
        assert entry["details"]["operationId"] == done["operationId"]
    # the same filter again: nothing left it applies to
    again = await admin.post("/workflow-runs/bulk/cancel", json=body)
    assert again.json()["total"] == 0


async def test_retry_applies_merge_patches_and_refuses_another_step_per_run(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, fails_unless_ok())
    payload = {"ok": False, "keep": "x", "drop": 1}
    failed = [(await start(admin, wf, payload))["runId"] for _ in range(2)]
    body = {"reason": "fixed upstream", "runIds": failed, "varsPatch": {"note": "patched"},
            "payloadPatch": {"ok": True, "drop": None}}  # fmt: skip
    answer = await admin.post("/workflow-runs/bulk/retry", json=body)
    assert answer.status_code == 202, answer.text
    done = await finished(admin, answer.headers["location"])
    assert (done["succeeded"], done["failed"]) == (2, 0), done
    for run in failed:
        assert (await admin.get(f"/workflow-runs/{run}")).json()["status"] == "SUCCEEDED"
        last = (await admin.get(f"/workflow-runs/{run}/snapshots")).json()["items"][-1]
        assert last["envelope"]["payload"] == {"ok": True, "keep": "x"}
        assert last["envelope"]["vars"]["note"] == "patched"

    third = (await start(admin, wf, payload))["runId"]
    elsewhere = {"reason": "r", "runIds": [third], "fromStepPath": "root.steps[1]"}
    refused = (await admin.post("/workflow-runs/bulk/retry", json=elsewhere)).headers["location"]
    assert (await finished(admin, refused))["failed"] == 1
    [outcome] = await outcomes(admin, refused)
    assert (outcome["ok"], outcome["code"]) == (False, "RUN_STATUS_CONFLICT")
    assert "fromStepPath 'root.steps[1]'" in outcome["detail"]
    assert "'root.steps[0]'" in outcome["detail"]
    same = {**elsewhere, "fromStepPath": "root.steps[0]", "payloadPatch": {"ok": True}}
    location = (await admin.post("/workflow-runs/bulk/retry", json=same)).headers["location"]
    assert (await finished(admin, location))["succeeded"] == 1


async def test_replay_by_ids_patches_each_payload_and_names_the_new_runs(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, state_only())
    runs = [(await start(admin, wf, {"n": n, "mode": "old"}))["runId"] for n in range(2)]
    unknown = str(uuid.uuid4())
    body = {"reason": "re-run", "runIds": [*runs, unknown], "payloadPatch": {"mode": "new"}}
    location = (await admin.post("/workflow-runs/bulk/replay", json=body)).headers["location"]
    done = await finished(admin, location)
    assert (done["succeeded"], done["failed"]) == (2, 1)
    shown = await outcomes(admin, location)
    assert [(o["runId"], o["ok"], o["code"]) for o in shown] == [
        (runs[0], True, None), (runs[1], True, None), (unknown, False, "NOT_FOUND")]  # fmt: skip
    failed_only = (await admin.get(f"{location}/runs", params={"ok": "false"})).json()["items"]
    assert [o["runId"] for o in failed_only] == [unknown]
    for n, outcome in enumerate(shown[:2]):
        new = outcome["resultRunId"]
        assert new not in runs
        first = (await admin.get(f"/workflow-runs/{new}/snapshots")).json()["items"][0]
        assert first["envelope"]["payload"] == {"n": n, "mode": "new"}


async def test_bulk_requests_are_checked_and_operations_are_kind_scoped(
    admin: httpx.AsyncClient, client_factory: Any, token_factory: Any
) -> None:
    one = [str(uuid.uuid4())]
    for body in ({"reason": "r"}, {"reason": "r", "runIds": one, "filter": {}},
                 {"runIds": one}, {"reason": "r", "filter": {"status": ["NOPE"]}}):  # fmt: skip
        refused = await admin.post("/workflow-runs/bulk/resume", json=body)
        assert refused.status_code == 422, (body, refused.text)
    viewer = client_factory(await token_factory("workflow.view"))
    forbidden = await viewer.post("/workflow-runs/bulk/cancel", json={"reason": "r", "runIds": one})
    assert forbidden.status_code == 403
    assert (await admin.get(f"/bulk-operations/{uuid.uuid4()}")).status_code == 404
    export = await admin.post("/exports", json={"filter": {"workflowId": str(uuid.uuid4())}})
    assert export.status_code == 202, export.text
    assert (await admin.get(f"/bulk-operations/{export.json()['operationId']}")).status_code == 404
    other = client_factory(await token_factory(tenant=f"t-{uuid.uuid4().hex[:12]}"))
    assert (await other.get(export.headers["location"])).status_code == 404


async def test_console_bulk_is_an_operation_done_before_the_answer(
    admin: httpx.AsyncClient,
) -> None:
    wf = await publish(admin, waits_for_event(f"C_{uuid.uuid4().hex[:8]}"))
    run = (await start(admin, wf, {"key": "k"}))["runId"]
    body = {"action": "resume", "reason": "go", "runIds": [run, run]}
    answer = (await admin.post("/workflow-runs/bulk", json=body)).json()
    assert answer["results"] == [
        {"runId": run, "ok": True, "status": "SUCCEEDED", "code": None, "detail": None}
    ]
    operation = (await admin.get(f"/bulk-operations/{answer['operationId']}")).json()
    assert (operation["status"], operation["total"], operation["action"]) == (
        "COMPLETED", 1, "resume")  # fmt: skip


async def test_export_streams_runs_with_history_redacted_as_in_the_api(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    run_id = await seed_history(pool, tenant_id)
    async with transaction(pool) as conn:
        workflow = await conn.fetchval(
            "SELECT workflow_id FROM workflow_runs WHERE tenant_id = $1 AND run_id = $2",
            tenant_id, run_id,
        )  # fmt: skip
    body = {"filter": {"workflowId": str(workflow)}, "reason": "auditor asked"}
    answer = await admin.post("/exports", json=body)
    assert answer.status_code == 202, answer.text
    done = await finished(admin, answer.headers["location"])
    assert (done["kind"], done["total"], done["succeeded"]) == ("export", 1, 1)
    download = await admin.get(f"{answer.headers['location']}/download")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("application/x-ndjson")
    assert SECRET not in download.text
    [line] = [json.loads(text) for text in download.text.splitlines()]
    assert line["run"]["runId"] == str(run_id)
    api = {kind: (await admin.get(f"/workflow-runs/{run_id}/{kind}")).json()["items"]
           for kind in ("steps", "snapshots", "invocations", "logs", "timeline")}  # fmt: skip
    assert {kind: line[kind] for kind in api} == api
    assert line["snapshots"][0]["envelope"]["payload"] == {"password": "***", "user": "ann"}
    [entry] = await audit_of(admin, done["operationId"])
    assert (entry["action"], entry["details"]["count"]) == ("runs.export", 1)


async def test_download_before_the_export_completes_is_409(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with transaction(pool) as conn:
        held = await OperationRepository(conn, tenant_id).create_for_runs(
            NewOperation("export", "export", "tester", "workflow.admin", None, {},
                         lease=("elsewhere", far)),
            [uuid.uuid4()], now=dt.datetime.now(dt.UTC),
        )  # fmt: skip
    refused = await admin.get(f"/exports/{held.operation_id}/download")
    assert refused.status_code == 409
    assert refused.json()["code"] == "EXPORT_NOT_READY"
    assert "RUNNING (0 of 1 runs done)" in refused.json()["detail"]
