"""``/secrets``: admin only, values write-only (never in an answer or the audit log),
every change audited, off without WF_SECRETS_KEY."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sluice_api.app import create_app
from sluice_config import Settings
from sluice_secrets import SecretCipher, TableProvider, new_key

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]
KEY = new_key()


@pytest.fixture(scope="module")
async def keyed_app(migrated_database_url: str) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=migrated_database_url, kafka_bootstrap_servers="-",
                        secrets_key=SecretStr(KEY))  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, token: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api",
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip


async def test_values_go_in_and_never_come_out_and_every_change_is_audited(
    keyed_app: FastAPI, token_factory: TokenFactory, pool: asyncpg.Pool, tenant_id: str
) -> None:
    value = f"canary-{uuid.uuid4().hex}"
    async with client(keyed_app, await token_factory("workflow.admin")) as api:
        created = await api.put("/secrets/crm-key", json={
            "value": value, "description": "CRM", "reason": "onboarding"})  # fmt: skip
        replaced = await api.put("/secrets/crm-key", json={"value": value + "2", "reason": "rot"})
        listed = await api.get("/secrets")
        one = await api.get("/secrets/crm-key")
        answers = [created, replaced, listed, one]
        assert await TableProvider(pool, SecretCipher(KEY)).get(tenant_id, "crm-key") == value + "2"
        deleted = await api.delete("/secrets/crm-key", params={"reason": "offboarding"})
        gone = await api.get("/secrets/crm-key")
    assert [r.status_code for r in answers] == [201, 200, 200, 200]
    assert (deleted.status_code, gone.status_code) == (204, 404)
    assert created.json()["ref"] == "table:crm-key"
    assert [s["name"] for s in listed.json()["items"]] == ["crm-key"]
    assert all(value not in r.text for r in answers)
    async with pool.acquire() as conn:
        audit = await conn.fetch(
            "SELECT action, target, reason, a::text AS row FROM audit_log a "
            "WHERE tenant_id = $1 ORDER BY id", tenant_id,
        )  # fmt: skip
    assert [(a["action"], a["target"], a["reason"]) for a in audit] == [
        ("secret.create", "crm-key", "onboarding"), ("secret.replace", "crm-key", "rot"),
        ("secret.delete", "crm-key", "offboarding")]  # fmt: skip
    assert not [a for a in audit if value in a["row"]]


async def test_only_admins_may_touch_secrets(
    keyed_app: FastAPI, token_factory: TokenFactory
) -> None:
    async with client(keyed_app, await token_factory("workflow.publish")) as api:
        put = await api.put("/secrets/x", json={"value": "v", "reason": "r"})
        listed = await api.get("/secrets")
    assert (put.status_code, listed.status_code) == (403, 403)


async def test_bad_names_and_bodies_are_named(
    keyed_app: FastAPI, token_factory: TokenFactory
) -> None:
    async with client(keyed_app, await token_factory("workflow.admin")) as api:
        bad_name = await api.put("/secrets/..%2Fetc", json={"value": "v", "reason": "r"})
        no_value = await api.put("/secrets/ok", json={"reason": "r"})
        no_reason = await api.delete("/secrets/ok")
    assert bad_name.status_code in (404, 422)
    assert no_value.status_code == 422
    assert "/value" in no_value.text
    assert no_reason.status_code == 422


async def test_without_a_key_the_table_is_off(client_factory: ClientFactory,
                                              token_factory: TokenFactory) -> None:  # fmt: skip
    api = client_factory(await token_factory("workflow.admin"))
    answer = await api.put("/secrets/x", json={"value": "v", "reason": "r"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "SECRETS_DISABLED"
