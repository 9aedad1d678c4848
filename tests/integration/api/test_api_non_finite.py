"""NaN, Infinity and overflowing numbers in a JSON body: 422 naming the place, nothing stored.

Python's json reads them; PostgreSQL's jsonb does not (before the check, a 500).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from fixtures.tenant_rows import tenant_rows
from workflows import asks_a_human, publish, start

pytestmark = pytest.mark.integration
JSON = {"content-type": "application/json"}


async def waiting_run(admin: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run waiting on a human task, and that task."""
    run = await start(admin, await publish(admin, asks_a_human()), {"key": "K"})
    tasks = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"]
    return run, tasks[0]


# (method, path, body text, pointer, literal): one route of each kind.
CASES = [
    ("POST", "/workflow-definitions", '{"name": "n", "steps": [], "x": {"a": NaN}}', "/x/a", "NaN"),
    ("PUT", "/workflow-definitions/{wf}/draft", '{"name": "n", "steps": [], "t": Infinity}',
     "/t", "Infinity"),
    ("POST", "/workflow-runs", '{"workflowId": "{wf}", "payload": {"a": NaN}}', "/payload/a",
     "NaN"),
    ("POST", "/workflow/events",
     '{"eventName": "E", "correlationKey": "k", "payload": {"list": [1, -Infinity]}}',
     "/payload/list/1", "-Infinity"),
    ("POST", "/human-tasks/{task}/complete", '{"decision": "yes", "score": 1e400}', "/score",
     "1e400"),
    ("POST", "/workflow-runs/{run}/resume", '{"reason": "r", "payload": {"n": -2.5e999}}',
     "/payload/n", "-2.5e999"),
    ("POST", "/workflow-runs/{run}/replay", '{"reason": "r", "payload": {"a/b": NaN}}',
     "/payload/a~1b", "NaN"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "pointer", "literal"), CASES)
async def test_non_finite_number_is_a_422_naming_the_place_and_nothing_is_stored(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str,
    method: str, path: str, body: str, pointer: str, literal: str,
) -> None:  # fmt: skip
    run, task = await waiting_run(admin)
    ids = {"{wf}": run["workflowId"], "{run}": run["runId"], "{task}": task["taskId"]}
    for placeholder, value in ids.items():
        path, body = path.replace(placeholder, value), body.replace(placeholder, value)
    before = await tenant_rows(pool, tenant_id)

    response = await admin.request(method, path, content=body, headers=JSON)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    [error] = problem["errors"]
    assert error["pointer"] == pointer
    assert error["message"].startswith(f"{literal} is")
    assert "not a JSON number" in error["message"]
    assert f"{pointer}: {literal} is" in problem["detail"]
    assert await tenant_rows(pool, tenant_id) == before
    still = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"]
    assert still[0]["status"] == "OPEN"


async def test_start_run_with_nan_gives_the_example_message(admin: httpx.AsyncClient) -> None:
    run, _ = await waiting_run(admin)
    body = '{"workflowId": "' + run["workflowId"] + '", "payload": {"a": NaN}}'
    response = await admin.post("/workflow-runs", content=body, headers=JSON)
    detail = response.json()["detail"]
    assert detail == "the request is invalid: /payload/a: NaN is not a JSON number"
    runs = (await admin.get("/workflow-runs", params={"workflowId": run["workflowId"]})).json()
    assert [r["runId"] for r in runs["items"]] == [run["runId"]]


async def test_refused_start_leaves_its_idempotency_key_free(admin: httpx.AsyncClient) -> None:
    run, _ = await waiting_run(admin)
    headers = {**JSON, "Idempotency-Key": f"k-{run['runId']}"}
    body = '{"workflowId": "' + run["workflowId"] + '", "payload": {"n": @}}'
    refused = await admin.post(
        "/workflow-runs", content=body.replace("@", "-Infinity"), headers=headers
    )
    assert refused.status_code == 422
    started = await admin.post("/workflow-runs", content=body.replace("@", "2"), headers=headers)
    assert started.status_code == 201, started.text


async def test_look_alikes_and_large_finite_numbers_are_accepted(admin: httpx.AsyncClient) -> None:
    run, _ = await waiting_run(admin)
    huge_int = "1" + "0" * 400  # an integer, not a float: jsonb's numeric holds it
    payload = '{"note": "NaN Infinity e400", "big": 1.7e308, "small": 1e-400, "int": ' + huge_int
    body = '{"workflowId": "' + run["workflowId"] + '", "payload": ' + payload + "}}"
    response = await admin.post("/workflow-runs", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()["runId"] != run["runId"]


async def test_non_json_body_is_left_to_the_usual_checks(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/workflow-runs", content=b'{"a": NaN', headers=JSON)
    assert response.status_code == 422
    assert "not a JSON number" not in response.text
