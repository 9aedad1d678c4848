"""Definitions over HTTP: drafts of any JSON object, versions, publish with located errors."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration


def valid_draft(**extra: object) -> dict[str, object]:
    return {
        "name": "Set state",
        "payloadSchemaRef": "payload.EmailWorkflowPayload.v1",
        "steps": [{"id": "s1", "type": "state.set", "config": {"state": "DONE"}}],
        **extra,
    }


async def test_create_draft_keeps_given_id_and_ignores_version(admin: httpx.AsyncClient) -> None:
    given = str(uuid.uuid4())
    created = await admin.post("/workflow-definitions", json=valid_draft(id=given, version=7))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == given
    assert body["version"] == "draft"
    assert "version" not in body["definition"]
    fetched = await admin.get(f"/workflow-definitions/{given}/draft")
    assert fetched.json()["definition"]["name"] == "Set state"


async def test_create_draft_accepts_any_object_and_assigns_an_id(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/workflow-definitions", json={"whatever": [1, 2]})
    assert created.status_code == 201
    assert uuid.UUID(created.json()["id"])
    assert created.json()["definition"]["whatever"] == [1, 2]


async def test_create_draft_rejects_a_non_object_body(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/workflow-definitions", json=[1, 2, 3])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_create_draft_twice_with_one_id_conflicts(admin: httpx.AsyncClient) -> None:
    given = str(uuid.uuid4())
    assert (await admin.post("/workflow-definitions", json={"id": given})).status_code == 201
    again = await admin.post("/workflow-definitions", json={"id": given})
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_update_draft_replaces_it_and_unknown_id_is_404(admin: httpx.AsyncClient) -> None:
    wf = (await admin.post("/workflow-definitions", json=valid_draft())).json()["id"]
    updated = await admin.put(f"/workflow-definitions/{wf}/draft", json=valid_draft(name="Renamed"))
    assert updated.status_code == 200
    assert updated.json()["name"] == "Renamed"
    missing = await admin.put(f"/workflow-definitions/{uuid.uuid4()}/draft", json={})
    assert missing.status_code == 404
    immutable = await admin.put(f"/workflow-definitions/{wf}/1", json={})
    assert immutable.status_code == 409


async def test_publish_valid_draft_stores_version_schema_and_publisher(
    admin: httpx.AsyncClient,
) -> None:
    wf = (await admin.post("/workflow-definitions", json=valid_draft())).json()["id"]
    published = await admin.post(f"/workflow-definitions/{wf}/draft/publish")
    assert published.status_code == 200
    assert published.json() == {"ok": True, "publishedVersion": 1, "errors": []}
    version = (await admin.get(f"/workflow-definitions/{wf}/1")).json()
    assert version["version"] == 1
    assert version["publishedBy"] == "tester"
    assert version["publishedAt"]
    assert version["payloadSchema"]["type"] == "object"
    second = await admin.post(f"/workflow-definitions/{wf}/2/publish")
    assert second.json()["publishedVersion"] == 2
    listed = (await admin.get("/workflow-definitions")).json()["items"]
    assert [d["latestVersion"] for d in listed if d["id"] == wf] == [2]


async def test_publish_invalid_draft_answers_200_with_located_errors(
    admin: httpx.AsyncClient,
) -> None:
    draft = valid_draft(
        steps=[
            {"id": "a", "type": "state.set", "config": {"state": "X"}},
            {"id": "a", "type": "no.suchNode", "config": {}},
        ]
    )
    wf = (await admin.post("/workflow-definitions", json=draft)).json()["id"]
    published = await admin.post(f"/workflow-definitions/{wf}/draft/publish")
    assert published.status_code == 200
    body = published.json()
    assert body["ok"] is False
    assert "publishedVersion" not in body or body["publishedVersion"] is None
    located = {(e["code"], e["stepPath"]) for e in body["errors"]}
    assert ("DUPLICATE_STEP_ID", "root.steps[1]") in located
    assert ("UNKNOWN_NODE_TYPE", "root.steps[1]") in located
    assert (await admin.get(f"/workflow-definitions/{wf}/1")).status_code == 404


async def test_publish_with_a_wrong_version_number_conflicts(admin: httpx.AsyncClient) -> None:
    wf = (await admin.post("/workflow-definitions", json=valid_draft())).json()["id"]
    response = await admin.post(f"/workflow-definitions/{wf}/5/publish")
    assert response.status_code == 409
    assert response.json()["code"] == "VERSION_CONFLICT"


async def test_concurrent_publishes_get_distinct_versions(admin: httpx.AsyncClient) -> None:
    wf = (await admin.post("/workflow-definitions", json=valid_draft())).json()["id"]
    answers = await asyncio.gather(
        *(admin.post(f"/workflow-definitions/{wf}/draft/publish") for _ in range(5))
    )
    versions = sorted(a.json()["publishedVersion"] for a in answers)
    assert versions == [1, 2, 3, 4, 5]


async def test_get_version_rejects_a_malformed_version(admin: httpx.AsyncClient) -> None:
    wf = (await admin.post("/workflow-definitions", json=valid_draft())).json()["id"]
    response = await admin.get(f"/workflow-definitions/{wf}/latest")
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"
