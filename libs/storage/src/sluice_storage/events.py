"""Inbound events: stored once, matched to at most one wait, or kept unmatched.

``event_key_lock_id`` names the transaction-scoped advisory lock on
``(tenant, eventName, correlationKey)`` that event routing and wait
registration both take (ARCHITECTURE "events meet waits without races"). The
engine takes all the key locks a unit of work needs (routing one event, a
batch round) at once, in ascending id (``sluice_engine.key_locks``), never one
by one as work comes: two keys taken in opposite orders deadlock. ``lock_key``
takes a single one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page, where_clause
from sluice_storage.tenancy import TenantScoped

EVENT_COLUMNS = """tenant_id, event_id, event_name, correlation_key, payload, idempotency_key,
    source, kafka_topic, kafka_partition, kafka_offset, received_at, expires_at, matched,
    started_run_ids, resumed_run_id, errors"""
NEWEST_FIRST = Keyset("events", "received_at", "event_id", descending=True)


@dataclass(frozen=True)
class EventRecord:
    tenant_id: str
    event_id: uuid.UUID
    event_name: str
    correlation_key: str
    payload: dict[str, Any]
    idempotency_key: str | None
    source: str
    kafka_topic: str | None
    kafka_partition: int | None
    kafka_offset: int | None
    received_at: datetime
    expires_at: datetime | None
    matched: bool
    started_run_ids: list[uuid.UUID]
    resumed_run_id: uuid.UUID | None
    errors: Any


@dataclass(frozen=True)
class EventFilter:
    """The event list's filters (``None``: any)."""

    event_name: str | None = None
    correlation_key: str | None = None
    matched: bool | None = None  # resumed a wait, or kept unmatched
    received_from: datetime | None = None
    received_to: datetime | None = None


@dataclass(frozen=True)
class NewEvent:
    event_id: uuid.UUID
    event_name: str
    correlation_key: str
    payload: dict[str, Any]
    received_at: datetime
    expires_at: datetime | None = None
    idempotency_key: str | None = None
    source: str = "api"
    kafka_position: tuple[str, int, int] | None = field(default=None)


def event_key_lock_id(tenant_id: str, event_name: str, correlation_key: str) -> int:
    """A signed 64-bit advisory-lock id for the key (JSON encoding: no separator clashes)."""
    digest = hashlib.sha256(json.dumps([tenant_id, event_name, correlation_key]).encode())
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


def _event(row: asyncpg.Record) -> EventRecord:
    values = dict(row)
    values["started_run_ids"] = list(values["started_run_ids"])
    return EventRecord(**values)


class EventRepository(TenantScoped):
    async def lock_key(self, event_name: str, correlation_key: str) -> None:
        """Serialise routing and wait registration on one key until the transaction ends."""
        lock_id = event_key_lock_id(self.tenant_id, event_name, correlation_key)
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", lock_id)

    async def _find_duplicate(self, event: NewEvent) -> EventRecord | None:
        topic, part, offset = event.kafka_position or (None, None, None)
        row = await self.conn.fetchrow(
            f"""SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND (
                  (idempotency_key = $2) OR
                  (kafka_topic = $3 AND kafka_partition = $4 AND kafka_offset = $5))""",
            self.tenant_id, event.idempotency_key, topic, part, offset,
        )  # fmt: skip
        return _event(row) if row else None

    async def store(self, event: NewEvent) -> tuple[EventRecord, bool]:
        """Insert the event; on a duplicate (idempotency key or Kafka position) return
        the stored one and False."""
        topic, part, offset = event.kafka_position or (None, None, None)
        row = await self.conn.fetchrow(
            f"""INSERT INTO events (tenant_id, event_id, event_name, correlation_key, payload,
                  idempotency_key, source, kafka_topic, kafka_partition, kafka_offset,
                  received_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT DO NOTHING RETURNING {EVENT_COLUMNS}""",
            self.tenant_id, event.event_id, event.event_name, event.correlation_key,
            event.payload, event.idempotency_key, event.source, topic, part, offset,
            event.received_at, event.expires_at,
        )  # fmt: skip
        if row is not None:
            return _event(row), True
        existing = await self._find_duplicate(event)
        if existing is None:  # conflicted on event_id itself
            existing = await self.get(event.event_id)
        assert existing is not None, "ON CONFLICT without a conflicting row"
        return existing, False

    async def get(self, event_id: uuid.UUID) -> EventRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND event_id = $2",
            self.tenant_id,
            event_id,
        )
        return _event(row) if row else None

    async def oldest_unmatched(
        self,
        event_name: str,
        correlation_key: str,
        *,
        received_after: datetime,
        now: datetime,
        exclude_started_run: uuid.UUID | None = None,
    ) -> EventRecord | None:
        """The oldest unmatched, unexpired event on the key (call under ``lock_key``)."""
        row = await self.conn.fetchrow(
            f"""SELECT {EVENT_COLUMNS} FROM events
                WHERE tenant_id = $1 AND event_name = $2 AND correlation_key = $3
                  AND NOT matched AND received_at >= $4
                  AND (expires_at IS NULL OR expires_at > $5)
                  AND ($6::uuid IS NULL OR NOT ($6::uuid = ANY(started_run_ids)))
                ORDER BY received_at, event_id LIMIT 1 FOR UPDATE""",
            self.tenant_id, event_name, correlation_key, received_after, now, exclude_started_run,
        )  # fmt: skip
        return _event(row) if row else None

    async def mark_matched(self, event_id: uuid.UUID, resumed_run_id: uuid.UUID) -> bool:
        """Conditional: only an unmatched event can resume a run (one event, one wait)."""
        done = await self.conn.fetchval(
            """UPDATE events SET matched = true, resumed_run_id = $3
               WHERE tenant_id = $1 AND event_id = $2 AND NOT matched RETURNING true""",
            self.tenant_id,
            event_id,
            resumed_run_id,
        )
        return bool(done)

    async def record_started(
        self, event_id: uuid.UUID, run_ids: Sequence[uuid.UUID], errors: Any = None
    ) -> None:
        await self.conn.execute(
            """UPDATE events SET started_run_ids = $3, errors = $4
               WHERE tenant_id = $1 AND event_id = $2""",
            self.tenant_id,
            event_id,
            list(run_ids),
            errors,
        )

    async def list_events(
        self, flt: EventFilter = EventFilter(), *, cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[EventRecord]:  # fmt: skip
        where, args = where_clause(self.tenant_id, [
            ("event_name = ${}", flt.event_name),
            ("correlation_key = ${}", flt.correlation_key),
            ("matched = ${}", flt.matched),
            ("received_at >= ${}", flt.received_from),
            ("received_at < ${}", flt.received_to),
        ])  # fmt: skip
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {where}"
        return await fetch_page(
            self.conn, NEWEST_FIRST, sql, args, cursor=cursor, limit=limit, to_item=_event
        )
