"""Webhook triggers in PostgreSQL: the hook routing table and accepted deliveries.

``DefinitionRepository.publish`` keeps ``webhooks`` in step with the latest
published version (``WebhookRepository.sync``): the first version with a
webhook trigger gets a random hook id and signing secret, later versions keep
them, a version without the trigger removes them. Ingest finds a hook by id
alone (``find_hook``, the one global lookup) and records each accepted
delivery (``record_delivery``), whose keys give idempotency and replay
protection.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from sluice_storage.tenancy import TenantScoped

HOOK_COLUMNS = "hook_id, tenant_id, workflow_id, secret, created_at"


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
    async def sync(self, workflow_id: uuid.UUID, definition: dict[str, Any], now: datetime) -> None:
        if not has_webhook(definition):
            await self.conn.execute(
                "DELETE FROM webhooks WHERE tenant_id = $1 AND workflow_id = $2",
                self.tenant_id,
                workflow_id,
            )
            return
        # 128-bit hook id (unguessable URL), 256-bit secret (HMAC-SHA256 key size).
        await self.conn.execute(
            f"""INSERT INTO webhooks ({HOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (tenant_id, workflow_id) DO NOTHING""",
            "hk_" + secrets.token_urlsafe(16), self.tenant_id, workflow_id,
            "whsec_" + secrets.token_urlsafe(32), now,
        )  # fmt: skip

    async def get(self, workflow_id: uuid.UUID) -> HookRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 AND workflow_id = $2",
            self.tenant_id,
            workflow_id,
        )
        return HookRecord(**dict(row)) if row else None

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


async def find_hook(conn: asyncpg.Connection, hook_id: str) -> HookRecord | None:
    """The hook behind ``POST /hooks/{hookId}`` (global: the tenant comes from it)."""
    row = await conn.fetchrow(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE hook_id = $1", hook_id)
    return HookRecord(**dict(row)) if row else None
