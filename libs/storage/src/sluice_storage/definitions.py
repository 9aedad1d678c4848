"""Definitions (a mutable draft each) and their immutable published versions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.errors import StorageError
from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.schedules import ScheduleRepository
from sluice_storage.tenancy import TenantScoped
from sluice_storage.webhooks import Sealer, WebhookRepository, has_webhook, webhook_event_name

DEF_COLUMNS = """tenant_id, workflow_id, name, draft, latest_version, latest_trigger_event,
    created_at, updated_at, paused_at, paused_reason, paused_by"""
VERSION_COLUMNS = """tenant_id, workflow_id, version, name, definition, payload_schema,
    trigger_event, published_at, published_by"""
RECENTLY_UPDATED = Keyset("definitions", "updated_at", "workflow_id", descending=True)


@dataclass(frozen=True)
class DefinitionRecord:
    tenant_id: str
    workflow_id: uuid.UUID
    name: str
    draft: dict[str, Any]
    latest_version: int | None
    latest_trigger_event: str | None
    created_at: datetime
    updated_at: datetime
    paused_at: datetime | None = None
    paused_reason: str | None = None
    paused_by: str | None = None


@dataclass(frozen=True)
class DefinitionVersionRecord:
    tenant_id: str
    workflow_id: uuid.UUID
    version: int
    name: str
    definition: dict[str, Any]
    payload_schema: dict[str, Any] | None
    trigger_event: str | None
    published_at: datetime
    published_by: str
    # The definition's pause state, where read with it (``triggered_by``).
    paused: bool = False


def _definition(row: asyncpg.Record) -> DefinitionRecord:
    return DefinitionRecord(**dict(row))


def _version(row: asyncpg.Record) -> DefinitionVersionRecord:
    return DefinitionVersionRecord(**dict(row))


def trigger_event_of(definition: dict[str, Any]) -> str | None:
    """The event name of an ``{"type": "event"}`` trigger, else None."""
    trigger = definition.get("trigger")
    if isinstance(trigger, dict) and trigger.get("type") == "event":
        name = trigger.get("eventName")
        return name if isinstance(name, str) else None
    return None


class DefinitionRepository(TenantScoped):
    async def save_draft(
        self, workflow_id: uuid.UUID, draft: dict[str, Any], now: datetime
    ) -> DefinitionRecord:
        """Create the definition or replace its draft (published versions are untouched)."""
        row = await self.conn.fetchrow(
            f"""INSERT INTO workflow_definitions
                  (tenant_id, workflow_id, name, draft, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $5)
                ON CONFLICT (tenant_id, workflow_id) DO UPDATE
                  SET name = EXCLUDED.name, draft = EXCLUDED.draft, updated_at = EXCLUDED.updated_at
                RETURNING {DEF_COLUMNS}""",
            self.tenant_id,
            workflow_id,
            str(draft.get("name") or ""),
            draft,
            now,
        )
        return _definition(row)

    async def get(self, workflow_id: uuid.UUID, *, lock: bool = False) -> DefinitionRecord | None:
        suffix = " FOR UPDATE" if lock else ""
        row = await self.conn.fetchrow(
            f"""SELECT {DEF_COLUMNS} FROM workflow_definitions
                WHERE tenant_id = $1 AND workflow_id = $2{suffix}""",
            self.tenant_id,
            workflow_id,
        )
        return _definition(row) if row else None

    async def list_definitions(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[DefinitionRecord]:
        sql = f"SELECT {DEF_COLUMNS} FROM workflow_definitions WHERE tenant_id = $1"
        return await fetch_page(
            self.conn,
            RECENTLY_UPDATED,
            sql,
            [self.tenant_id],
            cursor=cursor,
            limit=limit,
            to_item=_definition,
        )

    async def publish(
        self,
        workflow_id: uuid.UUID,
        definition: dict[str, Any],
        *,
        payload_schema: dict[str, Any] | None,
        published_by: str,
        now: datetime,
        webhook_sealer: Sealer | None = None,
    ) -> DefinitionVersionRecord:
        """Store the next version number; the definition row lock serialises publishers.

        A schedule trigger's row follows the new version (``schedules``), as does a
        webhook's (``webhooks``; its deliveries become ``webhook:<workflow id>`` events;
        a new hook's secret is sealed by ``webhook_sealer`` when given).
        """
        current = await self.get(workflow_id, lock=True)
        if current is None:
            raise StorageError(
                f"workflow {workflow_id} of tenant {self.tenant_id} has no draft to publish",
                code="UNKNOWN_WORKFLOW",
            )
        version = (current.latest_version or 0) + 1
        trigger = trigger_event_of(definition)
        if has_webhook(definition):
            trigger = webhook_event_name(workflow_id)
        row = await self.conn.fetchrow(
            f"""INSERT INTO workflow_definition_versions (tenant_id, workflow_id, version, name,
                  definition, payload_schema, trigger_event, published_at, published_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {VERSION_COLUMNS}""",
            self.tenant_id, workflow_id, version, str(definition.get("name") or ""), definition,
            payload_schema, trigger, now, published_by,
        )  # fmt: skip
        await self.conn.execute(
            """UPDATE workflow_definitions SET latest_version = $3, latest_trigger_event = $4
               WHERE tenant_id = $1 AND workflow_id = $2""",
            self.tenant_id,
            workflow_id,
            version,
            trigger,
        )
        await ScheduleRepository(self.conn, self.tenant_id).sync(
            workflow_id, version, definition, now
        )
        await WebhookRepository(self.conn, self.tenant_id, webhook_sealer).sync(
            workflow_id, definition, now
        )
        return _version(row)

    async def get_version(
        self, workflow_id: uuid.UUID, version: int | None = None
    ) -> DefinitionVersionRecord | None:
        """A published version; ``None`` asks for the latest."""
        row = await self.conn.fetchrow(
            f"""SELECT {VERSION_COLUMNS} FROM workflow_definition_versions
                WHERE tenant_id = $1 AND workflow_id = $2 AND ($3::int IS NULL OR version = $3)
                ORDER BY version DESC LIMIT 1""",
            self.tenant_id,
            workflow_id,
            version,
        )
        return _version(row) if row else None

    async def latest_version_number(self, workflow_id: uuid.UUID) -> int | None:
        """The number of the latest published version (no document: callers cache those)."""
        value = await self.conn.fetchval(
            """SELECT max(version) FROM workflow_definition_versions
               WHERE tenant_id = $1 AND workflow_id = $2""",
            self.tenant_id,
            workflow_id,
        )
        return int(value) if value is not None else None

    async def triggered_by(self, event_name: str) -> list[DefinitionVersionRecord]:
        """The latest published version of every definition whose trigger names ``event_name``,
        with its definition's pause state (``paused``)."""
        rows = await self.conn.fetch(
            f"""SELECT {", ".join("v." + c.strip() for c in VERSION_COLUMNS.split(","))},
                    d.paused_at IS NOT NULL AS paused
                FROM workflow_definitions d
                JOIN workflow_definition_versions v ON v.tenant_id = d.tenant_id
                  AND v.workflow_id = d.workflow_id AND v.version = d.latest_version
                WHERE d.tenant_id = $1 AND d.latest_trigger_event = $2
                ORDER BY d.workflow_id""",
            self.tenant_id,
            event_name,
        )
        return [_version(r) for r in rows]
