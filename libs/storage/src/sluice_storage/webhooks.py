"""Webhook triggers in PostgreSQL: the hook routing table and accepted deliveries.

``DefinitionRepository.publish`` keeps ``webhooks`` in step with the latest
published version (``WebhookRepository.sync``): the first version with a
webhook trigger gets a random hook id and signing secret, later versions keep
them, a version without the trigger removes them. Ingest finds a hook by id
alone (``find_hook``, the one global lookup) and records each accepted
delivery (``record_delivery``), whose keys give idempotency and replay
protection.

Secrets at rest: given a ``Sealer`` (``sluice_secrets.SecretCipher`` under
``WF_SECRETS_KEY``), a new hook stores its secret only sealed (bound to
``webhook:<hookId>`` of its tenant) and reads open it; without one, the plain
column is used as before. ``seal_plaintext_hooks`` seals the plain ones (the API
runs it at start-up when a key is set), ``reseal_hooks`` re-encrypts them under
a rotated key. A sealed hook read without the key is a clear
``SealedSecretError``, never a wrong secret.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import asyncpg

from sluice_storage.errors import StorageError
from sluice_storage.tenancy import TenantScoped

HOOK_COLUMNS = "hook_id, tenant_id, workflow_id, secret, secret_sealed, created_at"


class Sealer(Protocol):
    """Encryption bound to (tenant, name): what ``sluice_secrets.SecretCipher`` offers."""

    def seal(self, tenant_id: str, name: str, value: str) -> bytes: ...

    def open(self, tenant_id: str, name: str, token: bytes) -> str: ...


class SealedSecretError(StorageError):
    """A hook's secret is encrypted and this process has no ``WF_SECRETS_KEY``."""

    code = "SEALED_SECRET"


def sealed_name(hook_id: str) -> str:
    return f"webhook:{hook_id}"


def _record(row: asyncpg.Record, sealer: Sealer | None) -> HookRecord:
    fields = dict(row)
    sealed = fields.pop("secret_sealed")
    if sealed is not None:
        if sealer is None:
            raise SealedSecretError(
                f"webhook {fields['hook_id']}'s secret is encrypted: set WF_SECRETS_KEY"
            )
        fields["secret"] = sealer.open(fields["tenant_id"], sealed_name(fields["hook_id"]),
                                       bytes(sealed))  # fmt: skip
    return HookRecord(**fields)


@dataclass(frozen=True)
class HookRecord:
    hook_id: str
    tenant_id: str
    workflow_id: uuid.UUID
    secret: str
    created_at: datetime

    def __repr__(self) -> str:  # the secret never reaches a log line through repr
        return f"HookRecord(hook_id={self.hook_id!r}, tenant_id={self.tenant_id!r})"


def has_webhook(definition: dict[str, Any]) -> bool:
    trigger = definition.get("trigger")
    return isinstance(trigger, dict) and trigger.get("type") == "webhook"


def webhook_event_name(workflow_id: uuid.UUID) -> str:
    """The event a delivery becomes; the definition's trigger names it (routing)."""
    return f"webhook:{workflow_id}"


class WebhookRepository(TenantScoped):
    def __init__(self, conn: asyncpg.Connection, tenant_id: str, sealer: Sealer | None = None):
        super().__init__(conn, tenant_id)
        self.sealer = sealer

    async def sync(self, workflow_id: uuid.UUID, definition: dict[str, Any], now: datetime) -> None:
        if not has_webhook(definition):
            await self.conn.execute(
                "DELETE FROM webhooks WHERE tenant_id = $1 AND workflow_id = $2",
                self.tenant_id,
                workflow_id,
            )
            return
        # 128-bit hook id (unguessable URL), 256-bit secret (HMAC-SHA256 key size).
        hook_id, secret = "hk_" + secrets.token_urlsafe(16), "whsec_" + secrets.token_urlsafe(32)
        sealed = None
        if self.sealer is not None:
            sealed = self.sealer.seal(self.tenant_id, sealed_name(hook_id), secret)
        await self.conn.execute(
            f"""INSERT INTO webhooks ({HOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, workflow_id) DO NOTHING""",
            hook_id, self.tenant_id, workflow_id, None if sealed else secret, sealed, now,
        )  # fmt: skip

    async def get(self, workflow_id: uuid.UUID) -> HookRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 AND workflow_id = $2",
            self.tenant_id,
            workflow_id,
        )
        return _record(row, self.sealer) if row else None

    async def record_delivery(
        self, hook_id: str, delivery_id: str, signature: str, event_id: uuid.UUID, now: datetime
    ) -> tuple[Literal["accepted", "duplicate", "replayed"], uuid.UUID | None]:
        """Insert the delivery; a known delivery id is a duplicate (with its event id),
        a known signature under another delivery id a replay."""
        earlier = await self.conn.fetchval(
            """SELECT event_id FROM webhook_deliveries
               WHERE tenant_id = $1 AND hook_id = $2 AND delivery_id = $3""",
            self.tenant_id, hook_id, delivery_id,
        )  # fmt: skip
        if earlier is not None:
            return "duplicate", earlier
        inserted = await self.conn.fetchval(
            """INSERT INTO webhook_deliveries (tenant_id, hook_id, delivery_id, signature,
                 event_id, received_at) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT DO NOTHING RETURNING event_id""",
            self.tenant_id, hook_id, delivery_id, signature, event_id, now,
        )  # fmt: skip
        if inserted is not None:
            return "accepted", inserted
        again = await self.conn.fetchval(  # a concurrent twin with the same delivery id
            """SELECT event_id FROM webhook_deliveries
               WHERE tenant_id = $1 AND hook_id = $2 AND delivery_id = $3""",
            self.tenant_id, hook_id, delivery_id,
        )  # fmt: skip
        return ("duplicate", again) if again is not None else ("replayed", None)


async def find_hook(
    conn: asyncpg.Connection, hook_id: str, sealer: Sealer | None = None
) -> HookRecord | None:
    """The hook behind ``POST /hooks/{hookId}`` (global: the tenant comes from it)."""
    row = await conn.fetchrow(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE hook_id = $1", hook_id)
    return _record(row, sealer) if row else None


async def seal_plaintext_hooks(
    conn: asyncpg.Connection, sealer: Sealer, *, tenant_id: str | None = None
) -> int:
    """Seal every hook secret still stored plain (hooks made before a key was set)."""

    def seal(row: asyncpg.Record) -> bytes:
        return sealer.seal(row["tenant_id"], sealed_name(row["hook_id"]), row["value"])

    return await _rewrite_secrets(conn, "secret", seal, tenant_id)


async def reseal_hooks(
    conn: asyncpg.Connection, rotate: Callable[[bytes], bytes], *, tenant_id: str | None = None
) -> int:
    """Every sealed hook secret re-encrypted by ``rotate`` (MultiFernet.rotate: the first key)."""
    return await _rewrite_secrets(conn, "secret_sealed", lambda r: rotate(bytes(r["value"])),
                                  tenant_id)  # fmt: skip


async def _rewrite_secrets(
    conn: asyncpg.Connection, source: Literal["secret", "secret_sealed"],
    sealed: Callable[[asyncpg.Record], bytes], tenant_id: str | None,
) -> int:  # fmt: skip
    """Every hook (of one tenant, or all) whose ``source`` is set gets ``sealed(row)`` as
    its sealed secret and no plain one; the count."""
    rows = await conn.fetch(
        f"""SELECT hook_id, tenant_id, {source} AS value FROM webhooks
            WHERE {source} IS NOT NULL AND ($1::text IS NULL OR tenant_id = $1) FOR UPDATE""",
        tenant_id,
    )
    await conn.executemany(
        "UPDATE webhooks SET secret = NULL, secret_sealed = $2 WHERE hook_id = $1",
        [(r["hook_id"], sealed(r)) for r in rows],
    )
    return len(rows)
