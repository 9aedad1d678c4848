"""Email providers and the global mailbox routing table."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sluice_helpdesk import MailboxTakenError, ProviderRepository, route_mailbox

pytestmark = pytest.mark.integration
DEFAULTS = {"boardId": "b1", "statusId": "new", "priorityId": "p3", "clientId": None}


def _address() -> str:
    return f"Support-{uuid.uuid4().hex[:8]}@Acme.example"


async def test_provider_save_routes_its_mailbox(pool: asyncpg.Pool, tenant_id: str) -> None:
    address = _address()
    async with pool.acquire() as conn:
        saved = await ProviderRepository(conn, tenant_id).save("prov-1", address, DEFAULTS)
        route = await route_mailbox(conn, address.upper())
        fetched = await ProviderRepository(conn, tenant_id).get("prov-1")
    assert saved.inbound_address == address.lower()
    assert fetched == saved
    assert fetched.defaults == DEFAULTS
    assert route is not None
    assert (route.tenant_id, route.provider_id) == (tenant_id, "prov-1")


async def test_mailbox_unique_across_tenants(pool: asyncpg.Pool, tenant_id: str) -> None:
    address = _address()
    other = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn:
        await ProviderRepository(conn, tenant_id).save("prov-1", address, None)
        with pytest.raises(MailboxTakenError):
            await ProviderRepository(conn, other).save("prov-1", address, None)
        with pytest.raises(MailboxTakenError):
            await ProviderRepository(conn, tenant_id).save("prov-2", address, None)
        route = await route_mailbox(conn, address)
        assert await ProviderRepository(conn, other).get("prov-1") is None
    assert route is not None
    assert route.tenant_id == tenant_id


async def test_provider_address_change_moves_the_route(pool: asyncpg.Pool, tenant_id: str) -> None:
    old, new = _address(), _address()
    async with pool.acquire() as conn:
        repo = ProviderRepository(conn, tenant_id)
        await repo.save("prov-1", old, None)
        await repo.save("prov-1", new, DEFAULTS)
        assert await route_mailbox(conn, old) is None
        route = await route_mailbox(conn, new)
        listed = await repo.list()
    assert route is not None
    assert route.provider_id == "prov-1"
    assert [(p.provider_id, p.defaults) for p in listed] == [("prov-1", DEFAULTS)]
