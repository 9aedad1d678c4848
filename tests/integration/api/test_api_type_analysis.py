"""``POST /workflow/type-analysis`` and ``GET /workflow-definitions/{id}/draft/scope``:
the typed scope of every step for the designer, and the findings publish would give."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sluice_helpdesk.workflows import inbound_email_definition

pytestmark = pytest.mark.integration
ANALYSE = "/workflow/type-analysis"
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


def _lookup() -> dict[str, Any]:
    return {
        "name": "lookup",
        "payloadSchemaRef": "payload.EmailWorkflowPayload.v1",
        "steps": [
            {"id": "find", "type": "action.call", "config": {
                "actionId": "find_contact_by_email", "version": 1,
                "args": {"email": {"$expr": "payload.emailData.from.email"}},
                "saveAs": "vars.contact"}},
            {"id": "use", "type": "transform.assign", "config": {
                "assign": {"vars.client": {"$expr": "vars.contact.clientid"}}}},
        ],
    }  # fmt: skip


async def test_every_step_gets_its_scope_and_publish_findings(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    viewer = client_factory(await token_factory("workflow.view"))
    answer = await viewer.post(ANALYSE, json={"definition": _lookup()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(s["stepPath"], s["stepId"]) for s in body["steps"]] == [
        ("root.steps[0]", "find"),
        ("root.steps[1]", "use"),
    ]
    first, second = (s["scope"] for s in body["steps"])
    assert first["required"] == ["payload", "vars", "meta"]
    assert first["properties"]["vars"]["properties"] == {}
    contact = second["properties"]["vars"]["properties"]["contact"]
    assert contact["properties"]["clientId"]["type"] == ["null", "string"]
    assert contact["x-writtenBy"] == ["root.steps[0]"]
    assert body["issues"] == [
        {
            "severity": "warning",
            "stepPath": "root.steps[1]",
            "stepId": "use",
            "code": "UNKNOWN_FIELD",
            "message": "vars.contact.clientid: 'clientid' is not declared in vars.contact "
            "(the output of find_contact_by_email v1) (did you mean 'clientId'?)",
            "pointer": "/steps/1/config/assign/vars.client",
        }
    ]


async def test_the_reference_workflow_has_no_findings_and_a_typed_catch(
    admin: httpx.AsyncClient,
) -> None:
    document = inbound_email_definition()
    body = (await admin.post(ANALYSE, json={"definition": document})).json()
    assert body["issues"] == []
    scopes = {s["stepId"]: s["scope"] for s in body["steps"]}
    assert len(scopes) == 40  # every step of the tree
    assert "error" in scopes["failure_task"]["properties"]
    assert "error" not in scopes["parse_body"]["properties"]
    by_thread = scopes["pick_ticket"]["properties"]["vars"]["properties"]
    assert by_thread["threadMatch"]["x-presence"] == "somePaths"


async def test_strict_types_turn_findings_into_errors(admin: httpx.AsyncClient) -> None:
    body = await admin.post(ANALYSE, json={"definition": {**_lookup(), "strictTypes": True}})
    assert [(i["severity"], i["code"]) for i in body.json()["issues"]] == [
        ("error", "UNKNOWN_FIELD")
    ]


async def test_a_document_without_steps_is_a_problem(admin: httpx.AsyncClient) -> None:
    answer = await admin.post(ANALYSE, json={"definition": {"name": "x", "steps": "no"}})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"] == [
        {"pointer": "/definition/steps", "message": "must be an array of steps"}
    ]
    not_an_object = await admin.post(ANALYSE, json={"definition": [1]})
    assert not_an_object.status_code == 422
    assert not_an_object.json()["errors"][0]["pointer"] == "/definition"


async def test_analysis_needs_a_token(client_factory: ClientFactory) -> None:
    answer = await client_factory(None).post(ANALYSE, json={"definition": _lookup()})
    assert answer.status_code == 401


async def test_draft_scope_answers_one_step(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/workflow-definitions", json=_lookup())
    workflow_id = created.json()["id"]
    url = f"/workflow-definitions/{workflow_id}/draft/scope"
    answer = await admin.get(url, params={"stepPath": "root.steps[1]"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["stepId"] == "use"
    assert "contact" in answer.json()["scope"]["properties"]["vars"]["properties"]
    missing = await admin.get(url, params={"stepPath": "root.steps[7]"})
    assert missing.status_code == 404
    malformed = await admin.get(url, params={"stepPath": "steps[0]"})
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["pointer"] == "/query/stepPath"
