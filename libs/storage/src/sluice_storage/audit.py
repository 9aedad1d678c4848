"""Audit log: who (subject and role) did what to which target, when and why.

Append-only: this module has no UPDATE or DELETE, and the database refuses
them (migration 0010's triggers), so retention and purges can never touch it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page, where_clause
from sluice_storage.tenancy import TenantScoped

AUDIT_COLUMNS = "tenant_id, id, at, subject, role, action, target, reason, details"
NEWEST_FIRST = Keyset("audit", "at", "id", descending=True)
# Rows fetched per round trip when an export streams the whole filtered log.
EXPORT_BATCH = 500


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    id: int
    at: datetime
    subject: str
    role: str | None
    action: str
    target: str | None
    reason: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class AuditFilter:
    """The reader's filters; ``None`` means any. ``action`` ending in ``.`` is a prefix
    (``run.`` matches every run control); times are ``at >= since`` and ``at < until``."""

    action: str | None = None
    target: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self, tenant_id: str) -> tuple[str, list[Any]]:
        prefix = self.action is not None and self.action.endswith(".")
        return where_clause(tenant_id, [
            ("action = ${}", None if prefix else self.action),
            ("starts_with(action, ${})", self.action if prefix else None),
            ("target = ${}", self.target),
            ("subject = ${}", self.actor),
            ("at >= ${}", self.since),
            ("at < ${}", self.until),
        ])  # fmt: skip


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(**dict(row))


class AuditRepository(TenantScoped):
    async def append(
        self,
        *,
        at: datetime,
        subject: str,
        action: str,
        role: str | None = None,
        target: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        row = await self.conn.fetchrow(
            f"""INSERT INTO audit_log
                  (tenant_id, at, subject, role, action, target, reason, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {AUDIT_COLUMNS}""",
            self.tenant_id, at, subject, role, action, target, reason, details,
        )  # fmt: skip
        return _entry(row)

    async def list_entries(
        self,
        *,
        where: AuditFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[AuditEntry]:
        clause, args = (where or AuditFilter()).where(self.tenant_id)
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {clause}"
        return await fetch_page(
            self.conn, NEWEST_FIRST, sql, args, cursor=cursor, limit=limit, to_item=_entry
        )

    async def stream(self, where: AuditFilter) -> AsyncIterator[AuditEntry]:
        """Every matching entry, newest first, a page at a time (bounded memory)."""
        cursor: str | None = None
        while True:
            page = await self.list_entries(where=where, cursor=cursor, limit=EXPORT_BATCH)
            for entry in page.items:
                yield entry
            if page.next_cursor is None:
                return
            cursor = page.next_cursor
