"""Retention policies and legal holds over HTTP: validated, admin-only, audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from workflows import publish, start, state_only

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


async def test_policies_are_set_listed_and_removed_with_audit(admin: httpx.AsyncClient) -> None:
    listed = (await admin.get("/retention-policies")).json()
    assert listed == {"defaultDays": 30, "items": []}
    tenant = await admin.put(
        "/retention-policies", json={"scope": "*", "runsDays": 10, "reason": "GDPR review"}
    )
    assert tenant.status_code == 200, tenant.text
    assert tenant.json()["eventsDays"] == 30  # not given: the server default
    workflow = str(uuid.uuid4())
    one = await admin.put(
        "/retention-policies",
        json={"scope": workflow.upper(), "runsDays": 365, "deadLettersDays": 7, "reason": "SOX"},
    )
    assert one.json()["scope"] == workflow  # ids are kept lower-case
    assert one.json()["eventsDays"] == 30
    assert one.json()["updatedBy"] == "tester"
    scopes = [p["scope"] for p in (await admin.get("/retention-policies")).json()["items"]]
    assert scopes == sorted(["*", workflow])
    removed = await admin.request(
        "DELETE", f"/retention-policies/{workflow}", json={"reason": "back to default"}
    )
    assert removed.status_code == 204
    again = await admin.request("DELETE", f"/retention-policies/{workflow}", json={"reason": "x"})
    assert again.status_code == 404
    audit = (await admin.get("/audit-events", params={"action": "retention."})).json()["items"]
    assert [e["action"] for e in audit] == [
        "retention.delete", "retention.update", "retention.update",
    ]  # fmt: skip
    assert audit[2]["reason"] == "GDPR review"
    assert audit[2]["details"]["after"]["runsDays"] == 10


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"scope": "*", "runsDays": 0, "reason": "r"}, "/runsDays"),
        ({"scope": "*", "runsDays": 40000, "reason": "r"}, "/runsDays"),
        ({"scope": "workflow-7", "runsDays": 3, "reason": "r"}, "/scope"),
        ({"scope": "*", "runsDays": 3}, "/reason"),
    ],
)
async def test_bad_policies_are_refused_naming_the_field(
    admin: httpx.AsyncClient, body: dict[str, object], pointer: str
) -> None:
    answer = await admin.put("/retention-policies", json=body)
    assert answer.status_code == 422
    assert [e["pointer"] for e in answer.json()["errors"]] == [pointer]
    assert (await admin.get("/retention-policies")).json()["items"] == []


async def test_legal_hold_is_placed_read_and_released(admin: httpx.AsyncClient) -> None:
    run_id = (await start(admin, await publish(admin, state_only()), {}))["runId"]
    hold_url = f"/workflow-runs/{run_id}/legal-hold"
    assert (await admin.get(hold_url)).status_code == 404
    placed = await admin.post(hold_url, json={"reason": "litigation 42"})
    assert placed.status_code == 200, placed.text
    assert placed.json()["reason"] == "litigation 42"
    second = await admin.post(hold_url, json={"reason": "another"})
    assert second.json()["reason"] == "litigation 42"  # the first hold stands
    assert (await admin.get(hold_url)).json()["placedBy"] == "tester"
    released = await admin.request("DELETE", hold_url, json={"reason": "case closed"})
    assert released.status_code == 204
    assert (await admin.get(hold_url)).status_code == 404
    actions = [e["action"] for e in (await admin.get(
        "/audit-events", params={"target": run_id})).json()["items"]]  # fmt: skip
    assert actions == ["run.legal-hold-release", "run.legal-hold", "run.legal-hold"]
    unknown = await admin.post(f"/workflow-runs/{uuid.uuid4()}/legal-hold", json={"reason": "r"})
    assert unknown.status_code == 404


async def test_only_admins_change_retention(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    publisher = client_factory(await token_factory("workflow.publish"))
    assert (await publisher.get("/retention-policies")).status_code == 200
    body = {"scope": "*", "runsDays": 3, "reason": "r"}
    assert (await publisher.put("/retention-policies", json=body)).status_code == 403
    hold = await publisher.post(f"/workflow-runs/{uuid.uuid4()}/legal-hold", json={"reason": "r"})
    assert hold.status_code == 403
