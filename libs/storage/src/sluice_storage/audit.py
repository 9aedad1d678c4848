"""Audit log: who did what to which target, and why (operator controls, tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.tenancy import TenantScoped

AUDIT_COLUMNS = "tenant_id, id, at, subject, action, target, reason, details"
NEWEST_FIRST = Keyset("audit", "at", "id", descending=True)


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    id: int
    at: datetime
    subject: str
    action: str
    target: str | None
    reason: str | None
    details: dict[str, Any] | None


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(**dict(row))


class AuditRepository(TenantScoped):
    async def append(
        self,
        *,
        at: datetime,
        subject: str,
        action: str,
        target: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        row = await self.conn.fetchrow(
            f"""INSERT INTO audit_log (tenant_id, at, subject, action, target, reason, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {AUDIT_COLUMNS}""",
            self.tenant_id, at, subject, action, target, reason, details,
        )  # fmt: skip
        return _entry(row)

    async def list_entries(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[AuditEntry]:
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1"
        return await fetch_page(
            self.conn, NEWEST_FIRST, sql, [self.tenant_id], cursor=cursor, limit=limit,
            to_item=_entry,
        )  # fmt: skip
