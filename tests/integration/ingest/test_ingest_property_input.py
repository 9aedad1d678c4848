"""Property (issue 17): arbitrary JSON thrown at ingest's ``POST /events`` never gets
a 5xx; it is accepted and stored exactly (its outbox row), or refused with a 422
naming what the input rule refuses (``workflow_core.json_rules``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fixtures.json_inputs import (
    PROPERTY,
    as_decimals,
    assert_refusal_is_the_rule,
    event_text,
    payloads,
)
from hypothesis import given

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]


@pytest.mark.timeout(600)  # 20 examples, each a few round trips, on a shared machine
@PROPERTY
@given(payload=payloads)
async def test_ingest_event_payload_is_kept_exactly_or_refused_by_the_rule(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    payload: dict[str, Any],
) -> None:  # fmt: skip
    name = f"P{uuid.uuid4().hex[:10]}"
    text = event_text(name, payload)
    headers = {"Authorization": f"Bearer {await ingest_token()}",
               "content-type": "application/json"}  # fmt: skip
    answer = await ingest_http.post("/events", content=text, headers=headers)
    if answer.status_code != 202:
        assert_refusal_is_the_rule(text, answer)
        return
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT payload FROM outbox WHERE payload->'body'->>'eventName' = $1", name
        )
    assert as_decimals(stored["body"]["payload"]) == as_decimals(json.loads(text)["payload"])
