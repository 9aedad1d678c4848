"""Dead letters: the PostgreSQL mirror of ``wf.dlq`` that operators list and requeue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from workflow_core.json_rules import loads_checked

from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.tenancy import TenantScoped

LETTER_COLUMNS = """tenant_id, id, topic, "partition", "offset", key, value, payload, headers,
    reason, created_at, requeued_at"""
NEWEST_FIRST = Keyset("dead-letters", "created_at", "id", descending=True)


@dataclass(frozen=True)
class DeadLetterRecord:
    tenant_id: str
    id: uuid.UUID
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    payload: Any
    headers: dict[str, str]
    reason: str
    created_at: datetime
    requeued_at: datetime | None


def letter_from_row(row: asyncpg.Record) -> DeadLetterRecord:
    return DeadLetterRecord(**dict(row))


def _json_or_none(value: bytes | None) -> Any:
    """The message as JSON when it is JSON (for display); the bytes stay authoritative.

    A message breaking the JSON input rule (NaN, U+0000, ...: often the very
    reason it is here) has no display form: jsonb refuses those, and the letter
    must still be recorded.
    """
    try:
        return loads_checked(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return None


class Letter(Protocol):
    """A dead letter as the mirror stores it (``sluice_messaging.DeadLetter``; storage does
    not import messaging)."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def source_topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


async def mirror_dead_letter(conn: asyncpg.Connection, letter: Letter) -> bool:
    """Insert the letter once per source position; True if new.

    Not tenant-scoped through ``TenantScoped``: a poison message may carry no
    readable tenant and is then filed under ``_unknown``.
    """
    # Display copies (jsonb holds no U+0000); the message's bytes are kept as they came.
    headers = {
        name.replace("\x00", "\ufffd"): value.decode("utf-8", "replace").replace("\x00", "\ufffd")
        for name, value in letter.headers
    }
    inserted = await conn.fetchval(
        """INSERT INTO dead_letters (tenant_id, id, topic, "partition", "offset", key, value,
              payload, headers, reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT DO NOTHING RETURNING true""",
        letter.tenant_id, uuid.uuid4(), letter.source_topic, letter.partition, letter.offset,
        letter.key, letter.value, _json_or_none(letter.value), headers, letter.reason,
    )  # fmt: skip
    return bool(inserted)


class PgDeadLetterSink:
    """``DeadLetterSink`` for ``DeadLetterPublisher``: one transaction per letter."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, letter: Letter) -> None:
        async with self._pool.acquire() as conn:
            await mirror_dead_letter(conn, letter)


class DeadLetterRepository(TenantScoped):
    async def get(self, letter_id: uuid.UUID) -> DeadLetterRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {LETTER_COLUMNS} FROM dead_letters WHERE tenant_id = $1 AND id = $2",
            self.tenant_id,
            letter_id,
        )
        return letter_from_row(row) if row else None

    async def list_letters(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[DeadLetterRecord]:
        sql = f"SELECT {LETTER_COLUMNS} FROM dead_letters WHERE tenant_id = $1"
        return await fetch_page(
            self.conn, NEWEST_FIRST, sql, [self.tenant_id], cursor=cursor, limit=limit,
            to_item=letter_from_row,
        )  # fmt: skip

    async def counts(self) -> tuple[int, int]:
        """(not requeued, requeued) letters of the tenant: one pass over its rows (letters
        are rare, and the retention policy's ``dead_letters_days`` bounds them)."""
        row = await self.conn.fetchrow(
            """SELECT count(*) FILTER (WHERE requeued_at IS NULL) AS waiting,
                      count(*) FILTER (WHERE requeued_at IS NOT NULL) AS requeued
               FROM dead_letters WHERE tenant_id = $1""",
            self.tenant_id,
        )
        assert row is not None
        return int(row["waiting"]), int(row["requeued"])

    async def mark_requeued(self, letter_id: uuid.UUID, now: datetime) -> bool:
        done = await self.conn.fetchval(
            """UPDATE dead_letters SET requeued_at = $3
               WHERE tenant_id = $1 AND id = $2 RETURNING true""",
            self.tenant_id,
            letter_id,
            now,
        )
        return bool(done)
