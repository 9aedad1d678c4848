"""The per-tenant encrypted table (``tenant_secrets``, migration 0015): every statement on it.

Values go in sealed (``cipher.SecretCipher``) and come out only inside the
services that resolve a ``secretRef`` (``TableProvider``); the management
functions (``put``, ``delete``, ``list_secrets``) never return a value, so the
API built on them is write-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sluice_storage.tenancy import TenantScoped
from sluice_storage.webhooks import reseal_hooks

from sluice_secrets.cipher import SecretCipher
from sluice_secrets.refs import NAME_RE, InvalidSecretRefError

META_COLUMNS = "name, description, created_at, created_by, updated_at, updated_by"
# 64 KiB: room for a PEM certificate chain or a JSON service-account key; anything
# bigger is data, not a credential.
MAX_VALUE_BYTES = 64 * 1024


@dataclass(frozen=True)
class SecretMeta:
    """What anyone may know about a stored secret: everything but its value."""

    name: str
    description: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidSecretRefError(
            f"secret name {name!r}: expected [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}"
        )
    return name


def check_value(value: str) -> str:
    if not value:
        raise InvalidSecretRefError("a secret's value must not be empty")
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        raise InvalidSecretRefError(f"a secret's value is at most {MAX_VALUE_BYTES} bytes")
    return value


class TenantSecretRepository(TenantScoped):
    async def put(
        self, cipher: SecretCipher, name: str, value: str, *, description: str | None,
        by: str, now: datetime,
    ) -> tuple[SecretMeta, bool]:  # fmt: skip
        """Create or replace; True when it was created."""
        sealed = cipher.seal(self.tenant_id, check_name(name), check_value(value))
        row = await self.conn.fetchrow(
            f"""INSERT INTO tenant_secrets (tenant_id, name, ciphertext, description,
                   created_at, created_by, updated_at, updated_by)
                VALUES ($1, $2, $3, $4, $5, $6, $5, $6)
                ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext,
                   description = EXCLUDED.description, updated_at = EXCLUDED.updated_at,
                   updated_by = EXCLUDED.updated_by
                RETURNING {META_COLUMNS}, (xmax = 0) AS created""",
            self.tenant_id, name, sealed, description, now, by,
        )  # fmt: skip
        fields = dict(row)
        created = bool(fields.pop("created"))
        return SecretMeta(**fields), created

    async def delete(self, name: str) -> bool:
        done: str = await self.conn.execute(
            "DELETE FROM tenant_secrets WHERE tenant_id = $1 AND name = $2", self.tenant_id, name
        )
        return done.endswith(" 1")

    async def get_meta(self, name: str) -> SecretMeta | None:
        row = await self.conn.fetchrow(
            f"SELECT {META_COLUMNS} FROM tenant_secrets WHERE tenant_id = $1 AND name = $2",
            self.tenant_id, name,
        )  # fmt: skip
        return SecretMeta(**dict(row)) if row else None

    async def list_secrets(self) -> list[SecretMeta]:
        rows = await self.conn.fetch(
            f"SELECT {META_COLUMNS} FROM tenant_secrets WHERE tenant_id = $1 ORDER BY name",
            self.tenant_id,
        )
        return [SecretMeta(**dict(r)) for r in rows]

    async def sealed(self, name: str) -> bytes | None:
        token: bytes | None = await self.conn.fetchval(
            "SELECT ciphertext FROM tenant_secrets WHERE tenant_id = $1 AND name = $2",
            self.tenant_id, name,
        )  # fmt: skip
        return token


class TableProvider:
    """Reads and decrypts one value per resolution (a short read on the pool)."""

    def __init__(self, pool: asyncpg.Pool, cipher: SecretCipher) -> None:
        self.pool = pool
        self.cipher = cipher

    async def get(self, tenant_id: str, name: str) -> str | None:
        async with self.pool.acquire() as conn:
            token = await TenantSecretRepository(conn, tenant_id).sealed(name)
        return None if token is None else self.cipher.open(tenant_id, name, bytes(token))


async def rotate_all(
    conn: asyncpg.Connection, cipher: SecretCipher, *, tenant_id: str | None = None,
    batch: int = 500,
) -> int:  # fmt: skip
    """Re-encrypt every row (of one tenant, or all) under the first key of
    ``WF_SECRETS_KEY``, and the sealed webhook secrets; the count.
    Each batch commits on its own when called outside a transaction, so a long
    rotation never holds the whole table."""
    done, after = 0, ("", "")
    while True:
        rows = await conn.fetch(
            """SELECT tenant_id, name, ciphertext FROM tenant_secrets
               WHERE (tenant_id, name) > ($1, $2) AND ($3::text IS NULL OR tenant_id = $3)
               ORDER BY tenant_id, name LIMIT $4""",
            after[0], after[1], tenant_id, batch,
        )  # fmt: skip
        if not rows:
            return done + await reseal_hooks(conn, cipher.rotate, tenant_id=tenant_id)
        await conn.executemany(
            "UPDATE tenant_secrets SET ciphertext = $3 WHERE tenant_id = $1 AND name = $2",
            [(r["tenant_id"], r["name"], cipher.rotate(bytes(r["ciphertext"]))) for r in rows],
        )
        done += len(rows)
        after = (rows[-1]["tenant_id"], rows[-1]["name"])
