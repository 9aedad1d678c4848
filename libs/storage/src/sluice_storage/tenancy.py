"""Tenant scoping: every repository is built for one tenant and checks it once."""

from __future__ import annotations

import re

import asyncpg

from sluice_storage.errors import InvalidTenantError

TENANT_RE = re.compile(r"^[a-z0-9-]{1,63}$")


def check_tenant(tenant_id: str) -> str:
    if not TENANT_RE.match(tenant_id):
        raise InvalidTenantError(f"invalid tenant id {tenant_id!r}: expected [a-z0-9-]{{1,63}}")
    return tenant_id


class TenantScoped:
    """Base of the repositories: a connection and the tenant every query filters by."""

    def __init__(self, conn: asyncpg.Connection, tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = check_tenant(tenant_id)


async def ensure_tenant(conn: asyncpg.Connection, tenant_id: str) -> bool:
    """Create the tenant if it is new (tenants are created implicitly). True if created."""
    created = await conn.fetchval(
        "INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
        check_tenant(tenant_id),
    )
    return bool(created)
