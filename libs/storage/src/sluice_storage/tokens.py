"""API tokens: only the sha256 of a token is stored; lookup goes through token_routes.

The token itself (``slc_`` + 32 random bytes, base64url) is shown once at
creation. The global ``token_routes`` table maps a hash to its tenant, so an
incoming bearer token finds its tenant in one primary-key probe, and the
tenant's own ``api_tokens`` row then says role, expiry and revocation.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_storage.tenancy import TenantScoped, ensure_tenant

TOKEN_PREFIX = "slc_"
TOKEN_COLUMNS = "tenant_id, token_id, subject, role, created_at, expires_at, revoked_at"
# 32 random bytes = 256 bits: unguessable, and sha256 needs no salt at that entropy.
TOKEN_BYTES = 32


@dataclass(frozen=True)
class ApiToken:
    tenant_id: str
    token_id: uuid.UUID
    subject: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret: shown once, never stored
    record: ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(row: asyncpg.Record) -> ApiToken:
    return ApiToken(**dict(row))


class TokenRepository(TenantScoped):
    async def create(
        self, *, subject: str, role: str, now: datetime, expires_at: datetime | None = None
    ) -> IssuedToken:
        await ensure_tenant(self.conn, self.tenant_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        token_id, digest = uuid.uuid4(), hash_token(token)
        row = await self.conn.fetchrow(
            f"""INSERT INTO api_tokens (tenant_id, token_id, subject, role, token_hash,
                  created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLUMNS}""",
            self.tenant_id, token_id, subject, role, digest, now, expires_at,
        )  # fmt: skip
        await self.conn.execute(
            "INSERT INTO token_routes (token_hash, tenant_id, token_id) VALUES ($1, $2, $3)",
            digest,
            self.tenant_id,
            token_id,
        )
        return IssuedToken(token, _token(row))

    async def revoke(self, token_id: uuid.UUID, now: datetime) -> bool:
        """True if an active token was revoked now."""
        done = await self.conn.fetchval(
            """UPDATE api_tokens SET revoked_at = $3
               WHERE tenant_id = $1 AND token_id = $2 AND revoked_at IS NULL RETURNING true""",
            self.tenant_id,
            token_id,
            now,
        )
        return bool(done)

    async def list_tokens(self) -> list[ApiToken]:
        rows = await self.conn.fetch(
            f"""SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = $1
                ORDER BY created_at DESC, token_id DESC""",
            self.tenant_id,
        )
        return [_token(r) for r in rows]


async def authenticate(conn: asyncpg.Connection, token: str, now: datetime) -> ApiToken | None:
    """The active token matching a presented bearer token, else None (global lookup)."""
    row = await conn.fetchrow(
        f"""SELECT {", ".join("t." + c.strip() for c in TOKEN_COLUMNS.split(","))}
            FROM token_routes r
            JOIN api_tokens t ON t.tenant_id = r.tenant_id AND t.token_id = r.token_id
            WHERE r.token_hash = $1""",
        hash_token(token),
    )
    if row is None:
        return None
    found = _token(row)
    return found if found.active_at(now) else None
