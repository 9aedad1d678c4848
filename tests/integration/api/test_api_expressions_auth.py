"""The designer's server helpers: ``POST /workflow/expressions/evaluate`` and ``GET /auth/me``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

pytestmark = pytest.mark.integration
EVALUATE = "/workflow/expressions/evaluate"
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


async def test_evaluate_reads_the_sample_envelope(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(
        EVALUATE,
        json={
            "expression": 'payload.name & " has " & $count(vars.items) & " items"',
            "payload": {"name": "ada"},
            "vars": {"items": [1, 2, 3]},
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "result": "ada has 3 items", "error": None}


async def test_evaluate_undefined_is_null(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(EVALUATE, json={"expression": "payload.missing"})
    assert answer.json()["ok"] is True
    assert answer.json()["result"] is None


async def test_evaluate_sees_error_and_event_where_given(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(
        EVALUATE,
        json={
            "expression": "error.message & '/' & event.payload.by",
            "error": {"message": "boom"},
            "event": {"payload": {"by": "grace"}},
        },
    )
    assert answer.json()["result"] == "boom/grace"


async def test_evaluate_syntax_error_is_data_with_its_position(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(EVALUATE, json={"expression": "payload.a +"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "INVALID_EXPR"
    assert isinstance(body["error"]["position"], int)
    assert body["error"]["message"]


async def test_evaluate_refuses_what_the_sandbox_refuses(admin: httpx.AsyncClient) -> None:
    disallowed = await admin.post(EVALUATE, json={"expression": '$eval("1+1")'})
    assert disallowed.json()["error"]["code"] == "DISALLOWED_FUNCTION"
    runaway = await admin.post(EVALUATE, json={"expression": "$count([1..3000].([1..3000]))"})
    assert runaway.json()["ok"] is False
    assert runaway.json()["error"]["code"] == "BUDGET_EXCEEDED"


async def test_evaluate_needs_a_token_and_an_expression(
    client_factory: ClientFactory, admin: httpx.AsyncClient
) -> None:
    assert (await client_factory(None).post(EVALUATE, json={"expression": "1"})).status_code == 401
    empty = await admin.post(EVALUATE, json={"expression": ""})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["pointer"] == "/expression"


async def test_auth_me_names_the_tenant_subject_and_grants(
    client_factory: ClientFactory, token_factory: TokenFactory, tenant_id: str
) -> None:
    viewer = client_factory(await token_factory("workflow.publish", subject="ada"))
    me = await viewer.get("/auth/me")
    assert me.status_code == 200
    assert me.json() == {
        "tenantId": tenant_id,
        "subject": "ada",
        "role": "workflow.publish",
        "grants": ["workflow.view", "workflow.manage", "workflow.publish"],
    }
    assert (await client_factory("slc_nope").get("/auth/me")).status_code == 401
