"""Webhook secrets at rest: sealed under WF_SECRETS_KEY when a hook is made with a key,
plain hooks made before keep working and are sealed later; deliveries verify either way."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from sluice_config import Settings
from sluice_ingest.app import build_context, create_app
from sluice_ingest.signatures import sign
from sluice_secrets import SecretCipher, new_key, rotate_all
from sluice_storage import DefinitionRepository, transaction
from sluice_storage.webhooks import (
    SealedSecretError,
    WebhookRepository,
    find_hook,
    seal_plaintext_hooks,
)

pytestmark = pytest.mark.integration
KEY = new_key()
DOC = {"name": "alerts", "trigger": {"type": "webhook"},
       "steps": [{"id": "s", "type": "state.set", "config": {"state": "ALERTED"}}]}  # fmt: skip


async def publish(pool: asyncpg.Pool, tenant: str, sealer: SecretCipher | None) -> uuid.UUID:
    workflow_id, now = uuid.uuid4(), datetime.now(UTC)
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant)
        await repo.save_draft(workflow_id, DOC, now)
        await repo.publish(workflow_id, DOC, payload_schema=None, published_by="t", now=now,
                           webhook_sealer=sealer)  # fmt: skip
    return workflow_id


async def row(pool: asyncpg.Pool, workflow_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        found = await conn.fetchrow(
            "SELECT hook_id, secret, secret_sealed FROM webhooks WHERE workflow_id = $1",
            workflow_id,
        )
    assert found is not None
    return found


async def deliver(pool: asyncpg.Pool, migrated_database_url: str, hook_id: str, secret: str,
                  topic_prefix: str) -> httpx.Response:  # fmt: skip
    settings = Settings(database_url=migrated_database_url, kafka_bootstrap_servers="-",
                        topic_prefix=topic_prefix, secrets_key=SecretStr(KEY))  # fmt: skip
    context = build_context(settings)
    context.pool = pool
    app = create_app(settings, context=context)
    body = json.dumps({"alert": "disk"}).encode()
    headers = {"Content-Type": "application/json", "Sluice-Delivery": uuid.uuid4().hex,
               "Sluice-Signature": sign(secret, int(time.time()), body)}  # fmt: skip
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        return await client.post(f"/hooks/{hook_id}", content=body, headers=headers)


async def test_a_hook_made_with_a_key_keeps_only_the_sealed_secret(
    pool: asyncpg.Pool, tenant_id: str, migrated_database_url: str, topic_prefix: str
) -> None:
    cipher = SecretCipher(KEY)
    workflow_id = await publish(pool, tenant_id, cipher)
    stored = await row(pool, workflow_id)
    assert stored["secret"] is None
    async with pool.acquire() as conn:
        hook = await WebhookRepository(conn, tenant_id, cipher).get(workflow_id)
        assert hook is not None
        assert hook.secret.startswith("whsec_")
        assert hook.secret.encode() not in bytes(stored["secret_sealed"])
        with pytest.raises(SealedSecretError, match="WF_SECRETS_KEY"):
            await find_hook(conn, hook.hook_id)
    answer = await deliver(pool, migrated_database_url, hook.hook_id, hook.secret, topic_prefix)
    assert answer.status_code == 202, answer.text


async def test_a_plain_hook_keeps_working_and_is_sealed_later_and_survives_rotation(
    pool: asyncpg.Pool, tenant_id: str, migrated_database_url: str, topic_prefix: str
) -> None:
    workflow_id = await publish(pool, tenant_id, None)  # made before any key was set
    before = await row(pool, workflow_id)
    secret = before["secret"]
    answer = await deliver(pool, migrated_database_url, before["hook_id"], secret, topic_prefix)
    assert answer.status_code == 202, answer.text  # a key now, the plain row still verifies
    newer = new_key()
    async with transaction(pool) as conn:
        assert await seal_plaintext_hooks(conn, SecretCipher(KEY), tenant_id=tenant_id) == 1
        assert await rotate_all(conn, SecretCipher(f"{newer},{KEY}"), tenant_id=tenant_id) == 1
    after = await row(pool, workflow_id)
    assert after["secret"] is None
    async with pool.acquire() as conn:
        hook = await find_hook(conn, after["hook_id"], SecretCipher(newer))
    assert hook is not None
    assert hook.secret == secret
