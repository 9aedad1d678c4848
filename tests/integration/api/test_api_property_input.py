"""Property (issue 17): arbitrary JSON thrown at ``POST /workflow/events`` never gets
a 5xx; it is accepted and read back exactly, or refused with a 422 naming what the
input rule refuses (``workflow_core.json_rules``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

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


@pytest.mark.timeout(600)  # 20 examples, each a few round trips, on a shared machine
@PROPERTY
@given(payload=payloads)
async def test_api_event_payload_is_kept_exactly_or_refused_by_the_rule(
    admin: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    name = f"P{uuid.uuid4().hex[:10]}"
    text = event_text(name, payload)
    answer = await admin.post("/workflow/events", content=text,
                              headers={"content-type": "application/json"})  # fmt: skip
    if answer.status_code != 201:
        assert_refusal_is_the_rule(text, answer)
        return
    [event] = (await admin.get("/workflow/events", params={"eventName": name})).json()["items"]
    assert as_decimals(event["payload"]) == as_decimals(json.loads(text)["payload"])
