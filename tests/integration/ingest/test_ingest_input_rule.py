"""Ingest applies the API's input rule (libs/http): U+0000, lone surrogates, integers
over 4300 digits and nesting past 64 levels are a 422 naming the place, never a 500;
nothing is stored. Each case by name."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from fixtures.tenant_rows import tenant_rows
from ingest_samples import new_message_id

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
EVENT = '{"eventName": "E", "correlationKey": "k", "payload": %s}'

# name: (body of POST /events, pointer, message start)
EVENTS = {
    "payload_with_nul": (EVENT % '{"a": "\\u0000"}', "/payload/a", "U+0000 (NUL)"),
    "payload_key_with_nul": (EVENT % '{"\\u0000": 1}', "/payload/\\u0000", "object key: U+0000"),
    "event_name_with_nul": ('{"eventName": "E\\u0000", "correlationKey": "k"}', "/eventName",
                            "U+0000 (NUL)"),
    "payload_lone_surrogate": (EVENT % '"\\udbff"', "/payload", "a lone surrogate (U+DBFF)"),
    "payload_nested_past_64": (EVENT % ("[" * 70 + "]" * 70), "/payload" + "/0" * 63,
                               "nested deeper than 64"),
    "payload_integer_of_5000_digits": (EVENT % ("1" * 5000), "/payload", "11111111111111111111"),
}  # fmt: skip


@pytest.mark.parametrize(("body", "pointer", "message"), EVENTS.values(), ids=EVENTS)
async def test_event_breaking_the_input_rule_is_a_422_and_nothing_is_stored(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    tenant_id: str, body: str, pointer: str, message: str,
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {await ingest_token()}",
               "content-type": "application/json"}  # fmt: skip
    before = await tenant_rows(pool, tenant_id)
    answer = await ingest_http.post("/events", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert (error["pointer"], error["message"][: len(message)]) == (pointer, message)
    assert await tenant_rows(pool, tenant_id) == before


async def test_email_json_with_nul_is_a_422_and_nothing_is_stored(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {await ingest_token()}",
               "content-type": "application/json"}  # fmt: skip
    before = await tenant_rows(pool, tenant_id)
    email = {"emailData": {"id": f"<{new_message_id()}>", "from": {"email": "jane@x.example"},
                           "subject": "Hi\u0000there", "body": {"text": "hello"}},
             "providerId": "prov-1"}  # fmt: skip
    answer = await ingest_http.post("/emails", content=json.dumps(email), headers=headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "INVALID_PAYLOAD"
    assert problem["errors"] == [
        {"pointer": "/emailData/subject", "message": "U+0000 (NUL) is not allowed in text"}
    ]
    assert await tenant_rows(pool, tenant_id) == before


async def test_event_with_an_integer_beyond_64_bits_is_kept_exactly(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    tenant_id: str,
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {await ingest_token()}"}
    payload = {"n": 2**80 + 1, "t": "caf\u00e9 \U0001f600"}
    answer = await ingest_http.post(
        "/events", json={"eventName": "BIG", "correlationKey": "b", "payload": payload},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT payload FROM outbox WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1", tenant_id
        )
    assert stored["body"]["payload"] == payload
