"""Bearer tokens and nested roles: 401, 403, and 404 (never 403) across tenants."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from sluice_storage import TokenRepository, authenticate, transaction

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]
DRAFT = {"name": "x", "steps": []}


async def test_missing_or_unknown_token_is_401(client_factory: ClientFactory) -> None:
    for client in (client_factory(None), client_factory("slc_not-a-real-token")):
        response = await client.get("/workflow-definitions")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_token_is_401(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    client = client_factory(await token_factory("workflow.admin", expires_at=past))
    assert (await client.get("/workflow-definitions")).status_code == 401


async def test_revoked_token_is_401(
    client_factory: ClientFactory, token_factory: TokenFactory, pool: asyncpg.Pool, tenant_id: str
) -> None:
    token = await token_factory("workflow.admin")
    client = client_factory(token)
    assert (await client.get("/workflow-definitions")).status_code == 200
    now = dt.datetime.now(dt.UTC)
    async with transaction(pool) as conn:
        found = await authenticate(conn, token, now)
        assert found is not None
        assert await TokenRepository(conn, tenant_id).revoke(found.token_id, now)
    assert (await client.get("/workflow-definitions")).status_code == 401


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("workflow.view", {"read"}),
        ("workflow.manage", {"read", "draft"}),
        ("workflow.publish", {"read", "draft", "publish"}),
        ("workflow.admin", {"read", "draft", "publish", "requeue"}),
    ],
)
async def test_roles_nest_as_spec_assigns_them(
    client_factory: ClientFactory,
    token_factory: TokenFactory,
    role: str,
    allowed: set[str],
) -> None:
    owner = client_factory(await token_factory("workflow.admin"))
    wf = (await owner.post("/workflow-definitions", json=DRAFT)).json()["id"]
    client = client_factory(await token_factory(role))
    attempts = {
        "read": await client.get("/workflow-definitions"),
        "draft": await client.post("/workflow-definitions", json=DRAFT),
        "publish": await client.post(f"/workflow-definitions/{wf}/draft/publish"),
        # An unknown letter: admins get past the role check to a 404.
        "requeue": await client.post(
            f"/dead-letters/{uuid.uuid4()}/requeue", json={"reason": "retry it"}
        ),
    }
    for action, response in attempts.items():
        if action in allowed:
            assert response.status_code in (200, 201, 404), (action, response.text)
        else:
            assert response.status_code == 403, (action, response.text)
            assert response.json()["code"] == "FORBIDDEN"


async def test_another_tenants_ids_are_404_not_403(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    mine = client_factory(await token_factory("workflow.admin"))
    wf = (await mine.post("/workflow-definitions", json=DRAFT)).json()["id"]
    other_tenant = f"t-{uuid.uuid4().hex[:12]}"
    theirs = client_factory(await token_factory("workflow.admin", tenant=other_tenant))
    for response in (
        await theirs.get(f"/workflow-definitions/{wf}/draft"),
        await theirs.put(f"/workflow-definitions/{wf}/draft", json=DRAFT),
        await theirs.post(f"/workflow-definitions/{wf}/draft/publish"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "NOT_FOUND"
    assert wf not in {d["id"] for d in (await theirs.get("/workflow-definitions")).json()["items"]}


async def test_another_tenants_runs_and_tasks_are_404_for_every_verb(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    from workflows import asks_a_human, publish, start

    mine = client_factory(await token_factory("workflow.admin"))
    run = await start(mine, await publish(mine, asks_a_human()), {"key": "k"})
    task = (await mine.get("/human-tasks", params={"runId": run["runId"]})).json()["items"][0]
    theirs = client_factory(
        await token_factory("workflow.admin", tenant=f"t-{uuid.uuid4().hex[:12]}")
    )
    reason = {"reason": "not mine"}
    for response in (
        await theirs.get(f"/workflow-runs/{run['runId']}"),
        await theirs.post(f"/workflow-runs/{run['runId']}/cancel", json=reason),
        await theirs.post(f"/workflow-runs/{run['runId']}/replay", json=reason),
        await theirs.post(f"/human-tasks/{task['taskId']}/claim"),
        await theirs.post(f"/human-tasks/{task['taskId']}/complete", json={"decision": "yes"}),
        await theirs.post(f"/human-tasks/{task['taskId']}/cancel"),
    ):
        assert response.status_code == 404, response.text
    assert (await theirs.get("/human-tasks")).json()["items"] == []
    still = (await mine.get(f"/workflow-runs/{run['runId']}")).json()
    assert still["status"] == "WAITING"
