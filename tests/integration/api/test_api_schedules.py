"""Schedule triggers through the API: located publish errors, next fire times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from workflows import publish

pytestmark = pytest.mark.integration


def scheduled(**trigger: str) -> dict[str, object]:
    return {
        "name": "digest",
        "trigger": {"type": "schedule", **trigger},
        "steps": [{"id": "s", "type": "state.set", "config": {"state": "DIGEST_SENT"}}],
    }


async def test_published_schedule_shows_its_next_fire_times(admin: httpx.AsyncClient) -> None:
    wf = await publish(
        admin, scheduled(cron="0 8 * * MON-FRI", timezone="Europe/Berlin", catchUp="all")
    )
    before = datetime.now(UTC)
    response = await admin.get(f"/workflow-schedules/{wf}", params={"count": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["workflowId"], body["workflowVersion"], body["cron"]) == (wf, 1, "0 8 * * MON-FRI")
    assert (body["timezone"], body["catchUp"], body["recentTicks"]) == ("Europe/Berlin", "all", [])
    times = [datetime.fromisoformat(t) for t in body["nextFireTimes"]]
    assert len(times) == 7
    assert times == sorted(times)
    assert times[0] > before
    berlin = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in times]
    assert {(t.hour, t.minute) for t in berlin} == {(8, 0)}
    assert all(t.weekday() < 5 for t in berlin)


async def test_bad_cron_and_zone_are_located_publish_errors(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/workflow-definitions", json=scheduled(cron="0 25 * * *", timezone="Mars/Olympus")
    )
    wf = created.json()["id"]
    result = (await admin.post(f"/workflow-definitions/{wf}/draft/publish")).json()
    assert result["ok"] is False
    assert [(e["code"], e["stepPath"]) for e in result["errors"]] == [("INVALID_TRIGGER", "root")]
    # The zone is checked first: one error at a time for the trigger, each naming its field.
    assert result["errors"][0]["message"].startswith("trigger.timezone: unknown time zone")
    assert result["errors"][0]["pointer"] == "/trigger/timezone"
    fixed = await admin.put(
        f"/workflow-definitions/{wf}/draft", json=scheduled(cron="0 25 * * *", timezone="UTC")
    )
    assert fixed.status_code == 200
    result = (await admin.post(f"/workflow-definitions/{wf}/draft/publish")).json()
    assert result["errors"][0]["message"] == (
        "trigger.cron: '0 25 * * *' is not a cron expression: Bad hour"
    )
    assert (await admin.get(f"/workflow-schedules/{wf}")).status_code == 404


async def test_no_schedule_is_404_and_a_later_version_without_one_removes_it(
    admin: httpx.AsyncClient,
) -> None:
    missing = await admin.get(f"/workflow-schedules/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    wf = await publish(admin, scheduled(cron="*/5 * * * *"))
    assert (await admin.get(f"/workflow-schedules/{wf}")).status_code == 200
    plain = {
        "name": "digest",
        "steps": [{"id": "s", "type": "state.set", "config": {"state": "X"}}],
    }
    await admin.put(f"/workflow-definitions/{wf}/draft", json=plain)
    assert (await admin.post(f"/workflow-definitions/{wf}/draft/publish")).json()["ok"]
    assert (await admin.get(f"/workflow-schedules/{wf}")).status_code == 404


async def test_webhook_secret_is_shown_to_admins_only(
    admin: httpx.AsyncClient, client_factory: Any, token_factory: Any
) -> None:
    doc = {"name": "hook", "trigger": {"type": "webhook"}, "steps": []}
    wf = await publish(admin, doc)
    shown = await admin.get(f"/workflow-webhooks/{wf}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["path"] == f"/hooks/{body['hookId']}"
    assert body["secret"].startswith("whsec_")
    assert (body["signatureHeader"], body["deliveryHeader"]) == (
        "Sluice-Signature",
        "Sluice-Delivery",
    )
    publisher = client_factory(await token_factory("workflow.publish"))
    assert (await publisher.get(f"/workflow-webhooks/{wf}")).status_code == 403
    assert (await admin.get(f"/workflow-webhooks/{uuid.uuid4()}")).status_code == 404
