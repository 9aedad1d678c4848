"""Email providers (an inbound mailbox per provider, with ticket defaults) and mailbox routing.

``mailbox_routes`` is global: the recipient address alone names the tenant and
provider (SMTP intake has no token). Saving a provider claims its address in
the same transaction; an address another tenant or provider holds is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from sluice_helpdesk.errors import MailboxTakenError
from sluice_helpdesk.scope import TenantScoped, dump_json, load_json, normalise_address

DEFAULT_KEYS = (
    "boardId", "statusId", "priorityId", "clientId", "enteredBy", "categoryId",
    "subcategoryId", "locationId",
)  # fmt: skip
_COLUMNS = "provider_id, inbound_address, defaults::text AS defaults"


@dataclass(frozen=True)
class EmailProvider:
    provider_id: str
    inbound_address: str
    defaults: dict[str, Any] | None


@dataclass(frozen=True)
class MailboxRoute:
    inbound_address: str
    tenant_id: str
    provider_id: str


def _provider(row: asyncpg.Record) -> EmailProvider:
    return EmailProvider(row["provider_id"], row["inbound_address"], load_json(row["defaults"]))


async def route_mailbox(conn: asyncpg.Connection, address: str) -> MailboxRoute | None:
    """Cross-tenant lookup for intake: which tenant and provider own this recipient."""
    row = await conn.fetchrow(
        "SELECT inbound_address, tenant_id, provider_id FROM mailbox_routes"
        " WHERE inbound_address = $1",
        normalise_address(address),
    )
    return MailboxRoute(**dict(row)) if row else None


class ProviderRepository(TenantScoped):
    async def save(
        self, provider_id: str, inbound_address: str, defaults: dict[str, Any] | None
    ) -> EmailProvider:
        """Create or replace a provider; moves its mailbox route if the address changed."""
        address = normalise_address(inbound_address)
        async with self.conn.transaction():
            await self._claim(address, provider_id)
            row = await self.conn.fetchrow(
                f"INSERT INTO helpdesk_email_providers (tenant_id, provider_id, inbound_address,"
                f" defaults) VALUES ($1, $2, $3, $4::text::jsonb)"
                f" ON CONFLICT (tenant_id, provider_id) DO UPDATE SET"
                f" inbound_address = EXCLUDED.inbound_address, defaults = EXCLUDED.defaults,"
                f" updated_at = now() RETURNING {_COLUMNS}",
                self.tenant_id,
                provider_id,
                address,
                None if defaults is None else dump_json(defaults),
            )
            await self.conn.execute(
                "DELETE FROM mailbox_routes WHERE tenant_id = $1 AND provider_id = $2"
                " AND inbound_address <> $3",
                self.tenant_id,
                provider_id,
                address,
            )
        return _provider(row)

    async def _claim(self, address: str, provider_id: str) -> None:
        try:
            owner = await self.conn.fetchrow(
                "INSERT INTO mailbox_routes (inbound_address, tenant_id, provider_id)"
                " VALUES ($1, $2, $3) ON CONFLICT (inbound_address) DO UPDATE"
                " SET inbound_address = EXCLUDED.inbound_address"
                " RETURNING tenant_id, provider_id",
                address,
                self.tenant_id,
                provider_id,
            )
        except asyncpg.UniqueViolationError as exc:  # pragma: no cover - PK conflict handled above
            raise MailboxTakenError(f"inbound address {address!r} is taken") from exc
        if (owner["tenant_id"], owner["provider_id"]) != (self.tenant_id, provider_id):
            raise MailboxTakenError(f"inbound address {address!r} already routes elsewhere")

    async def get(self, provider_id: str) -> EmailProvider | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM helpdesk_email_providers"
            " WHERE tenant_id = $1 AND provider_id = $2",
            self.tenant_id,
            provider_id,
        )
        return _provider(row) if row else None

    async def list(self) -> list[EmailProvider]:
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM helpdesk_email_providers WHERE tenant_id = $1"
            " ORDER BY provider_id",
            self.tenant_id,
        )
        return [_provider(r) for r in rows]
