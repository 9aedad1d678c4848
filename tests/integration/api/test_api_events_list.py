"""``GET /workflow/events`` filters: name, key, matched, received time; paged within them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from workflows import publish, start, waits_for_event

pytestmark = pytest.mark.integration


async def _submit(admin: httpx.AsyncClient, name: str, key: str) -> str:
    routed = await admin.post(
        "/workflow/events", json={"eventName": name, "correlationKey": key, "payload": {}}
    )
    assert routed.status_code == 201, routed.text
    return str(routed.json()["eventId"])


async def _listed(admin: httpx.AsyncClient, **params: str) -> list[str]:
    response = await admin.get("/workflow/events", params=params)
    assert response.status_code == 200, response.text
    return [item["eventId"] for item in response.json()["items"]]


async def test_events_list_filters_by_name_key_matched_and_time(
    admin: httpx.AsyncClient,
) -> None:
    name, other = f"F_{uuid.uuid4().hex[:8]}", f"G_{uuid.uuid4().hex[:8]}"
    waiting = await start(admin, await publish(admin, waits_for_event(name)), {"key": "k2"})
    before = datetime.now(UTC) - timedelta(seconds=1)
    unmatched = await _submit(admin, name, "k1")
    resumed = await _submit(admin, name, "k2")
    elsewhere = await _submit(admin, other, "k1")

    assert await _listed(admin, eventName=name) == [resumed, unmatched]  # newest first
    assert await _listed(admin, eventName=name, correlationKey="k1") == [unmatched]
    assert await _listed(admin, eventName=name, matched="true") == [resumed]
    assert await _listed(admin, eventName=name, matched="false") == [unmatched]
    assert await _listed(admin, correlationKey="k1", eventName=other) == [elsewhere]
    assert await _listed(admin, eventName=name, to=before.isoformat()) == []
    assert await _listed(admin, eventName=name, **{"from": before.isoformat()}) == [
        resumed,
        unmatched,
    ]
    detail = (await admin.get("/workflow/events", params={"eventName": name})).json()
    assert detail["items"][0]["resumedRunId"] == waiting["runId"]


async def test_events_list_pages_stay_within_the_filter(admin: httpx.AsyncClient) -> None:
    name = f"P_{uuid.uuid4().hex[:8]}"
    submitted = [await _submit(admin, name, f"k{i}") for i in range(3)]
    await _submit(admin, f"Q_{uuid.uuid4().hex[:8]}", "k0")
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"eventName": name, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await admin.get("/workflow/events", params=params)).json()
        seen += [item["eventId"] for item in page["items"]]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert seen == list(reversed(submitted))


async def test_events_list_refuses_a_malformed_filter(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/workflow/events", params={"matched": "maybe"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
