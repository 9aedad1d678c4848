"""Clients: the organisations tickets belong to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_helpdesk.scope import TenantScoped


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    created_at: datetime


def _client(row: asyncpg.Record) -> Client:
    return Client(str(row["client_id"]), row["name"], row["created_at"])


class ClientRepository(TenantScoped):
    async def create(self, name: str, *, client_id: str | None = None) -> Client:
        row = await self.conn.fetchrow(
            "INSERT INTO helpdesk_clients (tenant_id, client_id, name) VALUES ($1, $2, $3)"
            " RETURNING client_id, name, created_at",
            self.tenant_id,
            uuid.UUID(client_id) if client_id else uuid.uuid4(),
            name,
        )
        return _client(row)

    async def get(self, client_id: str) -> Client | None:
        row = await self.conn.fetchrow(
            "SELECT client_id, name, created_at FROM helpdesk_clients"
            " WHERE tenant_id = $1 AND client_id = $2",
            self.tenant_id,
            uuid.UUID(client_id),
        )
        return _client(row) if row else None

    async def list(self, *, limit: int = 50) -> list[Client]:
        rows = await self.conn.fetch(
            "SELECT client_id, name, created_at FROM helpdesk_clients WHERE tenant_id = $1"
            " ORDER BY created_at, client_id LIMIT $2",
            self.tenant_id,
            limit,
        )
        return [_client(r) for r in rows]
