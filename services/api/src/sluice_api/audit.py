"""Writing the audit log from a request: the actor is always the token's principal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from sluice_storage import AuditEntry, AuditRepository

from sluice_api.roles import Principal


async def audit(
    conn: asyncpg.Connection,
    who: Principal,
    action: str,
    target: object,
    *,
    at: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the request's transaction (it commits with what it describes)."""
    return await AuditRepository(conn, who.tenant_id).append(
        at=at, subject=who.subject, role=who.role, action=action,
        target=str(target), reason=reason, details=details,
    )  # fmt: skip
