"""The per-tenant encrypted table on the real PostgreSQL: write-only management, the
provider's reads, tenant isolation and key rotation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sluice_secrets import (
    SecretCipher,
    SecretResolver,
    TableProvider,
    TenantSecretRepository,
    new_key,
    rotate_all,
)

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


async def test_a_value_goes_in_sealed_and_only_the_provider_reads_it(pool: asyncpg.Pool) -> None:
    tenant, other = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    cipher, value = SecretCipher(new_key()), f"canary-{uuid.uuid4().hex}"
    async with pool.acquire() as conn:
        repo = TenantSecretRepository(conn, tenant)
        meta, created = await repo.put(cipher, "crm", value, description="CRM", by="ann", now=NOW)
        again, created_again = await repo.put(cipher, "crm", value + "2", description=None,
                                              by="bob", now=NOW)  # fmt: skip
        raw = await conn.fetchval(
            "SELECT ciphertext::text FROM tenant_secrets WHERE tenant_id = $1", tenant
        )
        listed = await repo.list_secrets()
    assert (created, created_again) == (True, False)
    assert (meta.name, again.created_by, again.updated_by) == ("crm", "ann", "bob")
    assert value not in raw
    assert [m.name for m in listed] == ["crm"]
    assert "value" not in vars(listed[0])
    resolver = SecretResolver({"table": TableProvider(pool, cipher)})
    assert (await resolver.resolve(tenant, {"secretRef": "crm"})).value == value + "2"
    assert await TableProvider(pool, cipher).get(other, "crm") is None  # tenants apart
    async with pool.acquire() as conn:
        assert await TenantSecretRepository(conn, tenant).delete("crm") is True
        assert await TenantSecretRepository(conn, tenant).delete("crm") is False


async def test_rotation_re_encrypts_every_row_under_the_new_first_key(pool: asyncpg.Pool) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    old, new = new_key(), new_key()
    async with pool.acquire() as conn:
        for n in range(3):
            await TenantSecretRepository(conn, tenant).put(
                SecretCipher(old), f"k{n}", f"v{n}", description=None, by="ann", now=NOW
            )
        assert await rotate_all(conn, SecretCipher(f"{new},{old}"), tenant_id=tenant, batch=2) == 3
    only_new = TableProvider(pool, SecretCipher(new))
    assert [await only_new.get(tenant, f"k{n}") for n in range(3)] == ["v0", "v1", "v2"]
