"""``Idempotency-Key`` for HTTP requests (SPEC 13: run starts and event submissions, 24 h).

The first request with a key reserves it (``reserve``) inside its own
transaction and stores its response (``store``) before committing; a
concurrent twin blocks on the primary key until then, and afterwards finds
the stored response. Same key with a different body is refused by the caller
(``request_hash`` differs). Expired keys are free again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sluice_storage.pool import rows_affected
from sluice_storage.tenancy import TenantScoped

# SPEC 13: keys are honoured for 24 hours.
KEY_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int | None
    response: Any


class HttpIdempotencyRepository(TenantScoped):
    async def reserve(
        self, scope: str, key: str, request_hash: str, now: datetime
    ) -> StoredResponse | None:
        """None when this request now owns the key; else what the earlier request stored.

        An expired row is taken over. A concurrent owner's uncommitted row blocks
        this insert until it commits (then its response is returned) or rolls back.
        """
        owned = await self.conn.fetchval(
            """INSERT INTO http_idempotency_keys AS k
                 (tenant_id, scope, key, request_hash, created_at, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (tenant_id, scope, key) DO UPDATE
                 SET request_hash = EXCLUDED.request_hash, status_code = NULL, response = NULL,
                     created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                 WHERE k.expires_at <= EXCLUDED.created_at
               RETURNING true""",
            self.tenant_id, scope, key, request_hash, now, now + KEY_TTL,
        )  # fmt: skip
        if owned:
            return None
        row = await self.conn.fetchrow(
            """SELECT request_hash, status_code, response FROM http_idempotency_keys
               WHERE tenant_id = $1 AND scope = $2 AND key = $3""",
            self.tenant_id,
            scope,
            key,
        )
        return StoredResponse(row["request_hash"], row["status_code"], row["response"])

    async def store(self, scope: str, key: str, status_code: int, response: Any) -> None:
        await self.conn.execute(
            """UPDATE http_idempotency_keys SET status_code = $4, response = $5
               WHERE tenant_id = $1 AND scope = $2 AND key = $3""",
            self.tenant_id, scope, key, status_code, response,
        )  # fmt: skip


async def prune_expired_keys(conn: asyncpg.Connection, now: datetime, limit: int) -> int:
    """Delete at most ``limit`` expired keys, all tenants (retention; they are free anyway)."""
    result: str = await conn.execute(
        """DELETE FROM http_idempotency_keys WHERE (tenant_id, scope, key) IN (
             SELECT tenant_id, scope, key FROM http_idempotency_keys WHERE expires_at < $1
             ORDER BY expires_at LIMIT $2)""",
        now, limit,
    )  # fmt: skip
    return rows_affected(result)
